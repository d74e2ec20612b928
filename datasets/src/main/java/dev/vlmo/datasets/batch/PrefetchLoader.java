package dev.vlmo.datasets.batch;

import dev.vlmo.datasets.BadInputs;
import dev.vlmo.datasets.DataException;
import dev.vlmo.datasets.Dataset;
import dev.vlmo.datasets.Seeds;
import dev.vlmo.datasets.StreamingDataset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A multi-threaded prefetching batch loader. Worker threads load, decode, augment and collate
 * batches ahead of the consumer (at most {@code prefetch} batches in flight); batches come out in a
 * fixed order that depends only on the seed and the epoch, never on the number of threads. An
 * exception in a worker reaches the consumer as a {@link DataException} naming the batch; {@link
 * #close()} stops the workers.
 *
 * @param <T> the sample type
 */
public final class PrefetchLoader<T> implements AutoCloseable {
    private static final AtomicInteger POOL = new AtomicInteger();

    private final Dataset<T> dataset;
    private final StreamingDataset<T> stream;
    private final Collator<T> collator;
    private final int batchSize;
    private final boolean shuffle;
    private final boolean dropLast;
    private final long seed;
    private final int prefetch;
    private final BadInputs bad;
    private final ExecutorService workers;
    private volatile boolean closed;

    private PrefetchLoader(Builder<T> b) {
        this.dataset = b.dataset;
        this.stream = b.stream;
        this.collator = b.collator;
        this.batchSize = b.batchSize;
        this.shuffle = b.shuffle;
        this.dropLast = b.dropLast;
        this.seed = b.seed;
        this.prefetch = b.prefetch > 0 ? b.prefetch : 2 * b.workers;
        this.bad = b.bad;
        int pool = POOL.incrementAndGet();
        AtomicInteger n = new AtomicInteger();
        ThreadFactory tf =
                r -> {
                    Thread t = new Thread(r, "vlmo-loader-" + pool + "-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                };
        this.workers = Executors.newFixedThreadPool(b.workers, tf);
    }

    /**
     * Starts a loader over a random-access dataset.
     *
     * @param dataset the samples
     * @param collator how samples become batches
     * @param <T> the sample type
     * @return a builder
     */
    public static <T> Builder<T> builder(Dataset<T> dataset, Collator<T> collator) {
        return new Builder<>(dataset, null, collator);
    }

    /**
     * Starts a loader over a streaming dataset (read in order; the stream shuffles itself).
     *
     * @param stream the samples
     * @param collator how samples become batches
     * @param <T> the sample type
     * @return a builder
     */
    public static <T> Builder<T> builder(StreamingDataset<T> stream, Collator<T> collator) {
        return new Builder<>(null, stream, collator);
    }

    /**
     * Returns the bad-input policy and report shared by the workers.
     *
     * @return the report
     */
    public BadInputs badInputs() {
        return bad;
    }

    /**
     * Returns the number of batches of an epoch over a random-access dataset.
     *
     * @return the count, or -1 for a streaming dataset
     */
    public int batchesPerEpoch() {
        if (dataset == null) {
            return -1;
        }
        int n = dataset.size();
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    /**
     * Opens an epoch: an iterator over its batches that must be closed (try-with-resources).
     *
     * @param epoch the epoch number (it seeds the shuffle and the augmentations)
     * @return the batches of the epoch
     */
    public Epoch epoch(int epoch) {
        if (closed) {
            throw new IllegalStateException("this loader is closed; build a new one");
        }
        return new Epoch(epoch);
    }

    /** Stops the worker threads; open epochs end. */
    @Override
    public void close() {
        closed = true;
        workers.shutdownNow();
        try {
            workers.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The batches of one epoch, in order. */
    public final class Epoch implements Iterator<Batch>, AutoCloseable {
        private final int epoch;
        private final ArrayDeque<Future<Batch>> inFlight = new ArrayDeque<>();
        private final int[] order;
        private final StreamingDataset.CloseableIterator<T> source;
        private int nextIndex;
        private int submitted;
        private boolean exhausted;
        private Batch ready;

        private Epoch(int epoch) {
            this.epoch = epoch;
            if (dataset != null) {
                int n = dataset.size();
                order = new int[n];
                for (int i = 0; i < n; i++) {
                    order[i] = i;
                }
                if (shuffle) {
                    java.util.SplittableRandom r = Seeds.random(seed, 0x5EED, epoch);
                    for (int i = n - 1; i > 0; i--) {
                        int j = r.nextInt(i + 1);
                        int t = order[i];
                        order[i] = order[j];
                        order[j] = t;
                    }
                }
                source = null;
            } else {
                order = null;
                source = stream.open(Seeds.mix(seed, 0x5EED, epoch));
            }
            fill();
        }

        private void fill() {
            while (!exhausted && inFlight.size() < prefetch) {
                int batchIndex = submitted;
                if (order != null) {
                    int from = nextIndex;
                    int to = Math.min(order.length, from + batchSize);
                    if (from >= order.length || (dropLast && to - from < batchSize)) {
                        exhausted = true;
                        break;
                    }
                    nextIndex = to;
                    int[] idx = java.util.Arrays.copyOfRange(order, from, to);
                    inFlight.add(
                            workers.submit(
                                    () -> {
                                        List<T> samples = new ArrayList<>(idx.length);
                                        for (int i : idx) {
                                            samples.add(dataset.get(i));
                                        }
                                        return collate(samples, batchIndex);
                                    }));
                } else {
                    List<T> samples = new ArrayList<>(batchSize);
                    try {
                        while (samples.size() < batchSize && source.hasNext()) {
                            samples.add(source.next());
                        }
                    } catch (RuntimeException e) {
                        close();
                        throw e;
                    }
                    if (samples.isEmpty() || (dropLast && samples.size() < batchSize)) {
                        exhausted = true;
                        break;
                    }
                    inFlight.add(workers.submit(() -> collate(samples, batchIndex)));
                }
                submitted++;
            }
        }

        private Batch collate(List<T> samples, int batchIndex) {
            return collator.collate(samples, Seeds.random(seed, 0xBA7C, epoch, batchIndex), bad);
        }

        @Override
        public boolean hasNext() {
            while (ready == null) {
                Future<Batch> f = inFlight.poll();
                if (f == null) {
                    return false;
                }
                Batch b;
                try {
                    b = f.get();
                } catch (ExecutionException e) {
                    close();
                    Throwable c = e.getCause();
                    if (c instanceof DataException de) {
                        throw new DataException(de.getMessage() + " (epoch " + epoch + ")", de);
                    }
                    throw new DataException(
                            "a loader worker failed in epoch " + epoch + ": " + c, c);
                } catch (InterruptedException e) {
                    close();
                    Thread.currentThread().interrupt();
                    throw new DataException("interrupted while waiting for a batch", e);
                } catch (CancellationException e) {
                    throw new IllegalStateException("the loader was closed", e);
                }
                fill();
                if (b.size() > 0) {
                    ready = b;
                }
            }
            return true;
        }

        @Override
        public Batch next() {
            if (!hasNext()) {
                throw new NoSuchElementException("the epoch has no more batches");
            }
            Batch b = ready;
            ready = null;
            return b;
        }

        /** Cancels the batches in flight and closes the stream of this epoch. */
        @Override
        public void close() {
            exhausted = true;
            for (Future<Batch> f : inFlight) {
                f.cancel(true);
            }
            inFlight.clear();
            if (source != null) {
                source.close();
            }
        }
    }

    /**
     * Settings of a loader; each setter checks its argument.
     *
     * @param <T> the sample type
     */
    public static final class Builder<T> {
        private final Dataset<T> dataset;
        private final StreamingDataset<T> stream;
        private final Collator<T> collator;
        private int batchSize = 32;
        private boolean shuffle = true;
        private boolean dropLast = false;
        private long seed = 0;
        private int workers = 2;
        private int prefetch = 0;
        private BadInputs bad = BadInputs.skipAndCount();

        private Builder(Dataset<T> dataset, StreamingDataset<T> stream, Collator<T> collator) {
            this.dataset = dataset;
            this.stream = stream;
            this.collator = java.util.Objects.requireNonNull(collator, "collator");
        }

        /**
         * Sets the batch size.
         *
         * @param n at least 1 (default 32)
         * @return this builder
         */
        public Builder<T> batchSize(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("batch size must be >= 1, got " + n);
            }
            this.batchSize = n;
            return this;
        }

        /**
         * Sets whether a random-access dataset is shuffled each epoch.
         *
         * @param shuffle default {@code true}
         * @return this builder
         */
        public Builder<T> shuffle(boolean shuffle) {
            this.shuffle = shuffle;
            return this;
        }

        /**
         * Sets whether a last, smaller batch is dropped.
         *
         * @param dropLast default {@code false}
         * @return this builder
         */
        public Builder<T> dropLast(boolean dropLast) {
            this.dropLast = dropLast;
            return this;
        }

        /**
         * Sets the seed of shuffling and augmentation.
         *
         * @param seed default 0
         * @return this builder
         */
        public Builder<T> seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets the number of worker threads.
         *
         * @param n from 1 to 256 (default 2)
         * @return this builder
         */
        public Builder<T> workers(int n) {
            if (n < 1 || n > 256) {
                throw new IllegalArgumentException("workers must be in [1, 256], got " + n);
            }
            this.workers = n;
            return this;
        }

        /**
         * Sets the number of batches prepared ahead of the consumer.
         *
         * @param n from 1 to 1024 (default twice the workers)
         * @return this builder
         */
        public Builder<T> prefetch(int n) {
            if (n < 1 || n > 1024) {
                throw new IllegalArgumentException("prefetch must be in [1, 1024], got " + n);
            }
            this.prefetch = n;
            return this;
        }

        /**
         * Sets the bad-input policy.
         *
         * @param bad {@link BadInputs#skipAndCount()} (default) or {@link BadInputs#strict()}
         * @return this builder
         */
        public Builder<T> badInputs(BadInputs bad) {
            this.bad = java.util.Objects.requireNonNull(bad, "bad");
            return this;
        }

        /**
         * Starts the worker threads.
         *
         * @return the loader
         */
        public PrefetchLoader<T> build() {
            return new PrefetchLoader<>(this);
        }
    }
}
