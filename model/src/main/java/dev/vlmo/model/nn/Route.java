package dev.vlmo.model.nn;

/** Which feed-forward expert each token of a sequence goes to in a Multiway block. */
public enum Route {
    /** Every token to the vision expert (image-only input). */
    IMAGE,
    /** Every token to the language expert (text-only input). */
    TEXT,
    /**
     * An image-text pair, text first: below the VL start layer text tokens go to the language
     * expert and image tokens to the vision expert; from it on, all tokens go to the VL expert.
     */
    PAIR,
    /** Every token to the vision-language expert (the VL path of the second contrastive term). */
    VL
}
