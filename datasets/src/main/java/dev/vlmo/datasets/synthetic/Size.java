package dev.vlmo.datasets.synthetic;

/** Object sizes, as a radius in units of the image side. */
public enum Size {
    /** Radius 0.08 of the image side (a 16% wide object). */
    SMALL("small", 0.08),
    /** Radius 0.145 of the image side (a 29% wide object). */
    LARGE("large", 0.145);

    private final String word;
    private final double radius;

    Size(String word, double radius) {
        this.word = word;
        this.radius = radius;
    }

    /**
     * Returns the English adjective.
     *
     * @return {@code "small"} or {@code "large"}
     */
    public String word() {
        return word;
    }

    /**
     * Returns the radius as a fraction of the image side.
     *
     * @return the radius
     */
    public double radius() {
        return radius;
    }
}
