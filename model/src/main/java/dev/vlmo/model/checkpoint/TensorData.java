package dev.vlmo.model.checkpoint;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;

/**
 * An immutable tensor as a checkpoint holds it: element type, shape and the values in row-major
 * order.
 *
 * <p>Floating types (float32, float16, bfloat16, float64) hold their values as float32: float16 and
 * bfloat16 widen exactly, float64 is rounded to float32. Integer types and bool hold their values
 * as longs. Values given for float16 or bfloat16 are rounded to that precision when the tensor is
 * created, so that a tensor equals what a file written from it holds.
 */
public final class TensorData {

    private final DType dtype;
    private final long[] shape;
    private final float[] floats;
    private final long[] longs;

    private TensorData(DType dtype, long[] shape, float[] floats, long[] longs) {
        this.dtype = dtype;
        this.shape = shape;
        this.floats = floats;
        this.longs = longs;
    }

    /**
     * Creates a float32 tensor.
     *
     * @param shape the dimensions (empty for a scalar)
     * @param values the values in row-major order, as many as the shape holds
     * @return the tensor, holding copies of the arguments
     */
    public static TensorData ofFloats(long[] shape, float[] values) {
        return ofFloats(DType.FLOAT32, shape, values);
    }

    /**
     * Creates a tensor of a floating type; float16 and bfloat16 values are rounded to nearest even.
     *
     * @param dtype a floating type
     * @param shape the dimensions (empty for a scalar)
     * @param values the values in row-major order, as many as the shape holds
     * @return the tensor, holding copies of the arguments
     * @throws IllegalArgumentException if the type is not floating or the count does not match
     */
    public static TensorData ofFloats(DType dtype, long[] shape, float[] values) {
        if (!dtype.isFloating()) {
            throw new IllegalArgumentException(
                    "dtype " + dtype.torchName() + " is not floating; use ofLongs");
        }
        long[] s = checkShape(shape, values.length);
        float[] v = values.clone();
        if (dtype == DType.FLOAT16 || dtype == DType.BFLOAT16) {
            for (int i = 0; i < v.length; i++) {
                v[i] = HalfPrecision.round(dtype, v[i]);
            }
        }
        return new TensorData(dtype, s, v, null);
    }

    /**
     * Creates a tensor of an integer type or bool.
     *
     * @param dtype an integer type or {@link DType#BOOL}
     * @param shape the dimensions (empty for a scalar)
     * @param values the values in row-major order, each within the type's range
     * @return the tensor, holding copies of the arguments
     * @throws IllegalArgumentException if the type is floating, a value is out of range or the
     *     count does not match
     */
    public static TensorData ofLongs(DType dtype, long[] shape, long[] values) {
        if (dtype.isFloating()) {
            throw new IllegalArgumentException(
                    "dtype " + dtype.torchName() + " is floating; use ofFloats");
        }
        long[] s = checkShape(shape, values.length);
        long[] v = values.clone();
        long min = minOf(dtype);
        long max = maxOf(dtype);
        for (int i = 0; i < v.length; i++) {
            if (v[i] < min || v[i] > max) {
                throw new IllegalArgumentException(
                        "value "
                                + v[i]
                                + " at index "
                                + i
                                + " is outside "
                                + dtype.torchName()
                                + " range ["
                                + min
                                + ", "
                                + max
                                + "]");
            }
        }
        return new TensorData(dtype, s, null, v);
    }

    /** Wraps arrays the caller hands over (no copy, no rounding); for the reader. */
    static TensorData wrapFloats(DType dtype, long[] shape, float[] values) {
        return new TensorData(dtype, shape, values, null);
    }

    /** Wraps arrays the caller hands over (no copy, no range check); for the reader. */
    static TensorData wrapLongs(DType dtype, long[] shape, long[] values) {
        return new TensorData(dtype, shape, null, values);
    }

