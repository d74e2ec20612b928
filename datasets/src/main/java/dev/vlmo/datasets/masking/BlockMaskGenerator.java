package dev.vlmo.datasets.masking;

import java.util.SplittableRandom;

/**
 * BEiT's blockwise masking of image patches: rectangles of random area (at least {@code
 * minPatches}) and aspect ratio (from {@code minAspect} to {@code 1/minAspect}) are added until
 * about {@code numMasked} patches are masked.
 */
public final class BlockMaskGenerator {
    private final int height;
    private final int width;
    private final int numMasked;
    private final int minPatches;
    private final int maxPatches;
    private final double logAspectLo;
    private final double logAspectHi;

    /**
     * Creates a generator with explicit settings (BEiT at 224: 14x14, 75 masked, min 16, 0.3).
     *
     * @param height patch rows
     * @param width patch columns
     * @param numMasked the target number of masked patches
     * @param minPatches the smallest block area
     * @param maxPatches the largest block area
     * @param minAspect the smallest block aspect ratio, in (0, 1]
     */
    public BlockMaskGenerator(
            int height,
            int width,
            int numMasked,
            int minPatches,
            int maxPatches,
            double minAspect) {
        if (height < 1 || width < 1) {
            throw new IllegalArgumentException(
                    "patch grid must be at least 1x1, got " + height + "x" + width);
        }
        if (numMasked < 0 || numMasked > height * width) {
            throw new IllegalArgumentException(
                    "masked patches must be in [0, " + height * width + "], got " + numMasked);
        }
        if (!(minAspect > 0 && minAspect <= 1)) {
            throw new IllegalArgumentException(
                    "min aspect ratio must be in (0, 1], got " + minAspect);
        }
        this.height = height;
        this.width = width;
        this.numMasked = numMasked;
        this.minPatches = minPatches;
        this.maxPatches = maxPatches;
        this.logAspectLo = Math.log(minAspect);
        this.logAspectHi = Math.log(1 / minAspect);
    }

    /**
     * Creates a generator that masks about {@code ratio} of a grid, with BEiT's block settings
     * scaled to small grids (smallest block {@code min(16, max(1, masked / 4))} patches).
     *
     * @param height patch rows
     * @param width patch columns
     * @param ratio the masked fraction, 0.4 in BEiT
     * @return the generator
     */
    public static BlockMaskGenerator forRatio(int height, int width, double ratio) {
        if (!(ratio >= 0 && ratio <= 1)) {
            throw new IllegalArgumentException("mask ratio must be in [0, 1], got " + ratio);
        }
        int n = (int) Math.round(ratio * height * width);
        int min = Math.min(16, Math.max(1, n / 4));
        return new BlockMaskGenerator(height, width, n, min, n, 0.3);
    }

    /**
     * Returns the number of patches.
     *
     * @return {@code height * width}
     */
    public int numPatches() {
        return height * width;
    }

    /**
     * Draws a mask.
     *
     * @param rng the random stream of this sample
     * @return row-major flags, {@code true} for masked patches
     */
    public boolean[] generate(SplittableRandom rng) {
        boolean[] mask = new boolean[height * width];
        int count = 0;
        while (count < numMasked) {
            int max = Math.min(numMasked - count, maxPatches);
            int delta = addBlock(mask, max, rng);
            if (delta == 0) {
                break;
            }
            count += delta;
        }
        return mask;
    }

    private int addBlock(boolean[] mask, int max, SplittableRandom rng) {
        int delta = 0;
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = minPatches + (max - minPatches) * rng.nextDouble();
            double aspect = Math.exp(logAspectLo + (logAspectHi - logAspectLo) * rng.nextDouble());
            int h = (int) Math.round(Math.sqrt(target * aspect));
            int w = (int) Math.round(Math.sqrt(target / aspect));
            if (w < width && h < height) {
                int top = rng.nextInt(height - h + 1);
                int left = rng.nextInt(width - w + 1);
                int already = 0;
                for (int i = top; i < top + h; i++) {
                    for (int j = left; j < left + w; j++) {
                        if (mask[i * width + j]) {
                            already++;
                        }
                    }
                }
                int fresh = h * w - already;
                if (fresh > 0 && fresh <= max) {
                    for (int i = top; i < top + h; i++) {
                        for (int j = left; j < left + w; j++) {
                            if (!mask[i * width + j]) {
                                mask[i * width + j] = true;
                                delta++;
                            }
                        }
                    }
                }
                if (delta > 0) {
                    break;
                }
            }
        }
        return delta;
    }
}
