package dev.vlmo.datasets.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The loader's hot loops (the bicubic resize's row-wise passes, the affine warp's direct reads
 * inside the image) give the same bytes as a plain pixel-by-pixel formulation of the same
 * arithmetic, on random images, crop boxes and warps.
 */
class ResamplingLoopsTest {

    private static RgbImage noise(int w, int h, SplittableRandom rng) {
        byte[] d = new byte[w * h * 3];
        for (int i = 0; i < d.length; i++) {
            d[i] = (byte) rng.nextInt(256);
        }
        return new RgbImage(w, h, d);
    }

    @Test
    void bicubicEqualsPixelByPixelSums() {
        SplittableRandom rng = new SplittableRandom(3);
        for (int t = 0; t < 40; t++) {
            int w = 8 + rng.nextInt(120);
            int h = 8 + rng.nextInt(120);
            RgbImage img = noise(w, h, rng);
            int boxW = 1 + rng.nextInt(w);
            int boxH = 1 + rng.nextInt(h);
            int left = rng.nextInt(w - boxW + 1);
            int top = rng.nextInt(h - boxH + 1);
            // down- and upscaling, square and not
            int outW = 1 + rng.nextInt(96);
            int outH = t % 3 == 0 ? outW : 1 + rng.nextInt(96);
            byte[] want = plainBicubic(img, left, top, boxW, boxH, outW, outH);
            byte[] got = Resampler.bicubic(img, left, top, boxW, boxH, outW, outH).data();
            assertArrayEquals(
                    want,
                    got,
                    "box " + boxW + "x" + boxH + " of " + w + "x" + h + " to " + outW + "x" + outH);
        }
    }

    @Test
    void affineEqualsPerSampleBilinearWithGreyOutside() {
        SplittableRandom rng = new SplittableRandom(5);
        for (int t = 0; t < 40; t++) {
            int w = 5 + rng.nextInt(60);
            int h = 5 + rng.nextInt(60);
            RgbImage img = noise(w, h, rng);
            double a = 1 + (rng.nextDouble() - 0.5) * 0.4;
            double b = (rng.nextDouble() - 0.5) * 0.6;
            double c = (rng.nextDouble() - 0.5) * 2 * w / 3;
            double d = (rng.nextDouble() - 0.5) * 0.6;
            double e = 1 + (rng.nextDouble() - 0.5) * 0.4;
            double f = (rng.nextDouble() - 0.5) * 2 * h / 3;
            byte[] want = plainAffine(img, a, b, c, d, e, f);
            assertArrayEquals(want, RandAugment.affine(img, a, b, c, d, e, f).data(), "warp " + t);
        }
        RgbImage img = noise(41, 29, rng);
        // half-pixel shifts: every other value is a tie (x.5) that rounds half up
        for (double[] shift : new double[][] {{0.5, 0}, {0, -0.5}, {1.5, 2.5}}) {
            assertArrayEquals(
                    plainAffine(img, 1, 0, shift[0], 0, 1, shift[1]),
                    RandAugment.affine(img, 1, 0, shift[0], 0, 1, shift[1]).data(),
                    "shift " + Arrays.toString(shift));
        }
        for (double deg : new double[] {-30, -7.5, 0, 13, 30}) {
            double r = Math.toRadians(deg);
            double cos = Math.cos(r);
            double sin = Math.sin(r);
            double cx = 41 / 2.0;
            double cy = 29 / 2.0;
            byte[] want =
                    plainAffine(
                            img,
                            cos,
                            sin,
                            (1 - cos) * cx - sin * cy,
                            -sin,
                            cos,
                            sin * cx + (1 - cos) * cy);
            assertArrayEquals(want, RandAugment.rotate(img, deg).data(), "rotate " + deg);
        }
    }

