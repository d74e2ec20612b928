package dev.vlmo.kernel.eval;

import java.util.List;

/**
 * The cell's code threw an exception; {@link #getCause()} is that exception as thrown, and the
 * details show its message and the top frames of the cell and library code.
 */
public final class UserCodeException extends CellException {

    private static final long serialVersionUID = 1L;

    private final String exceptionClassName;

    /** Creates the exception for a failure of the named exception class at a 1-based cell line. */
    public UserCodeException(
            String summary,
            String exceptionClassName,
            int cellLine,
            List<String> details,
            Throwable thrown) {
        super(summary, cellLine, details, thrown);
        this.exceptionClassName = exceptionClassName;
    }

    /** The fully qualified class name of the exception the cell threw. */
    public String exceptionClassName() {
        return exceptionClassName;
    }
}
