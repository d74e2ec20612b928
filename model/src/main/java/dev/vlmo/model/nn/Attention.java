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
import dev.vlmo.model.Engines;
import java.util.function.Consumer;

/**
 * Multi-head self-attention shared by all modalities (B batch, N tokens, D width, H heads, d =
 * D/H).
 *
 * <p>As in the reference: {@code qkv} has no bias of its own, a learnable {@code q_bias} and {@code
 * v_bias} are added (k has none); logits are computed in fp32; the relative position bias (H, N, N)
 * and a key-padding bias (B, 1, 1, N) of 0 or -inf are added before the softmax. Inside an {@link
 * Autocast} scope the projections and the product of the probabilities with the values run in half
 * precision and the output stays half (as {@code torch.autocast} leaves it); the logits and the
 * softmax stay fp32.
 */
public final class Attention extends Module {

    private final Linear qkv;
    private final Parameter qBias;
    private final Parameter vBias;
    private final Linear proj;
    private final int heads;
    private final float scale;
    private volatile Consumer<NDArray> probe;

    /**
     * Creates the attention of one block.
     *
     * @param dim the width D
     * @param heads the number of heads H
     */
    public Attention(int dim, int heads) {
        this.heads = heads;
        this.scale = (float) Math.pow((double) dim / heads, -0.5);
        qkv = child("qkv", new Linear(dim, 3 * dim, false));
        qBias = param("q_bias", Parameter.Type.BIAS, new Shape(dim), new ConstantInitializer(0f));
        vBias = param("v_bias", Parameter.Type.BIAS, new Shape(dim), new ConstantInitializer(0f));
        proj = child("proj", new Linear(dim, dim, true));
    }

    /**
     * Sets a receiver of this attention's probabilities: while set, every pass hands it the (B, H,
     * N, N) softmax output in fp32, rows summing to 1 over the keys, before it is applied to the
     * values. The array belongs to the pass; a receiver that keeps it must copy it. Used to look at
     * attention maps; null stops it.
     *
     * @param probe the receiver, or null
     */
    public void setProbe(Consumer<NDArray> probe) {
        this.probe = probe;
    }

    /**
     * Returns whether a probe is set.
     *
     * @return true while something receives this attention's probabilities
     */
    public boolean hasProbe() {
        return probe != null;
    }

    /**
     * Attends for the first token only: the query of token 0 against the keys and values of all
     * tokens, row 0 of {@link #forward} up to rounding; keys and values are still projected for
     * every token, the query, the logits and the output projection for one. For passes whose result
     * is read from the [CLS] token alone (embeddings, pooled pair vectors), outside {@link
     * Autocast}; in training the gradients are those of the full pass, as the other rows reach no
     * loss.
     *
     * @param ps the parameter store
     * @param x input (B, N, D)
     * @param keyBias key-padding bias (B, 1, 1, N), or null
     * @param relBias relative position bias (H, N, N), or null
     * @param training whether this is a training pass
     * @return output (B, 1, D)
     */
    public NDArray forwardFirst(
            ParameterStore ps, NDArray x, NDArray keyBias, NDArray relBias, boolean training) {
        Shape s = x.getShape();
        long b = s.get(0);
        long n = s.get(1);
        long d = s.get(2);
        NDArray bias = qkvBias(ps, x, training);
        NDArray q =
                qkv.forwardRows(
                        ps,
                        x.get(new NDIndex(":, :1")),
                        bias.get(new NDIndex(":{}", d)),
                        0,
                        d,
                        training);
        NDArray kv = qkv.forwardRows(ps, x, bias.get(new NDIndex("{}:", d)), d, 3 * d, training);
        kv = kv.reshape(b, n, 2, heads, d / heads).transpose(2, 0, 3, 1, 4); // (2, B, H, N, d)
        NDList parts = kv.split(2, 0);
        NDArray k = parts.get(0).squeeze(0);
        NDArray v = parts.get(1).squeeze(0);
        q = q.reshape(b, 1, heads, d / heads).transpose(0, 2, 1, 3); // (B, H, 1, d)
        NDArray rel = relBias == null ? null : relBias.get(new NDIndex(":, :1"));
        NDArray attn = probabilities(q, k, keyBias, rel, x.getDataType(), null); // (B, H, 1, N)
        NDArray out = attn.matMul(v).reshape(b, 1, d); // (B, H, 1, d) -> (B, 1, D)
        return project(ps, out, training);
    }

    /**
     * Attends.
     *
     * @param ps the parameter store
     * @param x input (B, N, D)
     * @param keyBias key-padding bias (B, 1, 1, N) with 0 for real and -inf for padded keys, or
     *     null when nothing is padded
     * @param relBias relative position bias (H, N, N), or null
     * @param training whether this is a training pass
     * @return output (B, N, D); in half precision inside an {@link Autocast} scope
     */
    public NDArray forward(
            ParameterStore ps, NDArray x, NDArray keyBias, NDArray relBias, boolean training) {
        return project(ps, weighted(ps, x, keyBias, relBias, training), training);
    }

