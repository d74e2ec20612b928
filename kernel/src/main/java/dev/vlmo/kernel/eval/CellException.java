package dev.vlmo.kernel.eval;

import java.util.List;

/**
 * A cell that could not be evaluated; {@link #getMessage()} is a one-line summary and {@link
 * #details()} the few lines a notebook shows instead of a stack trace.
 */
public abstract class CellException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int cellLine;
    private final List<String> details;

    /** Creates the exception with its summary, the 1-based cell line (0 if unknown) and details. */
    protected CellException(String summary, int cellLine, List<String> details, Throwable cause) {
        super(summary, cause, false, false);
        this.cellLine = cellLine;
        this.details = List.copyOf(details);
    }

    /** The 1-based line of the cell where the problem is, or 0 when no line applies. */
    public int cellLine() {
        return cellLine;
    }

    /** The readable explanation, one entry per output line, without a Java stack trace. */
    public List<String> details() {
        return details;
    }
}
