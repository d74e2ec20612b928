package dev.vlmo.dsl;

/** How the learning rate decays after warm-up. */
public enum Schedule {
    /** Linear decay to 0 (the reference's {@code decay_power = 1}). */
    LINEAR,
    /** Cosine decay to 0. */
    COSINE,
    /** No decay after warm-up. */
    CONSTANT
}
