package dev.vlmo.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.ConstantInitializer;

/** The task heads of VLMo, each named as in the reference. */
public final class Heads {

    private Heads() {}

    /** {@code pooler}: dense + tanh on the first token. */
    public static final class Pooler extends Module {
        private final Linear dense;

        /**
         * Creates the pooler.
         *
         * @param dim the width D
         */
        public Pooler(int dim) {
            dense = child("dense", new Linear(dim, dim, true));
        }

        /**
         * Pools a sequence.
         *
         * @param ps the parameter store
         * @param x (B, N, D)
         * @param training whether this is a training pass
         * @return (B, D)
         */
        public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
            return dense.forward(ps, x.get(new NDIndex(":, 0")), training).tanh();
        }
    }

    /** A head that is a single linear layer named {@code fc} (ITC projections, ITM). */
    public static final class Fc extends Module {
        private final Linear fc;

        /**
         * Creates the head.
         *
         * @param in input width
         * @param out output width
         * @param bias whether the layer has a bias
         */
        public Fc(int in, int out, boolean bias) {
            fc = child("fc", new Linear(in, out, bias));
        }

        /**
         * Applies the head.
         *
         * @param ps the parameter store
         * @param x (..., in)
         * @param training whether this is a training pass
         * @return (..., out)
         */
        public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
            return fc.forward(ps, x, training);
        }
    }

    /**
     * {@code mlm_score}: BERT's prediction head, {@code transform} (dense, GELU, LayerNorm 1e-12),
     * then {@code decoder} (no bias, not tied to the word embeddings) plus its own {@code bias}.
     */
    public static final class Mlm extends Module {
        private final Transform transform;
        private final Linear decoder;
        private final Parameter bias;

        /**
         * Creates the head.
         *
         * @param dim the width D
         * @param vocab the vocabulary size
         */
        public Mlm(int dim, int vocab) {
            transform = child("transform", new Transform(dim));
            decoder = child("decoder", new Linear(dim, vocab, false));
            bias = param("bias", Parameter.Type.BIAS, new Shape(vocab), new ConstantInitializer(0));
        }

        /**
         * Scores every vocabulary token at every position.
         *
         * @param ps the parameter store
         * @param x (B, T, D)
         * @param training whether this is a training pass
         * @return (B, T, V)
         */
        public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
            NDArray y = decoder.forward(ps, transform.forward(ps, x, training), training);
            return y.add(value(ps, bias, y, training));
        }

        /** BERT's {@code BertPredictionHeadTransform}. */
        static final class Transform extends Module {
            private final Linear dense;
            private final LayerNorm norm;

            Transform(int dim) {
                dense = child("dense", new Linear(dim, dim, true));
                norm = child("LayerNorm", new LayerNorm(dim, 1e-12f));
            }

            NDArray forward(ParameterStore ps, NDArray x, boolean training) {
                return norm.forward(ps, Activation.gelu(dense.forward(ps, x, training)), training);
            }
        }
    }

    /**
     * A classifier as the reference's {@code nn.Sequential(Linear, LayerNorm, GELU, Linear)}, its
     * layers named {@code 0}, {@code 1} and {@code 3} (VQA and NLVR2 heads).
     */
    public static final class Classifier extends Module {
        private final Linear first;
        private final LayerNorm norm;
        private final Linear last;

        /**
         * Creates the classifier.
         *
         * @param in input width
         * @param hidden inner width
         * @param classes number of outputs
         */
        public Classifier(int in, int hidden, int classes) {
            first = child("0", new Linear(in, hidden, true));
            norm = child("1", new LayerNorm(hidden, 1e-5f));
            last = child("3", new Linear(hidden, classes, true));
        }

        /**
         * Classifies.
         *
         * @param ps the parameter store
         * @param x (B, in)
         * @param training whether this is a training pass
         * @return (B, classes) logits
         */
        public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
            NDArray h = norm.forward(ps, first.forward(ps, x, training), training);
            return last.forward(ps, Activation.gelu(h), training);
        }
    }
}
