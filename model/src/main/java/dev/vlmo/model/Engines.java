package dev.vlmo.model;

import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;

/**
 * Chooses the DJL engine and makes sure DJL's telemetry stays off.
 *
 * <p>DJL queries the cloud metadata address when an engine starts unless {@code OPT_OUT_TRACKING}
 * is set; this class sets it before any engine is touched, and every entry point of the project
 * goes through it.
 */
public final class Engines {

    /** The engine used when none is named: PyTorch. */
    public static final String DEFAULT = "PyTorch";

    static {
        optOutOfTracking();
    }

    private Engines() {}

    /**
     * Sets {@code OPT_OUT_TRACKING=true} as a system property unless the user set it already, and
     * makes PyTorch DJL's default engine (with MXNet also on the class path DJL would otherwise
     * pick MXNet for {@code NDManager.newBaseManager()}).
     */
    public static void optOutOfTracking() {
        if (System.getProperty("OPT_OUT_TRACKING") == null) {
            System.setProperty("OPT_OUT_TRACKING", "true");
        }
        if (System.getProperty("ai.djl.default_engine") == null
                && System.getenv("DJL_DEFAULT_ENGINE") == null) {
            System.setProperty("ai.djl.default_engine", DEFAULT);
        }
    }

    /**
     * Returns the engine of the given name ({@code PyTorch} or {@code MXNet}, case ignored).
     *
     * @param name the engine's name, or null for the {@code vlmo.engine} system property or the
     *     default
     * @return the engine
     * @throws IllegalArgumentException naming the available engines if there is none of that name
     */
    public static Engine get(String name) {
        optOutOfTracking();
        String want = name != null ? name : System.getProperty("vlmo.engine", DEFAULT);
        for (String n : Engine.getAllEngines()) {
            if (n.toLowerCase(Locale.ROOT).equals(want.toLowerCase(Locale.ROOT))) {
                try {
                    Engine engine = Engine.getEngine(n);
                    if ("PyTorch".equals(n)) {
                        MklOnAmd.warnIfMissing();
                    }
                    return engine;
                } catch (EngineException e) {
                    throw withLibtorchHint(n, e);
                }
            }
        }
        throw new IllegalArgumentException(
                "engine '" + want + "' is not available; available: " + Engine.getAllEngines());
    }

    /**
     * When DJL's PyTorch engine fails to start from a libtorch the user pointed it at, says which
     * one and how to get a JNI library built for it; any other failure is returned as it is.
     */
    static EngineException withLibtorchHint(String engine, EngineException e) {
        String path =
                System.getProperty("PYTORCH_LIBRARY_PATH", System.getenv("PYTORCH_LIBRARY_PATH"));
        if (!"PyTorch".equals(engine) || path == null || path.isEmpty()) {
            return e;
        }
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return new EngineException(
                "DJL's PyTorch engine could not start with the libtorch in PYTORCH_LIBRARY_PATH="
                        + path
                        + " ("
                        + root
                        + "). Unless that libtorch is 2.7.1, DJL's JNI library (libdjl_torch.so)"
                        + " must be built for it: bench/build-djl-jni.sh builds it from DJL's"
                        + " sources and writes it there (README, \"Engines\"); or unset"
                        + " PYTORCH_LIBRARY_PATH to use the CPU libtorch on the class path",
                e);
    }

    /**
     * Copies an array created from a Java buffer into memory the engine owns, and closes the
     * original. On the CPU, DJL's PyTorch engine wraps such buffers without copying; an array the
     * autograd graph may keep for the backward pass must not depend on a Java buffer's lifetime.
     *
     * @param fromJava an array made by {@code NDManager.create(...)} from Java data
     * @return an engine-owned copy on the same manager
     */
    public static NDArray owned(NDArray fromJava) {
        NDArray copy = fromJava.duplicate();
        fromJava.close();
        return copy;
    }

