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

    /** Share of patches that stage 1 masks by default (the MIM head runs on those alone). */
    static final double MIM_RATE = 0.4;

    /** The MIM head on the masked patches of one image (as BEiT; 40% of them). */
    static double mimHead(VlmoConfig c, int targets) {
        return MIM_RATE * (imageTokens(c) - 1) * 2.0 * c.hidden() * targets;
    }

    /**
     * A block's forward pass for the first token alone over a sequence of n (inference read at
     * [CLS]): keys and values of every token, then the query, attention row, output projection and
     * expert of one token.
     *
     * @param c the configuration
     * @param n the sequence length N
     * @return FLOPs
     */
    public static double clsBlock(VlmoConfig c, long n) {
        double d = c.hidden();
        double m = Math.round(c.hidden() * c.mlpRatio());
        return 2 * n * d * 2 * d + 2 * d * d + 2 * 2 * (double) n * d + 2 * d * d + 2 * 2 * d * m;
    }

    /**
     * A block's forward pass over n tokens whose output is kept for {@code rows} of them (a loss
     * that reads masked positions): attention for all, the output projection and expert for the
     * kept rows.
     *
     * @param c the configuration
     * @param n the sequence length N
     * @param rows the rows kept
     * @return FLOPs
     */
    public static double rowsBlock(VlmoConfig c, long n, double rows) {
        double d = c.hidden();
        double m = Math.round(c.hidden() * c.mlpRatio());
        return block(c, n) - (n - rows) * (2 * d * d + 2 * 2 * d * m);
    }

    /** {@link #encodeText} for MLM: the last block's rows at the masked positions. */
    static double mlmText(VlmoConfig c) {
        long n = c.maxTextLen();
        return encodeText(c, false) - block(c, n) + rowsBlock(c, n, MLM_RATE * n);
    }

    /** {@link #encodeImage} for MIM: the last block's rows at the masked patches. */
    static double mimImage(VlmoConfig c) {
        long n = imageTokens(c);
        return encodeImage(c, false) - block(c, n) + rowsBlock(c, n, MIM_RATE * (n - 1));
    }

    /** {@link #encodePair} for MLM: the last block's rows at the masked text positions. */
    static double mlmPair(VlmoConfig c) {
        long n = c.maxTextLen() + imageTokens(c);
        return encodePair(c) - block(c, n) + rowsBlock(c, n, MLM_RATE * c.maxTextLen());
    }

    /** {@link #encodeImage} with the last block (of each path) for [CLS] alone. */
    static double clsImage(VlmoConfig c, boolean vlPath) {
        return clsOnly(c, encodeImage(c, vlPath), imageTokens(c), vlPath);
    }

    /** {@link #encodeText} with the last block (of each path) for [CLS] alone. */
    static double clsText(VlmoConfig c, boolean vlPath) {
        return clsOnly(c, encodeText(c, vlPath), c.maxTextLen(), vlPath);
    }

    /** An encoder's FLOPs over n tokens with its last block, and the VL path's, for [CLS] alone. */
    private static double clsOnly(VlmoConfig c, double full, long n, boolean vlPath) {
        int lasts = vlPath && c.vlLayers() > 0 ? 2 : 1;
        return full - lasts * (block(c, n) - clsBlock(c, n));
    }

    /** {@link #encodePair} with the last block for [CLS] alone. */
    static double poolPair(VlmoConfig c) {
        long n = c.maxTextLen() + imageTokens(c);
        return encodePair(c) - block(c, n) + clsBlock(c, n);
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
            case TRAIN_MIM -> 3 * b * (mimImage(c) + mimHead(c, c.mimTargets()));
            case TRAIN_MLM -> 3 * b * (mlmText(c) + mlmHead(c));
            case TRAIN_VL ->
                    3
                            * b
                            * (clsImage(c, true)
                                    + clsText(c, true)
                                    + 3 * poolPair(c)
                                    + mlmPair(c)
                                    + mlmHead(c));
            case INFER_IMAGE -> b * clsImage(c, false);
            case INFER_TEXT -> b * clsText(c, false);
            case INFER_PAIR -> b * poolPair(c);
            case RETRIEVE_DUAL ->
                    b * (clsImage(c, false) + clsText(c, false)) + 2.0 * b * b * c.hidden();
            case RETRIEVE_FUSION -> b * b * poolPair(c);
            case LOAD -> 0; // no model
        };
    }
}
