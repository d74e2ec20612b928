package dev.vlmo.model.checkpoint;

import java.util.Arrays;

/**
 * Resizes position parameters for another image resolution the way the reference loader does.
 *
 * <p>The relative position table follows BEiT's scheme: the {@code (2W-1) x (2W-1)} grid of image
 * distances of every column is placed at geometric-progression positions {@code ±(1 + q + ... +
 * q^k)}, and a 2D not-a-knot cubic spline through it (what scipy's {@code interp2d(kind='cubic')}
 * computes on a grid) is evaluated at the integers of the new grid, clamped to the source range;
 * the rows after the grid are kept. The absolute position embedding is resized like PyTorch's
 * {@code F.interpolate(mode='bicubic', align_corners=False)} (cubic coefficient -0.75, border
 * indices clamped), its [CLS] row kept.
 */
public final class PositionInterpolation {

    private static final float CUBIC_A = -0.75f;

    private PositionInterpolation() {}

    /**
     * Finds the ratio {@code q} of BEiT's geometric progression by the reference's bisection.
     *
     * <p>The bisection runs on {@code [1.01, 1.5]} until the interval is narrower than {@code 1e-6}
     * and returns the last midpoint, so {@code q} sits at a bound when the sizes need one outside.
     *
     * @param srcHalf half the source grid side ({@code (2W_src-1) / 2})
     * @param dstHalf half the destination grid side
     * @return q
     */
    public static double geometricRatio(int srcHalf, int dstHalf) {
        double left = 1.01;
        double right = 1.5;
        double q = Double.NaN;
        while (right - left > 1e-6) {
            q = (left + right) / 2.0;
            double gp = (1.0 - Math.pow(q, srcHalf)) / (1.0 - q);
            if (gp > dstHalf) {
                right = q;
            } else {
                left = q;
            }
        }
        return q;
    }

    /**
     * Returns where the source grid's rows sit on the destination's integer axis.
     *
     * @param srcSize the source grid side {@code 2W_src-1} (odd)
     * @param dstSize the destination grid side {@code 2W_dst-1} (odd)
     * @return {@code srcSize} increasing positions, symmetric around 0
     */
    public static double[] sourcePositions(int srcSize, int dstSize) {
        int half = srcSize / 2;
        double q = geometricRatio(half, dstSize / 2);
        double[] dis = new double[half];
        double cur = 1;
        for (int i = 0; i < half; i++) {
            dis[i] = cur;
            cur += Math.pow(q, i + 1);
        }
        double[] out = new double[2 * half + 1];
        for (int i = 0; i < half; i++) {
            out[i] = -dis[half - 1 - i];
            out[half + 1 + i] = dis[i];
        }
        out[half] = 0;
        return out;
    }

    /**
     * Resizes a relative position table to the row count of a model with another image grid.
     *
     * <p>The table holds a {@code (2W-1)^2}-row grid of image distances followed by rows that do
     * not depend on the image size (image [CLS] rows and, in VLMo, the text rows); the number of
     * those trailing rows is {@code dstRows - (2 dstWindow - 1)^2}. A table that already has the
     * destination grid is returned as it is.
     *
     * @param table a (rows, columns) floating tensor
     * @param dstRows the row count of the destination table
     * @param dstWindow patches along one side of the destination image
     * @return a float32 (dstRows, columns) tensor
     * @throws IllegalArgumentException if the table is not two-dimensional or its rows are not a
     *     square odd grid plus the destination's trailing rows
     */
    public static TensorData resizeRelativeTable(TensorData table, int dstRows, int dstWindow) {
        long[] shape = table.shape();
        if (shape.length != 2 || !table.isFloating()) {
            throw new IllegalArgumentException(
                    "a relative position table is a 2-D floating tensor, got "
                            + table.dtype().torchName()
                            + " "
                            + Arrays.toString(shape));
        }
        int srcRows = Math.toIntExact(shape[0]);
        int cols = Math.toIntExact(shape[1]);
        int dstSize = 2 * dstWindow - 1;
        int extra = dstRows - dstSize * dstSize;
        int srcGridRows = srcRows - extra;
        int srcSize = srcGridRows > 0 ? (int) Math.round(Math.sqrt(srcGridRows)) : 0;
        if (extra < 0 || srcGridRows <= 0 || srcSize * srcSize != srcGridRows || srcSize % 2 == 0) {
            throw new IllegalArgumentException(
                    "a table of "
                            + srcRows
                            + " rows is not a square image-distance grid plus the "
                            + extra
                            + " other rows of the destination ("
                            + dstRows
                            + " rows for a "
                            + dstWindow
                            + "x"
                            + dstWindow
                            + " patch grid)");
        }
        if (srcSize == dstSize) {
            return table;
        }
        if (srcSize < 5) {
            throw new IllegalArgumentException(
                    "cannot interpolate a "
                            + srcSize
                            + "x"
                            + srcSize
                            + " distance grid (a 2x2 patch grid): the cubic spline needs at"
                            + " least 5x5");
        }
        double[] x = sourcePositions(srcSize, dstSize);
        double[] t = new double[dstSize];
        for (int i = 0; i < dstSize; i++) {
            t[i] = i - dstSize / 2;
        }
        double[][] m = NotAKnotSpline.matrix(x, t); // (dstSize, srcSize)
        float[] src = table.floatArray();
        float[] out = new float[dstRows * cols];
        double[][] tmp = new double[dstSize][srcSize];
        for (int c = 0; c < cols; c++) {
            // tmp = M z, then out = tmp M^T, with z[a][b] the source grid of column c
            for (int i = 0; i < dstSize; i++) {
                for (int b = 0; b < srcSize; b++) {
                    double v = 0;
                    for (int a = 0; a < srcSize; a++) {
                        v += m[i][a] * src[(a * srcSize + b) * cols + c];
                    }
                    tmp[i][b] = v;
                }
            }
            for (int i = 0; i < dstSize; i++) {
                for (int j = 0; j < dstSize; j++) {
                    double v = 0;
                    for (int b = 0; b < srcSize; b++) {
                        v += tmp[i][b] * m[j][b];
                    }
                    out[(i * dstSize + j) * cols + c] = (float) v;
                }
            }
        }
        System.arraycopy(src, srcGridRows * cols, out, dstSize * dstSize * cols, extra * cols);
        return TensorData.ofFloats(new long[] {dstRows, cols}, out);
    }

