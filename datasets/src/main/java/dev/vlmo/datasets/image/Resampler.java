package dev.vlmo.datasets.image;

/**
 * Bicubic resampling as PIL does it: a separable Keys cubic kernel ({@code a = -0.5}) whose support
 * widens with the downscaling factor (antialiasing), rounding to 8 bits after each pass.
 */
public final class Resampler {
    private Resampler() {}

    /**
     * Resizes a whole image.
     *
     * @param src the image
     * @param outW the output width
     * @param outH the output height
     * @return the resized image
     */
    public static RgbImage bicubic(RgbImage src, int outW, int outH) {
        return bicubic(src, 0, 0, src.width(), src.height(), outW, outH);
    }

    /**
     * Crops a box and resizes it (torchvision's {@code resized_crop}).
     *
     * @param src the image
     * @param left the box's left column
     * @param top the box's top row
     * @param boxW the box width
     * @param boxH the box height
     * @param outW the output width
     * @param outH the output height
     * @return the resized crop
     */
    public static RgbImage bicubic(
            RgbImage src, int left, int top, int boxW, int boxH, int outW, int outH) {
        if (left < 0
                || top < 0
                || boxW <= 0
                || boxH <= 0
                || left + boxW > src.width()
                || top + boxH > src.height()) {
            throw new IllegalArgumentException(
                    "crop box ("
                            + left
                            + ", "
                            + top
                            + ", "
                            + boxW
                            + "x"
                            + boxH
                            + ") does not fit in a "
                            + src.width()
                            + "x"
                            + src.height()
                            + " image");
        }
        if (left == 0
                && top == 0
                && boxW == src.width()
                && boxH == src.height()
                && outW == boxW
                && outH == boxH) {
            return new RgbImage(outW, outH, src.data().clone());
        }
        Coeffs cx = coeffs(boxW, outW);
        Coeffs cy = coeffs(boxH, outH);
        float[] mid = horizontal(src, left, top, boxW, boxH, cx, outW);
        return new RgbImage(outW, outH, vertical(mid, outW, cy, outH));
    }

    /**
     * The horizontal pass over the box's rows: (boxH, outW) pixels rounded to 8 bits, kept as
     * floats for the vertical pass. Each row is widened to floats once (a source pixel feeds
     * several outputs), then every output pixel sums its taps in order.
     */
    private static float[] horizontal(
            RgbImage src, int left, int top, int boxW, int boxH, Coeffs cx, int outW) {
        byte[] in = src.data();
        int sw = src.width();
        float[] mid = new float[boxH * outW * 3];
        float[] row = new float[3 * boxW];
        for (int y = 0; y < boxH; y++) {
            int base = 3 * ((top + y) * sw + left);
            for (int i = 0; i < row.length; i++) {
                row[i] = in[base + i] & 0xFF;
            }
            int d = 3 * y * outW;
            for (int x = 0; x < outW; x++) {
                int n = cx.n[x];
                int kBase = x * cx.stride;
                int p = 3 * cx.lo[x];
                float r = 0;
                float g = 0;
                float b = 0;
                for (int k = 0; k < n; k++, p += 3) {
                    float w = cx.w[kBase + k];
                    r += w * row[p];
                    g += w * row[p + 1];
                    b += w * row[p + 2];
                }
                mid[d++] = clip(r) & 0xFF;
                mid[d++] = clip(g) & 0xFF;
                mid[d++] = clip(b) & 0xFF;
            }
        }
        return mid;
    }

    /**
     * The vertical pass: each output row is a weighted sum of whole rows of the horizontal pass's
     * result, accumulated tap by tap over the row (contiguous, in the same order per value as a
     * pixel-by-pixel sum, so the same floats), then rounded to 8 bits.
     */
    private static byte[] vertical(float[] mid, int outW, Coeffs cy, int outH) {
        int width = 3 * outW;
        byte[] out = new byte[outH * width];
        float[] acc = new float[width];
        for (int y = 0; y < outH; y++) {
            java.util.Arrays.fill(acc, 0f);
            int n = cy.n[y];
            int kBase = y * cy.stride;
            for (int k = 0; k < n; k++) {
                float w = cy.w[kBase + k];
                int p = (cy.lo[y] + k) * width;
                for (int i = 0; i < width; i++) {
                    acc[i] += w * mid[p + i];
                }
            }
            int d = y * width;
            for (int i = 0; i < width; i++) {
                out[d + i] = clip(acc[i]);
            }
        }
        return out;
    }

    private static byte clip(float v) {
        int i = Math.round(v);
        return (byte) (i < 0 ? 0 : Math.min(i, 255));
    }

    /** The cubic convolution kernel with {@code a = -0.5}. */
    static double cubic(double x) {
        double a = -0.5;
        x = Math.abs(x);
        if (x < 1) {
            return ((a + 2) * x - (a + 3)) * x * x + 1;
        }
        if (x < 2) {
            return (((x - 5) * x + 8) * x - 4) * a;
        }
        return 0;
    }

    private record Coeffs(int[] lo, int[] n, float[] w, int stride) {}

    private static Coeffs coeffs(int inSize, int outSize) {
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = 2.0 * filterScale;
        int stride = (int) Math.ceil(support) * 2 + 1;
        int[] lo = new int[outSize];
        int[] n = new int[outSize];
        float[] w = new float[outSize * stride];
        double[] tmp = new double[stride];
        for (int o = 0; o < outSize; o++) {
            double center = (o + 0.5) * scale;
            int xmin = Math.max((int) (center - support + 0.5), 0);
            int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
            xmax = Math.min(xmax, stride);
            double sum = 0;
            for (int k = 0; k < xmax; k++) {
                double v = cubic((k + xmin - center + 0.5) / filterScale);
                tmp[k] = v;
                sum += v;
            }
            for (int k = 0; k < xmax; k++) {
                w[o * stride + k] = (float) (sum == 0 ? 0 : tmp[k] / sum);
            }
            lo[o] = xmin;
            n[o] = xmax;
        }
        return new Coeffs(lo, n, w, stride);
    }
}
