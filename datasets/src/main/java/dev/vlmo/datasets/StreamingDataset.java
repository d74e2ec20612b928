package dev.vlmo.datasets;

import java.util.Iterator;

/**
 * A source that is read front to back (tar shards, text files), possibly shuffled per epoch.
 *
 * @param <T> the sample type
 */
public interface StreamingDataset<T> {

    /**
     * Opens a pass over the data.
     *
     * @param seed the seed of this pass (shard order and shuffle buffer)
     * @return an iterator that must be closed when done
     */
    CloseableIterator<T> open(long seed);

    /**
     * An iterator that holds files open until closed.
     *
     * @param <T> the element type
     */
    interface CloseableIterator<T> extends Iterator<T>, AutoCloseable {
        /** Releases the files held by the iterator. */
        @Override
        void close();
    }
}
