package dev.vlmo.bench;

import dev.vlmo.model.VlmoConfig;

/**
 * Floating-point operations of the model's passes counted from the configuration (a multiply-add is
 * 2 FLOPs; matrix products only: element-wise work, norms and softmax are not counted, as is usual
 * for model FLOPs utilisation). A training step counts 3 forward passes (forward, and the backward
 * pass's gradients with respect to activations and to weights).
 *
 * <p>Letters: B batch, N sequence length, D hidden, M the experts' inner width, L layers, F layers
 * with a vision-language expert, V vocabulary, P patch side.
 */
public final class Flops {

    private Flops() {}

    /**
     * One Multiway block's forward pass over one sequence: qkv, attention logits and weighted sum,
     * output projection and the expert's two layers.
     *
     * @param c the configuration
     * @param n the sequence length N
     * @return FLOPs
     */
    public static double block(VlmoConfig c, long n) {
        double d = c.hidden();
        double m = Math.round(c.hidden() * c.mlpRatio());
        return 2 * n * d * 3 * d + 2 * n * d * d + 2 * 2 * (double) n * n * d + 2 * 2 * n * d * m;
    }

    /** Image tokens: patches plus the image [CLS]. */
    static long imageTokens(VlmoConfig c) {
        long g = c.imageSize() / c.patchSize();
        return g * g + 1;
    }

    /** The strided convolution that embeds the patches of one image. */
    static double patchEmbed(VlmoConfig c) {
        long patches = imageTokens(c) - 1;
        return 2.0 * patches * 3 * c.patchSize() * c.patchSize() * c.hidden();
    }

    /**
     * One image through the vision expert in every layer, plus the ITC projection of its [CLS].
     *
     * @param c the configuration
     * @param vlPath whether the VL path (the top F layers again, with the VL expert) runs too
     * @return FLOPs
     */
    public static double encodeImage(VlmoConfig c, boolean vlPath) {
        int layers = c.layers() + (vlPath ? c.vlLayers() : 0);
        double proj = 2.0 * c.hidden() * c.hidden() * (vlPath ? 2 : 1);
        return patchEmbed(c) + layers * block(c, imageTokens(c)) + proj;
    }

    /**
     * One text of {@code maxTextLen} tokens through the language expert in every layer, plus the
     * ITC projection of its [CLS].
     *
     * @param c the configuration
     * @param vlPath whether the VL path runs too
     * @return FLOPs
     */
    public static double encodeText(VlmoConfig c, boolean vlPath) {
        int layers = c.layers() + (vlPath ? c.vlLayers() : 0);
        double proj = 2.0 * c.hidden() * c.hidden() * (vlPath ? 2 : 1);
        return layers * block(c, c.maxTextLen()) + proj;
    }

    /**
     * One image-text pair through the fusion encoder (text padded to {@code maxTextLen}), with the
     * pooler and the ITM head.
     *
     * @param c the configuration
     * @return FLOPs
     */
    public static double encodePair(VlmoConfig c) {
        long n = c.maxTextLen() + imageTokens(c);
        return patchEmbed(c) + c.layers() * block(c, n) + 2.0 * c.hidden() * (c.hidden() + 2);
    }

    /** Share of text positions that MLM masks, and so the positions the MLM head is needed on. */
    static final double MLM_RATE = 0.15;

    /**
     * The MLM head (dense, decoder to the vocabulary) on the masked positions of one sample: 15% of
     * {@code maxTextLen}. (The reference computes it on every position and discards the rest; only
     * the needed work is counted.)
     */
    static double mlmHead(VlmoConfig c) {
        double d = c.hidden();
        return MLM_RATE * c.maxTextLen() * (2 * d * d + 2 * d * c.vocabSize());
    }

    /** The MIM head on every patch of one image. */
    static double mimHead(VlmoConfig c, int targets) {
        return (imageTokens(c) - 1) * 2.0 * c.hidden() * targets;
    }

    /**
     * FLOPs of one repetition of a workload.
     *
     * @param w the workload
     * @param c the model configuration it runs (for stage 1, with its MIM head)
     * @return FLOPs
     */
    public static double of(Workload w, VlmoConfig c) {
        double b = w.batch();
        return switch (w.kind()) {
            case TRAIN_MIM -> 3 * b * (encodeImage(c, false) + mimHead(c, c.mimTargets()));
            case TRAIN_MLM -> 3 * b * (encodeText(c, false) + mlmHead(c));
            case TRAIN_VL ->
                    3
                            * b
                            * (encodeImage(c, true)
                                    + encodeText(c, true)
                                    + 3 * encodePair(c)
                                    + encodePair(c)
                                    + mlmHead(c));
            case INFER_IMAGE -> b * encodeImage(c, false);
            case INFER_TEXT -> b * encodeText(c, false);
            case INFER_PAIR -> b * encodePair(c);
            case RETRIEVE_DUAL ->
                    b * (encodeImage(c, false) + encodeText(c, false)) + 2.0 * b * b * c.hidden();
            case RETRIEVE_FUSION -> b * b * encodePair(c);
        };
    }
}
