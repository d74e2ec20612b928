package dev.vlmo.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AttentionRecordingTest {

    static NDManager m;
    static final VlmoConfig TINY = VlmoConfig.tiny();

    @BeforeAll
    static void open() {
        m = TestSupport.manager();
    }

    @AfterAll
    static void close() {
        m.close();
    }

    @Test
    void pairMapsAreDistributionsOverRealKeysAndLeaveOutputsUnchanged() {
        try (NDManager s = m.newSubManager()) {
            VlmoModel model = TestSupport.tinyModel(s, TINY, 3);
            ParameterStore ps = TestSupport.store(s);
            int t = TINY.maxTextLen();
            int[] len = {4, t};
            NDArray img = TestSupport.images(s, TINY, 2);
            NDArray ids = TestSupport.ids(s, TINY, len, t, 5);
            NDArray mask = TestSupport.mask(s, len, t);
            float[] plain = model.encodePair(ps, ids, mask, img, 1, false).pooled().toFloatArray();
            List<AttentionRecording.LayerMap> maps;
            float[] recorded;
            try (AttentionRecording rec = model.recordAttention(s)) {
                recorded = model.encodePair(ps, ids, mask, img, 1, false).pooled().toFloatArray();
                maps = rec.maps();
            }
            // recording only observes
            for (int i = 0; i < plain.length; i++) {
                assertEquals(plain[i], recorded[i], 0f, "pooled[" + i + "]");
            }
            int n = t + TINY.imageTokens();
            assertEquals(TINY.layers(), maps.size());
            for (int l = 0; l < maps.size(); l++) {
                assertEquals(l, maps.get(l).layer());
                NDArray p = maps.get(l).probabilities();
                assertEquals(new Shape(2, TINY.heads(), n, n), p.getShape());
                float[] v = p.toFloatArray();
                for (int b = 0; b < 2; b++) {
                    for (int h = 0; h < TINY.heads(); h++) {
                        for (int q = 0; q < n; q++) {
                            int row = ((b * TINY.heads() + h) * n + q) * n;
                            double sum = 0;
                            for (int k = 0; k < n; k++) {
                                boolean padded = k >= len[b] && k < t;
                                if (padded) {
                                    assertEquals(0f, v[row + k], "layer " + l + " padded key " + k);
                                }
                                sum += v[row + k];
                            }
                            assertEquals(1.0, sum, 1e-4, "layer " + l + " row " + q);
                        }
                    }
                }
            }
            // closed: the next pass records nothing more
            model.encodePair(ps, ids, mask, img, 1, false);
            assertEquals(TINY.layers(), maps.size());
        }
    }

    @Test
    void layerAndHeadOrderFollowTheReferenceTable() {
        // With the query/key projections zeroed, each logit is the relative position bias alone,
        // so every recorded map must be softmax over table[index[q][k]][layer * H + head]: the
        // reference's layout of the shared table (columns split per layer, then per head).
        try (NDManager s = m.newSubManager()) {
            VlmoModel model = TestSupport.tinyModel(s, TINY, 4);
            var params = model.namedParameters();
            for (int l = 0; l < TINY.layers(); l++) {
                params.get("transformer.blocks." + l + ".attn.qkv.weight").getArray().muli(0);
                params.get("transformer.blocks." + l + ".attn.q_bias").getArray().muli(0);
            }
            NDArray tableArray = params.get("relative_position_bias_table").getArray();
            int columns = (int) tableArray.getShape().get(1);
            float[] table = new float[(int) tableArray.size()];
            Random r = new Random(11);
            for (int i = 0; i < table.length; i++) {
                table[i] = (float) (r.nextGaussian() * 2);
            }
            tableArray.set(table);
            long[][] index = new RelativePositionIndex(TINY).imageOnly();
            int n = index.length;
            int heads = TINY.heads();
            try (AttentionRecording rec = model.recordAttention(s)) {
                model.encodeImage(
                        TestSupport.store(s), TestSupport.images(s, TINY, 1), false, false);
                List<AttentionRecording.LayerMap> maps = rec.maps();
                assertEquals(TINY.layers(), maps.size());
                for (AttentionRecording.LayerMap map : maps) {
                    float[] v = map.probabilities().toFloatArray();
                    for (int h = 0; h < heads; h++) {
                        int column = map.layer() * heads + h;
                        for (int q = 0; q < n; q++) {
                            double max = Double.NEGATIVE_INFINITY;
                            for (int k = 0; k < n; k++) {
                                max = Math.max(max, table[(int) index[q][k] * columns + column]);
                            }
                            double z = 0;
                            for (int k = 0; k < n; k++) {
                                z += Math.exp(table[(int) index[q][k] * columns + column] - max);
                            }
                            for (int k = 0; k < n; k++) {
                                double want =
                                        Math.exp(table[(int) index[q][k] * columns + column] - max)
                                                / z;
                                assertEquals(
                                        want,
                                        v[(h * n + q) * n + k],
                                        1e-5,
                                        "layer "
                                                + map.layer()
                                                + " head "
                                                + h
                                                + " ("
                                                + q
                                                + ", "
                                                + k
                                                + ")");
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void oneRecordingAtATime() {
        try (NDManager s = m.newSubManager()) {
            VlmoModel model = TestSupport.tinyModel(s, TINY, 1);
            try (AttentionRecording first = model.recordAttention(s)) {
                IllegalStateException e =
                        assertThrows(IllegalStateException.class, () -> model.recordAttention(s));
                assertTrue(e.getMessage().contains("already recording"), e.getMessage());
            }
            model.recordAttention(s).close(); // free again once closed
        }
    }
}
