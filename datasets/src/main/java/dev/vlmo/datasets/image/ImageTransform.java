package dev.vlmo.datasets.image;

import java.util.SplittableRandom;

/** A seeded image transform that ends in a normalised float CHW array. */
public interface ImageTransform {

    /**
     * Returns the output side in pixels.
     *
     * @return the size of the square output
     */
    int size();

    /**
     * Transforms an image into {@code out[offset ..]} as {@code 3 x size x size} floats.
     *
     * @param img the decoded image
     * @param rng the random stream of this sample (unused by deterministic transforms)
     * @param out the destination
     * @param offset where to start writing
     */
    void apply(RgbImage img, SplittableRandom rng, float[] out, int offset);

    /**
     * Transforms an image into a new array.
     *
     * @param img the decoded image
     * @param rng the random stream of this sample
     * @return {@code 3 x size x size} floats, channel-major
     */
    default float[] apply(RgbImage img, SplittableRandom rng) {
        float[] out = new float[3 * size() * size()];
        apply(img, rng, out, 0);
        return out;
    }
}
