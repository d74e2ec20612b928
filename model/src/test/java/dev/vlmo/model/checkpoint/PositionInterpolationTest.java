package dev.vlmo.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PositionInterpolationTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({"vlmo_a_res48", "vlmo_a_res40"})
    void ratioAndPositionsEqualTheReference(String caseName) throws IOException {
        JsonObject interp = null;
        for (var c : Fixtures.json("vlmo_a.json").getAsJsonArray("cases")) {
            if (c.getAsJsonObject().get("name").getAsString().equals(caseName)) {
                interp = c.getAsJsonObject().getAsJsonObject("relative_table_interpolation");
            }
        }
        int src = interp.get("src_grid").getAsInt();
        int dst = interp.get("dst_grid").getAsInt();
        assertEquals(
                interp.get("q").getAsDouble(),
                PositionInterpolation.geometricRatio(src / 2, dst / 2),
                1e-12);
        JsonArray want = interp.getAsJsonArray("source_positions");
        double[] got = PositionInterpolation.sourcePositions(src, dst);
        assertEquals(want.size(), got.length);
        for (int i = 0; i < got.length; i++) {
            assertEquals(want.get(i).getAsDouble(), got[i], 1e-12, "position " + i);
        }
    }

    @Test
    void ratioSitsAtTheUpperBoundWhenTheGridGrowsMuch() {
        // 7 -> 11: 1 + q + q^2 must reach 5, which needs q > 1.5; the bisection stops below 1.5.
        double q = PositionInterpolation.geometricRatio(3, 5);
        assertTrue(q < 1.5 && q > 1.5 - 1e-6, "q = " + q);
    }

    @Test
    void splineInterpolatesTheKnotsAndReproducesCubics() {
        double[] x = PositionInterpolation.sourcePositions(7, 11);
        double[] t = {-4.6, -2.0, -0.3, 0.0, 1.7, 3.3, 4.7};
        double[][] m = NotAKnotSpline.matrix(x, t);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = cubic(x[i]);
        }
        for (int r = 0; r < t.length; r++) {
            double v = 0;
            for (int i = 0; i < x.length; i++) {
                v += m[r][i] * y[i];
            }
            assertEquals(cubic(t[r]), v, 1e-9, "at " + t[r]);
        }
        double[][] atKnots = NotAKnotSpline.matrix(x, x);
        for (int r = 0; r < x.length; r++) {
            for (int i = 0; i < x.length; i++) {
                assertEquals(r == i ? 1.0 : 0.0, atKnots[r][i], 1e-12);
            }
        }
    }

    @Test
    void splineClampsPointsOutsideTheKnots() {
        double[] x = {-3, -1, 0, 1, 3};
        double[][] m = NotAKnotSpline.matrix(x, new double[] {-5, 7, -3, 3});
        assertArrayEquals(m[2], m[0], 0.0);
        assertArrayEquals(m[3], m[1], 0.0);
        assertEquals(1.0, m[0][0], 1e-12);
        assertEquals(1.0, m[1][4], 1e-12);
    }

    @Test
    void splineNeedsFourKnots() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> NotAKnotSpline.matrix(new double[] {-1, 0, 1}, new double[] {0}));
        assertTrue(e.getMessage().contains("at least 4 knots"), e.getMessage());
    }

    @Test
    void relativeTableMatchesTheReferenceInterpolation() throws IOException {
        TensorData table =
                TorchCheckpoint.read(Fixtures.file("vlmo_a.pt"))
                        .get("relative_position_bias_table");
        for (int size : new int[] {48, 40}) {
            TensorData want =
                    TorchCheckpoint.read(Fixtures.file("vlmo_a_res" + size + "_io.pt"))
                            .get("relative_position_bias_table");
            TensorData got =
                    PositionInterpolation.resizeRelativeTable(
                            table, (int) want.shape()[0], size / 8);
            assertArrayEquals(want.shape(), got.shape());
            float[] w = want.floats();
            float[] g = got.floats();
            for (int i = 0; i < w.length; i++) {
                assertEquals(w[i], g[i], 1e-6f, "res" + size + " value " + i);
            }
        }
    }

    @Test
    void relativeTableKeepsTrailingRowsAndAnEqualGrid() {
        int cols = 2;
        int extra = 5;
        TensorData table = randomTable(7 * 7 + extra, cols, 1);
        assertSame(table, PositionInterpolation.resizeRelativeTable(table, 7 * 7 + extra, 4));
        TensorData big = PositionInterpolation.resizeRelativeTable(table, 11 * 11 + extra, 6);
        assertArrayEquals(new long[] {11 * 11 + extra, cols}, big.shape());
        float[] src = table.floats();
        float[] out = big.floats();
        for (int i = 0; i < extra * cols; i++) {
            assertEquals(src[49 * cols + i], out[121 * cols + i], 0f, "trailing value " + i);
        }
        // The centre (distance 0) sits on a source knot in both grids.
        for (int c = 0; c < cols; c++) {
            assertEquals(src[24 * cols + c], out[60 * cols + c], 1e-6f);
        }
        // Shrinking works too (a 384 checkpoint into a 224 model).
        TensorData small = PositionInterpolation.resizeRelativeTable(big, 9 * 9 + extra, 5);
        assertArrayEquals(new long[] {9 * 9 + extra, cols}, small.shape());
    }

    @Test
    void relativeTableWithRowsThatAreNoGridIsRejected() {
        TensorData table = randomTable(50 + 5, 2, 2);
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> PositionInterpolation.resizeRelativeTable(table, 121 + 5, 6));
        assertTrue(e.getMessage().contains("55 rows"), e.getMessage());
    }

    @Test
    void posEmbedKeepsClsAndConstantsAndMatchesTheReference() throws IOException {
        int d = 3;
        float[] v = new float[(1 + 16) * d];
        for (int i = 0; i < v.length; i++) {
            v[i] = i < d ? 7 + i : 0.25f * (i % d);
        }
        TensorData pos = TensorData.ofFloats(new long[] {1, 17, d}, v);
        TensorData big = PositionInterpolation.resizePosEmbed(pos, 36);
        assertArrayEquals(new long[] {1, 37, d}, big.shape());
        float[] out = big.floats();
        for (int c = 0; c < d; c++) {
            assertEquals(7 + c, out[c], 0f, "[CLS] row");
        }
        for (int i = d; i < out.length; i++) {
            assertEquals(0.25f * (i % d), out[i], 1e-6f, "a constant stays constant");
        }
        assertSame(pos, PositionInterpolation.resizePosEmbed(pos, 16));

        Map<String, TensorData> ckpt = TorchCheckpoint.read(Fixtures.file("vlmo_b.pt"));
        TensorData want =
                TorchCheckpoint.read(Fixtures.file("vlmo_b_res48_io.pt")).get("pos_embed");
        TensorData got =
                PositionInterpolation.resizePosEmbed(ckpt.get("transformer.pos_embed"), 36);
        float[] w = want.floats();
        float[] g = got.floats();
        for (int i = 0; i < w.length; i++) {
            assertEquals(w[i], g[i], 1e-6f, "pos_embed value " + i);
        }
    }

    @Test
    void posEmbedOfNoSquareGridIsRejected() {
        TensorData pos = TensorData.ofFloats(new long[] {1, 16, 2}, new float[32]);
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> PositionInterpolation.resizePosEmbed(pos, 36));
        assertTrue(e.getMessage().contains("[1, 16, 2]"), e.getMessage());
    }

    private static double cubic(double x) {
        return 0.3 * x * x * x - 1.2 * x * x + 0.5 * x - 2;
    }

    private static TensorData randomTable(int rows, int cols, long seed) {
        Random r = new Random(seed);
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return TensorData.ofFloats(new long[] {rows, cols}, v);
    }
}