    /** Per thread: the direct buffer Java data passes through on its way into an array. */
    private static final ThreadLocal<ByteBuffer> STAGING = new ThreadLocal<>();

    private static ByteBuffer staging(long bytes) {
        ByteBuffer b = STAGING.get();
        if (b == null || b.capacity() < bytes) {
            long size = Math.max(1 << 16, Long.highestOneBit(Math.max(1, bytes - 1)) << 1);
            b = ByteBuffer.allocateDirect(Math.toIntExact(size)).order(ByteOrder.nativeOrder());
            STAGING.set(b);
        }
        b.clear();
        return b;
    }

    /**
     * An engine-owned float32 array of {@code shape} holding {@code data[from, from + size)}, as
     * {@link #owned(NDArray)} of {@code manager.create(...)} gives, without allocating a direct
     * buffer per call: the values pass through one reused direct buffer per thread. DJL allocates
     * (and the collector later frees) a new direct buffer for every array made from Java data,
     * which made building a training step's inputs take 0.2 to 2 ms for a batch of 64 small images
     * depending on the collector, instead of about 0.15 ms.
     *
     * @param manager the manager of the array
     * @param data the values
     * @param from the first value
     * @param shape the array's shape; its size values are read
     * @return the array, in memory the engine owns
     */
    public static NDArray owned(NDManager manager, float[] data, int from, Shape shape) {
        int n = Math.toIntExact(shape.size());
        ByteBuffer b = staging(4L * n);
        b.asFloatBuffer().put(data, from, n);
        b.limit(4 * n);
        return ownedCopy(manager, b, shape, DataType.FLOAT32);
    }

    /**
     * An engine-owned int64 array of {@code shape} holding {@code data}, staged as {@link
     * #owned(NDManager, float[], int, Shape)} is.
     *
     * @param manager the manager of the array
     * @param data the values, row-major; exactly the shape's size
     * @param shape the array's shape
     * @return the array, in memory the engine owns
     */
    public static NDArray owned(NDManager manager, long[] data, Shape shape) {
        if (data.length != shape.size()) {
            throw new IllegalArgumentException(
                    data.length + " values for an array of shape " + shape);
        }
        ByteBuffer b = staging(8L * data.length);
        b.asLongBuffer().put(data);
        b.limit(8 * data.length);
        return ownedCopy(manager, b, shape, DataType.INT64);
    }

    private static NDArray ownedCopy(NDManager m, ByteBuffer b, Shape shape, DataType type) {
        try (NDArray wrapped = m.create(b, shape, type)) {
            return wrapped.duplicate(); // the staging buffer is reused by the next call
        }
    }

    /**
     * Returns a 0-dimensional constant of {@code like}'s type in memory the engine owns, on {@code
     * like}'s manager, for arithmetic that autograd records.
     *
     * <p>DJL's PyTorch arithmetic with a Java number ({@code x.mul(0.5f)}, {@code div}, {@code
     * maximum}, ...) wraps the number in a tensor over a Java buffer and releases that buffer as
     * soon as the call returns; autograd keeps the tensor for the backward pass (the factor of a
     * product, the divisor of a quotient), so a backward pass that runs after the garbage collector
     * has freed the buffer reads freed memory: silently wrong or non-finite gradients that depend
     * on when the collector ran. Every constant that meets a tensor needing gradients goes through
     * this method instead: {@code x.mul(Engines.scalar(x, 0.5f))}.
     *
     * @param like the array whose type, device and manager the constant takes
     * @param value the constant
     * @return a scalar array
     */
    public static NDArray scalar(NDArray like, float value) {
        return like.getManager().full(new Shape(), value, like.getDataType());
    }

    /**
     * Returns a new base manager of the chosen engine on its default device.
     *
     * @param name the engine's name, or null for the default
     * @return a manager the caller closes
     */
    public static NDManager newManager(String name) {
        return get(name).newBaseManager();
    }
}
