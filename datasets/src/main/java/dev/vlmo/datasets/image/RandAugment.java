package dev.vlmo.datasets.image;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * RandAugment as the reference applies it: {@code n} operations drawn with replacement, each
 * applied with probability 0.5 at magnitude {@code m} out of 10, on 8-bit RGB with grey (128)
 * filling uncovered pixels of geometric operations.
 *
 * <p>Magnitudes at level {@code m}: enhancement factor {@code m/10 * 1.8 + 0.1}; shear {@code m/10
 * * 0.3}, rotation {@code m/10 * 30} degrees and translation {@code m/10 * 10} pixels, each with a
 * random sign. The reference lets sharpening overflow 8 bits; here it clips.
 */
public final class RandAugment {

    /** The operations. */
    public enum Op {
        /** Leaves the image unchanged. */
        IDENTITY,
        /** Stretches each channel to the full 0 to 255 range. */
        AUTO_CONTRAST,
        /** Equalises each channel's histogram (PIL's algorithm). */
        EQUALIZE,
        /** Multiplies values by the enhancement factor. */
        BRIGHTNESS,
        /** Blends with a smoothed copy by the enhancement factor (borders kept). */
        SHARPNESS,
        /** Shears along x. */
        SHEAR_X,
        /** Shears along y. */
        SHEAR_Y,
        /** Translates along x. */
        TRANSLATE_X,
        /** Translates along y. */
        TRANSLATE_Y,
        /** Rotates about the centre. */
        ROTATE
    }

    /** The operations of VLMo's train transform (all of {@link Op}). */
    public static final List<Op> VLMO_OPS = List.of(Op.values());

    private static final int MAX_LEVEL = 10;
    private static final int FILL = 128;

    private final int n;
    private final int m;
    private final Op[] ops;
    private final double translateConst;

    /**
     * Creates RandAugment over the reference's operations with its translation of 10 pixels.
     *
     * @param n operations per image (2 in VLMo)
     * @param m magnitude from 0 to 10 (7 in VLMo)
     */
    public RandAugment(int n, int m) {
        this(n, m, EnumSet.allOf(Op.class), 10);
    }

    /**
     * Creates RandAugment.
     *
     * @param n operations per image, at least 0
     * @param m magnitude from 0 to 10
     * @param ops the operations to draw from, not empty
     * @param translateConst the translation in pixels at magnitude 10 (10 in the reference)
     */
    public RandAugment(int n, int m, Set<Op> ops, double translateConst) {
        if (n < 0 || m < 0 || m > MAX_LEVEL) {
            throw new IllegalArgumentException(
                    "RandAugment needs n >= 0 and m in [0, 10], got n=" + n + ", m=" + m);
        }
        if (ops.isEmpty()) {
            throw new IllegalArgumentException("RandAugment needs at least one operation");
        }
        this.n = n;
        this.m = m;
        this.ops = ops.stream().sorted().toArray(Op[]::new);
        this.translateConst = translateConst;
    }

    /**
     * Applies {@code n} random operations.
     *
     * @param img the image
     * @param rng the random stream of this sample
     * @return the augmented image (may be {@code img} itself when nothing applied)
     */
    public RgbImage apply(RgbImage img, SplittableRandom rng) {
        Op[] chosen = new Op[n];
        for (int i = 0; i < n; i++) {
            chosen[i] = ops[rng.nextInt(ops.length)];
        }
        for (Op op : chosen) {
            if (rng.nextDouble() > 0.5) {
                continue;
            }
            img = apply(op, img, rng);
        }
        return img;
    }

