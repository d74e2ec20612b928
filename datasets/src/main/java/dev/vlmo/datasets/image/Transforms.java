package dev.vlmo.datasets.image;

import java.util.Set;
import java.util.SplittableRandom;

/**
 * The reference's image transforms. Train: RandomResizedCrop (scale 0.5 to 1, ratio 3/4 to 4/3,
 * bicubic), horizontal flip with probability 0.5, RandAugment(2, 7), normalise with mean 0.5 and
 * std 0.5. Eval: resize to {@code size x size} bicubic, same normalisation.
 */
public final class Transforms {
    /** The normalisation mean of every channel. */
    public static final float MEAN = 0.5f;

    /** The normalisation standard deviation of every channel. */
    public static final float STD = 0.5f;

    private Transforms() {}

    /**
     * Returns the reference's train transform.
     *
     * @param size the output side
     * @return the transform
     */
    public static ImageTransform train(int size) {
        return train(size, 0.5, new RandAugment(2, 7));
    }

    /**
     * Returns a train transform with its own crop scale and RandAugment.
     *
     * @param size the output side
     * @param minScale the smallest crop area as a fraction of the image (0.5 in the reference)
     * @param randAugment the augmentation, or {@code null} for none
     * @return the transform
     */
    public static ImageTransform train(int size, double minScale, RandAugment randAugment) {
        checkSize(size);
        if (!(minScale > 0 && minScale <= 1)) {
            throw new IllegalArgumentException("crop scale must be in (0, 1], got " + minScale);
        }
        return new ImageTransform() {
            @Override
            public int size() {
                return size;
            }

            @Override
            public void apply(RgbImage img, SplittableRandom rng, float[] out, int offset) {
                int[] box = randomResizedCropBox(img.width(), img.height(), minScale, rng);
                RgbImage x = Resampler.bicubic(img, box[0], box[1], box[2], box[3], size, size);
                if (rng.nextDouble() < 0.5) {
                    x = x.flipHorizontal();
                }
                if (randAugment != null) {
                    x = randAugment.apply(x, rng);
                }
                x.toChw(MEAN, STD, out, offset);
            }
        };
    }

    /**
     * Returns the reference's train transform with RandAugment's translation scaled to the image
     * size (10 pixels at 224), for small images where 7 pixels would move objects off the canvas.
     *
     * @param size the output side
     * @return the transform
     */
    public static ImageTransform trainScaled(int size) {
        return train(
                size,
                0.5,
                new RandAugment(2, 7, Set.copyOf(RandAugment.VLMO_OPS), 10.0 * size / 224));
    }

    /**
     * Returns the reference's eval transform.
     *
     * @param size the output side
     * @return the transform
     */
    public static ImageTransform eval(int size) {
        checkSize(size);
        return new ImageTransform() {
            @Override
            public int size() {
                return size;
            }

            @Override
            public void apply(RgbImage img, SplittableRandom rng, float[] out, int offset) {
                Resampler.bicubic(img, size, size).toChw(MEAN, STD, out, offset);
            }
        };
    }

    /**
     * Draws torchvision's RandomResizedCrop box (ratio 3/4 to 4/3, 10 tries, then a centre crop).
     *
     * @param width the image width
     * @param height the image height
     * @param minScale the smallest area fraction
     * @param rng the random stream
     * @return {@code {left, top, width, height}}
     */
    public static int[] randomResizedCropBox(
            int width, int height, double minScale, SplittableRandom rng) {
        double area = (double) width * height;
        double logLo = Math.log(3.0 / 4);
        double logHi = Math.log(4.0 / 3);
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * (minScale + (1 - minScale) * rng.nextDouble());
            double aspect = Math.exp(logLo + (logHi - logLo) * rng.nextDouble());
            int w = (int) Math.round(Math.sqrt(target * aspect));
            int h = (int) Math.round(Math.sqrt(target / aspect));
            if (w > 0 && w <= width && h > 0 && h <= height) {
                int top = rng.nextInt(height - h + 1);
                int left = rng.nextInt(width - w + 1);
                return new int[] {left, top, w, h};
            }
        }
        double ratio = (double) width / height;
        int w;
        int h;
        if (ratio < 3.0 / 4) {
            w = width;
            h = (int) Math.round(w / (3.0 / 4));
        } else if (ratio > 4.0 / 3) {
            h = height;
            w = (int) Math.round(h * (4.0 / 3));
        } else {
            w = width;
            h = height;
        }
        h = Math.min(h, height);
        w = Math.min(w, width);
        return new int[] {(width - w) / 2, (height - h) / 2, w, h};
    }

    private static void checkSize(int size) {
        if (size < 1 || size > 8192) {
            throw new IllegalArgumentException("image size must be in [1, 8192], got " + size);
        }
    }
}
