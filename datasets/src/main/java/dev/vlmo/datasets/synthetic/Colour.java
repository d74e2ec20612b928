package dev.vlmo.datasets.synthetic;

/** The colours of synthetic objects; each object's shade is jittered around its base colour. */
public enum Colour {
    /** Red. */
    RED("red", 220, 40, 40),
    /** Green. */
    GREEN("green", 40, 180, 60),
    /** Blue. */
    BLUE("blue", 50, 90, 235),
    /** Yellow. */
    YELLOW("yellow", 235, 220, 40),
    /** Purple. */
    PURPLE("purple", 160, 60, 210),
    /** Orange. */
    ORANGE("orange", 245, 140, 20);

    private final String word;
    private final int r;
    private final int g;
    private final int b;

    Colour(String word, int r, int g, int b) {
        this.word = word;
        this.r = r;
        this.g = g;
        this.b = b;
    }

    /**
     * Returns the English adjective.
     *
     * @return e.g. {@code "red"}
     */
    public String word() {
        return word;
    }

    /**
     * Returns the base colour packed as {@code 0xRRGGBB}.
     *
     * @return the packed RGB value
     */
    public int rgb() {
        return (r << 16) | (g << 8) | b;
    }
}
