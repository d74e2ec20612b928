package dev.vlmo.kernel.eval;

import java.util.List;

/**
 * A snippet of the cell did not compile; the details show the line, a marker and javac's message.
 */
public final class CompileException extends CellException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception for a compile problem at the given 1-based cell line. */
    public CompileException(String summary, int cellLine, List<String> details) {
        super(summary, cellLine, details, null);
    }
}
