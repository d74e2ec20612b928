package dev.vlmo.dsl;

import dev.vlmo.datasets.synthetic.SyntheticWorld;
import dev.vlmo.datasets.text.Vocabulary;
import dev.vlmo.model.Engines;
import dev.vlmo.model.VlmoConfig;
import dev.vlmo.model.VlmoModel;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * A compiled description: every default resolved, every combination checked, ready to run.
 *
 * <p>The model the plan builds may differ from the description's configuration in three ways, each
 * shown by {@link #describe()}: the vocabulary size is the tokenizer's, the text table covers the
 * longest text of any stage, and a vision stage adds the masked-image-modelling head.
 */
public final class Plan {

    /**
     * One stage with its defaults resolved.
     *
     * @param index the stage's position, from 1
     * @param stage the stage as described (after smoke-mode cuts)
     * @param steps optimizer steps, or 0 when the stage runs by epochs
     * @param learningRate the peak learning rate
     * @param textLength tokens per text
     * @param dropPath the stochastic depth rate
     * @param trainable the dotted names of the parameters this stage trains
     * @param trainableCount scalar values trained
     * @param frozenCount scalar values frozen
     * @param shards data-parallel shards (devices)
     * @param microBatch samples per shard per micro-batch
     */
    public record StagePlan(
            int index,
            Stage stage,
            int steps,
            double learningRate,
            int textLength,
            double dropPath,
            Set<String> trainable,
            long trainableCount,
            long frozenCount,
            int shards,
            int microBatch) {

        /**
         * Returns the number of warm-up steps for a run of the given length.
         *
         * @param totalSteps the stage's steps
         * @return warm-up steps
         */
        public int warmupSteps(int totalSteps) {
            double w = stage.warmup();
            return (int) Math.min(totalSteps, w < 1 ? Math.round(w * totalSteps) : Math.round(w));
        }
    }

    private final Vlmo description;
    private final Runtime runtime;
    private final VlmoConfig model;
    private final List<StagePlan> stages;
    private final String vocabularySource;

    private Plan(
            Vlmo description,
            Runtime runtime,
            VlmoConfig model,
            List<StagePlan> stages,
            String vocabularySource) {
        this.description = description;
        this.runtime = runtime;
        this.model = model;
        this.stages = List.copyOf(stages);
        this.vocabularySource = vocabularySource;
    }

    static Plan compile(Vlmo d, Runtime rt) {
        if (d.stages().isEmpty()) {
            throw new IllegalArgumentException(
                    "the description has no stage: add .stage(vision()), .stage(text()) or"
                            + " .stage(visionLanguage())");
        }
        VlmoConfig c = d.config();
        if (rt.isSmoke()) {
            c = smokeModel(c);
        }
        if (rt.precision() != Precision.FP32 && !Engines.DEFAULT.equalsIgnoreCase(rt.engine())) {
            throw new IllegalArgumentException(
                    "precision "
                            + rt.precision()
                            + " runs on the PyTorch engine only (its casts keep the gradient);"
                            + " this runtime uses "
                            + rt.engine()
                            + ": use engine(\"PyTorch\") or precision(FP32)");
        }
        // the tokenizer decides the vocabulary size
        int vocab;
        String vocabSource;
        if (d.vocabulary() != null && !rt.isSmoke()) {
            vocab = Vocabulary.load(d.vocabulary()).size();
            vocabSource = d.vocabulary().toString();
        } else {
            vocab = SyntheticWorld.lexiconVocabulary().size();
            vocabSource = "built-in world";
        }
        int shards = rt.devices().size();
        List<Stage> stages = new ArrayList<>();
        int maxText = c.maxTextLen();
        boolean vision = false;
        for (int i = 0; i < d.stages().size(); i++) {
            Stage s = d.stages().get(i);
            if (rt.isSmoke()) {
                s = smokeStage(s, shards);
            }
            check(i + 1, s, c, d, shards);
            stages.add(s);
            maxText = Math.max(maxText, textLength(s, c));
            vision |= s.kind() == Stage.Kind.VISION;
        }
        VlmoConfig built = c.withVocabSize(vocab);
        if (maxText > built.maxTextLen()) {
            built = built.withMaxTextLen(maxText);
        }
        MimTarget mim =
                stages.stream()
                        .filter(s -> s.kind() == Stage.Kind.VISION)
                        .map(Stage::mimTarget)
                        .findFirst()
                        .orElse(null);
        if (vision) {
            built = built.withMimTargets(mim.width(c.patchSize()));
        }
        Map<String, ai.djl.nn.Parameter> params = new VlmoModel(built).namedParameters();
        List<StagePlan> plans = new ArrayList<>();
        for (int i = 0; i < stages.size(); i++) {
            Stage s = stages.get(i);
            Set<String> train = trainable(i + 1, s, params.keySet());
            long tc = 0;
            long fc = 0;
            for (Map.Entry<String, ai.djl.nn.Parameter> e : params.entrySet()) {
                long n = e.getValue().getShape().size();
                if (train.contains(e.getKey())) {
                    tc += n;
                } else {
                    fc += n;
                }
            }
            double lr = Double.isNaN(s.learningRate()) ? presetLearningRate(c) : s.learningRate();
            double dp = Double.isNaN(s.dropPath()) ? c.dropPath() : s.dropPath();
            int micro = s.batchSize() / (shards * s.gradientAccumulation());
            plans.add(
                    new StagePlan(
                            i + 1,
                            s,
                            s.steps(),
                            lr,
                            textLength(s, c),
                            dp,
                            train,
                            tc,
                            fc,
                            shards,
                            micro));
        }
        return new Plan(d, rt, built, plans, vocabSource);
    }

    private static int textLength(Stage s, VlmoConfig c) {
        if (s.textLength() > 0) {
            return s.textLength();
        }
        if (s.kind() == Stage.Kind.TEXT && c.maxTextLen() == 40) {
            return Math.min(196, c.maxTextLenOfInitCkpt()); // the reference's text stage
        }
        return c.maxTextLen();
    }

    private static double presetLearningRate(VlmoConfig c) {
        return switch (c.name()) {
            case "basePlus" -> 1e-4;
            case "large" -> 5e-5;
            default -> 2e-4;
        };
    }

    private static void check(int i, Stage s, VlmoConfig c, Vlmo d, int shards) {
        String where = "stage " + i + " (" + s.kind().dslName() + ")";
        if (s.kind() == Stage.Kind.VISION
                && s.mimTarget() instanceof MimTarget.Tokens t
                && !java.nio.file.Files.isRegularFile(t.tokenizer())) {
            throw new IllegalArgumentException(
                    where
                            + " predicts visual tokens but there is no tokenizer at "
                            + t.tokenizer().toAbsolutePath()
                            + "; give a TorchScript file mapping (B, 3, S, S) images to (B, P)"
                            + " token ids");
        }
        if (s.data().isEmpty()) {
            throw new IllegalArgumentException(
                    where + " has no data: add .data(builtIn()) or another source");
        }
        DataRef.Content need =
                switch (s.kind()) {
                    case VISION -> DataRef.Content.IMAGES;
                    case TEXT -> DataRef.Content.TEXTS;
                    case VISION_LANGUAGE -> DataRef.Content.PAIRS;
                };
        for (DataRef r : s.data()) {
            if (!r.contents().contains(need)) {
                throw new IllegalArgumentException(
                        where
                                + " needs "
                                + need.name().toLowerCase(Locale.ROOT)
                                + " but "
                                + r.describe()
                                + " holds only "
                                + r.contents().toString().toLowerCase(Locale.ROOT)
                                + switch (need) {
                                    case TEXTS ->
                                            "; use textLines(...), webDataset(...), coco(...) or"
                                                    + " builtIn()";
                                    case IMAGES ->
                                            "; use imageFolder(...), webDataset(...), coco(...)"
                                                    + " or builtIn()";
                                    default ->
                                            "; use webDataset(...), coco(...), flickr30k(...),"
                                                    + " arrowPairs(...) or builtIn()";
                                });
            }
            if (d.vocabulary() == null
                    && !(r instanceof DataRef.BuiltIn)
                    && s.kind() != Stage.Kind.VISION) {
                throw new IllegalArgumentException(
                        where
                                + " reads text from "
                                + r.describe()
                                + " but the description has no vocabulary: add"
                                + " .vocabulary(Path.of(\"bert-base-uncased-vocab.txt\"))");
            }
        }
        if (s.epochs() > 0) {
            for (DataRef r : s.data()) {
                if (r instanceof DataRef.WebDataset) {
                    throw new IllegalArgumentException(
                            where
                                    + ": "
                                    + r.describe()
                                    + " is streamed and its length is not known before reading"
                                    + " it; use steps(n) instead of epochs(n)");
                }
            }
        }
        if (s.batchSize() % (shards * s.gradientAccumulation()) != 0) {
            throw new IllegalArgumentException(
                    where
                            + ": batchSize "
                            + s.batchSize()
                            + " is not divisible by "
                            + shards
                            + " device(s) x "
                            + s.gradientAccumulation()
                            + " accumulation step(s); use a multiple of "
                            + shards * s.gradientAccumulation()
                            + " such as "
                            + nearest(s.batchSize(), shards * s.gradientAccumulation()));
        }
        boolean mlm = s.mlmProbability() > 0;
        if (s.kind() != Stage.Kind.VISION && s.mimMaskRatio() != Stage.DEFAULT_MIM_MASK_RATIO) {
            throw new IllegalArgumentException(
                    where
                            + " sets mimMaskRatio "
                            + s.mimMaskRatio()
                            + ", but only a vision() stage masks image patches; remove it here");
        }
        switch (s.kind()) {
            case VISION -> {
                if (s.mimTarget() == null) {
                    throw new IllegalArgumentException(where + " has no objective: set mimTarget");
                }
                if (s.itc() || s.itm() != ItmNegatives.NONE || mlm) {
                    throw new IllegalArgumentException(
                            where
                                    + " trains on images alone: ITC, ITM and MLM need a"
                                    + " visionLanguage() or text() stage");
                }
            }
            case TEXT -> {
                if (!mlm) {
                    throw new IllegalArgumentException(
                            where + " has no objective: set mlmProbability above 0");
                }
                if (s.itc() || s.itm() != ItmNegatives.NONE) {
                    throw new IllegalArgumentException(
                            where + " trains on texts alone: ITC and ITM need image-text pairs");
                }
            }
            case VISION_LANGUAGE -> {
                if (!s.itc() && s.itm() == ItmNegatives.NONE && !mlm) {
                    throw new IllegalArgumentException(
                            where + " has no objective: enable itc, itm or mlmProbability");
                }
                if (s.vlItc() && !s.itc()) {
                    throw new IllegalArgumentException(
                            where + ": vlItc(true) is a term of ITC; enable itc(true) too");
                }
                if (s.vlItc() && c.vlLayers() == 0) {
                    throw new IllegalArgumentException(
                            where
                                    + ": the VL contrastive term needs vision-language layers, but"
                                    + " the model has vlLayers 0; set vlItc(false) or give the"
                                    + " model VL layers");
                }
            }
        }
        if (s.kind() != Stage.Kind.VISION && s.mimTarget() != null) {
            throw new IllegalArgumentException(where + ": mimTarget only applies to vision()");
        }
        if (s.excludeSameImageNegatives() && s.itm() == ItmNegatives.NONE) {
            throw new IllegalArgumentException(
                    where + ": excludeSameImageNegatives needs ITM; set itm(HARD) or itm(RANDOM)");
        }
        int t = textLength(s, c);
        if (t > c.maxTextLenOfInitCkpt()) {
            throw new IllegalArgumentException(
                    where
                            + ": textLength "
                            + t
                            + " exceeds the relative position table's "
                            + c.maxTextLenOfInitCkpt()
                            + " tokens (maxTextLenOfInitCkpt)");
        }
        if (s.kind() == Stage.Kind.VISION_LANGUAGE && t > c.maxTextLen()) {
            throw new IllegalArgumentException(
                    where
                            + ": pair texts of "
                            + t
                            + " tokens exceed the model's maxTextLen "
                            + c.maxTextLen());
        }
    }

    private static String nearest(int batch, int d) {
        int lo = batch / d * d;
        return lo > 0 ? lo + " or " + (lo + d) : Integer.toString(d);
    }

    /** The dotted names of the parameters a stage trains. */
    private static Set<String> trainable(int i, Stage s, Set<String> names) {
        List<String> patterns = s.trainable() != null ? s.trainable() : defaults(s.kind());
        Set<String> out = new LinkedHashSet<>();
        for (String p : patterns) {
            Pattern re = compile(p);
            boolean any = false;
            for (String n : names) {
                if (re.matcher(n).matches()) {
                    out.add(n);
                    any = true;
                }
            }
            if (!any && s.trainable() != null) {
                throw new IllegalArgumentException(
                        "stage "
                                + i
                                + ": trainable pattern '"
                                + p
                                + "' matches no parameter (names look like"
                                + " transformer.blocks.0.mlp_text.fc1.weight)");
            }
        }
        return out;
    }

    private static Pattern compile(String glob) {
        StringBuilder re = new StringBuilder();
        for (char ch : glob.toCharArray()) {
            if (ch == '*') {
                re.append("[^.]*");
            } else {
                re.append(Pattern.quote(String.valueOf(ch)));
            }
        }
        String base = re.toString();
        return Pattern.compile(glob.endsWith(".") ? base + ".*" : base + "(\\..*)?");
    }

    /**
     * Returns the parameters each kind of stage trains by default (the reference's freeze lists).
     *
     * @param kind the kind of stage
     * @return name patterns
     */
    public static List<String> defaults(Stage.Kind kind) {
        return switch (kind) {
            case VISION ->
                    List.of(
                            "transformer.patch_embed.",
                            "transformer.cls_token",
                            "transformer.pos_embed",
                            "transformer.blocks.*.norm1.",
                            "transformer.blocks.*.attn.",
                            "transformer.blocks.*.gamma_1",
                            "transformer.blocks.*.gamma_2",
                            "transformer.blocks.*.norm2_imag.",
                            "transformer.blocks.*.mlp_imag.",
                            // the one FFN of a shared-FFN model (withSharedFfn) is what images use
                            "transformer.blocks.*.norm2.",
                            "transformer.blocks.*.mlp.",
                            "transformer.norm.",
                            "relative_position_bias_table",
                            "mim_head.",
                            "mim_mask_token");
            case TEXT ->
                    List.of(
                            "text_embeddings.",
                            "token_type_embeddings.",
                            "transformer.blocks.*.mlp_text.",
                            "transformer.blocks.*.norm2_text.",
                            "mlm_score.",
                            "relative_position_bias_table",
                            "transformer.norm.");
            case VISION_LANGUAGE ->
                    List.of(
                            "transformer.",
                            "relative_position_bias_table",
                            "text_embeddings.",
                            "token_type_embeddings.",
                            "pooler.",
                            "mlm_score.",
                            "itm_score.",
                            "itc_*",
                            "logit_scale",
                            "logit_vl_scale");
        };
    }

    static VlmoConfig smokeModel(VlmoConfig c) {
        VlmoConfig t = VlmoConfig.tiny();
        return c.withHeads(t.heads())
                .withHidden(t.hidden())
                .withLayers(Math.min(t.layers(), c.layers()))
                .withVlLayers(Math.min(c.vlLayers(), Math.min(t.layers(), c.layers())))
                .withPatchSize(t.patchSize())
                .withImageSize(t.imageSize())
                .withMaxTextLen(t.maxTextLen())
                .withName(c.name());
    }

    private static Stage smokeStage(Stage s, int shards) {
        DataRef world = Dsl.builtIn().scenes(64, 16);
        Stage out =
                s.data(world)
                        .steps(2)
                        .batchSize(4 * shards * s.gradientAccumulation())
                        .warmup(1)
                        .checkpointEvery(0);
        if (s.textLength() > 0) {
            out = out.textLength(Math.min(s.textLength(), VlmoConfig.tiny().maxTextLen()));
        }
        return out;
    }

    /**
     * Returns the description this plan was compiled from.
     *
     * @return the description
     */
    public Vlmo description() {
        return description;
    }

    /**
     * Returns the runtime.
     *
     * @return the runtime
     */
    public Runtime runtime() {
        return runtime;
    }

    /**
     * Returns the configuration of the model the plan builds.
     *
     * @return the configuration
     */
    public VlmoConfig model() {
        return model;
    }

    /**
     * Returns the resolved stages.
     *
     * @return the stages
     */
    public List<StagePlan> stages() {
        return stages;
    }

    /**
     * Returns where the tokenizer's vocabulary comes from.
     *
     * @return a file name or "built-in world"
     */
    public String vocabularySource() {
        return vocabularySource;
    }

    /**
     * Returns the plan as a table, one row per stage.
     *
     * @return the table
     */
    public Table describe() {
        Table t =
                Table.create(
                        "VLMo "
                                + model.name()
                                + " (D="
                                + model.hidden()
                                + ", L="
                                + model.layers()
                                + ", VL layers="
                                + model.vlLayers()
                                + ", vocabulary "
                                + model.vocabSize()
                                + " from "
                                + vocabularySource
                                + ")");
        IntColumn idx = IntColumn.create("stage");
        StringColumn kind = StringColumn.create("kind");
        StringColumn obj = StringColumn.create("objectives");
        StringColumn data = StringColumn.create("data");
        StringColumn len = StringColumn.create("length");
        IntColumn batch = IntColumn.create("batch");
        DoubleColumn lr = DoubleColumn.create("learning rate");
        StringColumn sched = StringColumn.create("schedule");
        LongColumn train = LongColumn.create("trainable params");
        LongColumn frozen = LongColumn.create("frozen params");
        for (StagePlan p : stages) {
            Stage s = p.stage();
            idx.append(p.index());
            kind.append(s.kind().dslName());
            obj.append(s.objectives());
            data.append(String.join(" + ", s.data().stream().map(DataRef::describe).toList()));
            len.append(s.epochs() > 0 ? s.epochs() + " epochs" : s.steps() + " steps");
            batch.append(s.batchSize());
            lr.append(p.learningRate());
            String warm =
                    s.warmup() < 1
                            ? String.format(Locale.ROOT, "%.1f%% warm-up", s.warmup() * 100)
                            : (long) s.warmup() + " warm-up steps";
            sched.append(warm + ", " + s.schedule().name().toLowerCase(Locale.ROOT));
            train.append(p.trainableCount());
            frozen.append(p.frozenCount());
        }
        t.addColumns(idx, kind, obj, data, len, batch, lr, sched, train, frozen);
        return t;
    }

    @Override
    public String toString() {
        return describe().printAll();
    }
}
