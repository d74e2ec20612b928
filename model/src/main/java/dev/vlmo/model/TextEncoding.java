package dev.vlmo.model;

import ai.djl.ndarray.NDArray;

/**
 * What the text-only (language expert) pass yields (B batch, T tokens, D width).
 *
 * @param hidden final hidden states after the last LayerNorm, (B, T, D)
 * @param itc the L2-normalised text embedding for contrastive learning, (B, D)
 * @param vlItc the L2-normalised embedding of the VL path for the second contrastive term, (B, D),
 *     or null when the VL path was not run
 */
public record TextEncoding(NDArray hidden, NDArray itc, NDArray vlItc) {}
