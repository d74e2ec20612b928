package dev.vlmo.model;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.ConstantInitializer;
import ai.djl.training.initializer.NormalInitializer;
import dev.vlmo.model.nn.Attention;
import dev.vlmo.model.nn.Autocast;
import dev.vlmo.model.nn.Embedding;
import dev.vlmo.model.nn.Heads;
import dev.vlmo.model.nn.Linear;
import dev.vlmo.model.nn.Module;
import dev.vlmo.model.nn.MultiwayBlock;
import dev.vlmo.model.nn.MultiwayTransformer;
import dev.vlmo.model.nn.Route;
import dev.vlmo.model.nn.TextEmbeddings;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * VLMo: the Multiway Transformer with its embeddings and heads, as one DJL block.
 *
 * <p>Dimension letters: B batch, T text tokens, N image tokens ({@code (S/P)^2 + 1}), D width, H
 * heads, L layers, V vocabulary. The three passes of the paper are {@link #encodeImage}, {@link
 * #encodeText} (the dual encoder) and {@link #encodePair} (the fusion encoder); the heads are
 * applied by {@link #itmLogits}, {@link #mlmLogits}, {@link #vqaLogits}, {@link #nlvr2Logits} and
 * {@link #mimLogits}.
 *
 * <p>Parameter names ({@link #namedParameters()}) are the reference state-dict keys.
 */
public final class VlmoModel extends Module {

    private final VlmoConfig config;
    private final RelativePositionIndex layout;
    private final MultiwayTransformer transformer;
    private final Parameter relativeTable;
    private final TextEmbeddings textEmbeddings;
    private final Embedding tokenTypes;
    private final Heads.Pooler pooler;
    private final Heads.Mlm mlmScore;
    private final Heads.Fc itmScore;
    private final Heads.Fc itcTextProj;
    private final Heads.Fc itcImageProj;
    private final Heads.Fc itcVlTextProj;
    private final Heads.Fc itcVlImageProj;
    private final Parameter logitScale;
    private final Parameter logitVlScale;
    private final Heads.Classifier vqaClassifier;
    private final Heads.Classifier nlvr2Classifier;
    private final Linear mimHead;
    private final Parameter mimMaskToken;
    private final Map<String, long[]> indexCache = new ConcurrentHashMap<>();

    static {
        Engines.optOutOfTracking();
    }

    /**
     * Creates an uninitialised model; call {@link #initialize(NDManager)} or load weights next.
     *
     * @param config the configuration
     */
    public VlmoModel(VlmoConfig config) {
        this.config = config;
        this.layout = new RelativePositionIndex(config);
        int d = config.hidden();
        float logit = (float) Math.log(1 / 0.07);
        transformer = child("transformer", new MultiwayTransformer(config));
        relativeTable =
                config.relativePositions()
                        ? param(
                                "relative_position_bias_table",
                                Parameter.Type.WEIGHT,
                                new Shape(
                                        layout.tableRows(),
                                        (long) config.heads() * config.layers()),
                                new ConstantInitializer(0f))
                        : null;
        textEmbeddings =
                child(
                        "text_embeddings",
                        new TextEmbeddings(
                                config.vocabSize(),
                                d,
                                config.maxTextLen(),
                                !config.relativePositions(),
                                config.dropPath()));
        tokenTypes = child("token_type_embeddings", new Embedding(config.tokenTypes(), d));
        pooler = child("pooler", new Heads.Pooler(d));
        mlmScore = child("mlm_score", new Heads.Mlm(d, config.vocabSize()));
        itmScore = child("itm_score", new Heads.Fc(d, 2, true));
        itcTextProj = child("itc_text_proj", new Heads.Fc(d, d, false));
        itcImageProj = child("itc_image_proj", new Heads.Fc(d, d, false));
        itcVlTextProj = child("itc_vl_text_proj", new Heads.Fc(d, d, false));
        itcVlImageProj = child("itc_vl_image_proj", new Heads.Fc(d, d, false));
        logitScale =
                param(
                        "logit_scale",
                        Parameter.Type.WEIGHT,
                        new Shape(),
                        new ConstantInitializer(logit));
        logitVlScale =
                param(
                        "logit_vl_scale",
                        Parameter.Type.WEIGHT,
                        new Shape(),
                        new ConstantInitializer(logit));
        vqaClassifier =
                config.vqaLabels() > 0
                        ? child(
                                "vqa_classifier",
                                new Heads.Classifier(d, 2 * d, config.vqaLabels()))
                        : null;
        nlvr2Classifier =
                config.nlvr2()
                        ? child("nlvr2_classifier", new Heads.Classifier(2 * d, 2 * d, 2))
                        : null;
        if (config.mimTargets() > 0) {
            mimHead = child("mim_head", new Linear(d, config.mimTargets(), true));
            mimMaskToken =
                    param(
                            "mim_mask_token",
                            Parameter.Type.WEIGHT,
                            new Shape(1, 1, d),
                            new NormalInitializer(0.02f));
        } else {
            mimHead = null;
            mimMaskToken = null;
        }
    }

    /**
     * Returns the configuration.
     *
     * @return the configuration
     */
    public VlmoConfig config() {
        return config;
    }

    /**
     * Returns the relative position layout.
     *
     * @return the layout of the shared table
     */
    public RelativePositionIndex relativePositionLayout() {
        return layout;
    }

    /**
     * Sets the stochastic depth rate, rising linearly from 0 in the first block to {@code rate} in
     * the last, and the text embedding dropout (the reference uses the same rate for both).
     *
     * @param rate the rate of the last block, in [0, 1)
     */
    public void setDropPath(double rate) {
        if (!(rate >= 0 && rate < 1)) {
            throw new IllegalArgumentException("drop path must be in [0, 1), got " + rate);
        }
        int l = transformer.depth();
        for (int i = 0; i < l; i++) {
            transformer.block(i).setDropPath(l == 1 ? 0 : rate * i / (l - 1));
        }
        textEmbeddings.setDropout(rate);
    }

    /**
     * Allocates and initialises every parameter in fp32 as the reference initialises them (weights
     * and embeddings normal with {@code config.initStd()}, 0.02 in the reference's presets).
     *
     * @param manager the manager that owns the parameters (its device is the model's)
     * @return this model
     */
    public VlmoModel initialize(NDManager manager) {
        if (config.initStd() != 0.02) {
            for (Parameter p : namedParameters().values()) {
                if (p.getInitializer() instanceof NormalInitializer) {
                    p.setInitializer(new NormalInitializer((float) config.initStd()));
                }
            }
        }
        initialize(manager, DataType.FLOAT32, new Shape(1));
        return this;
    }

    // ------------------------------------------------------------------ passes

    /**
     * Encodes images with the vision expert in every layer (the image side of the dual encoder).
     *
     * @param ps the parameter store
     * @param images (B, 3, S, S), normalised
     * @param withVlPath whether to also run the VL path for the second contrastive term
     * @param training whether this is a training pass
     * @return the encoding
     */
    public ImageEncoding encodeImage(
            ParameterStore ps, NDArray images, boolean withVlPath, boolean training) {
        return encodeImage(ps, images, null, withVlPath, training);
    }

    /**
     * Encodes images, replacing masked patches by the MIM mask token (masked image modelling).
     *
     * @param ps the parameter store
     * @param images (B, 3, S, S), normalised
     * @param patchMask (B, (S/P)^2) with 1 where a patch is masked, or null for none
     * @param withVlPath whether to also run the VL path
     * @param training whether this is a training pass
     * @return the encoding
     */
    public ImageEncoding encodeImage(
            ParameterStore ps,
            NDArray images,
            NDArray patchMask,
            boolean withVlPath,
            boolean training) {
        return imagePass(
                ps, imageInput(ps, images, patchMask, training), withVlPath, training, null);
    }

    /** Checks images (and a patch mask) and embeds them: (B, P+1, D) with the token type. */
    private NDArray imageInput(
            ParameterStore ps, NDArray images, NDArray patchMask, boolean training) {
        checkImages(images, "images");
        NDArray maskToken = null;
        if (patchMask != null) {
            if (mimMaskToken == null) {
                throw new IllegalStateException(
                        "patchMask needs the masked-image-modelling head: build the model with"
                                + " config.withMimTargets(n)");
            }
            long p = (long) config.gridSize() * config.gridSize();
            Shape want = new Shape(images.getShape().get(0), p);
            if (!patchMask.getShape().equals(want)) {
                throw new IllegalArgumentException(
                        "patchMask has shape " + patchMask.getShape() + ", expected " + want);
            }
            maskToken = value(ps, mimMaskToken, images, training);
        }
        NDArray x = transformer.visualEmbed(ps, images, maskToken, patchMask, training);
        return x.add(tokenTypes.row(ps, 1, x, training));
    }

    /**
     * The image-only pass from embedded images; with a {@code last} strategy the hidden states hold
     * the tokens it keeps, [CLS] first.
     */
    private ImageEncoding imagePass(
            ParameterStore ps, NDArray x, boolean withVl, boolean training, LastBlock last) {
        NDArray rel = relativeBias(ps, x, "image", training);
        Hidden h = run(ps, x, null, rel, Route.IMAGE, 0, withVl, training, last);
        NDArray hidden = transformer.norm(ps, h.last, training);
        NDArray vl = withVl ? contrast(ps, itcVlImageProj, h.vl, training) : null;
        return new ImageEncoding(
                hidden, normalise(itcImageProj.forward(ps, first(hidden), training)), vl);
    }

    /** The text-only pass; with a {@code last} strategy as {@link #imagePass}. */
    private TextEncoding textPass(
            ParameterStore ps,
            NDArray ids,
            NDArray mask,
            boolean withVl,
            boolean training,
            LastBlock last) {
        NDArray[] in = textInput(ps, ids, mask, training);
        Hidden h = run(ps, in[0], in[1], in[2], Route.TEXT, 0, withVl, training, last);
        NDArray hidden = transformer.norm(ps, h.last, training);
        NDArray vl = withVl ? contrast(ps, itcVlTextProj, h.vl, training) : null;
        return new TextEncoding(
                hidden, normalise(itcTextProj.forward(ps, first(hidden), training)), vl);
    }

    /** The L2-normalised projection of a path's final [CLS] (after the last norm). */
    private NDArray contrast(ParameterStore ps, Heads.Fc proj, NDArray path, boolean training) {
        NDArray cls = first(transformer.norm(ps, path, training));
        return normalise(proj.forward(ps, cls, training));
    }

    /** Checks texts and embeds them: the sequence, its key-padding bias and relative bias. */
    private NDArray[] textInput(ParameterStore ps, NDArray ids, NDArray mask, boolean training) {
        checkText(ids, mask);
        NDArray x = textEmbeddings.forward(ps, ids, training);
        x = x.add(tokenTypes.row(ps, 0, x, training));
        int t = (int) ids.getShape().get(1);
        return new NDArray[] {x, keyBias(mask), relativeBias(ps, x, "text:" + t, training)};
    }

    /**
     * Encodes texts with the language expert in every layer (the text side of the dual encoder).
     *
     * @param ps the parameter store
     * @param ids (B, T) token ids, [CLS] first, T at most maxTextLen
     * @param mask (B, T) with 1 for real tokens and 0 for padding
     * @param withVlPath whether to also run the VL path for the second contrastive term
     * @param training whether this is a training pass
     * @return the encoding
     */
    public TextEncoding encodeText(
            ParameterStore ps, NDArray ids, NDArray mask, boolean withVlPath, boolean training) {
        return textPass(ps, ids, mask, withVlPath, training, null);
    }

    /**
     * Encodes image-text pairs with the fusion encoder: text first, then image; language and vision
     * experts below the VL start layer, the VL expert from it on.
     *
     * @param ps the parameter store
     * @param ids (B, T) token ids, T at most maxTextLen (the reference pads to exactly maxTextLen)
     * @param mask (B, T) with 1 for real tokens and 0 for padding
     * @param images (B, 3, S, S), normalised
     * @param imageTokenType 1, or 2 for the second image of an NLVR2 pair
     * @param training whether this is a training pass
     * @return the encoding
     */
    public PairEncoding encodePair(
            ParameterStore ps,
            NDArray ids,
            NDArray mask,
            NDArray images,
            int imageTokenType,
            boolean training) {
        NDArray hidden = pairHidden(ps, ids, mask, images, imageTokenType, training, null);
        int t = (int) ids.getShape().get(1);
        NDArray textFeats = hidden.get(new NDIndex(":, :{}", t));
        NDArray imageFeats = hidden.get(new NDIndex(":, {}:", t));
        return new PairEncoding(
                hidden, textFeats, imageFeats, pooler.forward(ps, hidden, training));
    }

    /**
     * The dual encoder's image embeddings: the same as {@code encodeImage(ps, images, false,
     * false).itc()} with less work, as only the [CLS] token is read: the last block computes its
     * query, attention output and expert for [CLS] alone (keys and values still come from every
     * token). Inference (no gradients); see {@link #encodeImageCls} for training.
     *
     * @param ps the parameter store
     * @param images (B, 3, S, S), normalised
     * @return (B, D) L2-normalised embeddings
     */
    public NDArray embedImages(ParameterStore ps, NDArray images) {
        return encodeImageCls(ps, images, false, false).itc();
    }

    /**
     * The dual encoder's text embeddings: the same as {@code encodeText(ps, ids, mask, false,
     * false).itc()} with the last block computed for [CLS] alone (see {@link #embedImages}).
     *
     * @param ps the parameter store
     * @param ids (B, T) token ids, [CLS] first
     * @param mask (B, T) with 1 for real tokens and 0 for padding
     * @return (B, D) L2-normalised embeddings
     */
    public NDArray embedTexts(ParameterStore ps, NDArray ids, NDArray mask) {
        return encodeTextCls(ps, ids, mask, false, false).itc();
    }

    /**
     * The contrastive embeddings of images, computed for [CLS] alone in the last block (and in the
     * last block of the VL path): the {@code itc} and {@code vlItc} of {@link #encodeImage}, and in
     * training the same gradients, for less work (the other tokens' last-block outputs reach no
     * loss). Inside an {@link Autocast} scope or while attention is recorded, the full pass runs.
     *
     * @param ps the parameter store
     * @param images (B, 3, S, S), normalised
     * @param withVlPath whether to also run the VL path for the second contrastive term
     * @param training whether this is a training pass
     * @return the embeddings
     */
    public ClsEncoding encodeImageCls(
            ParameterStore ps, NDArray images, boolean withVlPath, boolean training) {
        ImageEncoding e =
                imagePass(
                        ps,
                        imageInput(ps, images, null, training),
                        withVlPath,
                        training,
                        first(ps, training));
        return new ClsEncoding(e.itc(), e.vlItc());
    }

    /**
     * The contrastive embeddings of texts, computed for [CLS] alone in the last block: the {@code
     * itc} and {@code vlItc} of {@link #encodeText} (see {@link #encodeImageCls}).
     *
     * @param ps the parameter store
     * @param ids (B, T) token ids, [CLS] first
     * @param mask (B, T) with 1 for real tokens and 0 for padding
     * @param withVlPath whether to also run the VL path for the second contrastive term
     * @param training whether this is a training pass
     * @return the embeddings
     */
    public ClsEncoding encodeTextCls(
            ParameterStore ps, NDArray ids, NDArray mask, boolean withVlPath, boolean training) {
        TextEncoding e = textPass(ps, ids, mask, withVlPath, training, first(ps, training));
        return new ClsEncoding(e.itc(), e.vlItc());
    }

    /**
     * The fusion encoder's pooled vectors (input of the ITM, VQA and NLVR2 heads), inference: the
     * same as {@code encodePair(ps, ids, mask, images, imageTokenType, false).pooled()} with the
     * last block computed for [CLS] alone (see {@link #embedImages}).
     *
     * @param ps the parameter store
     * @param ids (B, T) token ids
     * @param mask (B, T) with 1 for real tokens and 0 for padding
     * @param images (B, 3, S, S), normalised
     * @param imageTokenType 1, or 2 for the second image of an NLVR2 pair
     * @return (B, D) pooled vectors
     */
    public NDArray poolPairs(
            ParameterStore ps, NDArray ids, NDArray mask, NDArray images, int imageTokenType) {
        return poolPairs(ps, ids, mask, images, imageTokenType, false);
    }

    /**
     * The fusion encoder's pooled vectors with the last block computed for [CLS] alone: {@code
     * encodePair(...).pooled()}, and in training its gradients (see {@link #encodeImageCls}).
     *
     * @param ps the parameter store
     * @param ids (B, T) token ids
     * @param mask (B, T) with 1 for real tokens and 0 for padding
     * @param images (B, 3, S, S), normalised
     * @param imageTokenType 1, or 2 for the second image of an NLVR2 pair
     * @param training whether this is a training pass
     * @return (B, D) pooled vectors
     */
    public NDArray poolPairs(
            ParameterStore ps,
            NDArray ids,
            NDArray mask,
            NDArray images,
            int imageTokenType,
            boolean training) {
        LastBlock last = first(ps, training);
        NDArray hidden = pairHidden(ps, ids, mask, images, imageTokenType, training, last);
        return pooler.forward(ps, hidden, training);
    }

    /**
     * Final hidden states (after the last LayerNorm) of chosen patches of an image-only pass with
     * masked patches replaced by the MIM mask token: rows {@code patches} of {@code encodeImage(ps,
     * images, patchMask, false, training).hidden()} without [CLS], flattened to (B*P, D), up to
     * rounding, with the last block's output projection and expert run on those rows alone (masked
     * image modelling reads the masked patches only). Training gets the full pass's gradients; also
     * under {@link Autocast} and while attention is recorded (every map whole).
     *
     * @param ps the parameter store
     * @param images (B, 3, S, S), normalised
     * @param patchMask (B, P) with 1 where a patch is masked
     * @param patches (M) indices into the flattened B*P patches, M at least 1
     * @param training whether this is a training pass
     * @return (M, D)
     */
    public NDArray encodeImageAt(
            ParameterStore ps,
            NDArray images,
            NDArray patchMask,
            long[] patches,
            boolean training) {
        int p = config.gridSize() * config.gridSize();
        NDArray x = imageInput(ps, images, patchMask, training);
        NDArray rel = relativeBias(ps, x, "image", training);
        LastBlock last = rows(ps, x, patches, p, p + 1, 1, training);
        return normed(ps, new NDArray[] {x, null, rel}, Route.IMAGE, 0, training, last);
    }

    /**
     * Final hidden states (after the last LayerNorm) of chosen text positions of a text-only pass:
     * rows {@code positions} of {@code encodeText(ps, ids, mask, false, training).hidden()}
     * flattened to (B*T, D), up to rounding, with the last block's output projection and expert run
     * on those rows alone (a loss that reads masked positions only: MLM). Training gets the full
     * pass's gradients; also under {@link Autocast} and while attention is recorded (every map
     * whole).
     *
     * @param ps the parameter store
     * @param ids (B, T) token ids
     * @param mask (B, T) with 1 for real tokens and 0 for padding
     * @param positions (M) indices into the flattened B*T positions, M at least 1
     * @param training whether this is a training pass
     * @return (M, D)
     */
    public NDArray encodeTextAt(
            ParameterStore ps, NDArray ids, NDArray mask, long[] positions, boolean training) {
        NDArray[] in = textInput(ps, ids, mask, training);
        int t = (int) ids.getShape().get(1);
        LastBlock last = rows(ps, in[0], positions, t, t, 0, training);
        return normed(ps, in, Route.TEXT, 0, training, last);
    }

    /**
     * Final hidden states of chosen text positions of a pair pass: rows {@code positions} of {@code
     * encodePair(...).textFeats()} flattened to (B*T, D), up to rounding, with the last block's
     * output projection and expert run on those rows alone (see {@link #encodeTextAt}).
     *
     * @param ps the parameter store
     * @param ids (B, T) token ids
     * @param mask (B, T) with 1 for real tokens and 0 for padding
     * @param images (B, 3, S, S), normalised
     * @param imageTokenType 1, or 2 for the second image of an NLVR2 pair
     * @param positions (M) indices into the flattened B*T text positions, M at least 1
     * @param training whether this is a training pass
     * @return (M, D)
     */
    public NDArray encodePairTextAt(
            ParameterStore ps,
            NDArray ids,
            NDArray mask,
            NDArray images,
            int imageTokenType,
            long[] positions,
            boolean training) {
        int t = (int) ids.getShape().get(1);
        int n = t + config.imageTokens();
        LastBlock last = rows(ps, ids, positions, t, n, 0, training);
        return pairHidden(ps, ids, mask, images, imageTokenType, training, last);
    }

    /** The pair pass's final hidden states (B, T+P+1, D), or the tokens {@code last} keeps. */
    private NDArray pairHidden(
            ParameterStore ps,
            NDArray ids,
            NDArray mask,
            NDArray images,
            int imageTokenType,
            boolean training,
            LastBlock last) {
        NDArray[] in = pairInput(ps, ids, mask, images, imageTokenType, training);
        int t = (int) ids.getShape().get(1);
        return normed(ps, in, Route.PAIR, t, training, last);
    }

    /**
     * The blocks without the VL path, then the final norm, for embedded inputs {sequence,
     * key-padding bias, relative bias}: (B, N, D), or the tokens {@code last} keeps.
     */
    private NDArray normed(
            ParameterStore ps,
            NDArray[] in,
            Route route,
            int textLen,
            boolean training,
            LastBlock last) {
        Hidden h = run(ps, in[0], in[1], in[2], route, textLen, false, training, last);
        return transformer.norm(ps, h.last, training);
    }

    /** An index array that a gather's backward may keep (engine-owned memory). */
    private static NDArray index(NDArray like, long[] values) {
        return Engines.owned(like.getManager().create(values));
    }

    /**
     * The last block for chosen rows alone: positions index the first {@code t} tokens after {@code
     * offset} in each of the B sequences of n tokens (flattened B*t).
     */
    private LastBlock rows(
            ParameterStore ps,
            NDArray like,
            long[] positions,
            int t,
            int n,
            int offset,
            boolean training) {
        long[] rows = new long[positions.length];
        long[] sample = new long[positions.length];
        for (int i = 0; i < positions.length; i++) {
            sample[i] = positions[i] / t;
            rows[i] = sample[i] * n + offset + positions[i] % t;
        }
        NDArray rowIdx = index(like, rows);
        NDArray sampleIdx = index(like, sample);
        return (b, in, keyBias, bias, r) ->
                b.forwardRows(ps, in, keyBias, bias, r, rowIdx, sampleIdx, training);
    }

    /** The last block for [CLS] alone where that applies ({@link #clsOnlyApplies}), else null. */
    private LastBlock first(ParameterStore ps, boolean training) {
        return clsOnlyApplies()
                ? (b, in, keyBias, bias, r) -> b.forwardFirst(ps, in, keyBias, bias, r, training)
                : null;
    }

    /**
     * Whether the [CLS]-only last block may be used: not while attention maps are recorded (they
     * hold every row) and not inside an autocast scope (the shortcut is written for fp32).
     */
    private boolean clsOnlyApplies() {
        return Autocast.current() == null
                && !transformer.block(transformer.depth() - 1).attention().hasProbe();
    }

    /**
     * Starts recording the attention probabilities of every block (for attention maps); close the
     * recording to stop. Recording copies each (B, H, N, N) map, so use it on inference passes.
     *
     * @param manager where the recorded maps live
     * @return the recording
     * @throws IllegalStateException if another recording of this model is open
     */
    public AttentionRecording recordAttention(NDManager manager) {
        List<Attention> list = new ArrayList<>();
        for (int i = 0; i < transformer.depth(); i++) {
            list.add(transformer.block(i).attention());
        }
        return new AttentionRecording(list, manager);
    }

    // ------------------------------------------------------------------ heads

    /**
     * Scores whether pairs match (ITM head on the pooled vector).
     *
     * @param ps the parameter store
     * @param pooled (B, D) from {@link PairEncoding#pooled()}
     * @param training whether this is a training pass
     * @return (B, 2) logits, index 1 meaning "matches"
     */
    public NDArray itmLogits(ParameterStore ps, NDArray pooled, boolean training) {
        return itmScore.forward(ps, pooled, training);
    }

    /**
     * Predicts masked tokens (MLM head, not tied to the word embeddings).
     *
     * @param ps the parameter store
     * @param textFeats (B, T, D) text hidden states
     * @param training whether this is a training pass
     * @return (B, T, V) logits
     */
    public NDArray mlmLogits(ParameterStore ps, NDArray textFeats, boolean training) {
        return mlmScore.forward(ps, textFeats, training);
    }

    /**
     * Scores VQA answers from the pooled pair vector.
     *
     * @param ps the parameter store
     * @param pooled (B, D)
     * @param training whether this is a training pass
     * @return (B, answers) logits
     */
    public NDArray vqaLogits(ParameterStore ps, NDArray pooled, boolean training) {
        if (vqaClassifier == null) {
            throw new IllegalStateException(
                    "this model has no VQA head: build it with config.withVqaLabels(n)");
        }
        return vqaClassifier.forward(ps, pooled, training);
    }

    /**
     * Judges an NLVR2 statement from the pooled vectors of its two pair passes (token types 1, 2).
     *
     * @param ps the parameter store
     * @param pooledFirst (B, D) from the pass with the first image
     * @param pooledSecond (B, D) from the pass with the second image
     * @param training whether this is a training pass
     * @return (B, 2) logits, index 1 meaning "true"
     */
    public NDArray nlvr2Logits(
            ParameterStore ps, NDArray pooledFirst, NDArray pooledSecond, boolean training) {
        if (nlvr2Classifier == null) {
            throw new IllegalStateException(
                    "this model has no NLVR2 head: build it with config.withNlvr2(true)");
        }
        return nlvr2Classifier.forward(
                ps, NDArrays.concat(new NDList(pooledFirst, pooledSecond), 1), training);
    }

    /**
     * Applies the masked-image-modelling head to chosen patch states, e.g. only the masked patches
     * (BEiT computes the head at the masked positions alone).
     *
     * @param ps the parameter store
     * @param patchStates (..., D) final hidden states of patches (not [CLS])
     * @param training whether this is a training pass
     * @return (..., targets)
     */
    public NDArray mimPatchLogits(ParameterStore ps, NDArray patchStates, boolean training) {
        if (mimHead == null) {
            throw new IllegalStateException(
                    "this model has no MIM head: build it with config.withMimTargets(n)");
        }
        return mimHead.forward(ps, patchStates, training);
    }

    /**
     * Predicts the targets of image patches (masked image modelling head).
     *
     * @param ps the parameter store
     * @param imageHidden (B, N, D) from {@link ImageEncoding#hidden()}
     * @param training whether this is a training pass
     * @return (B, N-1, targets), one row per patch ([CLS] dropped)
     */
    public NDArray mimLogits(ParameterStore ps, NDArray imageHidden, boolean training) {
        if (mimHead == null) {
            throw new IllegalStateException(
                    "this model has no MIM head: build it with config.withMimTargets(n)");
        }
        return mimHead.forward(ps, imageHidden.get(new NDIndex(":, 1:")), training);
    }

    /**
     * Returns the contrastive temperature's log-scale for the given term.
     *
     * @param ps the parameter store
     * @param like an array on the device to compute on
     * @param vl false for the main term ({@code logit_scale}), true for the VL term
     * @param training whether this is a training pass
     * @return a scalar array
     */
    public NDArray logitScale(ParameterStore ps, NDArray like, boolean vl, boolean training) {
        NDArray s = value(ps, vl ? logitVlScale : logitScale, like, training);
        if (s.getManager() == like.getManager()) {
            return s;
        }
        // a copy autograd records, owned by the computation: the factor too, or each call would
        // leave a scalar behind in the parameter's manager for as long as the model lives
        NDArray one = like.getManager().full(new Shape(), 1f, s.getDataType());
        return local(s.mul(one), like);
    }

    // ------------------------------------------------------------------ save and load

    /**
     * Reads parameters written by {@link #save(Path)} for the same configuration.
     *
     * @param file the file to read
     * @param manager the manager that will own the arrays
     * @throws IOException if reading fails or the file does not fit this configuration
     */
    public void load(Path file, NDManager manager) throws IOException {
        VlmoModel staged = new VlmoModel(config);
        try {
            staged.readParameters(file, manager);
        } catch (java.io.EOFException e) {
            staged.close();
            throw new IOException(
                    file
                            + " ends before its last parameter: the file is truncated (a copy or a"
                            + " save cut short)",
                    e);
        } catch (MalformedModelException | RuntimeException e) {
            staged.close();
            throw new IOException(
                    file + " does not hold parameters of a " + config.name() + " model: " + e, e);
        }
        Map<String, Parameter> mine = namedParameters();
        Map<String, Parameter> loaded = staged.namedParameters();
        for (Map.Entry<String, Parameter> e : mine.entrySet()) {
            Shape want = e.getValue().getShape();
            Shape got = loaded.get(e.getKey()).getArray().getShape();
            if (!want.equals(got)) {
                staged.close();
                throw new IOException(
                        file
                                + ": parameter "
                                + e.getKey()
                                + " has shape "
                                + got
                                + " in the file but "
                                + want
                                + " in this "
                                + config.name()
                                + " model; the file was saved from another configuration");
            }
        }
        staged.close();
        for (Parameter p : mine.values()) {
            p.close();
        }
        try {
            readParameters(file, manager);
        } catch (MalformedModelException e) {
            throw new IOException(file + " changed while it was read: " + e, e);
        }
        for (Parameter p : mine.values()) {
            if (p.requiresGradient()) {
                p.getArray().setRequiresGradient(true);
            }
        }
    }

    /**
     * Reads a {@code model.params} written by {@link #save(Path)} for this model's backbone,
     * whichever optional heads its writer had: the masked-image-modelling head (a run with a vision
     * stage), the VQA or the NLVR2 classifier. This model is not changed; load the result with
     * {@code CheckpointImporter.load}, which reports the heads that one side lacks. The parameter
     * format is positional, so each combination of heads is tried in turn, this model's own first.
     *
     * @param file a run's {@code model.params}
     * @param manager a manager for the temporary arrays (closed again before this returns)
     * @return parameter name to values, in the file's order
     * @throws IOException if the file cannot be read or holds parameters of another model
     */
    public Map<String, dev.vlmo.model.checkpoint.TensorData> readStateDict(
            Path file, NDManager manager) throws IOException {
        int lead;
        try (InputStream is = Files.newInputStream(file)) {
            lead = is.read();
        }
        if (lead != 1) { // every block of ours writes version 1 first
            String what =
                    lead == 'P' || lead == 0x80
                            ? "a PyTorch checkpoint, not a run's parameters: CheckpointImporter"
                                    + " reads it, with or without the .pt extension"
                            : "not a parameter file written by a run";
            throw new dev.vlmo.model.checkpoint.CheckpointMismatchException(
                    file.toString(), what, List.of(), List.of());
        }
        Exception first = null;
        for (VlmoConfig k : headVariants(config)) {
            VlmoModel staged = new VlmoModel(k);
            Map<String, Shape> declared = new java.util.HashMap<>();
            staged.namedParameters().forEach((name, p) -> declared.put(name, p.getShape()));
            try (NDManager m = manager.newSubManager();
                    InputStream is = Files.newInputStream(file);
                    DataInputStream in = new DataInputStream(new BufferedInputStream(is))) {
                staged.loadParameters(m, in);
                if (in.read() != -1) {
                    throw new MalformedModelException("more data after the last parameter");
                }
                return stateDictOf(staged, declared);
            } catch (MalformedModelException | RuntimeException | java.io.EOFException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        throw new dev.vlmo.model.checkpoint.CheckpointMismatchException(
                file.toString(),
                "does not hold parameters of a "
                        + config.name()
                        + " model (read with and without the MIM, VQA and NLVR2 heads): "
                        + first
                        + "; give the description that wrote it, or a .pt file",
                List.of(),
                List.of());
    }

    /**
     * The loaded parameters of a staged model by name. VQA's and NLVR2's classifiers have the same
     * parameter names, so a file with one of them also parses as the other: the input width of
     * their first layer (D for VQA, 2D for NLVR2) tells them apart.
     */
    private static Map<String, dev.vlmo.model.checkpoint.TensorData> stateDictOf(
            VlmoModel staged, Map<String, Shape> declared) throws MalformedModelException {
        Map<String, dev.vlmo.model.checkpoint.TensorData> out = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : staged.namedParameters().entrySet()) {
            NDArray a = e.getValue().getArray();
            boolean classifierInput =
                    e.getKey().startsWith("vqa_classifier.0.")
                            || e.getKey().startsWith("nlvr2_classifier.0.");
            if (classifierInput && !a.getShape().equals(declared.get(e.getKey()))) {
                throw new MalformedModelException(
                        e.getKey() + " has shape " + a.getShape() + ", not that classifier's");
            }
            out.put(
                    e.getKey(),
                    dev.vlmo.model.checkpoint.TensorData.ofFloats(
                            a.getShape().getShape(), a.toFloatArray()));
        }
        return out;
    }

    /** The configuration with each combination of the optional heads, its own first. */
    private static List<VlmoConfig> headVariants(VlmoConfig c) {
        List<VlmoConfig> out = new ArrayList<>();
        for (int mask = 0; mask < 8; mask++) {
            VlmoConfig k = c;
            if ((mask & 1) != 0) {
                k = k.withMimTargets(c.mimTargets() > 0 ? 0 : 1);
            }
            if ((mask & 2) != 0) {
                k = k.withVqaLabels(c.vqaLabels() > 0 ? 0 : 1);
            }
            if ((mask & 4) != 0) {
                k = k.withNlvr2(!c.nlvr2());
            }
            out.add(k);
        }
        return out;
    }

    private void close() {
        // releases nothing that is shared: a staged model owns only its loaded arrays
        for (Parameter p : namedParameters().values()) {
            if (p.isInitialized()) {
                p.getArray().close();
            }
        }
    }

    // ------------------------------------------------------------------ internals

    /** Checks a pair batch and embeds it: the sequence (text, then image), key bias, rel. bias. */
    private NDArray[] pairInput(
            ParameterStore ps,
            NDArray ids,
            NDArray mask,
            NDArray images,
            int imageTokenType,
            boolean training) {
        checkText(ids, mask);
        checkImages(images, "images");
        long bt = ids.getShape().get(0);
        long bi = images.getShape().get(0);
        if (bt != bi) {
            throw new IllegalArgumentException(
                    "batch sizes differ: "
                            + bt
                            + " texts and "
                            + bi
                            + " images; pass one image"
                            + " per text");
        }
        if (imageTokenType < 1 || imageTokenType >= config.tokenTypes()) {
            throw new IllegalArgumentException(
                    "imageTokenType must be 1"
                            + (config.tokenTypes() > 2 ? " or 2" : " (2 needs withNlvr2(true))")
                            + ", got "
                            + imageTokenType);
        }
        NDArray text = textEmbeddings.forward(ps, ids, training);
        text = text.add(tokenTypes.row(ps, 0, text, training));
        NDArray image = transformer.visualEmbed(ps, images, null, null, training);
        image = image.add(tokenTypes.row(ps, imageTokenType, image, training));
        NDArray x = NDArrays.concat(new NDList(text, image), 1);
        int t = (int) ids.getShape().get(1);
        NDArray fullMask =
                NDArrays.concat(
                        new NDList(
                                mask.toType(DataType.FLOAT32, false),
                                mask.getManager().ones(new Shape(bi, config.imageTokens()))),
                        1);
        NDArray rel = relativeBias(ps, x, "pair:" + t, training);
        return new NDArray[] {x, keyBias(fullMask), rel};
    }

    private record Hidden(NDArray last, NDArray vl) {}

    /**
     * How the last block runs when a pass keeps fewer of its tokens ([CLS], masked positions):
     * given the block, its input, the key-padding and relative biases and the route.
     */
    @FunctionalInterface
    private interface LastBlock {
        NDArray apply(
                MultiwayBlock block, NDArray x, NDArray keyBias, NDArray relBias, Route route);
    }

    /**
     * Runs the blocks; with a {@code last} strategy the last block (of the VL path too) runs it and
     * {@code last} (and {@code vl}) holds only the tokens it keeps.
     */
    private Hidden run(
            ParameterStore ps,
            NDArray x,
            NDArray keyBias,
            NDArray rel,
            Route route,
            int textLen,
            boolean withVl,
            boolean training,
            LastBlock last) {
        int depth = transformer.depth();
        int start = config.vlStart();
        NDArray entering = start == 0 ? x : null;
        // every layer's (H, N, N) block in one split, as the reference's torch.chunk: its backward
        // concatenates the layers' gradients instead of one zero-filled table per layer
        NDList perLayer = rel == null ? null : rel.split(depth, 0);
        java.util.function.BiFunction<Integer, Route, java.util.function.UnaryOperator<NDArray>>
                layer =
                        (i, r) -> {
                            MultiwayBlock b = transformer.block(i);
                            NDArray bias = perLayer == null ? null : perLayer.get(i);
                            return last != null && i == depth - 1
                                    ? in -> last.apply(b, in, keyBias, bias, r)
                                    : in -> b.forward(ps, in, keyBias, bias, r, textLen, training);
                        };
        for (int i = 0; i < depth; i++) {
            x = scoped(x, layer.apply(i, route));
            if (i == start - 1) {
                entering = x;
            }
        }
        NDArray vl = null;
        if (withVl) {
            vl = entering;
            for (int i = start; i < depth; i++) {
                vl = scoped(vl, layer.apply(i, Route.VL));
            }
        }
        return new Hidden(x, vl);
    }

    /**
     * Applies one block with its temporaries in a manager of their own that is closed when the
     * block returns, so their memory is reused by the next block instead of being held until the
     * caller's manager closes (what eager PyTorch does by reference counting). Only the output
     * survives, in the input's manager. Tensors that autograd saved for the backward pass stay
     * alive through the graph's own references: closing an array only drops this handle. Engines
     * whose arrays are not reference-counted handles (MXNet) run the block unscoped.
     */
    private static NDArray scoped(NDArray x, java.util.function.UnaryOperator<NDArray> block) {
        NDManager outer = x.getManager();
        if (!"PyTorch".equals(outer.getEngine().getEngineName())) {
            return block.apply(x);
        }
        try (NDManager temp = outer.newSubManager()) {
            x.tempAttach(temp);
            NDArray y = block.apply(x);
            y.attach(outer);
            return y;
        }
    }

    /** Gathers the relative bias of every layer: (H*L, N, N), or null with absolute positions. */
    private NDArray relativeBias(ParameterStore ps, NDArray like, String kind, boolean training) {
        if (relativeTable == null) {
            return null;
        }
        long[] flat = indexCache.computeIfAbsent(kind, this::buildIndex);
        int n = (int) Math.round(Math.sqrt(flat.length));
        NDArray table = value(ps, relativeTable, like, training); // (R, H*L)
        // the gather's backward keeps the index: it must live in engine-owned memory
        NDArray idx = Engines.owned(like.getManager().create(flat, new Shape(1, (long) n * n)));
        return gatherBias(table, idx, n);
    }

    /**
     * Gathers a (R, C) table's rows by an (N, N) index into the (C, N, N) layout the attention
     * logits add: {@code out[c, i, j] = table[index[i, j], c]}.
     *
     * <p>Every layer's logits add a dense (H, N, N) block, as after the reference's {@code
     * .contiguous()}. Gathering along the transposed table's rows with the index broadcast (a view,
     * no copy) writes that layout directly, and the backward scatters each row's gradient in place;
     * an embedding lookup would give (N*N, C) and a transposed copy each way, which libtorch makes
     * element by element on a CPU (25 ms of a 0.6 s step at the small preset). Other engines and
     * GPUs take the lookup.
     *
     * @param table (R, C)
     * @param index (1, N*N) row numbers, row-major over (i, j); the result and its views belong to
     *     its manager
     * @param n N
     * @return (C, N, N)
     */
    static NDArray gatherBias(NDArray table, NDArray index, int n) {
        long c = table.getShape().get(1);
        if (!"PyTorch".equals(table.getManager().getEngine().getEngineName())
                || !ai.djl.Device.Type.CPU.equals(table.getDevice().getDeviceType())) {
            // MXNet has no gather along an axis, and on a GPU the gather's backward adds with
            // atomics (sums in varying order) where the lookup's sorts its indices (the same
            // gradient every run), and transposed copies cost little: look the rows up, then one
            // transposed copy
            NDArray rows =
                    ai.djl.nn.core.Embedding.embedding(
                                    index.reshape((long) n * n),
                                    table,
                                    ai.djl.ndarray.types.SparseFormat.DENSE)
                            .singletonOrThrow(); // (N*N, C)
            return rows.transpose(1, 0).reshape(c, n, n);
        }
        NDArray tableT = table.transpose(1, 0); // (C, R): a view
        tableT.attach(index.getManager()); // the index's scope, not the parameter's
        return tableT.gather(index.broadcast(new Shape(c, (long) n * n)), 1).reshape(c, n, n);
    }

    private long[] buildIndex(String kind) {
        long[][] m;
        if (kind.equals("image")) {
            m = layout.imageOnly();
        } else if (kind.startsWith("text:")) {
            m = layout.textOnly(Integer.parseInt(kind.substring(5)));
        } else {
            m = layout.pair(Integer.parseInt(kind.substring(5)));
        }
        long[] flat = new long[m.length * m.length];
        for (int i = 0; i < m.length; i++) {
            System.arraycopy(m[i], 0, flat, i * m.length, m.length);
        }
        return flat;
    }

    /** Turns a (B, N) mask of 1 and 0 into an additive (B, 1, 1, N) bias of 0 and -inf. */
    private static NDArray keyBias(NDArray mask) {
        NDManager m = mask.getManager();
        Shape s = mask.getShape();
        NDArray keep = mask.toType(DataType.FLOAT32, false).gt(0.5f);
        NDArray bias = NDArrays.where(keep, m.zeros(s), m.full(s, Float.NEGATIVE_INFINITY));
        return bias.reshape(s.get(0), 1, 1, s.get(1));
    }

    private static NDArray first(NDArray hidden) {
        return hidden.get(new NDIndex(":, 0"));
    }

    private static NDArray normalise(NDArray x) {
        return x.div(x.norm(new int[] {-1}, true));
    }

    private void checkImages(NDArray images, String what) {
        Shape s = images.getShape();
        int size = config.imageSize();
        if (s.dimension() != 4 || s.get(1) != 3) {
            throw new IllegalArgumentException(
                    what + " must have shape (B, 3, " + size + ", " + size + "), got " + s);
        }
        if (s.get(2) != size || s.get(3) != size) {
            throw new IllegalArgumentException(
                    "image size "
                            + s.get(2)
                            + "x"
                            + s.get(3)
                            + " does not match the model's imageSize "
                            + size
                            + ": resize images to "
                            + size
                            + "x"
                            + size
                            + " or build the model with withImageSize("
                            + s.get(2)
                            + ")");
        }
    }

    private void checkText(NDArray ids, NDArray mask) {
        Shape s = ids.getShape();
        if (s.dimension() != 2 || s.get(1) < 1) {
            throw new IllegalArgumentException("text ids must have shape (B, T), got " + s);
        }
        if (s.get(1) > config.maxTextLen()) {
            throw new IllegalArgumentException(
                    "text of "
                            + s.get(1)
                            + " tokens is longer than maxTextLen "
                            + config.maxTextLen()
                            + ": truncate it or build the model with withMaxTextLen("
                            + s.get(1)
                            + ")");
        }
        if (mask == null || !mask.getShape().equals(s)) {
            throw new IllegalArgumentException(
                    "text mask must have the shape of the ids "
                            + s
                            + ", got "
                            + (mask == null ? "null" : mask.getShape()));
        }
    }
}
