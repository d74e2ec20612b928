package dev.vlmo.dsl.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.vlmo.model.Engines;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** AdamW against {@code torch.optim.AdamW}'s update computed by hand in double precision. */
class AdamWTest {

    private static final double B1 = 0.9;
    private static final double B2 = 0.98;
    private static final double EPS = 1e-8;

    private static final double[] W0 = {0.5, -1.25, 2.0, 0.03};
    private static final double[] C0 = {-0.7, 0.1, 1.5};
    private static final double[][] GW = {
        {0.1, -0.2, 0.3, 1e-3}, {-0.05, 0.4, 0.2, -2e-3}, {0.3, 0.3, -0.1, 0.0}
    };
    private static final double[][] GC = {{1.0, -0.5, 0.25}, {0.5, 0.5, -1.0}, {-2.0, 0.1, 0.0}};
    private static final double[] LR = {1e-2, 5e-3, 2e-3};

    /** torch.optim.AdamW's step for one tensor, in double precision. */
    private static void torchStep(
            double[] p, double[] m, double[] v, double[] g, double lr, double wd, int t) {
        double bc1 = 1 - Math.pow(B1, t);
        double bc2 = 1 - Math.pow(B2, t);
        for (int i = 0; i < p.length; i++) {
            p[i] *= 1 - lr * wd;
            m[i] = B1 * m[i] + (1 - B1) * g[i];
            v[i] = B2 * v[i] + (1 - B2) * g[i] * g[i];
            double denom = Math.sqrt(v[i]) / Math.sqrt(bc2) + EPS;
            p[i] -= lr / bc1 * m[i] / denom;
        }
    }