    /**
     * Resizes an absolute position embedding {@code (1, 1 + n^2, D)} to {@code (1, 1 + m^2, D)}.
     *
     * @param posEmbed the embedding, [CLS] row first
     * @param numPatches {@code m^2}, the destination's patch count
     * @return a float32 tensor, the same one if the grid already fits
     * @throws IllegalArgumentException if the shape is not {@code (1, 1 + n^2, D)} or numPatches is
     *     not a square
     */
    public static TensorData resizePosEmbed(TensorData posEmbed, int numPatches) {
        long[] shape = posEmbed.shape();
        int srcSide = shape.length == 3 && shape[0] == 1 ? squareSide(shape[1] - 1) : -1;
        int dstSide = squareSide(numPatches);
        if (srcSide < 1 || dstSide < 1 || !posEmbed.isFloating()) {
            throw new IllegalArgumentException(
                    "cannot resize a position embedding of "
                            + posEmbed.dtype().torchName()
                            + " "
                            + Arrays.toString(shape)
                            + " to "
                            + numPatches
                            + " patches: expected a floating (1, 1 + n^2, D) tensor and a square"
                            + " patch count");
        }
        if (srcSide == dstSide) {
            return posEmbed;
        }
        int d = Math.toIntExact(shape[2]);
        float[] src = posEmbed.floatArray();
        float[] out = new float[(1 + dstSide * dstSide) * d];
        System.arraycopy(src, 0, out, 0, d);
        int[][] idx = new int[dstSide][4];
        float[][] w = new float[dstSide][4];
        cubicTaps(srcSide, dstSide, idx, w);
        for (int oy = 0; oy < dstSide; oy++) {
            for (int ox = 0; ox < dstSide; ox++) {
                int o = (1 + oy * dstSide + ox) * d;
                for (int c = 0; c < d; c++) {
                    // PyTorch's order: along x for each of the four rows, then along y, in float.
                    float acc = 0;
                    for (int i = 0; i < 4; i++) {
                        int row = 1 + idx[oy][i] * srcSide;
                        float inner = 0;
                        for (int j = 0; j < 4; j++) {
                            float v = src[(row + idx[ox][j]) * d + c] * w[ox][j];
                            inner = j == 0 ? v : inner + v;
                        }
                        float v = inner * w[oy][i];
                        acc = i == 0 ? v : acc + v;
                    }
                    out[o + c] = acc;
                }
            }
        }
        return TensorData.ofFloats(new long[] {1, 1 + (long) dstSide * dstSide, d}, out);
    }

    /** Source indices (clamped) and cubic weights of each output index along one axis. */
    private static void cubicTaps(int in, int outSize, int[][] idx, float[][] w) {
        float scale = (float) in / outSize;
        for (int o = 0; o < outSize; o++) {
            float real = scale * (o + 0.5f) - 0.5f;
            int base = Math.min((int) Math.floor(real), in - 1);
            float t = Math.min(Math.max(real - base, 0f), 1f);
            float u = 1.0f - t;
            w[o][0] = cubicFar(t + 1.0f);
            w[o][1] = cubicNear(t);
            w[o][2] = cubicNear(u);
            w[o][3] = cubicFar(u + 1.0f);
            for (int k = 0; k < 4; k++) {
                idx[o][k] = Math.min(Math.max(base - 1 + k, 0), in - 1);
            }
        }
    }

    /** Keys cubic convolution for |x| <= 1. */
    private static float cubicNear(float x) {
        return ((CUBIC_A + 2) * x - (CUBIC_A + 3)) * x * x + 1;
    }

    /** Keys cubic convolution for 1 < |x| < 2. */
    private static float cubicFar(float x) {
        return ((CUBIC_A * x - 5 * CUBIC_A) * x + 8 * CUBIC_A) * x - 4 * CUBIC_A;
    }

    private static int squareSide(long n) {
        if (n < 1) {
            return -1;
        }
        long s = Math.round(Math.sqrt((double) n));
        return s * s == n ? (int) s : -1;
    }
}
