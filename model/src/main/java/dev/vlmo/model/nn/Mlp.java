package dev.vlmo.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import ai.djl.training.ParameterStore;

/** A feed-forward expert: {@code fc2(gelu(fc1(x)))}, hidden width D * mlpRatio. */
public final class Mlp extends Module {

    private final Linear fc1;
    private final Linear fc2;

    /**
     * Creates an expert.
     *
     * @param dim the model width D
     * @param hidden the expert's inner width
     */
    public Mlp(int dim, int hidden) {
        fc1 = child("fc1", new Linear(dim, hidden, true));
        fc2 = child("fc2", new Linear(hidden, dim, true));
    }

    /**
     * Applies the expert.
     *
     * @param ps the parameter store
     * @param x input (B, T, D)
     * @param training whether this is a training pass
     * @return output (B, T, D); in half precision inside an {@link Autocast} scope
     */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        // inside an autocast scope everything after the input stays in half precision, as in
        // torch; the residual addition promotes the output
        return fc2.forwardHalf(ps, Activation.gelu(fc1.forwardHalf(ps, x, training)), training);
    }
}