    private static float[] f(double[] a) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = (float) a[i];
        }
        return out;
    }

    private static void assertClose(double[] want, float[] got, String what) {
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-6 + 1e-5 * Math.abs(want[i]), what + "[" + i + "]");
        }
    }

    @ParameterizedTest(name = "native update {0}, gradient scale {1}")
    @CsvSource({"true, 1.0", "false, 1.0", "true, 0.25", "false, 0.25"})
    void threeStepsMatchTorchWithAndWithoutDecay(boolean nativeUpdate, double scale) {
        double wd = 0.1;
        double[] w = W0.clone();
        double[] c = C0.clone();
        double[] mw = new double[4];
        double[] vw = new double[4];
        double[] mc = new double[3];
        double[] vc = new double[3];
        try (NDManager m = Engines.newManager(null)) {
            NDArray pw = m.create(f(W0));
            NDArray pc = m.create(f(C0));
            AdamW opt = new AdamW(B1, B2, EPS).nativeUpdate(nativeUpdate);
            Map<String, NDArray> params = new LinkedHashMap<>();
            params.put("fc.weight", pw);
            params.put("norm.bias", pc);
            Map<String, Double> decays = Map.of("fc.weight", wd, "norm.bias", 0.0);
            for (int t = 0; t < 3; t++) {
                Map<String, NDArray> grads = new LinkedHashMap<>();
                grads.put("fc.weight", m.create(f(GW[t])));
                grads.put("norm.bias", m.create(f(GC[t])));
                opt.update(params, grads, decays, Map.of(), LR[t], scale);
                // torch.nn.utils.clip_grad_norm_ multiplies the gradients, then AdamW steps
                torchStep(w, mw, vw, scaled(GW[t], scale), LR[t], wd, t + 1);
                torchStep(c, mc, vc, scaled(GC[t], scale), LR[t], 0.0, t + 1);
                assertClose(w, pw.toFloatArray(), "decayed weight after step " + (t + 1));
                assertClose(c, pc.toFloatArray(), "undecayed bias after step " + (t + 1));
                assertArrayEquals(
                        f(GW[t]), grads.get("fc.weight").toFloatArray(), "the gradient is kept");
            }
            assertEquals(3, opt.step());
        }
        // the decay visibly acts: without it the weight ends elsewhere
        double[] w2 = W0.clone();
        double[] m2 = new double[4];
        double[] v2 = new double[4];
        for (int t = 0; t < 3; t++) {
            torchStep(w2, m2, v2, scaled(GW[t], scale), LR[t], 0.0, t + 1);
        }
        assertTrue(Math.abs(w2[2] - w[2]) > 1e-4, "decay of 0.1 on 2.0 over three steps");
    }

    @Test
    void theNativeAndTheArrayUpdateAgreeOnAParameterWithAGradient() {
        try (NDManager m = Engines.newManager(null)) {
            assertEquals("PyTorch", m.getEngine().getEngineName(), "the native update's engine");
            NDArray a = m.randomNormal(new Shape(64, 32));
            NDArray b = a.duplicate();
            NDArray start = a.duplicate();
            AdamW one = new AdamW(B1, B2, EPS);
            AdamW two = new AdamW(B1, B2, EPS).nativeUpdate(false);
            for (int t = 0; t < 5; t++) {
                NDArray g = m.randomNormal(new Shape(64, 32));
                one.update(Map.of("w", a), Map.of("w", g), Map.of("w", 0.05), Map.of(), 1e-2, 0.7);
                two.update(Map.of("w", b), Map.of("w", g), Map.of("w", 0.05), Map.of(), 1e-2, 0.7);
            }
            float diff = a.sub(b).abs().max().getFloat();
            assertTrue(diff < 1e-6f, "native and array updates differ by " + diff);
            assertTrue(a.sub(start).abs().max().getFloat() > 1e-3, "the parameter moved");
        }
    }

    @Test
    void onlyAnUpdateThatSaysSoHasClearedTheParametersGradient() {
        // the training step skips its own clearing when the update reports it cleared: a wrong
        // report would add this step's gradient into the next one
        for (boolean nativeUpdate : new boolean[] {true, false}) {
            try (NDManager m = Engines.newManager(null)) {
                NDArray w = m.randomNormal(new Shape(8, 4));
                w.setRequiresGradient(true);
                try (ai.djl.training.GradientCollector gc = m.getEngine().newGradientCollector()) {
                    gc.backward(w.mul(w).sum());
                }
                NDArray g = w.getGradient();
                assertTrue(g.abs().sum().getFloat() > 0, "backward left a gradient");
                boolean cleared =
                        new AdamW(B1, B2, EPS)
                                .nativeUpdate(nativeUpdate)
                                .update(
                                        Map.of("w", w),
                                        Map.of("w", g),
                                        Map.of(),
                                        Map.of(),
                                        1e-2,
                                        1.0);
                assertEquals(nativeUpdate, cleared, "native update " + nativeUpdate);
                float left = w.getGradient().abs().sum().getFloat();
                if (cleared) {
                    assertEquals(0f, left, "the gradient after an update that cleared it");
                } else {
                    assertTrue(left > 0, "the array update must leave the gradient alone");
                }
            }
        }
    }

    private static double[] scaled(double[] g, double s) {
        double[] out = new double[g.length];
        for (int i = 0; i < g.length; i++) {
            out[i] = g[i] * s;
        }
        return out;
    }

    @Test
    void anOptimizerSavedBeforeItsFirstUpdateLoads(@TempDir Path dir) throws Exception {
        // every step so far skipped (fp16 overflow, non-finite gradients): no moments yet
        try (NDManager m = Engines.newManager(null)) {
            Path file = dir.resolve("optimizer.bin");
            new AdamW(B1, B2, EPS).save(file);
            AdamW loaded = new AdamW(B1, B2, EPS);
            loaded.load(file, m);
            assertEquals(0, loaded.step());
            NDArray a = m.create(f(W0));
            NDArray b = m.create(f(W0));
            AdamW fresh = new AdamW(B1, B2, EPS);
            Map<String, Double> decays = Map.of("w", 0.05);
            loaded.update(Map.of("w", a), Map.of("w", m.create(f(GW[0]))), decays, LR[0]);
            fresh.update(Map.of("w", b), Map.of("w", m.create(f(GW[0]))), decays, LR[0]);
            assertArrayEquals(b.toFloatArray(), a.toFloatArray());
        }
    }

    @Test
    void aSavedOptimizerContinuesExactly(@TempDir Path dir) throws Exception {
        try (NDManager m = Engines.newManager(null)) {
            NDArray a = m.create(f(W0));
            NDArray b = m.create(f(W0));
            AdamW one = new AdamW(B1, B2, EPS);
            Map<String, Double> decays = Map.of("w", 0.05);
            for (int t = 0; t < 2; t++) {
                one.update(Map.of("w", a), Map.of("w", m.create(f(GW[t]))), decays, LR[t]);
            }
            Path file = dir.resolve("optimizer.bin");
            one.save(file);
            AdamW two = new AdamW(B1, B2, EPS);
            two.load(file, m);
            assertEquals(2, two.step());
            // b takes a's state: copy the parameter, then both take the same third step
            b.set(a.toFloatArray());
            one.update(Map.of("w", a), Map.of("w", m.create(f(GW[2]))), decays, LR[2]);
            two.update(Map.of("w", b), Map.of("w", m.create(f(GW[2]))), decays, LR[2]);
            assertArrayEquals(a.toFloatArray(), b.toFloatArray());
            // a fresh optimizer (no state) would have moved elsewhere
            NDArray c = m.create(f(W0));
            c.set(b.toFloatArray());
            AdamW fresh = new AdamW(B1, B2, EPS);
            NDArray before = c.duplicate();
            fresh.update(Map.of("w", c), Map.of("w", m.create(f(GW[2]))), decays, LR[2]);
            assertTrue(c.sub(before).abs().max().getFloat() > 0);
        }
    }

    @Test
    void noDecayForNormsBiasesScalesTokensAndTables() {
        String[] none = {
            "transformer.blocks.0.norm1.weight",
            "transformer.blocks.0.norm2_imag.weight",
            "transformer.blocks.0.norm2_text.bias",
            "transformer.blocks.1.norm2_vl.weight",
            "transformer.norm.weight",
            "text_embeddings.LayerNorm.weight",
            "transformer.blocks.0.attn.q_bias",
            "transformer.blocks.0.attn.proj.bias",
            "transformer.blocks.0.gamma_1",
            "transformer.cls_token",
            "mim_mask_token",
            "relative_position_bias_table",
            "logit_scale",
            "logit_vl_scale",
            "text_embeddings.position_embeddings.weight",
            "token_type_embeddings.weight",
        };
        String[] decayed = {
            "transformer.blocks.0.attn.qkv.weight",
            "transformer.blocks.0.mlp_imag.fc1.weight",
            "transformer.patch_embed.proj.weight",
            "itc_text_proj.fc.weight",
            "mlm_score.decoder.weight",
            "itm_score.fc.weight",
        };
        dev.vlmo.model.VlmoModel model =
                new dev.vlmo.model.VlmoModel(
                        dev.vlmo.model.VlmoConfig.tiny().withLayers(2).withMimTargets(4));
        Map<String, Parameter> params = model.namedParameters();
        for (String n : none) {
            Parameter p = params.get(n);
            assertTrue(p != null, "no parameter " + n);
            assertTrue(!Trainer.decays(n, p), n + " is decayed");
        }
        for (String n : decayed) {
            assertTrue(Trainer.decays(n, params.get(n)), n + " is not decayed");
        }
        assertEquals(new Shape(1, 1, 64), params.get("mim_mask_token").getShape());
    }

    // ------------------------------------------------------------------ grouped updates

    private static final String[] NAMES = {"a.weight", "a.bias", "b.weight", "head.weight", "norm"};
    private static final Shape[] SHAPES = {
        new Shape(6, 4), new Shape(6), new Shape(3, 2, 2), new Shape(5, 3), new Shape(7)
    };

    /** Parameters with the same seeded values in every call, gradients on, in {@code m}. */
    private static Map<String, Parameter> parameters(NDManager m) {
        return parameters(m, NAMES, SHAPES);
    }

    private static Map<String, Parameter> parameters(NDManager m, String[] names, Shape[] shapes) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        java.util.Random r = new java.util.Random(3);
        for (int i = 0; i < names.length; i++) {
            float[] v = new float[(int) shapes[i].size()];
            for (int j = 0; j < v.length; j++) {
                v[j] = (float) r.nextGaussian();
            }
            Shape shape = shapes[i];
            Parameter p =
                    Parameter.builder()
                            .setName(names[i])
                            .setType(Parameter.Type.WEIGHT)
                            .optShape(shape)
                            .optInitializer((mm, s, t) -> mm.create(v, shape))
                            .build();
            p.initialize(m, ai.djl.ndarray.types.DataType.FLOAT32);
            out.put(names[i], p);
        }
        return out;
    }

    private static Map<String, NDArray> gradients(NDManager m, int step) {
        return gradients(m, step, NAMES, SHAPES);
    }

    private static Map<String, NDArray> gradients(
            NDManager m, int step, String[] names, Shape[] shapes) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        java.util.Random r = new java.util.Random(100 + step);
        for (int i = 0; i < names.length; i++) {
            float[] v = new float[(int) shapes[i].size()];
            for (int j = 0; j < v.length; j++) {
                v[j] = (float) r.nextGaussian();
            }
            out.put(names[i], m.create(v, shapes[i]));
        }
        return out;
    }

    private static final Map<String, Double> DECAYS =
            Map.of("a.weight", 0.05, "b.weight", 0.05, "head.weight", 0.05);
    private static final Map<String, Double> SCALES = Map.of("head.weight", 10.0);

    private static void assertSameValues(
            Map<String, Parameter> want, Map<String, Parameter> got, String when) {
        for (String n : want.keySet()) {
            float[] w = want.get(n).getArray().toFloatArray();
            float[] g = got.get(n).getArray().toFloatArray();
            for (int i = 0; i < w.length; i++) {
                assertEquals(w[i], g[i], 1e-6, n + "[" + i + "] " + when);
            }
        }
    }

    @ParameterizedTest(name = "group limit {0}")
    @CsvSource({"16777216", "20"})
    void theGroupedUpdateEqualsTheUpdateParameterByParameter(long limit) {
        try (NDManager m = Engines.newManager(null)) {
            Map<String, Parameter> mine = parameters(m);
            Map<String, Parameter> ref = parameters(m);
            Map<String, NDArray> before = new LinkedHashMap<>();
            mine.forEach((n, p) -> before.put(n, p.getArray().duplicate()));
            NDArray originalArray = mine.get("a.weight").getArray();
            AdamW grouped = new AdamW(B1, B2, EPS).groupLimit(limit);
            AdamW single = new AdamW(B1, B2, EPS).grouped(false);
            assertTrue(grouped.bind(mine, DECAYS, SCALES), "PyTorch parameters are grouped");
            assertTrue(!single.bind(ref, DECAYS, SCALES), "grouping switched off");
            assertTrue(
                    !new AdamW(B1, B2, EPS).nativeUpdate(false).bind(ref, DECAYS, SCALES),
                    "array operations asked for: no native call, no groups");
            // decayed at 1x, undecayed, decayed at 10x: three groups; cut at 20 values the 24 of
            // a.weight and the 12 of b.weight part, a.bias and norm (6 + 7) stay together
            assertEquals(limit > 1000 ? 3 : 4, grouped.groupCount());
            assertTrue(mine.get("a.weight").getArray() != originalArray, "a view now");
            assertSameValues(ref, mine, "after grouping (values kept)");
            for (int t = 0; t < 4; t++) {
                double scale = t == 2 ? 0.3 : 1.0;
                assertTrue(grouped.bind(mine, DECAYS, SCALES));
                Map<String, NDArray> g = gradients(m, t);
                try (NDManager sm = m.newSubManager()) {
                    grouped.updateGrouped(grouped.gather(g, sm), 1e-2, scale);
                }
                Map<String, NDArray> refValues = new LinkedHashMap<>();
                ref.forEach((n, p) -> refValues.put(n, p.getArray()));
                single.update(refValues, gradients(m, t), DECAYS, SCALES, 1e-2, scale);
                assertSameValues(ref, mine, "after step " + (t + 1));
            }
            assertEquals(4, grouped.step());
            for (String n : NAMES) {
                float moved = mine.get(n).getArray().sub(before.get(n)).abs().max().getFloat();
                assertTrue(moved > 1e-3, n + " moved by " + moved);
                assertTrue(mine.get(n).requiresGradient(), n + " still takes gradients");
                assertEquals(n, mine.get(n).getArray().getName());
            }
        }
    }

    @Test
    void aGroupedParameterGetsItsGradientAndTheBufferMovesIt() {
        try (NDManager m = Engines.newManager(null)) {
            Map<String, Parameter> mine = parameters(m);
            AdamW opt = new AdamW(B1, B2, EPS);
            assertTrue(opt.bind(mine, DECAYS, SCALES));
            NDArray w = mine.get("b.weight").getArray();
            try (ai.djl.training.GradientCollector gc = m.getEngine().newGradientCollector()) {
                gc.backward(w.mul(w).sum()); // the view is a leaf: d/dw = 2w
            }
            float[] want = w.mul(2).toFloatArray();
            assertArrayEquals(want, w.getGradient().toFloatArray(), 1e-6f);
            float[] start = w.toFloatArray();
            Map<String, NDArray> grads = new LinkedHashMap<>();
            for (String n : NAMES) {
                NDArray a = mine.get(n).getArray();
                grads.put(n, n.equals("b.weight") ? a.getGradient() : a.zerosLike());
            }
            try (NDManager sm = m.newSubManager()) {
                opt.updateGrouped(opt.gather(grads, sm), 1e-2, 1.0);
            }
            // Adam's first step moves each value by about lr against its gradient's sign
            float[] now = mine.get("b.weight").getArray().toFloatArray();
            for (int i = 0; i < now.length; i++) {
                assertEquals(
                        start[i] - 1e-2 * Math.signum(start[i]) - 1e-2 * 0.05 * start[i],
                        now[i],
                        1e-4,
                        "b.weight[" + i + "]");
            }
        }
    }

    @Test
    void aReplacedParameterArrayOrLoadedMomentsAreRegroupedAndTheUpdateContinuesExactly(
            @TempDir Path dir) throws Exception {
        try (NDManager m = Engines.newManager(null)) {
            Map<String, Parameter> mine = parameters(m);
            Map<String, Parameter> ref = parameters(m);
            AdamW grouped = new AdamW(B1, B2, EPS);
            AdamW single = new AdamW(B1, B2, EPS).grouped(false);
            for (int t = 0; t < 5; t++) {
                if (t == 2) {
                    // a checkpoint loaded into the model: the parameter's array is replaced
                    Parameter p = mine.get("b.weight");
                    float[] values = p.getArray().toFloatArray();
                    Shape shape = p.getShape();
                    ai.djl.training.initializer.Initializer own = p.getInitializer();
                    p.close();
                    p.setInitializer((mm, s, ty) -> mm.create(values, shape));
                    p.initialize(m, ai.djl.ndarray.types.DataType.FLOAT32);
                    p.setInitializer(own);
                }
                if (t == 3) {
                    // a resumed run: the moments come from the file into a new optimizer
                    Path file = dir.resolve("optimizer.bin");
                    grouped.save(file);
                    grouped = new AdamW(B1, B2, EPS);
                    grouped.load(file, m);
                }
                assertTrue(grouped.bind(mine, DECAYS, SCALES));
                try (NDManager sm = m.newSubManager()) {
                    grouped.updateGrouped(grouped.gather(gradients(m, t), sm), 1e-2, 1.0);
                }
                Map<String, NDArray> refValues = new LinkedHashMap<>();
                ref.forEach((n, p) -> refValues.put(n, p.getArray()));
                single.update(refValues, gradients(m, t), DECAYS, SCALES, 1e-2, 1.0);
                assertSameValues(ref, mine, "after step " + (t + 1));
            }
            // a new stage trains fewer parameters: the others keep their values from now on
            Map<String, Parameter> fewer = new LinkedHashMap<>(mine);
            fewer.remove("a.weight");
            float[] frozen = mine.get("a.weight").getArray().toFloatArray();
            assertTrue(grouped.bind(fewer, DECAYS, SCALES));
            try (NDManager sm = m.newSubManager()) {
                Map<String, NDArray> g = gradients(m, 9);
                g.remove("a.weight");
                grouped.updateGrouped(grouped.gather(g, sm), 1e-2, 1.0);
            }
            assertArrayEquals(frozen, mine.get("a.weight").getArray().toFloatArray());
        }
    }

    // ------------------------------------------------------------------ the one-pass update

    /**
     * Parameters that cross the one-pass update's task span (65,536 values) and scratch slice
     * (4096) at uneven points, beside small ones, in two groups.
     */
    private static final String[] BIG_NAMES = {"big.weight", "big.bias", "norm", "tail.weight"};

    private static final Shape[] BIG_SHAPES = {
        new Shape(301, 250), new Shape(250), new Shape(7), new Shape(4099)
    };

    private static final Map<String, Double> BIG_DECAYS =
            Map.of("big.weight", 0.05, "tail.weight", 0.05);

    @ParameterizedTest(name = "group limit {0}")
    @CsvSource({"1048576", "5000"})
    void theOnePassUpdateEqualsTheNativeUpdateAndTorchsFormula(long limit) {
        try (NDManager m = Engines.newManager(null)) {
            Map<String, Parameter> mine = parameters(m, BIG_NAMES, BIG_SHAPES);
            Map<String, Parameter> ref = parameters(m, BIG_NAMES, BIG_SHAPES);
            Map<String, double[]> torch = new LinkedHashMap<>();
            Map<String, double[][]> moments = new LinkedHashMap<>();
            for (String n : BIG_NAMES) {
                float[] v = mine.get(n).getArray().toFloatArray();
                double[] d = new double[v.length];
                for (int i = 0; i < v.length; i++) {
                    d[i] = v[i];
                }
                torch.put(n, d);
                moments.put(n, new double[2][v.length]);
            }
            AdamW onePass = new AdamW(B1, B2, EPS).groupLimit(limit);
            AdamW nativeGroups = new AdamW(B1, B2, EPS).groupLimit(limit).onePass(false);
            assertTrue(onePass.bind(mine, BIG_DECAYS, Map.of()));
            assertTrue(nativeGroups.bind(ref, BIG_DECAYS, Map.of()));
            for (int t = 0; t < 3; t++) {
                double scale = t == 1 ? 0.3 : 1.0;
                Map<String, NDArray> g = gradients(m, t, BIG_NAMES, BIG_SHAPES);
                assertNull(nativeGroups.onePass(g), "switched off");
                AdamW.OnePass pass = onePass.onePass(g);
                assertNotNull(pass, "CPU groups and gradients");
                double want = AdamW.globalNorm(g.values());
                assertEquals(want, pass.norm(), 1e-5 * want, "the gradients' global norm");
                pass.apply(LR[t], scale);
                try (NDManager sm = m.newSubManager()) {
                    nativeGroups.updateGrouped(
                            nativeGroups.gather(gradients(m, t, BIG_NAMES, BIG_SHAPES), sm),
                            LR[t],
                            scale);
                }
                assertSameValues(ref, mine, "after step " + (t + 1));
                for (String n : BIG_NAMES) {
                    torchStep(
                            torch.get(n),
                            moments.get(n)[0],
                            moments.get(n)[1],
                            scaled(toDouble(g.get(n).toFloatArray()), scale),
                            LR[t],
                            BIG_DECAYS.getOrDefault(n, 0.0),
                            t + 1);
                    assertClose(torch.get(n), mine.get(n).getArray().toFloatArray(), n);
                    assertArrayEquals(
                            gradients(m, t, BIG_NAMES, BIG_SHAPES).get(n).toFloatArray(),
                            g.get(n).toFloatArray(),
                            "the gradient is only read");
                }
            }
            assertEquals(3, onePass.step());
        }
    }

    @Test
    void theGroupedStepTakesOnePassOnTheCpuAndTheGatheredUpdateWhenToldTo() {
        try (NDManager m = Engines.newManager(null)) {
            Map<String, Parameter> mine = parameters(m, BIG_NAMES, BIG_SHAPES);
            Map<String, Parameter> ref = parameters(m, BIG_NAMES, BIG_SHAPES);
            AdamW onePass = new AdamW(B1, B2, EPS);
            AdamW gathered = new AdamW(B1, B2, EPS).onePass(false);
            for (int t = 0; t < 2; t++) {
                assertTrue(onePass.bind(mine, BIG_DECAYS, Map.of()));
                assertTrue(gathered.bind(ref, BIG_DECAYS, Map.of()));
                Map<String, NDArray> g = gradients(m, t, BIG_NAMES, BIG_SHAPES);
                try (NDManager sm = m.newSubManager();
                        AdamW.GroupedStep a = onePass.groupedStep(g, sm);
                        AdamW.GroupedStep b = gathered.groupedStep(g, sm)) {
                    assertTrue(a instanceof AdamW.OnePass, "one pass on the CPU");
                    assertTrue(!(b instanceof AdamW.OnePass), "switched off: gathered");
                    assertEquals(b.norm(), a.norm(), 1e-5 * b.norm(), "the same global norm");
                    a.apply(LR[t], 0.5);
                    b.apply(LR[t], 0.5);
                }
                assertSameValues(ref, mine, "after step " + (t + 1));
            }
        }
    }

    @Test
    void theOnePassUpdateStepsAsideForGradientsItCannotRead() {
        try (NDManager m = Engines.newManager(null)) {
            Map<String, Parameter> mine = parameters(m);
            AdamW opt = new AdamW(B1, B2, EPS);
            assertTrue(opt.bind(mine, DECAYS, SCALES));
            Map<String, NDArray> g = gradients(m, 0);
            g.put("norm", g.get("norm").toType(ai.djl.ndarray.types.DataType.FLOAT64, false));
            assertNull(opt.onePass(g), "a float64 gradient: the gathered update applies");
            g.remove("norm");
            NullPointerException e = assertThrows(NullPointerException.class, () -> opt.onePass(g));
            assertTrue(e.getMessage().contains("parameter norm"), e.getMessage());
        }
    }

    private static double[] toDouble(float[] a) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }
}
