package dev.vlmo.model;

import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
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
                    return Engine.getEngine(n);
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
