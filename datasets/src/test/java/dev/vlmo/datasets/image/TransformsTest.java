package dev.vlmo.datasets.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TransformsTest {

    static RgbImage pattern(int w, int h) {
        byte[] d = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = 3 * (y * w + x);
                d[i] = (byte) (x * 255 / (w - 1));
                d[i + 1] = (byte) (y * 255 / (h - 1));
                d[i + 2] = (byte) ((x + y) % 2 == 0 ? 200 : 40);
            }
        }
        return new RgbImage(w, h, d);
    }

    static RgbImage constant(int w, int h, int r, int g, int b) {
        byte[] d = new byte[w * h * 3];
        for (int i = 0; i < w * h; i++) {
            d[3 * i] = (byte) r;
            d[3 * i + 1] = (byte) g;
            d[3 * i + 2] = (byte) b;
        }
        return new RgbImage(w, h, d);
    }

    @Test
    void evalResizesToChwNormalisedByHalf() {
        float[] out = Transforms.eval(32).apply(constant(50, 70, 255, 0, 128), null);
        assertEquals(3 * 32 * 32, out.length);
        assertEquals(1f, out[0], 1e-6);
        assertEquals(-1f, out[32 * 32], 1e-6);
        assertEquals(128 / 127.5f - 1, out[2 * 32 * 32 + 500], 1e-6);
    }

    @Test
    void bicubicDownscalingAveragesLikeAnAntialiasingFilter() {
        // A 1-pixel checkerboard shrunk 8x becomes flat grey (PIL widens the kernel); naive point
        // sampling would keep 200 or 40.
        RgbImage small = Resampler.bicubic(pattern(256, 256), 32, 32);
        for (int y = 4; y < 28; y++) {
            for (int x = 4; x < 28; x++) {
                assertEquals(120, small.get(x, y, 2), 3);
            }
        }
        // Gradients keep their ends and stay monotone.
        assertTrue(small.get(0, 10, 0) < 10 && small.get(31, 10, 0) > 245);
        for (int x = 1; x < 32; x++) {
            assertTrue(small.get(x, 10, 0) >= small.get(x - 1, 10, 0));
        }
        // Upscaling a constant image keeps it constant (weights sum to one).
        RgbImage up = Resampler.bicubic(constant(7, 5, 10, 20, 30), 61, 43);
        for (int y = 0; y < 43; y++) {
            for (int x = 0; x < 61; x++) {
                assertEquals(20, up.get(x, y, 1));
            }
        }
        // PIL's bicubic kernel values.
        assertEquals(1.0, Resampler.cubic(0), 1e-12);
        assertEquals(0.5625, Resampler.cubic(0.5), 1e-12);
        assertEquals(-0.0625, Resampler.cubic(1.5), 1e-12);
        assertEquals(0.0, Resampler.cubic(2), 1e-12);
    }

    @Test
    void trainTransformIsSeededAndVaries() {
        ImageTransform t = Transforms.train(48);
        RgbImage img = pattern(96, 80);
        float[] a = t.apply(img, new SplittableRandom(5));
        float[] b = t.apply(img, new SplittableRandom(5));
        float[] c = t.apply(img, new SplittableRandom(6));
        assertArrayEquals(a, b);
        assertFalse(java.util.Arrays.equals(a, c));
        for (float v : a) {
            assertTrue(v >= -1 && v <= 1);
        }
    }

    @Test
    void randomResizedCropKeepsHalfToAllOfTheArea() {
        SplittableRandom rng = new SplittableRandom(0);
        for (int i = 0; i < 1000; i++) {
            int[] box = Transforms.randomResizedCropBox(200, 100, 0.5, rng);
            double area = box[2] * (double) box[3] / 20000;
            assertTrue(area >= 0.45 && area <= 1.0001, "area " + area);
            double ratio = box[2] / (double) box[3];
            assertTrue(ratio >= 0.74 && ratio <= 1.34 || area > 0.99, "ratio " + ratio);
            assertTrue(box[0] + box[2] <= 200 && box[1] + box[3] <= 100);
        }
    }

    @Test
    void randAugmentOperationsDoWhatTheySay() {
        RgbImage img = constant(20, 20, 100, 110, 120);
        byte[] d = img.data();
        d[0] = 50;
        d[3 * 399] = (byte) 150;
        RgbImage ac = RandAugment.autoContrast(img);
        assertEquals(0, ac.get(0, 0, 0));
        assertEquals(255, ac.get(19, 19, 0));
        assertEquals(127, ac.get(5, 5, 0));
        RgbImage br = RandAugment.brightness(constant(4, 4, 100, 200, 0), 1.36);
        assertEquals(136, br.get(0, 0, 0));
        assertEquals(255, br.get(0, 0, 1));
        // Equalize spreads two equally common values to the extremes of the range.
        RgbImage two = constant(100, 100, 80, 80, 80);
        for (int i = 0; i < 5000; i++) {
            two.data()[3 * i] = 90;
        }
        RgbImage eq = RandAugment.equalize(two);
        assertEquals(0, eq.get(99, 99, 0));
        assertEquals(255, eq.get(0, 0, 0));
        // PIL leaves a channel alone when its histogram is too small to step through.
        RgbImage tiny = constant(10, 10, 80, 80, 80);
        tiny.data()[0] = 90;
        assertArrayEquals(tiny.data(), RandAugment.equalize(tiny).data());
        // Translating right by 3 pixels moves content and fills with grey.
        RgbImage p = pattern(16, 16);
        RgbImage tx = RandAugment.affine(p, 1, 0, 3, 0, 1, 0);
        assertEquals(p.get(5, 7, 0), tx.get(8, 7, 0));
        assertEquals(128, tx.get(1, 7, 0));
        // Rotating by 90 degrees (counter-clockwise) maps the top-right region to the top-left.
        RgbImage q = constant(16, 16, 0, 0, 0);
        for (int y = 0; y < 4; y++) {
            for (int x = 12; x < 16; x++) {
                q.data()[3 * (y * 16 + x)] = (byte) 255;
            }
        }
        RgbImage rot = RandAugment.rotate(q, 90);
        assertEquals(255, rot.get(1, 1, 0));
        assertEquals(0, rot.get(14, 1, 0));
        // Sharpness 1 is the identity; borders are kept.
        assertArrayEquals(p.data(), RandAugment.sharpness(p, 1.0).data());
        RgbImage sh = RandAugment.sharpness(p, 1.9);
        assertEquals(p.get(0, 5, 2), sh.get(0, 5, 2));
        assertTrue(sh.get(5, 5, 2) != p.get(5, 5, 2));
    }
}
