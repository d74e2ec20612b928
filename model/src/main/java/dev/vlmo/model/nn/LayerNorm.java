package dev.vlmo.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.ConstantInitializer;
import ai.djl.util.PairList;

/** Layer normalisation over the last axis, with PyTorch's names {@code weight} and {@code bias}. */
public final class LayerNorm extends Module {

    private final Parameter weight;
    private final Parameter bias;
    private final Shape normalized;
    private final float eps;

    /**
     * Creates a layer norm with weight 1 and bias 0.
     *
     * @param dim the size of the last axis
     * @param eps the variance epsilon (1e-6 in the transformer, 1e-12 in BERT parts, 1e-5 in
     *     classifier heads)
     */
    public LayerNorm(int dim, float eps) {
        this.normalized = new Shape(dim);
        this.eps = eps;
        this.weight =
                param("weight", Parameter.Type.GAMMA, normalized, new ConstantInitializer(1f));
        this.bias = param("bias", Parameter.Type.BETA, normalized, new ConstantInitializer(0f));
    }

    /**
     * Normalises the last axis.
     *
     * @param ps the parameter store
     * @param x input, shape (..., dim)
     * @param training whether this is a training pass
     * @return output, same shape
     */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        return ai.djl.nn.norm.LayerNorm.layerNorm(
                        x,
                        normalized,
                        value(ps, weight, x, training),
                        value(ps, bias, x, training),
                        eps)
                .singletonOrThrow();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow(), training));
    }
}