    private static long[] checkShape(long[] shape, int count) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException(
                        "shape " + Arrays.toString(shape) + " has a negative dimension");
            }
            n = Math.multiplyExact(n, d);
        }
        if (n != count) {
            throw new IllegalArgumentException(
                    "shape "
                            + Arrays.toString(shape)
                            + " holds "
                            + n
                            + " values but "
                            + count
                            + " were given");
        }
        return shape.clone();
    }

    private static long minOf(DType t) {
        switch (t) {
            case INT32:
                return Integer.MIN_VALUE;
            case INT16:
                return Short.MIN_VALUE;
            case INT8:
                return Byte.MIN_VALUE;
            case UINT8:
            case BOOL:
                return 0;
            default:
                return Long.MIN_VALUE;
        }
    }

    private static long maxOf(DType t) {
        switch (t) {
            case INT32:
                return Integer.MAX_VALUE;
            case INT16:
                return Short.MAX_VALUE;
            case INT8:
                return Byte.MAX_VALUE;
            case UINT8:
                return 255;
            case BOOL:
                return 1;
            default:
                return Long.MAX_VALUE;
        }
    }

    /**
     * Returns the element type.
     *
     * @return the dtype recorded in the checkpoint
     */
    public DType dtype() {
        return dtype;
    }

    /**
     * Returns the dimensions.
     *
     * @return a copy of the shape (empty for a scalar)
     */
    public long[] shape() {
        return shape.clone();
    }

    /**
     * Returns the number of values.
     *
     * @return the product of the dimensions
     */
    public int size() {
        return floats != null ? floats.length : longs.length;
    }

    /**
     * Tells whether the values are held as floats.
     *
     * @return true for floating dtypes
     */
    public boolean isFloating() {
        return floats != null;
    }

    /**
     * Returns the values of a floating tensor.
     *
     * @return a copy of the values in row-major order
     * @throws IllegalStateException if the tensor holds integers
     */
    public float[] floats() {
        return floatArray().clone();
    }

    /**
     * Returns the values of a floating tensor without copying them.
     *
     * @return a read-only view of the values in row-major order
     * @throws IllegalStateException if the tensor holds integers
     */
    public FloatBuffer floatBuffer() {
        return FloatBuffer.wrap(floatArray()).asReadOnlyBuffer();
    }

    /**
     * Returns the values of an integer or bool tensor.
     *
     * @return a copy of the values in row-major order
     * @throws IllegalStateException if the tensor holds floats
     */
    public long[] longs() {
        return longArray().clone();
    }

    /**
     * Returns the values of an integer or bool tensor without copying them.
     *
     * @return a read-only view of the values in row-major order
     * @throws IllegalStateException if the tensor holds floats
     */
    public LongBuffer longBuffer() {
        return LongBuffer.wrap(longArray()).asReadOnlyBuffer();
    }

    /**
     * Returns the values as floats whatever the type (integers converted).
     *
     * @return a new array of the values in row-major order
     */
    public float[] toFloatArray() {
        if (floats != null) {
            return floats.clone();
        }
        float[] out = new float[longs.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = longs[i];
        }
        return out;
    }

    float[] floatArray() {
        if (floats == null) {
            throw new IllegalStateException(
                    "tensor of dtype " + dtype.torchName() + " holds integers, not floats");
        }
        return floats;
    }

    long[] longArray() {
        if (longs == null) {
            throw new IllegalStateException(
                    "tensor of dtype " + dtype.torchName() + " holds floats, not integers");
        }
        return longs;
    }

    /** Equal when dtype, shape and every value's bits are equal. */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof TensorData)) {
            return false;
        }
        TensorData t = (TensorData) o;
        return dtype == t.dtype
                && Arrays.equals(shape, t.shape)
                && Arrays.equals(floats, t.floats)
                && Arrays.equals(longs, t.longs);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape))
                + (floats != null ? Arrays.hashCode(floats) : Arrays.hashCode(longs));
    }

    @Override
    public String toString() {
        return "TensorData[" + dtype.torchName() + " " + Arrays.toString(shape) + "]";
    }
}
