package dev.vlmo.model.checkpoint;

import java.io.IOException;
import java.nio.file.Path;

/** A checkpoint file that cannot be read: not a checkpoint, truncated, corrupt or unsupported. */
public final class CheckpointFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /**
     * Creates an exception whose message starts with the file.
     *
     * @param file the checkpoint file
     * @param problem what is wrong, naming the key and shapes where there are any
     */
    public CheckpointFormatException(Path file, String problem) {
        super("checkpoint " + file + ": " + problem);
        this.file = file;
    }

    /**
     * Creates an exception whose message starts with the file, with the underlying cause.
     *
     * @param file the checkpoint file
     * @param problem what is wrong
     * @param cause the error that revealed it
     */
    public CheckpointFormatException(Path file, String problem, Throwable cause) {
        super("checkpoint " + file + ": " + problem, cause);
        this.file = file;
    }

    /**
     * Returns the file that could not be read.
     *
     * @return the checkpoint path
     */
    public Path file() {
        return file;
    }
}
