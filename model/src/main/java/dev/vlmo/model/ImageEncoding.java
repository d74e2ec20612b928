package dev.vlmo.model;

import ai.djl.ndarray.NDArray;

/**
 * What the image-only (vision expert) pass yields (B batch, N = patches + 1, D width).
 *
 * @param hidden final hidden states after the last LayerNorm, (B, N, D)
 * @param itc the L2-normalised image embedding for contrastive learning, (B, D)
 * @param vlItc the L2-normalised embedding of the VL path for the second contrastive term, (B, D),
 *     or null when the VL path was not run
 */
public record ImageEncoding(NDArray hidden, NDArray itc, NDArray vlItc) {}
