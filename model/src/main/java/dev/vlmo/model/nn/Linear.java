package dev.vlmo.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.ConstantInitializer;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;

/**
 * A fully connected layer {@code y = x W^T + b} with PyTorch's names {@code weight} and {@code
 * bias}. Inside an {@link Autocast} scope the product runs in half precision and the result comes
 * back in fp32.
 */
public final class Linear extends Module {

    private final Parameter weight;
    private final Parameter bias;
    private final int in;
    private final int out;

    /**
     * Creates a layer initialised as the reference does (weights normal with std 0.02, bias 0).
     *
     * @param in input features
     * @param out output features
     * @param withBias whether the layer has a bias
     */
    public Linear(int in, int out, boolean withBias) {
        this.in = in;
        this.out = out;
        this.weight =
                param(
                        "weight",
                        Parameter.Type.WEIGHT,
                        new Shape(out, in),
                        new NormalInitializer(0.02f));
        this.bias =
                withBias
                        ? param(
                                "bias",
                                Parameter.Type.BIAS,
                                new Shape(out),
                                new ConstantInitializer(0f))
                        : null;
    }

    /**
     * Applies the layer to the last axis.
     *
     * @param ps the parameter store
     * @param x input, shape (..., in)
     * @param training whether this is a training pass
     * @return output, shape (..., out)
     */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        return apply(ps, x, null, false, training);
    }

    /**
     * Applies the layer and, inside an {@link Autocast} scope, leaves the result in half precision
     * for a next layer that takes it as it is (as {@code torch.autocast} leaves a product's
     * output); outside a scope this is {@link #forward}.
     *
     * @param ps the parameter store
     * @param x input, shape (..., in), fp32 or already half
     * @param training whether this is a training pass
     * @return output, shape (..., out), half precision inside a scope
     */
    public NDArray forwardHalf(ParameterStore ps, NDArray x, boolean training) {
        return apply(ps, x, null, true, training);
    }

    /**
     * Applies the layer with an explicit bias in place of the layer's own.
     *
     * @param ps the parameter store
     * @param x input, shape (..., in)
     * @param explicitBias the bias to add, shape (out)
     * @param training whether this is a training pass
     * @return output, shape (..., out)
     */
    public NDArray forwardWithBias(
            ParameterStore ps, NDArray x, NDArray explicitBias, boolean training) {
        return apply(ps, x, explicitBias, false, training);
    }

    /**
     * {@link #forwardWithBias}, leaving the result in half precision inside an {@link Autocast}
     * scope (see {@link #forwardHalf}).
     *
     * @param ps the parameter store
     * @param x input, shape (..., in), fp32 or already half
     * @param explicitBias the bias to add, shape (out)
     * @param training whether this is a training pass
     * @return output, shape (..., out), half precision inside a scope
     */
    public NDArray forwardWithBiasHalf(
            ParameterStore ps, NDArray x, NDArray explicitBias, boolean training) {
        return apply(ps, x, explicitBias, true, training);
    }

    /**
     * Applies output rows {@code [from, to)} of the layer with an explicit bias, outside autocast:
     * {@code x W[from:to]^T + bias} (passes that need part of a fused projection).
     *
     * @param ps the parameter store
     * @param x input, shape (..., in)
     * @param explicitBias the bias to add, shape (to - from)
     * @param from the first output row
     * @param to one past the last output row
     * @param training whether this is a training pass
     * @return output, shape (..., to - from)
     */
    public NDArray forwardRows(
            ParameterStore ps,
            NDArray x,
            NDArray explicitBias,
            long from,
            long to,
            boolean training) {
        // the slice would otherwise belong to the parameter's manager and live as long as it
        NDArray w = local(value(ps, weight, x, training).get(new NDIndex("{}:{}", from, to)), x);
        return ai.djl.nn.core.Linear.linear(x, w, explicitBias).singletonOrThrow();
    }

    /**
     * {@code x W^T + b} with the layer's bias or {@code explicitBias}; inside an autocast scope on
     * half copies (the layer's own parameters cached for the scope), the result converted back to
     * fp32 unless {@code keepHalf}.
     */
    private NDArray apply(
            ParameterStore ps,
            NDArray x,
            NDArray explicitBias,
            boolean keepHalf,
            boolean training) {
        NDArray w = value(ps, weight, x, training);
        NDArray b =
                explicitBias != null
                        ? explicitBias
                        : bias == null ? null : value(ps, bias, x, training);
        Autocast ac = Autocast.current();
        if (ac == null) {
            return ai.djl.nn.core.Linear.linear(x, w, b).singletonOrThrow();
        }
        NDArray hb = b == null ? null : b == explicitBias ? ac.half(b) : ac.halfWeight(b);
        NDArray y =
                ai.djl.nn.core.Linear.linear(ac.half(x), ac.halfWeight(w), hb).singletonOrThrow();
        return keepHalf ? y : ac.full(y);
    }

    /**
     * Returns the number of input features.
     *
     * @return input features
     */
    public int inFeatures() {
        return in;
    }

    /**
     * Returns the number of output features.
     *
     * @return output features
     */
    public int outFeatures() {
        return out;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow(), training));
    }
}
