package dev.vlmo.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.vlmo.model.checkpoint.CheckpointExporter;
import dev.vlmo.model.checkpoint.CheckpointImporter;
import dev.vlmo.model.checkpoint.CheckpointMismatchException;
import dev.vlmo.model.checkpoint.LoadReport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ablation's standard Transformer ({@code withSharedFfn(true)}): one FFN per block that image,
 * text and pair tokens all use, the size of a Multiway model minus its extra experts, and the
 * default (Multiway) model's names untouched.
 */
class SharedFfnTest {

    static NDManager m;
    static final VlmoConfig MULTIWAY = VlmoConfig.tiny().withDropPath(0.0);
    static final VlmoConfig SHARED = MULTIWAY.withSharedFfn(true);

    @BeforeAll
    static void open() {
        m = TestSupport.manager();
    }

    @AfterAll
    static void close() {
        m.close();
    }

    @Test
    void optionIsOffInEveryPresetAndSurvivesOtherOverrides() {
        for (String p : List.of("tiny", "small", "base", "basePlus", "large")) {
            assertFalse(VlmoConfig.preset(p).sharedFfn(), p);
        }
        VlmoConfig c = SHARED.withLayers(6).withVlLayers(3).withInitStd(0.05);
        assertTrue(c.sharedFfn());
        assertFalse(c.withSharedFfn(false).sharedFfn());
    }

    @Test
    void namesAreBeitsMlpAndNorm2AndTheDefaultModelKeepsItsExperts() {
        List<String> shared = List.copyOf(new VlmoModel(SHARED).namedParameters().keySet());
        List<String> multiway = List.copyOf(new VlmoModel(MULTIWAY).namedParameters().keySet());
        for (int i = 0; i < MULTIWAY.layers(); i++) {
            String b = "transformer.blocks." + i + ".";
            for (String k : List.of("mlp.fc1.weight", "mlp.fc2.bias", "norm2.weight")) {
                assertTrue(shared.contains(b + k), b + k);
                assertFalse(multiway.contains(b + k), b + k);
            }
            for (String e : List.of("mlp_text.", "mlp_imag.", "norm2_text.", "norm2_imag.")) {
                assertTrue(
                        multiway.contains(b + e + "weight")
                                || multiway.contains(b + e + "fc1.weight"));
            }
            assertEquals(i >= MULTIWAY.vlStart(), multiway.contains(b + "mlp_vl.fc1.weight"));
        }
        assertTrue(shared.stream().noneMatch(k -> k.contains(".mlp_") || k.contains(".norm2_")));
        // everything but the FFNs is named and ordered as in the Multiway model
        assertEquals(
                multiway.stream()
                        .filter(k -> !k.contains(".mlp_") && !k.contains(".norm2_"))
                        .toList(),
                shared.stream()
                        .filter(k -> !k.contains(".mlp.") && !k.contains(".norm2."))
                        .toList());
        // the option's default value leaves the default model exactly as it was
        assertEquals(
                multiway,
                List.copyOf(
                        new VlmoModel(MULTIWAY.withSharedFfn(false)).namedParameters().keySet()));
    }

    @Test
    void parameterCountIsMultiwayMinusTheExtraExperts() {
        VlmoModel shared = new VlmoModel(SHARED);
        VlmoModel multiway = new VlmoModel(MULTIWAY);
        shared.initialize(m);
        multiway.initialize(m);
        long d = MULTIWAY.hidden();
        long h = MULTIWAY.mlpHidden();
        long expert = d * h + h + h * d + d + 2 * d; // fc1, fc2, its LayerNorm
        // Multiway: text + image expert in every layer, a VL expert in the top F; shared: one
        long extra = (MULTIWAY.layers() + MULTIWAY.vlLayers()) * expert;
        assertEquals(multiway.parameterCount() - extra, shared.parameterCount());
        long counted = 0;
        for (Map.Entry<String, Parameter> e : shared.namedParameters().entrySet()) {
            if (e.getKey().contains(".mlp.") || e.getKey().contains(".norm2.")) {
                counted += e.getValue().getArray().size();
            }
        }
        assertEquals(MULTIWAY.layers() * expert, counted);
        ModelSummary summary = ModelSummary.of(SHARED);
        assertEquals(shared.parameterCount(), summary.totalParameters());
        assertEquals(
                List.of(MULTIWAY.layers() * expert),
                summary.rows().stream()
                        .filter(r -> r.component().equals("shared FFN"))
                        .map(ModelSummary.Row::parameters)
                        .toList());
    }