    /**
     * Applies one operation at this instance's magnitude.
     *
     * @param op the operation
     * @param img the image
     * @param rng the random stream (for the sign of geometric operations)
     * @return the new image
     */
    public RgbImage apply(Op op, RgbImage img, SplittableRandom rng) {
        double level = (double) m / MAX_LEVEL;
        return switch (op) {
            case IDENTITY -> img;
            case AUTO_CONTRAST -> autoContrast(img);
            case EQUALIZE -> equalize(img);
            case BRIGHTNESS -> brightness(img, level * 1.8 + 0.1);
            case SHARPNESS -> sharpness(img, level * 1.8 + 0.1);
            case SHEAR_X -> affine(img, 1, signed(level * 0.3, rng), 0, 0, 1, 0);
            case SHEAR_Y -> affine(img, 1, 0, 0, signed(level * 0.3, rng), 1, 0);
            case TRANSLATE_X -> affine(img, 1, 0, -signed(level * translateConst, rng), 0, 1, 0);
            case TRANSLATE_Y -> affine(img, 1, 0, 0, 0, 1, -signed(level * translateConst, rng));
            case ROTATE -> rotate(img, signed(level * 30, rng));
        };
    }

    private static double signed(double v, SplittableRandom rng) {
        return rng.nextDouble() > 0.5 ? -v : v;
    }

