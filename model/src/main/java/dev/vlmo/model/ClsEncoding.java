package dev.vlmo.model;

import ai.djl.ndarray.NDArray;

/**
 * The contrastive embeddings of a pass read at [CLS] alone ({@link VlmoModel#encodeImageCls},
 * {@link VlmoModel#encodeTextCls}); B batch, D width.
 *
 * @param itc the L2-normalised embedding for contrastive learning, (B, D)
 * @param vlItc the L2-normalised embedding of the VL path for the second contrastive term, (B, D),
 *     or null when the VL path was not run
 */
public record ClsEncoding(NDArray itc, NDArray vlItc) {}
