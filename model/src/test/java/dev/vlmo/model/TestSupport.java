package dev.vlmo.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

/** Shared fixtures: the engine under test (system property {@code vlmo.engine}) and inputs. */
final class TestSupport {

    private TestSupport() {}

    static NDManager manager() {
        return Engines.newManager(null);
    }

    static ParameterStore store(NDManager m) {
        return new ParameterStore(m, false);
    }

    static VlmoModel tinyModel(NDManager m, VlmoConfig c, long seed) {
        m.getEngine().setRandomSeed((int) seed);
        VlmoModel model = new VlmoModel(c);
        model.initialize(m);
        // Give zero-initialised tensors (biases, relative table) values so they matter.
        for (var p : model.namedParameters().values()) {
            NDArray a = p.getArray();
            if (a.getShape().dimension() > 0) {
                a.addi(m.randomNormal(0f, 0.05f, a.getShape(), DataType.FLOAT32));
            }
        }
        return model;
    }

    static NDArray images(NDManager m, VlmoConfig c, int b) {
        return m.randomNormal(
                0f, 1f, new Shape(b, 3, c.imageSize(), c.imageSize()), DataType.FLOAT32);
    }

    /** Token ids with [CLS]=2 first, [SEP]=3 after {@code lengths[i]-2} random tokens, then 0s. */
    static NDArray ids(NDManager m, VlmoConfig c, int[] lengths, int t, long seed) {
        java.util.Random r = new java.util.Random(seed);
        long[] out = new long[lengths.length * t];
        for (int b = 0; b < lengths.length; b++) {
            out[b * t] = 2;
            for (int i = 1; i < lengths[b] - 1; i++) {
                out[b * t + i] = 5 + r.nextInt(c.vocabSize() - 5);
            }
            out[b * t + lengths[b] - 1] = 3;
        }
        return m.create(out, new Shape(lengths.length, t));
    }

    static NDArray mask(NDManager m, int[] lengths, int t) {
        long[] out = new long[lengths.length * t];
        for (int b = 0; b < lengths.length; b++) {
            for (int i = 0; i < lengths[b]; i++) {
                out[b * t + i] = 1;
            }
        }
        return m.create(out, new Shape(lengths.length, t));
    }

    static float maxAbsDiff(NDArray a, NDArray b) {
        return a.sub(b).abs().max().getFloat();
    }
}
