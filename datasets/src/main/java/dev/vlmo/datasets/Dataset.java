package dev.vlmo.datasets;

import java.util.List;
import java.util.function.Function;

/**
 * A random-access collection of samples that the loader can shuffle.
 *
 * @param <T> the sample type
 */
public interface Dataset<T> {

    /**
     * Returns the number of samples.
     *
     * @return the size
     */
    int size();

    /**
     * Returns sample {@code index}; may do I/O (an Arrow row, a file) but not image decoding.
     *
     * @param index from 0 to {@code size() - 1}
     * @return the sample
     */
    T get(int index);

    /**
     * Wraps a list as a dataset.
     *
     * @param samples the samples
     * @param <T> the sample type
     * @return a dataset view of the list
     */
    static <T> Dataset<T> of(List<T> samples) {
        List<T> copy = List.copyOf(samples);
        return new Dataset<>() {
            @Override
            public int size() {
                return copy.size();
            }

            @Override
            public T get(int index) {
                return copy.get(index);
            }
        };
    }

    /**
     * Returns a view whose samples are mapped by {@code f}.
     *
     * @param f the mapping
     * @param <R> the mapped type
     * @return the mapped view
     */
    default <R> Dataset<R> map(Function<? super T, ? extends R> f) {
        Dataset<T> self = this;
        return new Dataset<>() {
            @Override
            public int size() {
                return self.size();
            }

            @Override
            public R get(int index) {
                return f.apply(self.get(index));
            }
        };
    }
}
