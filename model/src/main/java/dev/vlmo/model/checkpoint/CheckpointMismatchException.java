package dev.vlmo.model.checkpoint;

import java.io.IOException;
import java.util.List;

/**
 * A readable checkpoint that does not fit the model: missing or unexpected keys in strict mode, a
 * shape or type that differs, or no parameter of the model at all.
 */
public final class CheckpointMismatchException extends IOException {

    private static final long serialVersionUID = 1L;

    private final String source;
    private final List<String> missing;
    private final List<String> unexpected;

    /**
     * Creates an exception whose message starts with the checkpoint's name.
     *
     * @param source the checkpoint file (or another name of where the state dict came from)
     * @param problem what does not fit, naming the keys and shapes involved
     * @param missing model parameters the checkpoint lacks (empty if that is not the problem)
     * @param unexpected checkpoint keys the model lacks (empty if that is not the problem)
     */
    public CheckpointMismatchException(
            String source, String problem, List<String> missing, List<String> unexpected) {
        super("checkpoint " + source + ": " + problem);
        this.source = source;
        this.missing = List.copyOf(missing);
        this.unexpected = List.copyOf(unexpected);
    }

    /**
     * Returns the checkpoint that did not fit.
     *
     * @return the file or name given to the importer
     */
    public String source() {
        return source;
    }

    /**
     * Returns the model parameters the checkpoint lacks, when that is the problem.
     *
     * @return reference keys, possibly empty
     */
    public List<String> missing() {
        return missing;
    }

    /**
     * Returns the checkpoint keys the model does not have, when that is the problem.
     *
     * @return reference keys, possibly empty
     */
    public List<String> unexpected() {
        return unexpected;
    }
}
