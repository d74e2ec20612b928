package dev.vlmo.model;

import ai.djl.nn.Parameter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The structure of a VLMo configuration and its parameter counts, grouped by component.
 *
 * <p>The backbone is what the reference README counts: embeddings and encoder, no heads. Counting
 * needs no engine: parameter shapes are known when the model is built.
 */
public final class ModelSummary {

    /**
     * One line of the summary.
     *
     * @param component the group of parameters
     * @param parameters the number of scalar values
     * @param detail shapes or counts that explain the group
     */
    public record Row(String component, long parameters, String detail) {}

    private final VlmoConfig config;
    private final List<Row> rows;
    private final long backbone;
    private final long total;

    private ModelSummary(VlmoConfig config, List<Row> rows, long backbone, long total) {
        this.config = config;
        this.rows = List.copyOf(rows);
        this.backbone = backbone;
        this.total = total;
    }

    /**
     * Summarises a configuration.
     *
     * @param config the configuration
     * @return the summary
     */
    public static ModelSummary of(VlmoConfig config) {
        VlmoModel model = new VlmoModel(config);
        Map<String, Long> groups = new LinkedHashMap<>();
        for (String g :
                List.of(
                        "patch embedding",
                        "image [CLS] and positions",
                        "text embeddings",
                        "token type embeddings",
                        "relative position bias",
                        "attention (shared)",
                        "vision experts",
                        "language experts",
                        "vision-language experts",
                        "final norm",
                        "heads")) {
            groups.put(g, 0L);
        }
        if (config.sharedFfn()) {
            groups.put("shared FFN", 0L);
        }
        Map<String, Long> heads = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            String k = e.getKey();
            long n = e.getValue().getShape().size();
            String g = group(k);
            groups.merge(g, n, Long::sum);
            if (g.equals("heads")) {
                heads.merge(
                        k.substring(0, k.contains(".") ? k.indexOf('.') : k.length()),
                        n,
                        Long::sum);
            }
        }
        long backbone = 0;
        List<Row> rows = new ArrayList<>();
        RelativePositionIndex layout = model.relativePositionLayout();
        for (Map.Entry<String, Long> e : groups.entrySet()) {
            if (e.getKey().equals("heads")) {
                continue;
            }
            backbone += e.getValue();
            rows.add(new Row(e.getKey(), e.getValue(), detail(config, layout, e.getKey())));
        }
        rows.add(new Row("backbone (embeddings + encoder)", backbone, ""));
        long headTotal = 0;
        for (Map.Entry<String, Long> e : heads.entrySet()) {
            rows.add(new Row("head " + e.getKey(), e.getValue(), ""));
            headTotal += e.getValue();
        }
        rows.add(new Row("total", backbone + headTotal, ""));
        return new ModelSummary(config, rows, backbone, backbone + headTotal);
    }

    private static String group(String k) {
        if (k.startsWith("transformer.patch_embed")) {
            return "patch embedding";
        }
        if (k.equals("transformer.cls_token") || k.equals("transformer.pos_embed")) {
            return "image [CLS] and positions";
        }
        if (k.startsWith("text_embeddings.")) {
            return "text embeddings";
        }
        if (k.startsWith("token_type_embeddings")) {
            return "token type embeddings";
        }
        if (k.equals("relative_position_bias_table")) {
            return "relative position bias";
        }
        if (k.startsWith("transformer.norm.")) {
            return "final norm";
        }
        if (k.startsWith("transformer.blocks.")) {
            if (k.contains(".mlp_imag.") || k.contains(".norm2_imag.")) {
                return "vision experts";
            }
            if (k.contains(".mlp_text.") || k.contains(".norm2_text.")) {
                return "language experts";
            }
            if (k.contains(".mlp_vl.") || k.contains(".norm2_vl.")) {
                return "vision-language experts";
            }
            if (k.contains(".mlp.") || k.contains(".norm2.")) {
                return "shared FFN";
            }
            return "attention (shared)";
        }
        return "heads";
    }

    private static String detail(VlmoConfig c, RelativePositionIndex layout, String group) {
        return switch (group) {
            case "patch embedding" ->
                    String.format(
                            Locale.ROOT,
                            "%dx%d patches of %d px -> %d",
                            c.gridSize(),
                            c.gridSize(),
                            c.patchSize(),
                            c.hidden());
            case "image [CLS] and positions" ->
                    c.relativePositions() ? "[CLS]" : "[CLS] + absolute pos_embed";
            case "text embeddings" ->
                    "vocabulary " + c.vocabSize() + ", max text " + c.maxTextLen();
            case "token type embeddings" -> c.tokenTypes() + " types";
            case "relative position bias" ->
                    c.relativePositions()
                            ? "table [" + layout.tableRows() + ", " + (c.heads() * c.layers()) + "]"
                            : "none (absolute positions)";
            case "attention (shared)" ->
                    c.layers()
                            + " layers x "
                            + c.heads()
                            + " heads (norm1, qkv, proj, layer scale)";
            case "vision experts", "language experts", "shared FFN" ->
                    c.layers() + " layers, FFN " + c.hidden() + "-" + c.mlpHidden();
            case "vision-language experts" ->
                    c.vlLayers() + " top layers (from layer " + c.vlStart() + ")";
            default -> "";
        };
    }

    /**
     * Returns the rows.
     *
     * @return the summary lines
     */
    public List<Row> rows() {
        return rows;
    }

    /**
     * Returns the backbone's parameter count (embeddings and encoder, no heads).
     *
     * @return the count
     */
    public long backboneParameters() {
        return backbone;
    }

    /**
     * Returns every parameter's count, heads included.
     *
     * @return the count
     */
    public long totalParameters() {
        return total;
    }

    /**
     * Formats the summary as a text table.
     *
     * @return the table
     */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append(
                String.format(
                        Locale.ROOT,
                        "VLMo %s: D=%d, L=%d, H=%d, VL layers=%d, image %d, patch %d, %s"
                                + " positions%n",
                        config.name(),
                        config.hidden(),
                        config.layers(),
                        config.heads(),
                        config.vlLayers(),
                        config.imageSize(),
                        config.patchSize(),
                        config.relativePositions() ? "relative" : "absolute"));
        String fmt = "%-34s %15s  %s%n";
        sb.append(String.format(Locale.ROOT, fmt, "component", "parameters", "detail"));
        sb.append("-".repeat(96)).append(System.lineSeparator());
        for (Row r : rows) {
            sb.append(
                    String.format(
                            Locale.ROOT,
                            fmt,
                            r.component(),
                            String.format(Locale.ROOT, "%,d", r.parameters()),
                            r.detail()));
        }
        return sb.toString();
    }

    /**
     * Prints the summary of each preset named on the command line.
     *
     * @param args preset names, for example {@code base basePlus large}
     */
    public static void main(String[] args) {
        if (args.length == 0) {
            System.err.println("usage: summary PRESET... (tiny, small, base, basePlus, large)");
            System.exit(2);
        }
        for (String a : args) {
            try {
                System.out.println(of(VlmoConfig.preset(a)));
            } catch (IllegalArgumentException e) {
                System.err.println(e.getMessage());
                System.exit(2);
            }
        }
    }
}
