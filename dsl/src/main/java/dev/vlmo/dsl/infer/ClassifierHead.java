package dev.vlmo.dsl.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.vlmo.model.nn.LayerNorm;
import dev.vlmo.model.nn.Linear;
import dev.vlmo.model.nn.Module;

/**
 * The image classification head on the vision expert's output, as BEiT fine-tunes it: the patch
 * tokens (without [CLS]) averaged, a LayerNorm ({@code fc_norm}) and a linear layer ({@code head}).
 * Its parameters are named {@code classifier.fc_norm.*} and {@code classifier.head.*}.
 */
public final class ClassifierHead extends Module {

    /** The prefix of this head's parameters next to the model's. */
    public static final String PREFIX = "classifier.";

    private final LayerNorm norm;
    private final Linear head;
    private final int classes;

    /**
     * Creates a head.
     *
     * @param dim the model's hidden size
     * @param classes the number of classes, at least 2
     */
    public ClassifierHead(int dim, int classes) {
        if (classes < 2) {
            throw new IllegalArgumentException(
                    "a classifier needs at least 2 classes, got " + classes);
        }
        this.classes = classes;
        this.norm = child("fc_norm", new LayerNorm(dim, 1e-6f));
        this.head = child("head", new Linear(dim, classes, true));
    }

    /**
     * Allocates the head's parameters.
     *
     * @param manager the manager that owns them (the model's)
     * @return this head
     */
    public ClassifierHead initialize(NDManager manager) {
        initialize(manager, DataType.FLOAT32, new Shape(1));
        return this;
    }

    /**
     * Returns the number of classes.
     *
     * @return classes
     */
    public int classes() {
        return classes;
    }

    /**
     * Scores the classes of images.
     *
     * @param ps the parameter store
     * @param imageHidden (B, N, D) from the model's image encoding
     * @param training whether this is a training pass
     * @return (B, classes) logits
     */
    public NDArray forward(ParameterStore ps, NDArray imageHidden, boolean training) {
        NDArray pooled = imageHidden.get(new NDIndex(":, 1:")).mean(new int[] {1});
        return head.forward(ps, norm.forward(ps, pooled, training), training);
    }
}
