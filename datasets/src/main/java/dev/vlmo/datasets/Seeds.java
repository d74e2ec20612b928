package dev.vlmo.datasets;

import java.util.SplittableRandom;

/** Derives independent, reproducible random streams from a base seed and a path of integers. */
public final class Seeds {
    private Seeds() {}

    /**
     * Mixes a seed with a path of integers (split, epoch, sample index...) into a new 64-bit seed.
     *
     * @param seed the base seed
     * @param path the coordinates of the stream
     * @return a well-mixed seed unique to {@code (seed, path)}
     */
    public static long mix(long seed, long... path) {
        long h = splitMix(seed ^ 0x9E3779B97F4A7C15L);
        for (long p : path) {
            h = splitMix(h ^ splitMix(p + 0x632BE59BD9B4E019L));
        }
        return h;
    }

    /**
     * Returns a random stream for {@code (seed, path)}.
     *
     * @param seed the base seed
     * @param path the coordinates of the stream
     * @return a new random generator
     */
    public static SplittableRandom random(long seed, long... path) {
        return new SplittableRandom(mix(seed, path));
    }

    private static long splitMix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
