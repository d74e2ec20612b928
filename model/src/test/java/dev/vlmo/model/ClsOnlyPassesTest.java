package dev.vlmo.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The passes that compute the last block for [CLS] alone ({@code embedImages}, {@code embedTexts},
 * {@code poolPairs}, {@code encodeImageCls}, {@code encodeTextCls}) or for chosen text positions
 * ({@code encodeTextAt}, {@code encodePairTextAt}) give the numbers of the full passes they stand
 * for, whatever the positions, experts, padding and token types, and in training the same gradients
 * with drop path active.
 */
class ClsOnlyPassesTest {

    private static final float TOL = 2e-5f;

    static Stream<Arguments> configs() {
        VlmoConfig t = VlmoConfig.tiny();
        return Stream.of(
                Arguments.of("tiny (relative positions, layer scale)", t),
                Arguments.of(
                        "absolute positions, no layer scale",
                        t.withPositions(VlmoConfig.Positions.ABSOLUTE).withLayerScale(0)),
                Arguments.of("shared FFN", t.withSharedFfn(true)),
                // the last block has no VL expert: [CLS] of a pair goes to the language expert
                Arguments.of("no VL layers", t.withVlLayers(0)),
                Arguments.of("NLVR2 token types", t.withNlvr2(true)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void shortcutsEqualTheFullPasses(String label, VlmoConfig c) {
        try (NDManager m = TestSupport.manager()) {
            VlmoModel model = TestSupport.tinyModel(m, c, 11);
            ParameterStore ps = TestSupport.store(m);
            Batch in = batch(m, c);
            NDArray images = in.images();
            NDArray ids = in.ids();
            NDArray mask = in.mask();

            NDArray fullImg = model.encodeImage(ps, images, false, false).itc();
            NDArray img = model.embedImages(ps, images);
            assertEquals(fullImg.getShape(), img.getShape());
            assertTrue(TestSupport.maxAbsDiff(fullImg, img) < TOL, label + " images");

            NDArray fullTxt = model.encodeText(ps, ids, mask, false, false).itc();
            NDArray txt = model.embedTexts(ps, ids, mask);
            assertEquals(fullTxt.getShape(), txt.getShape());
            assertTrue(TestSupport.maxAbsDiff(fullTxt, txt) < TOL, label + " texts");

            NDArray fullRows =
                    rows(model.encodeText(ps, ids, mask, false, false).hidden(), POSITIONS);
            NDArray someRows = model.encodeTextAt(ps, ids, mask, POSITIONS, false);
            assertTrue(TestSupport.maxAbsDiff(fullRows, someRows) < TOL, label + " text rows");
            NDArray pairRows =
                    rows(model.encodePair(ps, ids, mask, images, 1, false).textFeats(), POSITIONS);
            NDArray somePairRows =
                    model.encodePairTextAt(ps, ids, mask, images, 1, POSITIONS, false);
            assertTrue(TestSupport.maxAbsDiff(pairRows, somePairRows) < TOL, label + " pair rows");

            int types = c.tokenTypes() - 1;
            for (int type = 1; type <= types; type++) {
                NDArray fullPool = model.encodePair(ps, ids, mask, images, type, false).pooled();
                NDArray pool = model.poolPairs(ps, ids, mask, images, type);
                assertEquals(fullPool.getShape(), pool.getShape());
                assertTrue(
                        TestSupport.maxAbsDiff(fullPool, pool) < TOL,
                        label + " pairs, image token type " + type);
            }
        }
    }

    /** The contrastive embeddings (with the VL path) and the ITM logits of a pair batch. */
    private interface Outputs {
        List<NDArray> of(
                VlmoModel model, ParameterStore ps, NDArray images, NDArray ids, NDArray mask);
    }

    private static List<NDArray> full(
            VlmoModel model, ParameterStore ps, NDArray images, NDArray ids, NDArray mask) {
        ImageEncoding ie = model.encodeImage(ps, images, true, true);
        TextEncoding te = model.encodeText(ps, ids, mask, true, true);
        NDArray pooled = model.encodePair(ps, ids, mask, images, 1, true).pooled();
        NDArray text = model.encodeText(ps, ids, mask, false, true).hidden();
        NDArray pair = model.encodePair(ps, ids, mask, images, 1, true).textFeats();
        return List.of(
                rows(text, POSITIONS),
                rows(pair, POSITIONS),
                ie.itc(),
                ie.vlItc(),
                te.itc(),
                te.vlItc(),
                model.itmLogits(ps, pooled, true),
                after(model, ps, images, ids, mask));
    }

    private static List<NDArray> cls(
            VlmoModel model, ParameterStore ps, NDArray images, NDArray ids, NDArray mask) {
        ClsEncoding ie = model.encodeImageCls(ps, images, true, true);
        ClsEncoding te = model.encodeTextCls(ps, ids, mask, true, true);
        NDArray pooled = model.poolPairs(ps, ids, mask, images, 1, true);
        NDArray text = model.encodeTextAt(ps, ids, mask, POSITIONS, true);
        NDArray pair = model.encodePairTextAt(ps, ids, mask, images, 1, POSITIONS, true);
        return List.of(
                text,
                pair,
                ie.itc(),
                ie.vlItc(),
                te.itc(),
                te.vlItc(),
                model.itmLogits(ps, pooled, true),
                after(model, ps, images, ids, mask));
    }

    /** Three images and texts of 12, 5 and 9 tokens padded to 12. */
    private record Batch(NDArray images, NDArray ids, NDArray mask) {}

    private static Batch batch(NDManager m, VlmoConfig c) {
        int[] lengths = {12, 5, 9};
        return new Batch(
                TestSupport.images(m, c, 3),
                TestSupport.ids(m, c, lengths, 12, 3),
                TestSupport.mask(m, lengths, 12));
    }

    /** Flattened (B*T) text positions: masked tokens, a padded one (sample 1 has 5 tokens). */
    private static final long[] POSITIONS = {1, 3, 14, 20, 30, 35};

    private static NDArray rows(NDArray hidden, long[] positions) {
        NDArray flat = hidden.reshape(-1, hidden.getShape().get(2));
        return flat.get(flat.getManager().create(positions));
    }

    /**
     * A full pair pass after the others (as stage 3's MLM pass follows its ITM passes): its
     * drop-path masks match only if the passes before it drew as many random numbers.
     */
    private static NDArray after(
            VlmoModel model, ParameterStore ps, NDArray images, NDArray ids, NDArray mask) {
        return model.encodePair(ps, ids, mask, images, 1, true).textFeats();
    }

    /** One backward pass of fixed random projections of the outputs; the gradients by name. */
    private static Map<String, float[]> gradients(
            NDManager m, VlmoConfig c, Outputs outputs, List<float[]> weights, float[] loss) {
        VlmoModel model = TestSupport.tinyModel(m, c, 11);
        ParameterStore ps = TestSupport.store(m);
        Batch in = batch(m, c);
        m.getEngine().setRandomSeed(77); // the same drop-path draws in both passes
        try (GradientCollector gc = m.getEngine().newGradientCollector()) {
            List<NDArray> out = outputs.of(model, ps, in.images(), in.ids(), in.mask());
            NDArray total = null;
            for (int i = 0; i < out.size(); i++) {
                NDArray o = out.get(i);
                if (weights.size() <= i) {
                    Shape s = o.getShape();
                    weights.add(m.randomNormal(s).toFloatArray());
                }
                NDArray w = m.create(weights.get(i), o.getShape());
                NDArray term = o.mul(w).sum();
                total = total == null ? term : total.add(term);
            }
            loss[0] = total.getFloat();
            gc.backward(total);
        }
        Map<String, float[]> grads = new java.util.TreeMap<>();
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            grads.put(e.getKey(), e.getValue().getArray().getGradient().toFloatArray());
        }
        return grads;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void trainingThroughTheShortcutsGivesTheFullPassesGradients(String label, VlmoConfig base) {
        VlmoConfig c = base.withDropPath(0.3);
        try (NDManager m = TestSupport.manager()) {
            assertSameGradients(label, m, c, ClsOnlyPassesTest::full, ClsOnlyPassesTest::cls);
        }
    }

    /** Both sets of outputs give the same loss and every parameter the same gradient. */
    private static void assertSameGradients(
            String label, NDManager m, VlmoConfig c, Outputs full, Outputs fast) {
        List<float[]> weights = new ArrayList<>();
        float[] fullLoss = new float[1];
        float[] fastLoss = new float[1];
        Map<String, float[]> want = gradients(m, c, full, weights, fullLoss);
        Map<String, float[]> got = gradients(m, c, fast, weights, fastLoss);
        assertEquals(fullLoss[0], fastLoss[0], 1e-4, label + " loss");
        List<String> bad = new ArrayList<>();
        double largest = 0;
        for (Map.Entry<String, float[]> e : want.entrySet()) {
            float[] a = e.getValue();
            float[] b = got.get(e.getKey());
            for (int i = 0; i < a.length; i++) {
                largest = Math.max(largest, Math.abs(a[i]));
                if (Math.abs(a[i] - b[i]) > 1e-4 + 1e-4 * Math.abs(a[i])) {
                    bad.add(e.getKey() + "[" + i + "]: " + a[i] + " vs " + b[i]);
                    break;
                }
            }
        }
        assertTrue(largest > 1e-3, "real gradients: " + largest);
        assertTrue(bad.isEmpty(), label + ": " + String.join("\n", bad));
    }

    /** A (3, P) patch mask with 6 masked patches; PATCHES lists them flattened. */
    private static NDArray patchMask(NDManager m, VlmoConfig c) {
        int p = c.gridSize() * c.gridSize();
        float[] v = new float[3 * p];
        for (long i : PATCHES) {
            v[(int) i] = 1f;
        }
        return m.create(v, new Shape(3, p));
    }

    private static final long[] PATCHES = {0, 5, 15, 17, 30, 47};

    @Test
    void maskedImageModellingAtTheMaskedPatchesGivesTheFullPassesNumbersAndGradients() {
        VlmoConfig c = VlmoConfig.tiny().withMimTargets(192).withDropPath(0.3);
        try (NDManager m = TestSupport.manager()) {
            Outputs full =
                    (model, ps, images, ids, mask) -> {
                        NDArray h =
                                model.encodeImage(ps, images, patchMask(m, c), false, true)
                                        .hidden();
                        return List.of(
                                rows(h.get(new ai.djl.ndarray.index.NDIndex(":, 1:")), PATCHES),
                                after(model, ps, images, ids, mask));
                    };
            Outputs rows =
                    (model, ps, images, ids, mask) ->
                            List.of(
                                    model.encodeImageAt(ps, images, patchMask(m, c), PATCHES, true),
                                    after(model, ps, images, ids, mask));
            assertSameGradients("MIM rows", m, c, full, rows);
        }
    }

    @Test
    void paddingDoesNotReachTheTextEmbedding() {
        VlmoConfig c = VlmoConfig.tiny();
        try (NDManager m = TestSupport.manager()) {
            VlmoModel model = TestSupport.tinyModel(m, c, 5);
            ParameterStore ps = TestSupport.store(m);
            int[] lengths = {6, 6};
            NDArray shortIds = TestSupport.ids(m, c, lengths, 6, 9);
            NDArray shortMask = TestSupport.mask(m, lengths, 6);
            // the same texts padded to 14 tokens
            NDArray longIds = TestSupport.ids(m, c, lengths, 14, 9);
            NDArray longMask = TestSupport.mask(m, lengths, 14);
            NDArray a = model.embedTexts(ps, shortIds, shortMask);
            NDArray b = model.embedTexts(ps, longIds, longMask);
            assertTrue(TestSupport.maxAbsDiff(a, b) < TOL);
        }
    }

    @Test
    void whileAttentionIsRecordedEveryLayerStillYieldsItsFullMap() {
        VlmoConfig c = VlmoConfig.tiny();
        try (NDManager m = TestSupport.manager()) {
            VlmoModel model = TestSupport.tinyModel(m, c, 3);
            ParameterStore ps = TestSupport.store(m);
            NDArray images = TestSupport.images(m, c, 2);
            NDArray full = model.encodeImage(ps, images, false, false).itc();
            try (NDManager s = m.newSubManager();
                    AttentionRecording rec = model.recordAttention(s)) {
                NDArray img = model.embedImages(ps, images);
                assertTrue(TestSupport.maxAbsDiff(full, img) < TOL);
                assertEquals(c.layers(), rec.maps().size());
                long n = c.imageTokens();
                assertEquals(n, rec.maps().get(c.layers() - 1).probabilities().getShape().get(2));
            }
        }
    }
}
