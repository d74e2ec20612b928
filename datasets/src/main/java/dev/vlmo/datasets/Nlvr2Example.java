package dev.vlmo.datasets;

import java.util.Objects;

/**
 * A statement about a pair of images that is true or false (NLVR2).
 *
 * @param left the first image
 * @param right the second image
 * @param statement the sentence
 * @param label whether the sentence is true of the pair
 * @param identifier the example identifier
 */
public record Nlvr2Example(
        ImageRef left, ImageRef right, String statement, boolean label, String identifier) {
    /** Checks that both images and the statement are present. */
    public Nlvr2Example {
        Objects.requireNonNull(left, "left");
        Objects.requireNonNull(right, "right");
        Objects.requireNonNull(statement, "statement");
    }
}
