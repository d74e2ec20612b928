package dev.vlmo.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.UniformInitializer;

/**
 * Cuts an image into P x P patches and projects each to D by a strided convolution ({@code proj}).
 */
public final class PatchEmbed extends Module {

    private final Projection proj;

    /**
     * Creates the patch embedding.
     *
     * @param patch the patch side P
     * @param dim the width D
     */
    public PatchEmbed(int patch, int dim) {
        proj = child("proj", new Projection(patch, dim));
    }

    /**
     * Embeds patches.
     *
     * @param ps the parameter store
     * @param images (B, 3, S, S)
     * @param training whether this is a training pass
     * @return (B, (S/P)^2, D), patches in row-major order
     */
    public NDArray forward(ParameterStore ps, NDArray images, boolean training) {
        NDArray y = proj.forward(ps, images, training); // (B, D, S/P, S/P)
        Shape s = y.getShape();
        return y.reshape(s.get(0), s.get(1), -1).transpose(0, 2, 1);
    }

    /** The convolution itself, holding {@code weight} (D, 3, P, P) and {@code bias} (D). */
    static final class Projection extends Module {
        private final Parameter weight;
        private final Parameter bias;
        private final Shape stride;

        Projection(int patch, int dim) {
            // PyTorch's default Conv2d initialisation: uniform in +-1/sqrt(fan_in).
            float bound = (float) (1.0 / Math.sqrt(3.0 * patch * patch));
            this.stride = new Shape(patch, patch);
            weight =
                    param(
                            "weight",
                            Parameter.Type.WEIGHT,
                            new Shape(dim, 3, patch, patch),
                            new UniformInitializer(bound));
            bias =
                    param(
                            "bias",
                            Parameter.Type.BIAS,
                            new Shape(dim),
                            new UniformInitializer(bound));
        }

        NDArray forward(ParameterStore ps, NDArray images, boolean training) {
            return Conv2d.conv2d(
                            images,
                            value(ps, weight, images, training),
                            value(ps, bias, images, training),
                            stride)
                    .singletonOrThrow();
        }
    }
}
