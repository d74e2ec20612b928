package dev.vlmo.model.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.vlmo.model.RelativePositionIndex;
import dev.vlmo.model.VlmoConfig;
import dev.vlmo.model.VlmoModel;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loads a reference state dict (official VLMo checkpoints, files written by {@link
 * CheckpointExporter}, or BEiT checkpoints for stage 1) into a {@link VlmoModel}.
 *
 * <p>Keys are matched through {@link VlmoModel#namedParameters()}. On the way the reference
 * loader's changes are made: a text position table longer than {@code maxTextLen} is truncated,
 * {@code transformer.pos_embed} and {@code relative_position_bias_table} are resized to the model's
 * image size ({@link PositionInterpolation}), a two-row token type table gets a third row copied
 * from row 1 for NLVR2, and the relative position index tensors and {@code position_ids} that
 * checkpoints carry are ignored (the model derives them). Everything is checked and converted to
 * float32 before the first parameter is written, so a checkpoint that does not fit leaves the model
 * as it was.
 */
public final class CheckpointImporter {

    /** The key of the shared relative position table. */
    static final String TABLE = "relative_position_bias_table";

    static final String POS_EMBED = "transformer.pos_embed";
    static final String TEXT_POSITIONS = "text_embeddings.position_embeddings.weight";
    static final String TOKEN_TYPES = "token_type_embeddings.weight";

    private static final Pattern BEIT_LAYER_TABLE =
            Pattern.compile("blocks\\.(\\d+)\\.attn\\.relative_position_bias_table");
    private static final String BEIT_SHARED_TABLE = "rel_pos_bias.relative_position_bias_table";
    private static final Pattern BEIT_EXPERT =
            Pattern.compile("blocks\\.(\\d+)\\.(mlp|norm2)\\.(.+)");
    private static final int LIST_LIMIT = 20;

    /**
     * How a checkpoint is matched to the model.
     *
     * @param strict whether every model parameter must be loaded and every key used (PyTorch's
     *     {@code strict=True}); buffers the model derives never count as unexpected
     * @param beit whether the keys are a BEiT model's ({@code blocks.N.mlp} and {@code norm2} map
     *     to the vision expert, other keys get the {@code transformer.} prefix, per-layer relative
     *     tables fill the image rows of the shared table)
     */
    public record Options(boolean strict, boolean beit) {

        /** Every parameter loaded, every key used. */
        public static final Options STRICT = new Options(true, false);

        /** Load what matches and report the rest (the reference's {@code strict=False}). */
        public static final Options LENIENT = new Options(false, false);

        /** A BEiT checkpoint into stage 1, leniently (text and VL parts stay as they are). */
        public static final Options BEIT = new Options(false, true);
    }

    private CheckpointImporter() {}

    /**
     * Reads a checkpoint file and loads it into the model.
     *
     * @param model the model; initialised on the manager first if it is not yet
     * @param manager the manager for the model's arrays if it needs initialising
     * @param file a file written by {@code torch.save} or {@link CheckpointExporter}, or a run's
     *     {@code model.params} (see {@link #read})
     * @param options strict or lenient, reference or BEiT keys
     * @return what was loaded, missing, unexpected, ignored and adapted
     * @throws CheckpointFormatException if the file is not a readable checkpoint
     * @throws CheckpointMismatchException if it does not fit the model (the model is unchanged)
     * @throws IOException if the file cannot be read
     */
    public static LoadReport load(VlmoModel model, NDManager manager, Path file, Options options)
            throws IOException {
        return load(model, manager, read(model, file, manager), file.toString(), options);
    }

    /**
     * Reads either kind of checkpoint, told apart by its content rather than its name: a run's
     * {@code model.params} (DJL's parameter format, whose first byte is a block version of 1) with
     * {@link VlmoModel#readStateDict}, whichever heads its writer had; anything else with {@link
     * TorchCheckpoint#read}, which names what the file is when it is no PyTorch checkpoint.
     *
     * @param model the model whose configuration a run's file is read against (not changed)
     * @param file the checkpoint
     * @param manager a manager for temporary arrays
     * @return parameter name to tensor
     * @throws IOException if the file cannot be read or is neither kind
     */
    public static Map<String, TensorData> read(VlmoModel model, Path file, NDManager manager)
            throws IOException {
        int lead;
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
            lead = in.read();
        }
        return lead == 1 ? model.readStateDict(file, manager) : TorchCheckpoint.read(file);
    }

    /**
     * Loads a state dict into the model.
     *
     * @param model the model; initialised on the manager first if it is not yet
     * @param manager the manager for the model's arrays if it needs initialising
     * @param stateDict reference key to tensor (any floating dtype for parameters)
     * @param source the name of the checkpoint for messages, usually its file
     * @param options strict or lenient, reference or BEiT keys
     * @return what was loaded, missing, unexpected, ignored and adapted
     * @throws CheckpointMismatchException if it does not fit the model (the model is unchanged)
     */
    public static LoadReport load(
            VlmoModel model,
            NDManager manager,
            Map<String, TensorData> stateDict,
            String source,
            Options options)
            throws CheckpointMismatchException {
        VlmoConfig c = model.config();
        Map<String, Parameter> params = model.namedParameters();
        List<String> adapted = new ArrayList<>();
        Map<String, TensorData> sd = new LinkedHashMap<>(stateDict);
        TensorData beitTable = null;
        if (options.beit()) {
            beitTable = fromBeit(sd, model, source, adapted);
        }
        truncateTextPositions(sd, c, adapted);
        resizePosEmbed(sd, model, source, adapted);
        resizeRelativeTable(sd, model, source, adapted);
        addNlvr2TokenType(sd, c, adapted);

        Map<String, float[]> values = new LinkedHashMap<>();
        List<String> unexpected = new ArrayList<>();
        List<String> ignored = new ArrayList<>();
        for (Map.Entry<String, TensorData> e : sd.entrySet()) {
            String key = e.getKey();
            Parameter p = params.get(key);
            if (p != null) {
                values.put(key, checked(source, key, e.getValue(), p, c));
            } else if (isDerivedBuffer(key)) {
                ignored.add(key);
            } else {
                unexpected.add(key);
            }
        }
        List<String> loaded = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String key : params.keySet()) {
            if (values.containsKey(key) || (beitTable != null && key.equals(TABLE))) {
                loaded.add(key);
            } else {
                missing.add(key);
            }
        }
        if (loaded.isEmpty()) {
            throw new CheckpointMismatchException(
                    source, noMatchProblem(stateDict, options), missing, unexpected);
        }
        if (options.strict() && (!missing.isEmpty() || !unexpected.isEmpty())) {
            throw new CheckpointMismatchException(
                    source,
                    "does not fit this "
                            + c.name()
                            + " model in strict mode: "
                            + missing.size()
                            + " missing keys "
                            + limited(missing)
                            + ", "
                            + unexpected.size()
                            + " unexpected keys "
                            + limited(unexpected),
                    missing,
                    unexpected);
        }

        // Everything is checked: from here on nothing fails, and the model changes.
        if (!model.isInitialized()) {
            model.initialize(manager);
        }
        if (beitTable != null) {
            float[] table = params.get(TABLE).getArray().toFloatArray();
            float[] prefix = beitTable.floatArray();
            System.arraycopy(prefix, 0, table, 0, prefix.length);
            values.put(TABLE, table);
        }
        for (Map.Entry<String, float[]> e : values.entrySet()) {
            Parameter p = params.get(e.getKey());
            NDArray array = p.getArray();
            array.set(FloatBuffer.wrap(e.getValue()));
            if (p.requiresGradient() && !array.hasGradient()) {
                array.setRequiresGradient(true);
            }
        }
        return new LoadReport(source, loaded, missing, unexpected, ignored, adapted);
    }

    /** Buffers the reference stores that the model derives from its configuration. */
    static boolean isDerivedBuffer(String key) {
        return key.endsWith("relative_position_index") || key.endsWith("position_ids");
    }

    // ------------------------------------------------------------------ adaptations

    private static void truncateTextPositions(
            Map<String, TensorData> sd, VlmoConfig c, List<String> adapted) {
        TensorData t = sd.get(TEXT_POSITIONS);
        if (t == null || !t.isFloating() || t.shape().length != 2) {
            return;
        }
        long rows = t.shape()[0];
        long cols = t.shape()[1];
        if (rows <= c.maxTextLen()) {
            return;
        }
        float[] v = Arrays.copyOf(t.floatArray(), Math.toIntExact(c.maxTextLen() * cols));
        sd.put(TEXT_POSITIONS, TensorData.ofFloats(new long[] {c.maxTextLen(), cols}, v));
        adapted.add(TEXT_POSITIONS + ": first " + c.maxTextLen() + " of " + rows + " rows kept");
    }

    private static void resizePosEmbed(
            Map<String, TensorData> sd, VlmoModel model, String source, List<String> adapted)
            throws CheckpointMismatchException {
        TensorData t = sd.get(POS_EMBED);
        Parameter p = model.namedParameters().get(POS_EMBED);
        if (t == null || p == null) {
            return;
        }
        long[] have = t.shape();
        long[] want = p.getShape().getShape();
        if (have.length != 3 || have[0] != 1 || have[2] != want[2] || have[1] == want[1]) {
            return; // equal, or a mismatch the shape check reports
        }
        int patches = model.config().gridSize() * model.config().gridSize();
        try {
            sd.put(POS_EMBED, PositionInterpolation.resizePosEmbed(t, patches));
        } catch (IllegalArgumentException e) {
            throw shapeMismatch(source, POS_EMBED, have, want, e.getMessage());
        }
        adapted.add(
                POS_EMBED
                        + ": "
                        + (have[1] - 1)
                        + " patches resized bicubically to "
                        + patches
                        + " ([CLS] row kept)");
    }

    private static void resizeRelativeTable(
            Map<String, TensorData> sd, VlmoModel model, String source, List<String> adapted)
            throws CheckpointMismatchException {
        TensorData t = sd.get(TABLE);
        Parameter p = model.namedParameters().get(TABLE);
        if (t == null || p == null) {
            return;
        }
        long[] have = t.shape();
        long[] want = p.getShape().getShape();
        if (have.length != 2 || have[1] != want[1] || have[0] == want[0]) {
            return; // equal, or a mismatch the shape check reports
        }
        int w = model.config().gridSize();
        try {
            sd.put(TABLE, PositionInterpolation.resizeRelativeTable(t, (int) want[0], w));
        } catch (IllegalArgumentException e) {
            throw shapeMismatch(
                    source,
                    TABLE,
                    have,
                    want,
                    e.getMessage()
                            + "; was the checkpoint written with another maxTextLenOfInitCkpt than "
                            + model.config().maxTextLenOfInitCkpt()
                            + "?");
        }
        int src = (int) Math.round(Math.sqrt(have[0] - (want[0] - (2L * w - 1) * (2L * w - 1))));
        adapted.add(
                TABLE
                        + ": "
                        + src
                        + "x"
                        + src
                        + " image-distance grid interpolated to "
                        + (2 * w - 1)
                        + "x"
                        + (2 * w - 1)
                        + " (BEiT's scheme), other rows kept");
    }

    private static void addNlvr2TokenType(
            Map<String, TensorData> sd, VlmoConfig c, List<String> adapted) {
        TensorData t = sd.get(TOKEN_TYPES);
        if (t == null || !t.isFloating() || c.tokenTypes() != 3) {
            return;
        }
        long[] s = t.shape();
        if (s.length != 2 || s[0] != 2) {
            return;
        }
        int d = Math.toIntExact(s[1]);
        float[] v = Arrays.copyOf(t.floatArray(), 3 * d);
        System.arraycopy(v, d, v, 2 * d, d);
        sd.put(TOKEN_TYPES, TensorData.ofFloats(new long[] {3, d}, v));
        adapted.add(TOKEN_TYPES + ": row 2 (second NLVR2 image) copied from row 1");
    }

    /**
     * Renames a BEiT state dict's keys in place and returns its relative tables merged into the
     * image rows of this model's shared table, or null if it has none.
     */
    private static TensorData fromBeit(
            Map<String, TensorData> sd, VlmoModel model, String source, List<String> adapted)
            throws CheckpointMismatchException {
        VlmoConfig c = model.config();
        Map<String, TensorData> renamed = new LinkedHashMap<>();
        TreeMap<Integer, TensorData> layerTables = new TreeMap<>();
        TensorData shared = null;
        for (Map.Entry<String, TensorData> e : sd.entrySet()) {
            String key = e.getKey();
            Matcher table = BEIT_LAYER_TABLE.matcher(key);
            if (table.matches()) {
                layerTables.put(Integer.parseInt(table.group(1)), e.getValue());
                continue;
            }
            if (key.equals(BEIT_SHARED_TABLE)) {
                shared = e.getValue();
                continue;
            }
            Matcher expert = BEIT_EXPERT.matcher(key);
            String to =
                    expert.matches()
                            ? "transformer.blocks."
                                    + expert.group(1)
                                    + "."
                                    + (expert.group(2).equals("mlp") ? "mlp_imag" : "norm2_imag")
                                    + "."
                                    + expert.group(3)
                            : "transformer." + key;
            renamed.put(to, e.getValue());
        }
        sd.clear();
        sd.putAll(renamed);
        adapted.add(
                "BEiT keys: blocks.N.mlp -> transformer.blocks.N.mlp_imag, norm2 -> norm2_imag,"
                        + " others prefixed with transformer.");
        if (layerTables.isEmpty() && shared == null) {
            return null;
        }
        if (!c.relativePositions()) {
            throw new CheckpointMismatchException(
                    source,
                    "the BEiT checkpoint has relative position tables but this "
                            + c.name()
                            + " model uses absolute positions",
                    List.of(),
                    List.of());
        }
        List<TensorData> perLayer = new ArrayList<>();
        String what;
        if (!layerTables.isEmpty()) {
            if (!layerTables.keySet().equals(rangeSet(c.layers()))) {
                throw new CheckpointMismatchException(
                        source,
                        "the BEiT checkpoint has relative position tables for layers "
                                + layerTables.keySet()
                                + " but this model has layers 0.."
                                + (c.layers() - 1),
                        List.of(),
                        List.of());
            }
            perLayer.addAll(layerTables.values());
            what = "per-layer tables blocks.N.attn." + TABLE;
        } else {
            for (int i = 0; i < c.layers(); i++) {
                perLayer.add(shared);
            }
            what = "the shared table " + BEIT_SHARED_TABLE + " (repeated for every layer)";
        }
        long[] first = perLayer.get(0).shape();
        for (int i = 0; i < perLayer.size(); i++) {
            TensorData t = perLayer.get(i);
            long[] s = t.shape();
            if (!t.isFloating() || s.length != 2 || s[1] != c.heads() || !Arrays.equals(s, first)) {
                String key =
                        layerTables.isEmpty()
                                ? BEIT_SHARED_TABLE
                                : "blocks." + i + ".attn." + TABLE;
                throw shapeMismatch(
                        source,
                        key,
                        s,
                        new long[] {first[0], c.heads()},
                        "a BEiT relative table has one column per head, the same shape in every"
                                + " layer");
            }
        }
        int rows = Math.toIntExact(first[0]);
        int heads = c.heads();
        int cols = heads * c.layers();
        float[] merged = new float[rows * cols];
        for (int layer = 0; layer < perLayer.size(); layer++) {
            float[] v = perLayer.get(layer).floatArray();
            for (int r = 0; r < rows; r++) {
                System.arraycopy(v, r * heads, merged, r * cols + layer * heads, heads);
            }
        }
        TensorData table = TensorData.ofFloats(new long[] {rows, cols}, merged);
        RelativePositionIndex layout = model.relativePositionLayout();
        int imageRows = layout.imageRows();
        if (rows != imageRows) {
            try {
                table = PositionInterpolation.resizeRelativeTable(table, imageRows, c.gridSize());
            } catch (IllegalArgumentException e) {
                throw shapeMismatch(
                        source,
                        layerTables.isEmpty() ? BEIT_SHARED_TABLE : "blocks.0.attn." + TABLE,
                        first,
                        new long[] {imageRows, heads},
                        e.getMessage());
            }
            what += ", interpolated to the model's image grid";
        }
        adapted.add(
                TABLE
                        + ": first "
                        + imageRows
                        + " rows (image distances and image [CLS]) from "
                        + what
                        + ", text rows kept");
        return table;
    }

    private static Set<Integer> rangeSet(int n) {
        Set<Integer> s = new TreeSet<>();
        for (int i = 0; i < n; i++) {
            s.add(i);
        }
        return s;
    }

    // ------------------------------------------------------------------ checks

    private static float[] checked(
            String source, String key, TensorData t, Parameter p, VlmoConfig c)
            throws CheckpointMismatchException {
        long[] want = p.getShape().getShape();
        if (!t.isFloating()) {
            throw new CheckpointMismatchException(
                    source,
                    "key '"
                            + key
                            + "' holds "
                            + t.dtype().torchName()
                            + " "
                            + Arrays.toString(t.shape())
                            + " but the parameter is floating "
                            + Arrays.toString(want),
                    List.of(),
                    List.of());
        }
        if (!Arrays.equals(t.shape(), want)) {
            throw shapeMismatch(source, key, t.shape(), want, hint(key, t.shape(), c));
        }
        return t.floatArray().clone();
    }

    private static String hint(String key, long[] have, VlmoConfig c) {
        if (key.equals(TOKEN_TYPES) && have.length == 2 && have[0] == 3 && c.tokenTypes() == 2) {
            return "the checkpoint has the third (NLVR2) token type; build the model with"
                    + " withNlvr2(true)";
        }
        if (key.equals("vqa_classifier.3.weight") || key.equals("vqa_classifier.3.bias")) {
            return "the VQA head has another answer count; build the model with withVqaLabels("
                    + have[0]
                    + ")";
        }
        if (key.equals("text_embeddings.word_embeddings.weight")) {
            return "the vocabulary differs: build the model with withVocabSize("
                    + have[0]
                    + "), or in the DSL give the checkpoint's vocabulary file with"
                    + " .vocabulary(path) (BERT's uncased vocabulary for the official"
                    + " checkpoints)";
        }
        return "the checkpoint was written for another configuration than " + c.name();
    }

    private static CheckpointMismatchException shapeMismatch(
            String source, String key, long[] have, long[] want, String why) {
        return new CheckpointMismatchException(
                source,
                "key '"
                        + key
                        + "' has shape "
                        + Arrays.toString(have)
                        + " in the checkpoint but "
                        + Arrays.toString(want)
                        + " in the model: "
                        + why,
                List.of(),
                List.of());
    }

    private static String noMatchProblem(Map<String, TensorData> sd, Options options) {
        List<String> keys = new ArrayList<>(sd.keySet());
        StringBuilder sb = new StringBuilder();
        sb.append("none of its ")
                .append(keys.size())
                .append(" keys is a parameter of this VLMo model (")
                .append(limited(keys))
                .append("); VLMo keys look like transformer.blocks.0.attn.qkv.weight, so this is")
                .append(" a checkpoint of another architecture");
        boolean looksBeit = keys.stream().anyMatch(k -> k.startsWith("blocks."));
        if (looksBeit && !options.beit()) {
            sb.append("; its keys look like BEiT's: load it with CheckpointImporter.Options.BEIT");
        }
        return sb.toString();
    }

    private static String limited(List<String> keys) {
        if (keys.size() <= LIST_LIMIT) {
            return keys.toString();
        }
        return keys.subList(0, LIST_LIMIT)
                .toString()
                .replaceFirst("]$", ", ... " + (keys.size() - LIST_LIMIT) + " more]");
    }
}