    /** PIL's two-pass bicubic, one output value at a time, rounding after each pass. */
    private static byte[] plainBicubic(
            RgbImage src, int left, int top, int boxW, int boxH, int outW, int outH) {
        if (left == 0
                && top == 0
                && boxW == src.width()
                && boxH == src.height()
                && outW == boxW
                && outH == boxH) {
            return src.data().clone();
        }
        Object[] cx = weights(boxW, outW);
        Object[] cy = weights(boxH, outH);
        byte[] in = src.data();
        int sw = src.width();
        byte[] mid = new byte[boxH * outW * 3];
        for (int y = 0; y < boxH; y++) {
            for (int x = 0; x < outW; x++) {
                int lo = ((int[]) cx[0])[x];
                float[] w = ((float[][]) cx[1])[x];
                for (int ch = 0; ch < 3; ch++) {
                    float s = 0;
                    for (int k = 0; k < w.length; k++) {
                        s += w[k] * (in[3 * ((top + y) * sw + left + lo + k) + ch] & 0xFF);
                    }
                    mid[3 * (y * outW + x) + ch] = clip(s);
                }
            }
        }
        byte[] out = new byte[outH * outW * 3];
        for (int y = 0; y < outH; y++) {
            int lo = ((int[]) cy[0])[y];
            float[] w = ((float[][]) cy[1])[y];
            for (int x = 0; x < outW; x++) {
                for (int ch = 0; ch < 3; ch++) {
                    float s = 0;
                    for (int k = 0; k < w.length; k++) {
                        s += w[k] * (mid[3 * ((lo + k) * outW + x) + ch] & 0xFF);
                    }
                    out[3 * (y * outW + x) + ch] = clip(s);
                }
            }
        }
        return out;
    }

    /** Per output: the first input and the normalised Keys (a = -0.5) weights, widened to scale. */
    private static Object[] weights(int inSize, int outSize) {
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = 2.0 * filterScale;
        int stride = (int) Math.ceil(support) * 2 + 1;
        int[] lo = new int[outSize];
        float[][] w = new float[outSize][];
        for (int o = 0; o < outSize; o++) {
            double center = (o + 0.5) * scale;
            int xmin = Math.max((int) (center - support + 0.5), 0);
            int n = Math.min(Math.min((int) (center + support + 0.5), inSize) - xmin, stride);
            double[] v = new double[n];
            double sum = 0;
            for (int k = 0; k < n; k++) {
                v[k] = Resampler.cubic((k + xmin - center + 0.5) / filterScale);
                sum += v[k];
            }
            w[o] = new float[n];
            for (int k = 0; k < n; k++) {
                w[o][k] = (float) (sum == 0 ? 0 : v[k] / sum);
            }
            lo[o] = xmin;
        }
        return new Object[] {lo, w};
    }

    private static byte clip(float v) {
        int i = Math.round(v);
        return (byte) (i < 0 ? 0 : Math.min(i, 255));
    }

    /** The inverse-mapped bilinear warp, every sample bounds-checked, grey (128) outside. */
    private static byte[] plainAffine(
            RgbImage img, double a, double b, double c, double d, double e, double f) {
        int w = img.width();
        int h = img.height();
        double det = a * e - b * d;
        double ia = e / det;
        double ib = -b / det;
        double id = -d / det;
        double ie = a / det;
        double ic = -(ia * c + ib * f);
        double iff = -(id * c + ie * f);
        byte[] src = img.data();
        byte[] out = new byte[src.length];
        Arrays.fill(out, (byte) 128);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double sx = ia * x + ib * y + ic;
                double sy = id * x + ie * y + iff;
                int x0 = (int) Math.floor(sx);
                int y0 = (int) Math.floor(sy);
                if (x0 < -1 || y0 < -1 || x0 >= w || y0 >= h) {
                    continue;
                }
                double fx = sx - x0;
                double fy = sy - y0;
                for (int ch = 0; ch < 3; ch++) {
                    double v00 = sample(src, w, h, x0, y0, ch);
                    double v10 = sample(src, w, h, x0 + 1, y0, ch);
                    double v01 = sample(src, w, h, x0, y0 + 1, ch);
                    double v11 = sample(src, w, h, x0 + 1, y0 + 1, ch);
                    double v =
                            (v00 * (1 - fx) + v10 * fx) * (1 - fy)
                                    + (v01 * (1 - fx) + v11 * fx) * fy;
                    out[3 * (y * w + x) + ch] = (byte) Math.max(0, Math.min(255, Math.round(v)));
                }
            }
        }
        return out;
    }

    private static double sample(byte[] src, int w, int h, int x, int y, int c) {
        if (x < 0 || y < 0 || x >= w || y >= h) {
            return 128;
        }
        return src[3 * (y * w + x) + c] & 0xFF;
    }
}
