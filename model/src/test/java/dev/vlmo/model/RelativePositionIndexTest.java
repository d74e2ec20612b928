package dev.vlmo.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RelativePositionIndexTest {

    /**
     * A 2x2 grid and a text table sized for 4 tokens: image rows 3*3+3 = 12, table 12+8+2 = 22.
     * Patches in row-major order: p0=(0,0), p1=(0,1), p2=(1,0), p3=(1,1); sequence position 0 is
     * the image [CLS]. Values worked out by hand from the reference layout.
     */
    @Test
    void smallGridMatchesHandWorkedValues() {
        RelativePositionIndex idx = new RelativePositionIndex(2, 4);
        assertEquals(12, idx.imageRows());
        assertEquals(22, idx.tableRows());
        long[][] img = idx.imageOnly();
        // (dh + 1) * 3 + (dw + 1), dh = h_query - h_key
        assertArrayEquals(new long[] {11, 9, 9, 9, 9}, img[0]); // [CLS] row
        assertArrayEquals(new long[] {10, 4, 3, 1, 0}, img[1]); // p0 to p0..p3
        assertArrayEquals(new long[] {10, 5, 4, 2, 1}, img[2]); // p1
        assertArrayEquals(new long[] {10, 7, 6, 4, 3}, img[3]); // p2
        assertArrayEquals(new long[] {10, 8, 7, 5, 4}, img[4]); // p3
        long[][] txt = idx.textOnly(3);
        // text distances start at 12 + 4 = 16 for j - i = 0; [CLS] rows are 19, 20, 21.
        assertArrayEquals(new long[] {21, 19, 19}, txt[0]);
        assertArrayEquals(new long[] {20, 16, 17}, txt[1]);
        assertArrayEquals(new long[] {20, 15, 16}, txt[2]);
        long[][] pair = idx.pair(2);
        assertEquals(7, pair.length);
        assertArrayEquals(new long[] {21, 19, 12, 12, 12, 12, 12}, pair[0]);
        assertArrayEquals(new long[] {13, 13, 11, 9, 9, 9, 9}, pair[2]);
        assertArrayEquals(new long[] {13, 13, 10, 8, 7, 5, 4}, pair[6]);
    }

    @Test
    void baseTableHasTheReferenceShape() {
        RelativePositionIndex idx = new RelativePositionIndex(VlmoConfig.base());
        assertEquals(1126, idx.tableRows());
        assertEquals(732, idx.imageRows());
        // longest text distance in a 196-token table must not collide with the [CLS] rows
        assertEquals(1122, idx.text(1, 195));
        assertEquals(1123, idx.text(0, 5));
    }

    /** Independent check: the reference's tensor recipe (meshgrid, shift, scale, sum) by loops. */
    @Test
    void imageIndexAgreesWithTheBeitRecipe() {
        int w = 5;
        RelativePositionIndex idx = new RelativePositionIndex(w, 8);
        long[][] got = idx.imageOnly();
        int n = w * w;
        int[][] coords = new int[2][n];
        for (int h = 0; h < w; h++) {
            for (int x = 0; x < w; x++) {
                coords[0][h * w + x] = h;
                coords[1][h * w + x] = x;
            }
        }
        int nrd = (2 * w - 1) * (2 * w - 1) + 3;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                int a = coords[0][i] - coords[0][j] + w - 1;
                int b = coords[1][i] - coords[1][j] + w - 1;
                assertEquals(a * (2 * w - 1) + b, got[i + 1][j + 1]);
            }
            assertEquals(nrd - 3, got[0][i + 1]);
            assertEquals(nrd - 2, got[i + 1][0]);
        }
        assertEquals(nrd - 1, got[0][0]);
    }

    /**
     * The bias gather against loops: {@code out[c, i, j] = table[index[i, j], c]}, and the table's
     * gradient sums the upstream gradient over every (i, j) that reads a row; rows read by many
     * pairs (the shared [CLS] and text-image rows) and rows read by none are both covered.
     */
    @ParameterizedTest
    @ValueSource(strings = {"PyTorch", "MXNet"}) // the gather, and the lookup other engines take
    void theBiasGatherAndItsGradientAgreeWithLoops(String engine) {
        RelativePositionIndex layout = new RelativePositionIndex(3, 4);
        long[][] m = layout.pair(3); // text of 3, then [CLS] + 9 patches: N = 13
        int n = m.length;
        int rows = layout.tableRows();
        int c = 5;
        Random rnd = new Random(7);
        float[] table = new float[rows * c];
        float[] up = new float[c * n * n];
        for (int i = 0; i < table.length; i++) {
            table[i] = (float) rnd.nextGaussian();
        }
        for (int i = 0; i < up.length; i++) {
            up[i] = (float) rnd.nextGaussian();
        }
        long[] flat = new long[n * n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(m[i], 0, flat, i * n, n);
        }
        try (NDManager nd = Engines.newManager(engine)) {
            NDArray t = nd.create(table, new Shape(rows, c));
            t.setRequiresGradient(true);
            NDArray index = Engines.owned(nd.create(flat, new Shape(1, (long) n * n)));
            float[] out;
            try (GradientCollector gc = nd.getEngine().newGradientCollector()) {
                NDArray bias = VlmoModel.gatherBias(t, index, n);
                assertArrayEquals(new long[] {c, n, n}, bias.getShape().getShape());
                out = bias.toFloatArray();
                gc.backward(bias.mul(nd.create(up, new Shape(c, n, n))).sum());
            }
            float[] grad = t.getGradient().toFloatArray();
            float[] want = new float[rows * c];
            for (int k = 0; k < c; k++) {
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        int r = (int) m[i][j];
                        assertEquals(table[r * c + k], out[(k * n + i) * n + j], 0f);
                        want[r * c + k] += up[(k * n + i) * n + j];
                    }
                }
            }
            assertArrayEquals(want, grad, 1e-5f);
        }
    }
}
