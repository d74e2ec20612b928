package dev.vlmo.model;

import java.util.Locale;

/**
 * The numbers that define a VLMo network: an immutable value with named presets and {@code withX}
 * overrides.
 *
 * <p>Presets follow the reference implementation ({@code vlmo_base_patch16}, {@code
 * vlmo_base_plus_patch16}, {@code vlmo_large_patch16}); {@code tiny} and {@code small} are this
 * project's own sizes for CPU work. Each {@code withX} checks its argument; {@link #validate()}
 * checks combinations (hidden divisible by heads, VL layers within the depth, image divisible by
 * the patch).
 *
 * @param name the preset's name
 * @param hidden the hidden size D
 * @param layers the number of Multiway blocks L
 * @param heads the number of attention heads H
 * @param mlpRatio the feed-forward expansion (4 in every preset)
 * @param patchSize the side of a square image patch in pixels
 * @param imageSize the side of the square input image in pixels
 * @param maxTextLen the maximum text length in tokens, [CLS] and [SEP] included
 * @param maxTextLenOfInitCkpt the text length the relative position table is sized for (196)
 * @param vlLayers F, the number of top layers that have a vision-language expert
 * @param dropPath the stochastic depth rate of the last block (linear from 0)
 * @param layerScale the initial layer-scale value, or 0 for no layer scale
 * @param positions relative position bias or absolute position embeddings
 * @param vocabSize the WordPiece vocabulary size
 * @param vqaLabels answers of the VQA head, or 0 for none
 * @param nlvr2 whether the NLVR2 head and the third token type row exist
 * @param mimTargets classes (or values) the masked-image-modelling head predicts, or 0 for none
 * @param initStd the standard deviation of the normal initialisation of weights and embeddings
 *     (0.02 in the reference)
 * @param sharedFfn true for a standard Transformer of the same size (an ablation, not VLMo): every
 *     token of every modality goes through one feed-forward network per block ({@code mlp}, {@code
 *     norm2}, BEiT's names) instead of the modality experts; false in every preset
 */
