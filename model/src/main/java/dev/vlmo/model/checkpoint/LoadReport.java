package dev.vlmo.model.checkpoint;

import java.util.List;

/**
 * What loading a checkpoint into a model did, in the manner of PyTorch's {@code load_state_dict}
 * result.
 *
 * @param source the checkpoint file or name
 * @param loaded model parameters that received values from the checkpoint, in the model's order
 * @param missing model parameters the checkpoint lacks (left as they were)
 * @param unexpected checkpoint keys that are no parameter of the model (not used)
 * @param ignored buffers the model derives itself (relative position indices, position ids)
 * @param adapted changes made on the way, one sentence each (resized, truncated, rows added, keys
 *     renamed)
 */
public record LoadReport(
        String source,
        List<String> loaded,
        List<String> missing,
        List<String> unexpected,
        List<String> ignored,
        List<String> adapted) {

    /** Copies the lists so the report cannot change. */
    public LoadReport {
        loaded = List.copyOf(loaded);
        missing = List.copyOf(missing);
        unexpected = List.copyOf(unexpected);
        ignored = List.copyOf(ignored);
        adapted = List.copyOf(adapted);
    }

    /**
     * Tells whether every model parameter was loaded and every checkpoint key used or ignored.
     *
     * @return true when nothing is missing or unexpected
     */
    public boolean complete() {
        return missing.isEmpty() && unexpected.isEmpty();
    }

    /**
     * One line for a console: the count loaded, and by top-level module what the checkpoint lacked
     * (left as initialised), what only it had (left out), and what was adapted.
     *
     * @return the summary
     */
    public String summary() {
        return source
                + ": "
                + loaded.size()
                + " parameters loaded"
                + (missing.isEmpty()
                        ? ""
                        : "; not in the file, so initialised: " + modules(missing))
                + (unexpected.isEmpty()
                        ? ""
                        : "; in the file but not in this model, so left out: "
                                + modules(unexpected))
                + (adapted.isEmpty() ? "" : "; adapted: " + String.join("; ", adapted));
    }

    private static java.util.Set<String> modules(List<String> keys) {
        java.util.Set<String> out = new java.util.TreeSet<>();
        for (String k : keys) {
            int dot = k.indexOf('.');
            out.add(dot < 0 ? k : k.substring(0, dot));
        }
        return out;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append(source)
                .append(": loaded ")
                .append(loaded.size())
                .append(", missing ")
                .append(missing)
                .append(", unexpected ")
                .append(unexpected)
                .append(", ignored ")
                .append(ignored);
        for (String a : adapted) {
            sb.append("\n  ").append(a);
        }
        return sb.toString();
    }
}
