package dev.vlmo.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.ConstantInitializer;

/**
 * A pre-LN Multiway Transformer block (B batch, N tokens, D width): shared self-attention, then a
 * feed-forward expert chosen by modality, each with its own LayerNorm.
 *
 * <pre>
 * x = x + drop_path(gamma_1 * attn(norm1(x)))
 * x = x + drop_path(gamma_2 * expert(norm2_expert(x)))
 * </pre>
 *
 * <p>With a shared FFN (the ablation's standard Transformer) the block has a single feed-forward
 * network {@code mlp} with its LayerNorm {@code norm2} (BEiT's names) and every route uses it.
 */
public final class MultiwayBlock extends Module {

    private final LayerNorm norm1;
    private final Attention attn;
    private final LayerNorm norm2Text;
    private final LayerNorm norm2Imag;
    private final Mlp mlpText;
    private final Mlp mlpImag;
    private final Mlp mlpVl;
    private final LayerNorm norm2Vl;
    private final Parameter gamma1;
    private final Parameter gamma2;
    private float dropPath;

    /**
     * Creates a block.
     *
     * @param dim the width D
     * @param heads the number of heads
     * @param mlpHidden the inner width of each expert
     * @param withVl whether this block has a vision-language expert
     * @param layerScale the initial layer scale, or 0 for none
     * @param dropPath this block's stochastic depth rate
     */
    public MultiwayBlock(
            int dim, int heads, int mlpHidden, boolean withVl, double layerScale, double dropPath) {
        this(dim, heads, mlpHidden, withVl, layerScale, dropPath, false);
    }

    /**
     * Creates a block, Multiway or with one feed-forward network shared by all tokens.
     *
     * @param dim the width D
     * @param heads the number of heads
     * @param mlpHidden the inner width of each expert
     * @param withVl whether this block has a vision-language expert (ignored when shared)
     * @param layerScale the initial layer scale, or 0 for none
     * @param dropPath this block's stochastic depth rate
     * @param sharedFfn true for one FFN ({@code mlp}, {@code norm2}) used by every route
     */
    public MultiwayBlock(
            int dim,
            int heads,
            int mlpHidden,
            boolean withVl,
            double layerScale,
            double dropPath,
            boolean sharedFfn) {
        this.dropPath = (float) dropPath;
        norm1 = child("norm1", new LayerNorm(dim, 1e-6f));
        attn = child("attn", new Attention(dim, heads));
        if (sharedFfn) {
            // one FFN under BEiT's names; the expert fields all point at it
            norm2Text = child("norm2", new LayerNorm(dim, 1e-6f));
            mlpText = child("mlp", new Mlp(dim, mlpHidden));
            norm2Imag = norm2Text;
            mlpImag = mlpText;
            mlpVl = withVl ? mlpText : null;
            norm2Vl = withVl ? norm2Text : null;
            gamma1 = layerScale > 0 ? layerScale(dim, layerScale, "gamma_1") : null;
            gamma2 = layerScale > 0 ? layerScale(dim, layerScale, "gamma_2") : null;
            return;
        }
        norm2Text = child("norm2_text", new LayerNorm(dim, 1e-6f));
        norm2Imag = child("norm2_imag", new LayerNorm(dim, 1e-6f));
        mlpText = child("mlp_text", new Mlp(dim, mlpHidden));
        mlpImag = child("mlp_imag", new Mlp(dim, mlpHidden));
        if (withVl) {
            mlpVl = child("mlp_vl", new Mlp(dim, mlpHidden));
            norm2Vl = child("norm2_vl", new LayerNorm(dim, 1e-6f));
        } else {
            mlpVl = null;
            norm2Vl = null;
        }
        if (layerScale > 0) {
            ConstantInitializer init = new ConstantInitializer((float) layerScale);
            gamma1 = param("gamma_1", Parameter.Type.WEIGHT, new Shape(dim), init);
            gamma2 = param("gamma_2", Parameter.Type.WEIGHT, new Shape(dim), init);
        } else {
            gamma1 = null;
            gamma2 = null;
        }
    }

    private Parameter layerScale(int dim, double value, String name) {
        return param(
                name,
                Parameter.Type.WEIGHT,
                new Shape(dim),
                new ConstantInitializer((float) value));
    }

    /**
     * Sets this block's stochastic depth rate.
     *
     * @param rate the probability of dropping a residual branch, in [0, 1)
     */
    public void setDropPath(double rate) {
        this.dropPath = (float) rate;
    }

    /**
     * Returns the block's self-attention (shared by every route).
     *
     * @return the attention
     */
    public Attention attention() {
        return attn;
    }

    /**
     * Returns whether this block has a vision-language expert.
     *
     * @return true in the top F layers
     */
    public boolean hasVlExpert() {
        return mlpVl != null;
    }

    /**
     * Applies the block.
     *
     * @param ps the parameter store
     * @param x input (B, N, D)
     * @param keyBias key-padding bias (B, 1, 1, N), or null
     * @param relBias this layer's relative position bias (H, N, N), or null
     * @param route which experts the tokens go to
     * @param textLen the number of text tokens at the start of the sequence (PAIR route only)
     * @param training whether this is a training pass (drop path active)
     * @return output (B, N, D)
     */
    public NDArray forward(
            ParameterStore ps,
            NDArray x,
            NDArray keyBias,
            NDArray relBias,
            Route route,
            int textLen,
            boolean training) {
        NDArray a = attn.forward(ps, norm1.forward(ps, x, training), keyBias, relBias, training);
        x = x.add(drop(scaled(ps, gamma1, a, training), training));
        if (route != Route.PAIR || mlpVl != null) {
            Route r = route == Route.PAIR ? Route.VL : route;
            return x.add(drop(expert(ps, r, x, training), training));
        }
        NDArray t = x.get(new NDIndex(":, :{}", textLen));
        NDArray i = x.get(new NDIndex(":, {}:", textLen));
        t = t.add(drop(expert(ps, Route.TEXT, t, training), training));
        i = i.add(drop(expert(ps, Route.IMAGE, i, training), training));
        return NDArrays.concat(new NDList(t, i), 1);
    }

