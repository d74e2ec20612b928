package dev.vlmo.model;

import ai.djl.ndarray.NDArray;

/**
 * What the fusion (image-text pair) pass yields (B batch, T text tokens, N image tokens, D width).
 *
 * @param hidden final hidden states, text first, (B, T+N, D)
 * @param textFeats the text part of {@code hidden}, (B, T, D)
 * @param imageFeats the image part of {@code hidden}, (B, N, D)
 * @param pooled the pooler's output on the text [CLS], (B, D)
 */
public record PairEncoding(NDArray hidden, NDArray textFeats, NDArray imageFeats, NDArray pooled) {}