    /**
     * Stretches each channel so that its minimum becomes 0 and its maximum 255.
     *
     * @param img the image
     * @return the new image
     */
    public static RgbImage autoContrast(RgbImage img) {
        byte[] d = img.data();
        byte[] out = new byte[d.length];
        for (int c = 0; c < 3; c++) {
            int lo = 255;
            int hi = 0;
            for (int i = c; i < d.length; i += 3) {
                int v = d[i] & 0xFF;
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            int[] table = new int[256];
            for (int v = 0; v < 256; v++) {
                if (hi <= lo) {
                    table[v] = v;
                } else {
                    double scale = 255.0 / (hi - lo);
                    double t = v * scale - lo * scale;
                    table[v] = (int) Math.max(0, Math.min(255, t));
                }
            }
            for (int i = c; i < d.length; i += 3) {
                out[i] = (byte) table[d[i] & 0xFF];
            }
        }
        return new RgbImage(img.width(), img.height(), out);
    }

    /**
     * Equalises each channel's histogram the way PIL does.
     *
     * @param img the image
     * @return the new image
     */
    public static RgbImage equalize(RgbImage img) {
        byte[] d = img.data();
        byte[] out = d.clone();
        for (int c = 0; c < 3; c++) {
            long[] hist = new long[256];
            for (int i = c; i < d.length; i += 3) {
                hist[d[i] & 0xFF]++;
            }
            long lastNonZero = 0;
            long sumNonZero = 0;
            for (int v = 0; v < 256; v++) {
                if (hist[v] != 0) {
                    sumNonZero += hist[v];
                    lastNonZero = hist[v];
                }
            }
            long step = (sumNonZero - lastNonZero) / 255;
            if (step == 0) {
                continue;
            }
            int[] table = new int[256];
            long cum = step / 2;
            for (int v = 0; v < 256; v++) {
                table[v] = (int) Math.min(255, cum / step);
                cum += hist[v];
            }
            for (int i = c; i < d.length; i += 3) {
                out[i] = (byte) table[d[i] & 0xFF];
            }
        }
        return new RgbImage(img.width(), img.height(), out);
    }

    /**
     * Multiplies every value by a factor, clipping to 255.
     *
     * @param img the image
     * @param factor the factor
     * @return the new image
     */
    public static RgbImage brightness(RgbImage img, double factor) {
        int[] table = new int[256];
        for (int v = 0; v < 256; v++) {
            table[v] = (int) Math.max(0, Math.min(255, (float) (v * factor)));
        }
        byte[] d = img.data();
        byte[] out = new byte[d.length];
        for (int i = 0; i < d.length; i++) {
            out[i] = (byte) table[d[i] & 0xFF];
        }
        return new RgbImage(img.width(), img.height(), out);
    }

    /**
     * Blends the image with its 3x3 smoothed copy ({@code [1 1 1; 1 5 1; 1 1 1] / 13}): {@code
     * smooth + factor * (img - smooth)} inside, border pixels unchanged.
     *
     * @param img the image
     * @param factor the factor (1 leaves the image unchanged)
     * @return the new image
     */
    public static RgbImage sharpness(RgbImage img, double factor) {
        int w = img.width();
        int h = img.height();
        byte[] d = img.data();
        byte[] out = d.clone();
        if (w < 3 || h < 3 || factor == 1.0) {
            return new RgbImage(w, h, out);
        }
        for (int y = 1; y < h - 1; y++) {
            for (int x = 1; x < w - 1; x++) {
                for (int c = 0; c < 3; c++) {
                    int sum = 0;
                    for (int dy = -1; dy <= 1; dy++) {
                        for (int dx = -1; dx <= 1; dx++) {
                            sum += d[3 * ((y + dy) * w + x + dx) + c] & 0xFF;
                        }
                    }
                    int centre = d[3 * (y * w + x) + c] & 0xFF;
                    sum += 4 * centre;
                    double smooth = Math.rint(sum / 13.0);
                    double v = smooth + factor * (centre - smooth);
                    out[3 * (y * w + x) + c] = (byte) Math.max(0, Math.min(255, (int) v));
                }
            }
        }
        return new RgbImage(w, h, out);
    }

    /**
     * Rotates about the image centre ({@code W/2, H/2}), counter-clockwise for positive degrees,
     * filling with grey.
     *
     * @param img the image
     * @param degrees the angle
     * @return the new image
     */
    public static RgbImage rotate(RgbImage img, double degrees) {
        double a = Math.toRadians(degrees);
        double cos = Math.cos(a);
        double sin = Math.sin(a);
        double cx = img.width() / 2.0;
        double cy = img.height() / 2.0;
        return affine(
                img, cos, sin, (1 - cos) * cx - sin * cy, -sin, cos, sin * cx + (1 - cos) * cy);
    }

    /**
     * Warps by a forward affine map {@code dst = [a b c; d e f] src} with bilinear sampling and
     * grey outside the source (OpenCV's {@code warpAffine} with a constant border).
     *
     * @param img the image
     * @param a row 0, column 0
     * @param b row 0, column 1
     * @param c row 0, translation
     * @param d row 1, column 0
     * @param e row 1, column 1
     * @param f row 1, translation
     * @return the new image
     */
    public static RgbImage affine(
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
        Arrays.fill(out, (byte) FILL);
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
                int o = 3 * (y * w + x);
                if (x0 >= 0 && y0 >= 0 && x0 < w - 1 && y0 < h - 1) {
                    // all four neighbours inside: read them directly (the same sums as below)
                    int p = 3 * (y0 * w + x0);
                    int q = p + 3 * w;
                    for (int ch = 0; ch < 3; ch++, p++, q++) {
                        double v00 = src[p] & 0xFF;
                        double v10 = src[p + 3] & 0xFF;
                        double v01 = src[q] & 0xFF;
                        double v11 = src[q + 3] & 0xFF;
                        double v =
                                (v00 * (1 - fx) + v10 * fx) * (1 - fy)
                                        + (v01 * (1 - fx) + v11 * fx) * fy;
                        out[o + ch] = (byte) round(v);
                    }
                    continue;
                }
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
        return new RgbImage(w, h, out);
    }

    /**
     * {@code Math.round(v)} for a value in [0, 255] (a blend of 8-bit values), without its general
     * case: {@code v + 0.5} is exact from 0.5 up, so truncating it rounds half up alike.
     */
    private static int round(double v) {
        return v < 0.5 ? 0 : (int) (v + 0.5);
    }

    private static double sample(byte[] src, int w, int h, int x, int y, int c) {
        if (x < 0 || y < 0 || x >= w || y >= h) {
            return FILL;
        }
        return src[3 * (y * w + x) + c] & 0xFF;
    }
}
