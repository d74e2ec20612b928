package dev.vlmo.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.vlmo.model.GradientsIgnoreGarbageCollectionTest.Inputs;
import dev.vlmo.model.nn.Autocast;
import dev.vlmo.model.nn.Linear;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Mixed precision: inside an {@link Autocast} scope the model's matrix products run in fp16 or
 * bf16, gradients still reach every fp32 parameter, and the losses and gradients stay close to
 * fp32's without being equal to them (which would mean nothing ran in half precision).
 */
class AutocastTest {

    private static NDManager pytorch() {
        return Engines.newManager("PyTorch");
    }

    /** Loss and every parameter's gradient of all objectives, in fp32 or under autocast. */
    private static Map<String, float[]> lossAndGradients(
            NDManager m, VlmoModel model, Inputs in, DataType half) {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (NDManager step = m.newSubManager();
                GradientCollector gc = m.getEngine().newGradientCollector()) {
            NDArray loss;
            if (half == null) {
                loss =
                        GradientsIgnoreGarbageCollectionTest.allObjectives(
                                model, new ParameterStore(step, false), in);
            } else {
                try (Autocast ac = Autocast.enable(step, half)) {
                    loss =
                            GradientsIgnoreGarbageCollectionTest.allObjectives(
                                    model, new ParameterStore(step, false), in);
                    assertTrue(ac.casts() > 50, "casts: " + ac.casts());
                }
                assertNull(Autocast.current());
            }
            assertEquals(DataType.FLOAT32, loss.getDataType());
            out.put("loss", new float[] {loss.getFloat()});
            gc.backward(loss);
        }
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            NDArray p = e.getValue().getArray();
            assertEquals(DataType.FLOAT32, p.getDataType(), e.getKey() + " stays an fp32 master");
            NDArray g = p.getGradient();
            out.put(e.getKey(), g.toFloatArray());
            g.subi(g);
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"FLOAT16", "BFLOAT16"})
    void lossAndGradientsFollowFp32(String type) {
        DataType half = DataType.valueOf(type);
        // fp16 keeps 11 significant bits, bf16 8; observed: loss 2e-5 / 8e-4 relative, gradients
        // 0.12% / 1.3% in L2; asserted with about 4x margin
        double lossTol = half == DataType.FLOAT16 ? 1e-4 : 3e-3;
        double gradTol = half == DataType.FLOAT16 ? 5e-3 : 5e-2;
        try (NDManager m = pytorch()) {
            VlmoModel model = TestSupport.tinyModel(m, GradientsIgnoreGarbageCollectionTest.C, 7);
            model.setDropPath(0);
            for (Parameter p : model.namedParameters().values()) {
                p.getArray().setRequiresGradient(true);
            }
            Inputs in = Inputs.make(m);
            Map<String, float[]> full = lossAndGradients(m, model, in, null);
            Map<String, float[]> mixed = lossAndGradients(m, model, in, half);
            float l32 = full.get("loss")[0];
            float l16 = mixed.get("loss")[0];
            assertNotEquals(l32, l16, "the autocast pass ran in fp32");
            assertEquals(l32, l16, lossTol * Math.abs(l32), "loss " + type);
            double diff = 0;
            double norm = 0;
            int reached = 0;
            for (String name : full.keySet()) {
                if (name.equals("loss")) {
                    continue;
                }
                float[] a = full.get(name);
                float[] b = mixed.get(name);
                double na = 0;
                double nb = 0;
                for (int i = 0; i < a.length; i++) {
                    assertTrue(Float.isFinite(b[i]), name + "[" + i + "] is " + b[i]);
                    diff += (a[i] - b[i]) * (double) (a[i] - b[i]);
                    norm += a[i] * (double) a[i];
                    na += a[i] * (double) a[i];
                    nb += b[i] * (double) b[i];
                }
                // a parameter the fp32 loss reaches is reached through the casts too
                if (na > 0) {
                    assertTrue(nb > 0, name + " gets no gradient under autocast");
                    reached++;
                }
            }
            double rel = Math.sqrt(diff / norm);
            assertTrue(reached > 50, "parameters reached: " + reached);
            assertTrue(rel > 0, "gradients equal fp32's: nothing ran in " + type);
            assertTrue(rel < gradTol, "gradients of " + type + " are off by " + rel);
        }
    }

    /** A linear layer with a bias, initialised after seeding the engine. */
    private static Linear linear(NDManager m, int seed, int in, int out) {
        m.getEngine().setRandomSeed(seed);
        Linear layer = new Linear(in, out, true);
        layer.initialize(m, DataType.FLOAT32, new Shape(1, in));
        return layer;
    }

    @Test
    void aLinearLayerMultipliesHalfPrecisionCopiesAndAnswersInFp32() {
        try (NDManager m = pytorch()) {
            Linear layer = linear(m, 3, 48, 16);
            NDArray x = m.randomNormal(0f, 1f, new Shape(5, 48), DataType.FLOAT32);
            NDArray w = layer.getParameters().get("weight").getArray();
            NDArray b = layer.getParameters().get("bias").getArray();
            b.addi(m.randomNormal(0f, 0.5f, b.getShape(), DataType.FLOAT32));
            float[] y;
            int casts;
            try (NDManager step = m.newSubManager();
                    Autocast ac = Autocast.enable(step, DataType.FLOAT16)) {
                NDArray out = layer.forward(new ParameterStore(step, false), x, false);
                assertEquals(DataType.FLOAT32, out.getDataType());
                assertEquals(new Shape(5, 16), out.getShape());
                y = out.toFloatArray();
                layer.forward(new ParameterStore(step, false), x, false);
                casts = ac.casts();
            }
            // x and the result per call, weight and bias once per scope
            assertEquals(2 * 2 + 2, casts);
            // independent reference: fp16-rounded operands, product and sum in double, result
            // rounded to fp16
            float[] xh =
                    x.toType(DataType.FLOAT16, false)
                            .toType(DataType.FLOAT32, false)
                            .toFloatArray();
            float[] wh =
                    w.toType(DataType.FLOAT16, false)
                            .toType(DataType.FLOAT32, false)
                            .toFloatArray();
            float[] bh =
                    b.toType(DataType.FLOAT16, false)
                            .toType(DataType.FLOAT32, false)
                            .toFloatArray();
            float[] y32 = layer.forward(new ParameterStore(m, false), x, false).toFloatArray();
            int differ = 0;
            for (int r = 0; r < 5; r++) {
                for (int o = 0; o < 16; o++) {
                    double s = bh[o];
                    for (int i = 0; i < 48; i++) {
                        s += xh[r * 48 + i] * (double) wh[o * 48 + i];
                    }
                    float got = y[r * 16 + o];
                    // one fp16 rounding of the result (2^-11 relative) plus accumulation
                    assertEquals(s, got, Math.abs(s) * 1.5e-3 + 1e-4, "y[" + r + "," + o + "]");
                    if (got != y32[r * 16 + o]) {
                        differ++;
                    }
                }
            }
            assertTrue(differ > 40, "only " + differ + " of 80 outputs differ from fp32");
        }
    }

    @Test
    void gradientsPassTheCastsToTheFp32Weights() {
        try (NDManager m = pytorch()) {
            Linear layer = linear(m, 5, 8, 4);
            NDArray w = layer.getParameters().get("weight").getArray();
            NDArray b = layer.getParameters().get("bias").getArray();
            w.setRequiresGradient(true);
            b.setRequiresGradient(true);
            NDArray x = m.randomNormal(0f, 1f, new Shape(3, 8), DataType.FLOAT32);
            try (NDManager step = m.newSubManager();
                    GradientCollector gc = m.getEngine().newGradientCollector()) {
                NDArray y;
                try (Autocast ac = Autocast.enable(step, DataType.BFLOAT16)) {
                    y = layer.forward(new ParameterStore(step, false), x, true);
                }
                gc.backward(y.sum());
            }
            // d sum(x W^T + b) / dW[o, i] = sum over rows of x[:, i] (bf16-rounded), / db = 3
            float[] xh = x.toFloatArray();
            float[] gw = w.getGradient().toFloatArray();
            for (int o = 0; o < 4; o++) {
                for (int i = 0; i < 8; i++) {
                    double s = xh[i] + xh[8 + i] + (double) xh[16 + i];
                    assertEquals(s, gw[o * 8 + i], 0.02 * Math.abs(s) + 0.02, "dW");
                }
            }
            for (float g : b.getGradient().toFloatArray()) {
                assertEquals(3f, g, 0f);
            }
            assertEquals(DataType.FLOAT32, w.getGradient().getDataType());
        }
    }

    @Test
    void scopesNestAndCloseBackToFp32() {
        try (NDManager m = pytorch()) {
            Linear layer = linear(m, 9, 8, 4);
            NDArray x = m.randomNormal(0f, 1f, new Shape(2, 8), DataType.FLOAT32);
            float[] before = layer.forward(new ParameterStore(m, false), x, false).toFloatArray();
            try (NDManager step = m.newSubManager();
                    Autocast outer = Autocast.enable(step, DataType.FLOAT16)) {
                try (Autocast inner = Autocast.enable(step, DataType.BFLOAT16)) {
                    assertSame(inner, Autocast.current());
                }
                assertSame(outer, Autocast.current());
                outer.close();
                assertNull(Autocast.current());
                assertThrows(IllegalStateException.class, () -> outer.half(x));
            }
            float[] after = layer.forward(new ParameterStore(m, false), x, false).toFloatArray();
            assertEquals(java.util.Arrays.toString(before), java.util.Arrays.toString(after));
        }
    }

    @Test
    void otherTypesAndEnginesAreRefusedNamingTheFix() {
        try (NDManager m = pytorch()) {
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> Autocast.enable(m, DataType.FLOAT32));
            assertTrue(e.getMessage().contains("float16 or bfloat16"), e.getMessage());
        }
        try (NDManager mx = Engines.newManager("MXNet")) {
            IllegalStateException e =
                    assertThrows(
                            IllegalStateException.class,
                            () -> Autocast.enable(mx, DataType.FLOAT16));
            assertTrue(e.getMessage().contains("PyTorch engine or FP32"), e.getMessage());
            assertNull(Autocast.current());
        }
    }
}
