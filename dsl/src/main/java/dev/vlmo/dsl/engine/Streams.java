package dev.vlmo.dsl.engine;

import dev.vlmo.datasets.Dataset;
import dev.vlmo.datasets.Seeds;
import dev.vlmo.datasets.StreamingDataset;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.function.Function;

/** Streaming views for the engine: mapped streams, shuffled passes over a dataset, interleaving. */
final class Streams {

    private Streams() {}

    /**
     * Returns a stream whose samples are mapped by {@code f}.
     *
     * @param s the stream
     * @param f the mapping
     * @return the mapped stream
     */
    static <S, T> StreamingDataset<T> map(StreamingDataset<S> s, Function<? super S, T> f) {
        return seed -> {
            StreamingDataset.CloseableIterator<S> it = s.open(seed);
            return new StreamingDataset.CloseableIterator<>() {
                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public T next() {
                    return f.apply(it.next());
                }

                @Override
                public void close() {
                    it.close();
                }
            };
        };
    }

    /**
     * Returns a stream that reads a random-access dataset once per pass, in an order shuffled by
     * the pass's seed.
     *
     * @param d the dataset
     * @return the stream
     */
    static <T> StreamingDataset<T> of(Dataset<T> d) {
        return seed -> {
            int n = d.size();
            int[] order = new int[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            SplittableRandom r = Seeds.random(seed, 0x0DE7);
            for (int i = n - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            return new StreamingDataset.CloseableIterator<>() {
                private int next;

                @Override
                public boolean hasNext() {
                    return next < n;
                }

                @Override
                public T next() {
                    if (next >= n) {
                        throw new NoSuchElementException();
                    }
                    return d.get(order[next++]);
                }

                @Override
                public void close() {
                    next = n;
                }
            };
        };
    }

    /**
     * Interleaves streams sample by sample (round robin over the sources that still have samples)
     * until every one is exhausted; source {@code i} of a pass with seed {@code s} is opened with
     * seed {@code Seeds.mix(s, i)}.
     *
     * @param sources the streams
     * @return the interleaved stream
     */
    static <T> StreamingDataset<T> interleave(List<StreamingDataset<T>> sources) {
        if (sources.size() == 1) {
            return sources.get(0);
        }
        List<StreamingDataset<T>> copy = List.copyOf(sources);
        return seed -> {
            List<StreamingDataset.CloseableIterator<T>> open = new ArrayList<>();
            for (int i = 0; i < copy.size(); i++) {
                open.add(copy.get(i).open(Seeds.mix(seed, i)));
            }
            return new StreamingDataset.CloseableIterator<>() {
                private int turn;

                @Override
                public boolean hasNext() {
                    for (int k = 0; k < open.size(); k++) {
                        if (open.get((turn + k) % open.size()).hasNext()) {
                            return true;
                        }
                    }
                    return false;
                }

                @Override
                public T next() {
                    for (int k = 0; k < open.size(); k++) {
                        int i = (turn + k) % open.size();
                        if (open.get(i).hasNext()) {
                            turn = i + 1;
                            return open.get(i).next();
                        }
                    }
                    throw new NoSuchElementException();
                }

                @Override
                public void close() {
                    for (StreamingDataset.CloseableIterator<T> it : open) {
                        it.close();
                    }
                }
            };
        };
    }

    /**
     * Returns the samples of several datasets one after another.
     *
     * @param parts the datasets
     * @return a view of their concatenation
     */
    static <T> Dataset<T> concat(List<Dataset<T>> parts) {
        if (parts.size() == 1) {
            return parts.get(0);
        }
        List<Dataset<T>> copy = List.copyOf(parts);
        int[] start = new int[copy.size() + 1];
        for (int i = 0; i < copy.size(); i++) {
            start[i + 1] = start[i] + copy.get(i).size();
        }
        return new Dataset<>() {
            @Override
            public int size() {
                return start[copy.size()];
            }

            @Override
            public T get(int index) {
                int i = java.util.Arrays.binarySearch(start, index);
                i = i >= 0 ? i : -i - 2;
                while (start[i + 1] == index) {
                    i++; // skip empty parts
                }
                return copy.get(i).get(index - start[i]);
            }
        };
    }
}
