package dev.vlmo.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.ParameterStore;
import dev.vlmo.model.Engines;
import dev.vlmo.model.ImageEncoding;
import dev.vlmo.model.PairEncoding;
import dev.vlmo.model.RelativePositionIndex;
import dev.vlmo.model.TextEncoding;
import dev.vlmo.model.VlmoModel;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Java model, loaded from the reference-written checkpoints, reproduces the reference's outputs
 * within 1e-4 (fp32), at the checkpoint's resolution and at changed ones.
 */
class ReferenceParityTest {

    private static final float TOL = 1e-4f;
    private static final float TABLE_TOL = 1e-6f;
    private static final Map<String, Float> MEASURED = new TreeMap<>();

    @AfterAll
    static void printMeasured() {
        StringBuilder sb = new StringBuilder("max |java - reference| per output:\n");
        MEASURED.forEach((k, v) -> sb.append(String.format("  %-40s %.3e%n", k, v)));
        System.out.print(sb);
    }

    private static void check(String where, NDArray actual, TensorData expected, float tol) {
        float d = ModelFixtures.maxAbsDiff(actual, expected);
        MEASURED.merge(where, d, Math::max);
        assertTrue(d <= tol, where + ": max abs difference " + d + " > " + tol);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "vlmo_a, vlmo_a, 32, false",
        "vlmo_a, vlmo_a_res48, 48, false",
        "vlmo_a, vlmo_a_res40, 40, true",
        "vlmo_b, vlmo_b, 32, false",
        "vlmo_b, vlmo_b_res48, 48, false"
    })
    void matchesReference(String fixture, String caseName, int size, boolean imageOnly)
            throws IOException {
        Map<String, TensorData> io = TorchCheckpoint.read(Fixtures.file(caseName + "_io.pt"));
        try (NDManager m = Engines.newManager(null)) {
            VlmoModel model = ModelFixtures.loaded(m, fixture, size);
            ParameterStore ps = new ParameterStore(m, false);
            Map<String, float[]> weights = ModelFixtures.snapshot(model);

            // The weights the run used: interpolated table / pos_embed, expanded token types.
            if (io.containsKey("relative_position_bias_table")) {
                check(
                        caseName + " relative_position_bias_table",
                        model.namedParameters().get("relative_position_bias_table").getArray(),
                        io.get("relative_position_bias_table"),
                        TABLE_TOL);
                checkIndices(model, io, caseName);
            }
            if (io.containsKey("pos_embed")) {
                check(
                        caseName + " pos_embed",
                        model.namedParameters().get("transformer.pos_embed").getArray(),
                        io.get("pos_embed"),
                        TABLE_TOL);
            }
            if (io.containsKey("token_type_embeddings")) {
                check(
                        caseName + " token_type_embeddings",
                        model.namedParameters().get("token_type_embeddings.weight").getArray(),
                        io.get("token_type_embeddings"),
                        0f);
            }

            NDArray ids = ModelFixtures.array(m, io.get("text_ids"));
            NDArray masks = ModelFixtures.array(m, io.get("text_masks"));
            NDArray images = ModelFixtures.images(m, io.get("image_pixels"));
            NDArray images1 = ModelFixtures.images(m, io.get("image_pixels_1"));

            ImageEncoding img = model.encodeImage(ps, images, true, false);
            check(caseName + " image_itc", img.itc(), io.get("image_itc"), TOL);
            check(caseName + " image_itc_vl", img.vlItc(), io.get("image_itc_vl"), TOL);
            if (io.containsKey("image_feats")) {
                check(caseName + " image_feats", img.hidden(), io.get("image_feats"), TOL);
            }
            if (imageOnly) {
                return;
            }
            TextEncoding txt = model.encodeText(ps, ids, masks, true, false);
            check(caseName + " text_itc", txt.itc(), io.get("text_itc"), TOL);
            check(caseName + " text_itc_vl", txt.vlItc(), io.get("text_itc_vl"), TOL);
            NDArray scale = model.logitScale(ps, images, false, false).exp();
            NDArray vlScale = model.logitScale(ps, images, true, false).exp();
            check(
                    caseName + " itc_logits",
                    img.itc().matMul(txt.itc().transpose()).mul(scale),
                    io.get("itc_logits"),
                    TOL);
            check(
                    caseName + " itc_vl_logits",
                    img.vlItc().matMul(txt.vlItc().transpose()).mul(vlScale),
                    io.get("itc_vl_logits"),
                    TOL);
            if (io.containsKey("text_feats")) {
                check(caseName + " text_feats", txt.hidden(), io.get("text_feats"), TOL);
            }

            PairEncoding pair = model.encodePair(ps, ids, masks, images, 1, false);
            check(caseName + " pooled", pair.pooled(), io.get("pooled"), TOL);
            check(
                    caseName + " itm_logits",
                    model.itmLogits(ps, pair.pooled(), false),
                    io.get("itm_logits"),
                    TOL);
            check(
                    caseName + " mlm_logits",
                    model.mlmLogits(ps, pair.textFeats(), false),
                    io.get("mlm_logits"),
                    TOL);
            check(
                    caseName + " vqa_logits",
                    model.vqaLogits(ps, pair.pooled(), false),
                    io.get("vqa_logits"),
                    TOL);
            if (io.containsKey("pair_feats")) {
                check(caseName + " pair_feats", pair.hidden(), io.get("pair_feats"), TOL);
            }
            NDArray p1 = pair.pooled();
            NDArray p2 = model.encodePair(ps, ids, masks, images1, 2, false).pooled();
            check(caseName + " nlvr2_pooled_1", p1, io.get("nlvr2_pooled_1"), TOL);
            check(caseName + " nlvr2_pooled_2", p2, io.get("nlvr2_pooled_2"), TOL);
            check(
                    caseName + " nlvr2_logits",
                    model.nlvr2Logits(ps, p1, p2, false),
                    io.get("nlvr2_logits"),
                    TOL);

            checkUnpadded(model, ps, m, io, caseName, ids, masks, images, images1);
            // Running the model does not change its weights.
            ModelFixtures.assertUnchanged(weights, model);
        }
    }

    /**
     * Each text on its own, cut to its real length (no padding): the same outputs as the padded
     * batch of the reference.
     */
    private static void checkUnpadded(
            VlmoModel model,
            ParameterStore ps,
            NDManager m,
            Map<String, TensorData> io,
            String caseName,
            NDArray ids,
            NDArray masks,
            NDArray images,
            NDArray images1) {
        long[] mask = io.get("text_masks").longs();
        int b = (int) ids.getShape().get(0);
        int t = (int) ids.getShape().get(1);
        for (int row = 0; row < b; row++) {
            int len = 0;
            for (int j = 0; j < t; j++) {
                len += (int) mask[row * t + j];
            }
            String where = caseName + " unpadded";
            NDIndex r = new NDIndex("{}:{}, :{}", row, row + 1, len);
            NDArray id = ids.get(r);
            NDArray mk = masks.get(r);
            NDArray im = images.get(new NDIndex("{}:{}", row, row + 1));
            NDArray im1 = images1.get(new NDIndex("{}:{}", row, row + 1));
            TextEncoding txt = model.encodeText(ps, id, mk, true, false);
            check(where + " text_itc", txt.itc(), rowOf(io.get("text_itc"), row), TOL);
            check(where + " text_itc_vl", txt.vlItc(), rowOf(io.get("text_itc_vl"), row), TOL);
            PairEncoding pair = model.encodePair(ps, id, mk, im, 1, false);
            check(where + " pooled", pair.pooled(), rowOf(io.get("pooled"), row), TOL);
            check(
                    where + " itm_logits",
                    model.itmLogits(ps, pair.pooled(), false),
                    rowOf(io.get("itm_logits"), row),
                    TOL);
            check(
                    where + " vqa_logits",
                    model.vqaLogits(ps, pair.pooled(), false),
                    rowOf(io.get("vqa_logits"), row),
                    TOL);
            check(
                    where + " mlm_logits",
                    model.mlmLogits(ps, pair.textFeats(), false),
                    prefixOf(io.get("mlm_logits"), row, len),
                    TOL);
            NDArray p2 = model.encodePair(ps, id, mk, im1, 2, false).pooled();
            check(
                    where + " nlvr2_logits",
                    model.nlvr2Logits(ps, pair.pooled(), p2, false),
                    rowOf(io.get("nlvr2_logits"), row),
                    TOL);
        }
        assertEquals(3, b, "the fixtures hold one unpadded and two padded texts");
    }

    private static void checkIndices(VlmoModel model, Map<String, TensorData> io, String where) {
        RelativePositionIndex layout = model.relativePositionLayout();
        int t = model.config().maxTextLen();
        assertArrayEquals(
                io.get("relative_position_index").longs(),
                flat(layout.imageOnly()),
                where + " relative_position_index");
        assertArrayEquals(
                io.get("text_relative_position_index").longs(),
                flat(layout.textOnly(t)),
                where + " text_relative_position_index");
        float[] pair = io.get("text_imag_relative_position_index").floats();
        long[] mine = flat(layout.pair(t));
        assertEquals(pair.length, mine.length, where + " text_imag_relative_position_index size");
        for (int i = 0; i < pair.length; i++) {
            assertEquals(
                    (long) pair[i], mine[i], where + " text_imag_relative_position_index " + i);
        }
    }

    private static long[] flat(long[][] m) {
        long[] out = new long[m.length * m[0].length];
        for (int i = 0; i < m.length; i++) {
            System.arraycopy(m[i], 0, out, i * m[0].length, m[0].length);
        }
        return out;
    }

    private static TensorData rowOf(TensorData t, int row) {
        long[] s = t.shape();
        int n = (int) (t.size() / s[0]);
        float[] v = new float[n];
        System.arraycopy(t.floats(), row * n, v, 0, n);
        long[] shape = s.clone();
        shape[0] = 1;
        return TensorData.ofFloats(shape, v);
    }

    /** Row {@code row} of a (B, T, V) tensor, first {@code len} positions. */
    private static TensorData prefixOf(TensorData t, int row, int len) {
        long[] s = t.shape();
        int tl = (int) s[1];
        int v = (int) s[2];
        float[] out = new float[len * v];
        System.arraycopy(t.floats(), row * tl * v, out, 0, len * v);
        return TensorData.ofFloats(new long[] {1, len, v}, out);
    }
}
