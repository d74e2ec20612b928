package dev.vlmo.dsl;

/** Numeric precision of training. */
public enum Precision {
    /** 32-bit floats everywhere (the only precision on CPU). */
    FP32,
    /** Mixed precision with fp16 activations, as the reference trains on GPU. */
    FP16,
    /** Mixed precision with bf16 activations. */
    BF16
}
