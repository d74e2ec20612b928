package dev.vlmo.kernel.eval;

import java.util.List;

/** The cell was stopped by an interrupt request before it finished. */
public final class CellInterruptedException extends CellException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception for a cell stopped while running the snippet at a 1-based line. */
    public CellInterruptedException(int cellLine) {
        super(
                "Interrupted",
                cellLine,
                List.of("Interrupted while running the statement at line " + cellLine + "."),
                null);
    }
}