    /** Gradient of a random projection of the outputs, on each layer's shared fc1 weight. */
    private static double[] fc1Gradients(
            BiFunction<VlmoModel, ParameterStore, List<NDArray>> outputs, NDManager s) {
        VlmoModel model = TestSupport.tinyModel(s, SHARED, 3);
        ParameterStore ps = TestSupport.store(s);
        try (GradientCollector gc = s.getEngine().newGradientCollector()) {
            NDArray loss = null;
            for (NDArray o : outputs.apply(model, ps)) {
                NDArray term = o.mul(s.randomNormal(o.getShape())).sum();
                loss = loss == null ? term : loss.add(term);
            }
            gc.backward(loss);
        }
        Map<String, Parameter> p = model.namedParameters();
        double[] out = new double[SHARED.layers()];
        for (int i = 0; i < out.length; i++) {
            NDArray g =
                    p.get("transformer.blocks." + i + ".mlp.fc1.weight").getArray().getGradient();
            out[i] = g.abs().sum().getFloat();
        }
        return out;
    }

    @Test
    void imageTextAndPairInputsAllTrainTheOneFfnOfEveryLayer() {
        try (NDManager s = m.newSubManager()) {
            int[] len = {5, 16};
            NDArray ids = TestSupport.ids(s, SHARED, len, 16, 4);
            NDArray mask = TestSupport.mask(s, len, 16);
            NDArray img = TestSupport.images(s, SHARED, 2);
            List<double[]> grads = new ArrayList<>();
            grads.add(
                    fc1Gradients(
                            (model, ps) -> {
                                ImageEncoding e = model.encodeImage(ps, img, true, true);
                                return List.of(e.hidden(), e.vlItc());
                            },
                            s));
            grads.add(
                    fc1Gradients(
                            (model, ps) -> {
                                TextEncoding e = model.encodeText(ps, ids, mask, true, true);
                                return List.of(e.hidden(), e.vlItc());
                            },
                            s));
            grads.add(
                    fc1Gradients(
                            (model, ps) ->
                                    List.of(model.encodePair(ps, ids, mask, img, 1, true).hidden()),
                            s));
            for (double[] g : grads) {
                for (int i = 0; i < g.length; i++) {
                    assertTrue(g[i] > 0, "no gradient on layer " + i + "'s shared FFN");
                }
            }
        }
    }

    @Test
    void exportImportRoundTripAndNoSilentMixWithMultiwayCheckpoints(@TempDir Path dir)
            throws Exception {
        try (NDManager s = m.newSubManager()) {
            VlmoModel a = TestSupport.tinyModel(s, SHARED, 21);
            Path f = dir.resolve("shared.pt");
            CheckpointExporter.write(a, f);
            VlmoModel b = new VlmoModel(SHARED);
            LoadReport r = CheckpointImporter.load(b, s, f, CheckpointImporter.Options.STRICT);
            assertTrue(r.complete());
            for (Map.Entry<String, Parameter> e : a.namedParameters().entrySet()) {
                assertArrayEquals(
                        e.getValue().getArray().toFloatArray(),
                        b.namedParameters().get(e.getKey()).getArray().toFloatArray(),
                        e.getKey());
            }
            // a Multiway checkpoint does not load strictly into a shared model: the names differ
            Path mw = dir.resolve("multiway.pt");
            CheckpointExporter.write(TestSupport.tinyModel(s, MULTIWAY, 22), mw);
            CheckpointMismatchException ex =
                    assertThrows(
                            CheckpointMismatchException.class,
                            () ->
                                    CheckpointImporter.load(
                                            new VlmoModel(SHARED),
                                            s,
                                            mw,
                                            CheckpointImporter.Options.STRICT));
            assertTrue(ex.missing().contains("transformer.blocks.0.mlp.fc1.weight"));
            assertTrue(ex.unexpected().contains("transformer.blocks.0.mlp_text.fc1.weight"));
        }
    }
}