    /**
     * Attends and projects chosen rows only: the rows {@code rows} of {@link #forward}'s (B*N, D)
     * output up to rounding, with the output projection applied to those rows alone. Outside {@link
     * Autocast}.
     *
     * @param ps the parameter store
     * @param x input (B, N, D)
     * @param keyBias key-padding bias (B, 1, 1, N), or null
     * @param relBias relative position bias (H, N, N), or null
     * @param rows (M) indices into the flattened B*N tokens
     * @param training whether this is a training pass
     * @return output (M, D)
     */
    public NDArray forwardRows(
            ParameterStore ps,
            NDArray x,
            NDArray keyBias,
            NDArray relBias,
            NDArray rows,
            boolean training) {
        long d = x.getShape().get(2);
        NDArray out = weighted(ps, x, keyBias, relBias, training).reshape(-1, d).get(rows);
        return project(ps, out, training);
    }

    /**
     * The output projection; inside an {@link Autocast} scope it leaves half precision (the
     * residual addition promotes it).
     */
    private NDArray project(ParameterStore ps, NDArray out, boolean training) {
        return Autocast.current() != null
                ? proj.forwardHalf(ps, out, training)
                : proj.forward(ps, out, training);
    }

    /** The bias of the fused projection: {@code q_bias}, zeros for k, {@code v_bias}: (3D). */
    private NDArray qkvBias(ParameterStore ps, NDArray x, boolean training) {
        NDArray qb = value(ps, qBias, x, training);
        NDArray vb = value(ps, vBias, x, training);
        NDArray zero = x.getManager().zeros(qb.getShape(), qb.getDataType(), qb.getDevice());
        return local(NDArrays.concat(new NDList(qb, zero, vb)), x);
    }

    /**
     * The attention probabilities (B, H, Q, N) of queries (B, H, Q, d) against keys (B, H, N, d):
     * scaled logits in fp32 (as the reference computes them, also under autocast) plus the relative
     * bias (H, Q, N) and the key-padding bias, softmax, handed to {@code probe} if any, then in the
     * input's type.
     */
    private NDArray probabilities(
            NDArray q,
            NDArray k,
            NDArray keyBias,
            NDArray relBias,
            DataType type,
            Consumer<NDArray> probe) {
        q = q.mul(Engines.scalar(q, scale));
        if (type != DataType.FLOAT32) {
            q = q.toType(DataType.FLOAT32, false);
            k = k.toType(DataType.FLOAT32, false);
        }
        NDArray logits = q.matMul(k.transpose(0, 1, 3, 2));
        if (relBias != null) {
            logits = logits.add(relBias.expandDims(0));
        }
        if (keyBias != null) {
            logits = logits.add(keyBias);
        }
        NDArray attn = logits.softmax(-1);
        if (probe != null) {
            probe.accept(attn);
        }
        return type != DataType.FLOAT32 ? attn.toType(type, false) : attn;
    }

    /** The attention-weighted values before the output projection: (B, N, D). */
    private NDArray weighted(
            ParameterStore ps, NDArray x, NDArray keyBias, NDArray relBias, boolean training) {
        Shape s = x.getShape();
        long b = s.get(0);
        long n = s.get(1);
        long d = s.get(2);
        NDArray bias = qkvBias(ps, x, training);
        Autocast ac = Autocast.current();
        // under autocast: half, and only q and k come back to fp32 (v stays half for its product)
        NDArray all = qkv.forwardWithBiasHalf(ps, x, bias, training); // (B, N, 3D)
        all = all.reshape(b, n, 3, heads, d / heads).transpose(2, 0, 3, 1, 4); // (3, B, H, N, d)
        // split rather than three selects: the backward pass concatenates the three gradients
        // instead of filling three zero tensors of the whole (3, B, H, N, d) and adding them
        NDList qkvParts = all.split(3, 0);
        NDArray q = qkvParts.get(0).squeeze(0);
        NDArray k = qkvParts.get(1).squeeze(0);
        NDArray v = qkvParts.get(2).squeeze(0);
        if (ac != null) {
            q = ac.full(q);
            k = ac.full(k);
        }
        NDArray attn = probabilities(q, k, keyBias, relBias, x.getDataType(), probe);
        if (ac != null) {
            // half from here to the projection's output; the residual addition promotes it
            return ac.half(attn).matMul(ac.half(v)).transpose(0, 2, 1, 3).reshape(b, n, d);
        }
        return attn.matMul(v).transpose(0, 2, 1, 3).reshape(b, n, d); // (B, N, D)
    }
}
