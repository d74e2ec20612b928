package dev.vlmo.dsl;

/**
 * Numeric precision of training. Only {@link #FP32} runs today: a plan with FP16 or BF16 is
 * rejected when compiled (DJL 0.36 casts outside autograd, and its PyTorch engine has no bfloat16
 * arrays), rather than trained in fp32 under another name.
 */
public enum Precision {
    /** 32-bit floats everywhere (the only precision on CPU). */
    FP32,
    /** Mixed precision with fp16 activations, as the reference trains on GPU. */
    FP16,
    /** Mixed precision with bf16 activations. */
    BF16
}