    /**
     * Applies the block to the first token only (attending to all tokens): row 0 of {@link
     * #forward} up to rounding, drop path included (the same random draws, as many as the full pass
     * makes); for the last block of a pass read at [CLS] alone. In a pair sequence without a
     * vision-language expert the first token is text ([CLS] of the text).
     *
     * @param ps the parameter store
     * @param x input (B, N, D)
     * @param keyBias key-padding bias (B, 1, 1, N), or null
     * @param relBias this layer's relative position bias (H, N, N), or null
     * @param route which experts the tokens go to
     * @param training whether this is a training pass (drop path active)
     * @return output (B, 1, D)
     */
    public NDArray forwardFirst(
            ParameterStore ps,
            NDArray x,
            NDArray keyBias,
            NDArray relBias,
            Route route,
            boolean training) {
        NDArray a =
                attn.forwardFirst(ps, norm1.forward(ps, x, training), keyBias, relBias, training);
        return kept(ps, x.get(new NDIndex(":, :1")), a, route, null, x.getShape().get(0), training);
    }

    /**
     * Applies the block and keeps chosen tokens only: rows {@code rows} of {@link #forward}'s
     * output flattened to (B*N, D), up to rounding, drop path included (the same random draws); the
     * output projection and the expert run on those rows alone. For the last block of a pass whose
     * loss reads a few tokens (masked positions). In a pair sequence the rows must be text tokens.
     *
     * @param ps the parameter store
     * @param x input (B, N, D)
     * @param keyBias key-padding bias (B, 1, 1, N), or null
     * @param relBias this layer's relative position bias (H, N, N), or null
     * @param route which experts the tokens go to
     * @param rows (M) indices into the flattened B*N tokens
     * @param rowSample (M) the sample of each row, in [0, B)
     * @param training whether this is a training pass (drop path active)
     * @return output (M, D)
     */
    public NDArray forwardRows(
            ParameterStore ps,
            NDArray x,
            NDArray keyBias,
            NDArray relBias,
            Route route,
            NDArray rows,
            NDArray rowSample,
            boolean training) {
        NDArray a =
                attn.forwardRows(
                        ps, norm1.forward(ps, x, training), keyBias, relBias, rows, training);
        NDArray xr = x.reshape(-1, x.getShape().get(2)).get(rows); // (M, D)
        return kept(ps, xr, a, route, rowSample, x.getShape().get(0), training);
    }

    /**
     * The rest of the block for kept tokens: their residual input, their attention output, the
     * expert of their route (a pair's kept tokens are text), and the full pass's drop-path draws.
     */
    private NDArray kept(
            ParameterStore ps,
            NDArray x,
            NDArray a,
            Route route,
            NDArray rowSample,
            long b,
            boolean training) {
        x = x.add(drop(scaled(ps, gamma1, a, training), rowSample, b, training));
        Route r = route != Route.PAIR ? route : mlpVl != null ? Route.VL : Route.TEXT;
        NDArray out = x.add(drop(expert(ps, r, x, training), rowSample, b, training));
        if (route == Route.PAIR && r == Route.TEXT) {
            // the full pass draws the image expert's mask next: draw it too, so that later
            // random draws of the step stay the same
            drop(out, rowSample, b, training);
        }
        return out;
    }

    /** The scaled expert branch of a route (IMAGE, TEXT or VL), before drop path. */
    private NDArray expert(ParameterStore ps, Route r, NDArray x, boolean training) {
        LayerNorm norm;
        Mlp mlp;
        switch (r) {
            case IMAGE -> {
                norm = norm2Imag;
                mlp = mlpImag;
            }
            case TEXT -> {
                norm = norm2Text;
                mlp = mlpText;
            }
            case VL -> {
                if (mlpVl == null) {
                    throw new IllegalStateException(
                            "this block has no vision-language expert: only the top vlLayers"
                                    + " blocks do");
                }
                norm = norm2Vl;
                mlp = mlpVl;
            }
            default -> throw new IllegalArgumentException("unknown route " + r);
        }
        NDArray y = mlp.forward(ps, norm.forward(ps, x, training), training);
        return scaled(ps, gamma2, y, training);
    }

    private static NDArray scaled(ParameterStore ps, Parameter gamma, NDArray y, boolean train) {
        return gamma == null ? y : y.mul(value(ps, gamma, y, train));
    }

    /** Stochastic depth: drops the whole (B, ...) residual branch per sample. */
    private NDArray drop(NDArray y, boolean training) {
        return drop(y, null, y.getShape().get(0), training);
    }

    /**
     * Stochastic depth: drops the whole residual branch per sample with the block's rate, one (B,
     * 1, 1) draw; with {@code rowSample} the branch is (M, D) rows of those samples.
     */
    private NDArray drop(NDArray y, NDArray rowSample, long b, boolean training) {
        if (!training || dropPath == 0f) {
            return y;
        }
        float keep = 1f - dropPath;
        // under autocast y may be a half-precision branch: an fp32 mask promotes the product
        DataType t = Autocast.current() != null ? DataType.FLOAT32 : y.getDataType();
        NDArray u = y.getManager().randomUniform(0f, 1f, new Shape(b, 1, 1), t);
        NDArray mask = u.add(keep).floor().div(keep);
        return y.mul(rowSample == null ? mask : mask.reshape(b, 1).get(rowSample));
    }
}