public record VlmoConfig(
        String name,
        int hidden,
        int layers,
        int heads,
        double mlpRatio,
        int patchSize,
        int imageSize,
        int maxTextLen,
        int maxTextLenOfInitCkpt,
        int vlLayers,
        double dropPath,
        double layerScale,
        Positions positions,
        int vocabSize,
        int vqaLabels,
        boolean nlvr2,
        int mimTargets,
        double initStd,
        boolean sharedFfn) {

    /** How the model knows where tokens are. */
    public enum Positions {
        /** One relative position bias table shared by all layers (base, large). */
        RELATIVE,
        /** Learned absolute position embeddings for image and text (base_plus). */
        ABSOLUTE
    }

    /** BERT uncased WordPiece vocabulary size of the reference. */
    public static final int BERT_VOCAB = 30522;

    /** Answer vocabulary size of VQA v2 in the reference. */
    public static final int VQA_ANSWERS = 3129;

    /**
     * Creates a configuration and checks it.
     *
     * @throws IllegalArgumentException if a value or a combination is invalid
     */
    public VlmoConfig {
        validate(
                name,
                hidden,
                layers,
                heads,
                mlpRatio,
                patchSize,
                imageSize,
                maxTextLen,
                maxTextLenOfInitCkpt,
                vlLayers,
                dropPath,
                layerScale,
                positions,
                vocabSize,
                vqaLabels,
                mimTargets);
        if (!(initStd > 0) || Double.isInfinite(initStd)) {
            throw new IllegalArgumentException("initStd must be positive, got " + initStd);
        }
    }

    /**
     * A small model for tests and the built-in synthetic world on CPU: D=64, L=4, H=4, top 2 layers
     * VL, 32x32 images in 8x8 patches, texts of up to 32 tokens. Weights start with std 0.08
     * instead of the reference's 0.02: at width 64 the reference's scale leaves every [CLS] output
     * nearly identical (cosine 0.998) and contrastive learning stalls for hundreds of steps; 0.08
     * gives about the signal size that 0.02 gives at width 768.
     *
     * @return the tiny preset
     */
    public static VlmoConfig tiny() {
        return new VlmoConfig(
                "tiny",
                64,
                4,
                4,
                4.0,
                8,
                32,
                32,
                196,
                2,
                0.0,
                0.1,
                Positions.RELATIVE,
                1024,
                0,
                false,
                0,
                0.08,
                false);
    }

    /**
     * A ViT-S sized model (D=384, L=12, H=6, top 2 layers VL) at 224: not a reference preset.
     *
     * @return the small preset
     */
    public static VlmoConfig small() {
        return new VlmoConfig(
                "small",
                384,
                12,
                6,
                4.0,
                16,
                224,
                40,
                196,
                2,
                0.1,
                0.1,
                Positions.RELATIVE,
                BERT_VOCAB,
                0,
                false,
                0,
                0.02,
                false);
    }

    /**
     * VLMo-Base (the reference's {@code vlmo_base_patch16}): D=768, L=12, H=12, top 2 layers VL,
     * relative position bias, layer scale 0.1.
     *
     * @return the base preset
     */
    public static VlmoConfig base() {
        return new VlmoConfig(
                "base",
                768,
                12,
                12,
                4.0,
                16,
                224,
                40,
                196,
                2,
                0.1,
                0.1,
                Positions.RELATIVE,
                BERT_VOCAB,
                0,
                false,
                0,
                0.02,
                false);
    }

    /**
     * VLMo-Base+ (the reference's {@code vlmo_base_plus_patch16}): D=544, L=24, H=16, top 3 layers
     * VL, absolute position embeddings, no layer scale.
     *
     * @return the base-plus preset
     */
    public static VlmoConfig basePlus() {
        return new VlmoConfig(
                "basePlus",
                544,
                24,
                16,
                4.0,
                16,
                224,
                40,
                196,
                3,
                0.1,
                0.0,
                Positions.ABSOLUTE,
                BERT_VOCAB,
                0,
                false,
                0,
                0.02,
                false);
    }

    /**
     * VLMo-Large (the reference's {@code vlmo_large_patch16}): D=1024, L=24, H=16, top 3 layers VL,
     * relative position bias, layer scale 0.1.
     *
     * @return the large preset
     */
    public static VlmoConfig large() {
        return new VlmoConfig(
                "large",
                1024,
                24,
                16,
                4.0,
                16,
                224,
                40,
                196,
                3,
                0.1,
                0.1,
                Positions.RELATIVE,
                BERT_VOCAB,
                0,
                false,
                0,
                0.02,
                false);
    }

    /**
     * Looks a preset up by name ({@code tiny, small, base, basePlus, large}; case and {@code _}
     * ignored, so {@code base_plus} works too).
     *
     * @param name the preset's name
     * @return the preset
     * @throws IllegalArgumentException naming the valid presets if there is none of that name
     */
    public static VlmoConfig preset(String name) {
        String key = name.toLowerCase(Locale.ROOT).replace("_", "").replace("-", "");
        return switch (key) {
            case "tiny" -> tiny();
            case "small" -> small();
            case "base" -> base();
            case "baseplus" -> basePlus();
            case "large" -> large();
            default ->
                    throw new IllegalArgumentException(
                            "unknown preset '"
                                    + name
                                    + "': choose one of tiny, small, base, basePlus, large");
        };
    }

    /**
     * Returns the index of the first layer with a vision-language expert.
     *
     * @return {@code layers - vlLayers}
     */
    public int vlStart() {
        return layers - vlLayers;
    }

    /**
     * Returns the number of patches along one side of the image.
     *
     * @return {@code imageSize / patchSize}
     */
    public int gridSize() {
        return imageSize / patchSize;
    }

    /**
     * Returns the number of image tokens, the image [CLS] included.
     *
     * @return {@code gridSize^2 + 1}
     */
    public int imageTokens() {
        return gridSize() * gridSize() + 1;
    }

    /**
     * Returns the hidden size of a feed-forward expert.
     *
     * @return {@code (int) (hidden * mlpRatio)}
     */
    public int mlpHidden() {
        return (int) (hidden * mlpRatio);
    }

    /**
     * Returns the number of token type rows (3 with the NLVR2 head, otherwise 2).
     *
     * @return token types
     */
    public int tokenTypes() {
        return nlvr2 ? 3 : 2;
    }

    /**
     * Returns whether a relative position bias table is used.
     *
     * @return true for relative positions
     */
    public boolean relativePositions() {
        return positions == Positions.RELATIVE;
    }

    /**
     * Returns this configuration with another preset name.
     *
     * @param v the name
     * @return a new configuration
     */
    public VlmoConfig withName(String v) {
        return new VlmoConfig(
                v,
                hidden,
                layers,
                heads,
                mlpRatio,
                patchSize,
                imageSize,
                maxTextLen,
                maxTextLenOfInitCkpt,
                vlLayers,
                dropPath,
                layerScale,
                positions,
                vocabSize,
                vqaLabels,
                nlvr2,
                mimTargets,
                initStd,
                sharedFfn);
    }

    /**
     * Returns this configuration with another hidden size.
     *
     * @param v the hidden size, positive and divisible by the number of heads
     * @return a new configuration
     */
    public VlmoConfig withHidden(int v) {
        return new VlmoConfig(
                name,
                v,
                layers,
                heads,
                mlpRatio,
                patchSize,
                imageSize,
                maxTextLen,
                maxTextLenOfInitCkpt,
                vlLayers,
                dropPath,
                layerScale,
                positions,
                vocabSize,
                vqaLabels,
                nlvr2,
                mimTargets,
                initStd,
                sharedFfn);
    }

    /**
     * Returns this configuration with another depth.
     *
     * @param v the number of layers, at least the number of VL layers
     * @return a new configuration
     */
    public VlmoConfig withLayers(int v) {
        return new VlmoConfig(
                name,
                hidden,
                v,
                heads,
                mlpRatio,
                patchSize,
                imageSize,
                maxTextLen,
                maxTextLenOfInitCkpt,
                vlLayers,
                dropPath,
                layerScale,
                positions,
                vocabSize,
                vqaLabels,
                nlvr2,
                mimTargets,
                initStd,
                sharedFfn);
    }

    /**
     * Returns this configuration with another number of heads.
     *
     * @param v heads, dividing the hidden size
     * @return a new configuration
     */
    public VlmoConfig withHeads(int v) {
        return new VlmoConfig(
                name,
                hidden,
                layers,
                v,
                mlpRatio,
                patchSize,
                imageSize,
                maxTextLen,
                maxTextLenOfInitCkpt,
                vlLayers,
                dropPath,
                layerScale,
                positions,
                vocabSize,
                vqaLabels,
                nlvr2,
                mimTargets,
                initStd,
                sharedFfn);
    }

    /**
     * Returns this configuration with another feed-forward ratio.
     *
     * @param v the ratio, positive
     * @return a new configuration
     */
    public VlmoConfig withMlpRatio(double v) {
        return new VlmoConfig(
                name,
                hidden,
                layers,
                heads,
                v,
                patchSize,
                imageSize,
                maxTextLen,
                maxTextLenOfInitCkpt,
                vlLayers,
                dropPath,
                layerScale,
                positions,
                vocabSize,
                vqaLabels,
                nlvr2,
                mimTargets,
                initStd,
                sharedFfn);
    }

    /**
     * Returns this configuration with another patch size.
     *
     * @param v the patch side in pixels, dividing the image size
     * @return a new configuration
     */
    public VlmoConfig withPatchSize(int v) {
        return new VlmoConfig(
                name,
                hidden,
                layers,
                heads,
                mlpRatio,
                v,
                imageSize,
                maxTextLen,
                maxTextLenOfInitCkpt,
                vlLayers,
                dropPath,
                layerScale,
                positions,
                vocabSize,
                vqaLabels,
                nlvr2,
                mimTargets,
                initStd,
                sharedFfn);
    }

    /**
     * Returns this configuration with another image size (for example 384 or 480 for fine-tuning).
     *
     * @param v the image side in pixels, a multiple of the patch size
     * @return a new configuration
     */
    public VlmoConfig withImageSize(int v) {
        return new VlmoConfig(
                name,
                hidden,
                layers,
                heads,
                mlpRatio,
                patchSize,
                v,
                maxTextLen,
                maxTextLenOfInitCkpt,
                vlLayers,
                dropPath,
                layerScale,
                positions,
                vocabSize,
                vqaLabels,
                nlvr2,
                mimTargets,
                initStd,
                sharedFfn);
    }

    /**
     * Returns this configuration with another maximum text length.
     *
     * @param v tokens, [CLS] and [SEP] included, at least 2 and at most {@code
     *     maxTextLenOfInitCkpt}
     * @return a new configuration
     */
    public VlmoConfig withMaxTextLen(int v) {
        return new VlmoConfig(
                name,
                hidden,
                layers,
                heads,
                mlpRatio,
                patchSize,
                imageSize,
                v,
                Math.max(maxTextLenOfInitCkpt, v),
                vlLayers,
                dropPath,
                layerScale,
                positions,
                vocabSize,
                vqaLabels,
                nlvr2,
                mimTargets,
                initStd,
                sharedFfn);
    }

    /**
     * Returns this configuration with another text length for the relative position table.
     *
     * @param v tokens, at least {@code maxTextLen}
     * @return a new configuration
     */
    public VlmoConfig withMaxTextLenOfInitCkpt(int v) {
        return new VlmoConfig(
                name,
                hidden,
                layers,
                heads,
                mlpRatio,
                patchSize,
                imageSize,
                maxTextLen,
                v,
                vlLayers,
                dropPath,
                layerScale,
                positions,
                vocabSize,
                vqaLabels,
                nlvr2,
                mimTargets,
                initStd,
                sharedFfn);
    }

    /**
     * Returns this configuration with another number of vision-language layers.
     *
     * @param v F, from 0 to the number of layers
     * @return a new configuration
     */
    public VlmoConfig withVlLayers(int v) {
        return new VlmoConfig(
                name,
                hidden,
                layers,
                heads,
                mlpRatio,
                patchSize,
                imageSize,
                maxTextLen,
                maxTextLenOfInitCkpt,
                v,
                dropPath,
                layerScale,
                positions,
                vocabSize,
                vqaLabels,
                nlvr2,
                mimTargets,
                initStd,
                sharedFfn);
    }

    /**
     * Returns this configuration with another stochastic depth rate.
     *
     * @param v the rate of the last block, in [0, 1)
     * @return a new configuration
     */
    public VlmoConfig withDropPath(double v) {
        return new VlmoConfig(
                name,
                hidden,
                layers,
                heads,
                mlpRatio,
                patchSize,
                imageSize,
                maxTextLen,
                maxTextLenOfInitCkpt,
                vlLayers,
                v,
                layerScale,
                positions,
                vocabSize,
                vqaLabels,
                nlvr2,
                mimTargets,
                initStd,
                sharedFfn);
    }

    /**
     * Returns this configuration with another layer-scale start value.
     *
     * @param v the initial gamma, or 0 for no layer scale
     * @return a new configuration
     */
    public VlmoConfig withLayerScale(double v) {
        return new VlmoConfig(
                name,
                hidden,
                layers,
                heads,
                mlpRatio,
                patchSize,
                imageSize,
                maxTextLen,
                maxTextLenOfInitCkpt,
                vlLayers,
                dropPath,
                v,
                positions,
                vocabSize,
                vqaLabels,
                nlvr2,
                mimTargets,
                initStd,
                sharedFfn);
    }

    /**
     * Returns this configuration with relative or absolute positions.
     *
     * @param v the kind of positions
     * @return a new configuration
     */
    public VlmoConfig withPositions(Positions v) {
        return new VlmoConfig(
                name,
                hidden,
                layers,
                heads,
                mlpRatio,
                patchSize,
                imageSize,
                maxTextLen,
                maxTextLenOfInitCkpt,
                vlLayers,
                dropPath,
                layerScale,
                v,
                vocabSize,
                vqaLabels,
                nlvr2,
                mimTargets,
                initStd,
                sharedFfn);
    }

    /**
     * Returns this configuration with another vocabulary size.
     *
     * @param v the number of WordPiece tokens, at least 5 (the special tokens)
     * @return a new configuration
     */
    public VlmoConfig withVocabSize(int v) {
        return new VlmoConfig(
                name,
                hidden,
                layers,
                heads,
                mlpRatio,
                patchSize,
                imageSize,
                maxTextLen,
                maxTextLenOfInitCkpt,
                vlLayers,
                dropPath,
                layerScale,
                positions,
                v,
                vqaLabels,
                nlvr2,
                mimTargets,
                initStd,
                sharedFfn);
    }

    /**
     * Returns this configuration with a VQA head of the given answer vocabulary.
     *
     * @param v answers, or 0 for no VQA head
     * @return a new configuration
     */
    public VlmoConfig withVqaLabels(int v) {
        return new VlmoConfig(
                name,
                hidden,
                layers,
                heads,
                mlpRatio,
                patchSize,
                imageSize,
                maxTextLen,
                maxTextLenOfInitCkpt,
                vlLayers,
                dropPath,
                layerScale,
                positions,
                vocabSize,
                v,
                nlvr2,
                mimTargets,
                initStd,
                sharedFfn);
    }

    /**
     * Returns this configuration with or without the NLVR2 head and third token type row.
     *
     * @param v whether to have the NLVR2 head
     * @return a new configuration
     */
    public VlmoConfig withNlvr2(boolean v) {
        return new VlmoConfig(
                name,
                hidden,
                layers,
                heads,
                mlpRatio,
                patchSize,
                imageSize,
                maxTextLen,
                maxTextLenOfInitCkpt,
                vlLayers,
                dropPath,
                layerScale,
                positions,
                vocabSize,
                vqaLabels,
                v,
                mimTargets,
                initStd,
                sharedFfn);
    }

    /**
     * Returns this configuration with a masked-image-modelling head.
     *
     * @param v visual-token classes or regression targets per patch, or 0 for no head
     * @return a new configuration
     */
    public VlmoConfig withMimTargets(int v) {
        return new VlmoConfig(
                name,
                hidden,
                layers,
                heads,
                mlpRatio,
                patchSize,
                imageSize,
                maxTextLen,
                maxTextLenOfInitCkpt,
                vlLayers,
                dropPath,
                layerScale,
                positions,
                vocabSize,
                vqaLabels,
                nlvr2,
                v,
                initStd,
                sharedFfn);
    }

    /**
     * Returns this configuration with another initialisation scale.
     *
     * @param v the standard deviation of weights and embeddings at initialisation, positive
     * @return a new configuration
     */
    public VlmoConfig withInitStd(double v) {
        return new VlmoConfig(
                name,
                hidden,
                layers,
                heads,
                mlpRatio,
                patchSize,
                imageSize,
                maxTextLen,
                maxTextLenOfInitCkpt,
                vlLayers,
                dropPath,
                layerScale,
                positions,
                vocabSize,
                vqaLabels,
                nlvr2,
                mimTargets,
                v,
                sharedFfn);
    }

    /**
     * Returns this configuration as a Multiway Transformer or as a standard Transformer of the same
     * size. With a shared FFN each block has one feed-forward network ({@code mlp}) and its
     * LayerNorm ({@code norm2}) used by image, text and image-text tokens alike; there are no
     * {@code mlp_text}, {@code mlp_imag} or {@code mlp_vl} experts. Attention, embeddings, heads
     * and routing of the inputs are unchanged, so the two differ only in the experts.
     *
     * @param v true for one shared feed-forward network per block
     * @return a new configuration
     */
    public VlmoConfig withSharedFfn(boolean v) {
        return new VlmoConfig(
                name,
                hidden,
                layers,
                heads,
                mlpRatio,
                patchSize,
                imageSize,
                maxTextLen,
                maxTextLenOfInitCkpt,
                vlLayers,
                dropPath,
                layerScale,
                positions,
                vocabSize,
                vqaLabels,
                nlvr2,
                mimTargets,
                initStd,
                v);
    }

    @SuppressWarnings("checkstyle:ParameterNumber")
    private static void validate(
            String name,
            int hidden,
            int layers,
            int heads,
            double mlpRatio,
            int patchSize,
            int imageSize,
            int maxTextLen,
            int maxTextLenOfInitCkpt,
            int vlLayers,
            double dropPath,
            double layerScale,
            Positions positions,
            int vocabSize,
            int vqaLabels,
            int mimTargets) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("name must not be empty");
        }
        positive("hidden", hidden);
        positive("layers", layers);
        positive("heads", heads);
        positive("patchSize", patchSize);
        positive("imageSize", imageSize);
        if (!(mlpRatio > 0) || Double.isInfinite(mlpRatio)) {
            throw new IllegalArgumentException("mlpRatio must be positive, got " + mlpRatio);
        }
        if (hidden % heads != 0) {
            throw new IllegalArgumentException(
                    "hidden ("
                            + hidden
                            + ") must be divisible by heads ("
                            + heads
                            + "): choose heads among the divisors of "
                            + hidden);
        }
        if (imageSize % patchSize != 0) {
            throw new IllegalArgumentException(
                    "imageSize ("
                            + imageSize
                            + ") must be a multiple of patchSize ("
                            + patchSize
                            + ")");
        }
        if (vlLayers < 0 || vlLayers > layers) {
            throw new IllegalArgumentException(
                    "vlLayers (" + vlLayers + ") must be between 0 and layers (" + layers + ")");
        }
        if (maxTextLen < 2) {
            throw new IllegalArgumentException(
                    "maxTextLen must be at least 2 ([CLS] and [SEP]), got " + maxTextLen);
        }
        if (maxTextLenOfInitCkpt < maxTextLen) {
            throw new IllegalArgumentException(
                    "maxTextLenOfInitCkpt ("
                            + maxTextLenOfInitCkpt
                            + ") must be at least maxTextLen ("
                            + maxTextLen
                            + ")");
        }
        if (!(dropPath >= 0 && dropPath < 1)) {
            throw new IllegalArgumentException("dropPath must be in [0, 1), got " + dropPath);
        }
        if (!(layerScale >= 0) || Double.isInfinite(layerScale)) {
            throw new IllegalArgumentException(
                    "layerScale must be 0 (none) or a positive start value, got " + layerScale);
        }
        if (positions == null) {
            throw new IllegalArgumentException("positions must be RELATIVE or ABSOLUTE");
        }
        if (vocabSize < 5) {
            throw new IllegalArgumentException(
                    "vocabSize must be at least 5 (the special tokens), got " + vocabSize);
        }
        if (vqaLabels < 0) {
            throw new IllegalArgumentException(
                    "vqaLabels must be 0 (no VQA head) or positive, got " + vqaLabels);
        }
        if (mimTargets < 0) {
            throw new IllegalArgumentException(
                    "mimTargets must be 0 (no MIM head) or positive, got " + mimTargets);
        }
    }

    private static void positive(String what, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(what + " must be positive, got " + v);
        }
    }
}
