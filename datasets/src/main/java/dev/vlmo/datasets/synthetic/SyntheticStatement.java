package dev.vlmo.datasets.synthetic;

/**
 * A generated statement about a pair of scenes (left, right).
 *
 * @param text the statement
 * @param label whether it is true of the pair
 */
public record SyntheticStatement(String text, boolean label) {}
