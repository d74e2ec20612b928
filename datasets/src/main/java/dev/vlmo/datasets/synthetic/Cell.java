package dev.vlmo.datasets.synthetic;

/** The nine cells of the 3x3 grid that positions objects; at most one object per cell. */
public enum Cell {
    /** Row 0, column 0. */
    TOP_LEFT(0, 0, "top left"),
    /** Row 0, column 1. */
    TOP(0, 1, "top"),
    /** Row 0, column 2. */
    TOP_RIGHT(0, 2, "top right"),
    /** Row 1, column 0. */
    LEFT(1, 0, "left"),
    /** Row 1, column 1. */
    CENTER(1, 1, "center"),
    /** Row 1, column 2. */
    RIGHT(1, 2, "right"),
    /** Row 2, column 0. */
    BOTTOM_LEFT(2, 0, "bottom left"),
    /** Row 2, column 1. */
    BOTTOM(2, 1, "bottom"),
    /** Row 2, column 2. */
    BOTTOM_RIGHT(2, 2, "bottom right");

    private final int row;
    private final int col;
    private final String words;

    Cell(int row, int col, String words) {
        this.row = row;
        this.col = col;
        this.words = words;
    }

    /**
     * Returns the grid row, 0 at the top.
     *
     * @return 0, 1 or 2
     */
    public int row() {
        return row;
    }

    /**
     * Returns the grid column, 0 at the left.
     *
     * @return 0, 1 or 2
     */
    public int col() {
        return col;
    }

    /**
     * Returns the position words, which are also the VQA answer for "where" questions.
     *
     * @return e.g. {@code "top left"} or {@code "center"}
     */
    public String words() {
        return words;
    }

    /**
     * Returns whether this is a corner cell.
     *
     * @return {@code true} for the four corners
     */
    public boolean isCorner() {
        return row != 1 && col != 1;
    }
}
