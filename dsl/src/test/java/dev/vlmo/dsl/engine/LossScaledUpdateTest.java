package dev.vlmo.dsl.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.vlmo.model.Engines;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The optimizer step given gradients of a loss multiplied by S (fp16 loss scaling) and told S
 * equals the step given the unscaled gradients: the same norm, the same clipping, the same weights
 * and moments (checked over two steps).
 */
class LossScaledUpdateTest {

    private static final float[] W0 = {0.5f, -1.25f, 2f, 0.125f, -0.75f, 1f};
    private static final float[][] G = {
        {0.3f, -2.1f, 4.2f, 0.05f, -1.7f, 0.9f}, {-0.4f, 1.2f, 3.3f, -0.6f, 0.2f, -2.5f}
    };

    private static Parameter parameter(NDManager m) {
        Parameter p = Parameter.builder().setName("w").setType(Parameter.Type.WEIGHT).build();
        NDArray a = m.create(W0);
        a.setRequiresGradient(true);
        p.setArray(a);
        return p;
    }

    /** One update with the gradient {@code g} scaled by {@code lossScale}, as the loss was. */
    private static double step(
            Parameter p, AdamW opt, float[] g, double lossScale, double clip, NDManager m) {
        float[] scaled = new float[g.length];
        for (int i = 0; i < g.length; i++) {
            scaled[i] = (float) (g[i] * lossScale);
        }
        return Trainer.update(
                Map.of("w", p),
                Map.of("w", m.create(scaled)),
                Map.of("w", 0.05),
                Map.of(),
                opt,
                1e-2,
                clip,
                lossScale,
                m);
    }

    @Test
    void aLossScaleIsDividedOutBeforeClippingAndTheUpdate() {
        double s = 65536;
        for (double clip : new double[] {0, 1.0}) {
            try (NDManager m = Engines.newManager("PyTorch")) {
                Parameter plain = parameter(m);
                Parameter scaled = parameter(m);
                AdamW a = new AdamW(0.9, 0.98, 1e-8);
                AdamW b = new AdamW(0.9, 0.98, 1e-8);
                for (float[] g : G) {
                    double na = step(plain, a, g, 1, clip, m);
                    double nb = step(scaled, b, g, s, clip, m);
                    assertEquals(na, nb, 1e-6 * na, "the reported norm is the unscaled one");
                    assertTrue(clip == 0 || na > clip, "the clipping case clips");
                }
                float[] x = plain.getArray().toFloatArray();
                float[] y = scaled.getArray().toFloatArray();
                assertArrayEquals(x, y, 1e-6f, "clip " + clip);
                assertTrue(Math.abs(x[2] - W0[2]) > 1e-3, "the weights moved");
            }
        }
    }
}
