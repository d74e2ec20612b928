package dev.vlmo.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The inference shortcuts that compute the last block for [CLS] alone ({@code embedImages}, {@code
 * embedTexts}, {@code poolPairs}) give the numbers of the full passes they stand for, whatever the
 * positions, experts, padding and token types.
 */
class ClsOnlyInferenceTest {

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
            int t = 12;
            int[] lengths = {12, 5, 9};
            NDArray images = TestSupport.images(m, c, 3);
            NDArray ids = TestSupport.ids(m, c, lengths, t, 3);
            NDArray mask = TestSupport.mask(m, lengths, t);

            NDArray fullImg = model.encodeImage(ps, images, false, false).itc();
            NDArray img = model.embedImages(ps, images);
            assertEquals(fullImg.getShape(), img.getShape());
            assertTrue(TestSupport.maxAbsDiff(fullImg, img) < TOL, label + " images");

            NDArray fullTxt = model.encodeText(ps, ids, mask, false, false).itc();
            NDArray txt = model.embedTexts(ps, ids, mask);
            assertEquals(fullTxt.getShape(), txt.getShape());
            assertTrue(TestSupport.maxAbsDiff(fullTxt, txt) < TOL, label + " texts");

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
