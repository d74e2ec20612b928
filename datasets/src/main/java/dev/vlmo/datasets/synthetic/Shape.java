package dev.vlmo.datasets.synthetic;

/** The kinds of object the synthetic world draws. */
public enum Shape {
    /** A filled disc. */
    CIRCLE("circle", "circles"),
    /** An axis-aligned filled square. */
    SQUARE("square", "squares"),
    /** An upright filled triangle. */
    TRIANGLE("triangle", "triangles"),
    /** A plus-shaped cross. */
    CROSS("cross", "crosses");

    private final String word;
    private final String plural;

    Shape(String word, String plural) {
        this.word = word;
        this.plural = plural;
    }

    /**
     * Returns the English noun.
     *
     * @return the singular noun, e.g. {@code "circle"}
     */
    public String word() {
        return word;
    }

    /**
     * Returns the English plural.
     *
     * @return the plural noun, e.g. {@code "crosses"}
     */
    public String plural() {
        return plural;
    }
}
