package dev.vlmo.dsl;

/**
 * Numeric precision of training and fine-tuning, as {@code torch.autocast}: under {@link #FP16} or
 * {@link #BF16} the matrix products (every linear layer, attention's product with the values) run
 * in half precision while parameters, optimizer state, norms, softmax and losses stay fp32; FP16
 * adds {@code GradScaler}'s dynamic loss scaling (overflowing steps are skipped and the scale
 * halved). PyTorch engine only; it runs on the CPU as well.
 */
public enum Precision {
    /** 32-bit floats everywhere. */
    FP32,
    /** Mixed precision with fp16 products and loss scaling, as the reference trains on GPU. */
    FP16,
    /** Mixed precision with bf16 products (fp32's range: no loss scaling). */
    BF16
}
