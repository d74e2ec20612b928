package dev.vlmo.dsl;

/** How image-text matching picks its negative pairs. */
public enum ItmNegatives {
    /** No image-text matching objective. */
    NONE,
    /** Negatives sampled by contrastive similarity (the reference's hard negatives). */
    HARD,
    /** Negatives sampled uniformly from the other pairs of the batch. */
    RANDOM
}
