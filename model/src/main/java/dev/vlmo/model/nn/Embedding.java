package dev.vlmo.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;

/** A lookup table with PyTorch's parameter name {@code weight}, initialised normal(0, 0.02). */
public final class Embedding extends Module {

    private final Parameter weight;
    private final int rows;

    /**
     * Creates a table.
     *
     * @param rows number of rows (vocabulary size)
     * @param dim row width
     */
    public Embedding(int rows, int dim) {
        this.rows = rows;
        this.weight =
                param(
                        "weight",
                        Parameter.Type.WEIGHT,
                        new Shape(rows, dim),
                        new NormalInitializer(0.02f));
    }

    /**
     * Looks up rows.
     *
     * @param ps the parameter store
     * @param ids integer ids, any shape
     * @param training whether this is a training pass
     * @return the rows, shape (ids..., dim)
     */
    public NDArray forward(ParameterStore ps, NDArray ids, boolean training) {
        NDArray w = value(ps, weight, ids, training);
        NDArray idx = ids.getDataType() == DataType.INT64 ? ids : ids.toType(DataType.INT64, false);
        return ai.djl.nn.core.Embedding.embedding(idx, w, SparseFormat.DENSE).singletonOrThrow();
    }

    /**
     * Returns one row broadcastable to (1, 1, dim).
     *
     * @param ps the parameter store
     * @param row the row index
     * @param like an array on the device to compute on
     * @param training whether this is a training pass
     * @return the row, shape (1, 1, dim)
     */
    public NDArray row(ParameterStore ps, int row, NDArray like, boolean training) {
        NDArray w = value(ps, weight, like, training);
        return local(w.get(row), like).reshape(1, 1, -1);
    }

    /**
     * Returns the number of rows.
     *
     * @return rows
     */
    public int rows() {
        return rows;
    }

    /**
     * Returns the table parameter.
     *
     * @return the weight
     */
    public Parameter weight() {
        return weight;
    }
}
