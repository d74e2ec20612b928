package dev.vlmo.datasets.batch;

import dev.vlmo.datasets.BadInputs;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Turns a list of samples into a batch; runs in loader worker threads.
 *
 * @param <T> the sample type
 */
@FunctionalInterface
public interface Collator<T> {

    /**
     * Builds a batch, skipping (and reporting) bad samples.
     *
     * @param samples the samples, in batch order
     * @param rng the random stream of this batch; each sample takes {@code rng.split()} in order,
     *     so that its randomness does not depend on other samples
     * @param bad where to report bad samples (throws in strict mode)
     * @return the batch of the good samples
     */
    Batch collate(List<T> samples, SplittableRandom rng, BadInputs bad);
}
