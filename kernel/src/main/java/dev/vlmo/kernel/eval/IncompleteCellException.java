package dev.vlmo.kernel.eval;

import java.util.List;

/** The cell ends in the middle of a statement (an open brace, parenthesis or string). */
public final class IncompleteCellException extends CellException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception for an unfinished statement that starts at a 1-based cell line. */
    public IncompleteCellException(String summary, int cellLine, List<String> details) {
        super(summary, cellLine, details, null);
    }
}
