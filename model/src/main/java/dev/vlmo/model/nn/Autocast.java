package dev.vlmo.model.nn;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Mixed precision for the forward pass, as {@code torch.autocast} does it: while a scope is open on
 * the current thread, the linear layers ({@link Linear}) and attention's product of probabilities
 * and values run in fp16 or bf16 on half-precision copies of their inputs and weights. A layer's
 * result comes back in fp32 ({@link Linear#forward}) or stays half for a consumer that takes it
 * ({@link Linear#forwardHalf}: inside an expert MLP, GELU included, and the attention output, up to
 * the residual addition, which promotes). Attention logits and softmax, layer norms, embeddings,
 * heads' outputs and losses are fp32, and the parameters stay fp32 master weights that the
 * optimizer updates.
 *
 * <p>The conversions are recorded by autograd, so gradients flow through them back to the fp32
 * parameters. DJL's own {@code toType} cannot do that (it converts outside autograd), so the scope
 * runs a two-line TorchScript cast ({@code x.to(like.dtype)}, written by {@code
 * src/main/torchscript/make_cast.py}) through the PyTorch engine; MXNet is refused. Half copies of
 * parameters are made once per scope and reused, as autocast's weight cache does.
 *
 * <pre>{@code
 * try (NDManager step = root.newSubManager();
 *         Autocast ac = Autocast.enable(step, DataType.FLOAT16)) {
 *     ... forward pass ...
 * }
 * }</pre>
 *
 * <p>A converted activation belongs to the activation's manager (freed with its other temporaries);
 * half copies of parameters belong to the manager given to {@link #enable}, which must live until
 * the backward pass has run (a step's manager does).
 */
public final class Autocast implements AutoCloseable {

    private static final ThreadLocal<Autocast> CURRENT = new ThreadLocal<>();
    private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z0-9_]*");

    private final NDManager manager;
    private final DataType half;
    private final Autocast previous;
    private final Map<Device, NDArray[]> likes = new HashMap<>();
    private final Map<NDArray, NDArray> weights = new IdentityHashMap<>();
    private final ParameterStore noParameters;
    private int casts;
    private boolean closed;

    private Autocast(NDManager manager, DataType half, Autocast previous) {
        this.manager = manager;
        this.half = half;
        this.previous = previous;
        this.noParameters = new ParameterStore(manager, false);
    }

    /**
     * Opens a scope on this thread in which matrix products run in {@code half}.
     *
     * @param manager owns the half copies of parameters; must outlive the backward pass
     * @param half {@link DataType#FLOAT16} or {@link DataType#BFLOAT16}
     * @return the scope; close it to return to fp32
     * @throws IllegalArgumentException for another type
     * @throws IllegalStateException for an engine other than PyTorch
     */
    public static Autocast enable(NDManager manager, DataType half) {
        if (half != DataType.FLOAT16 && half != DataType.BFLOAT16) {
            throw new IllegalArgumentException(
                    "autocast runs matrix products in float16 or bfloat16, not " + half);
        }
        String engine = manager.getEngine().getEngineName();
        if (!"PyTorch".equals(engine)) {
            throw new IllegalStateException(
                    "mixed precision runs on the PyTorch engine only (its casts keep the"
                            + " gradient); this manager belongs to "
                            + engine
                            + ": use the PyTorch engine or FP32");
        }
        Autocast ac = new Autocast(manager, half, CURRENT.get());
        CURRENT.set(ac);
        return ac;
    }

    /**
     * Returns the scope open on this thread.
     *
     * @return the innermost open scope, or null when products run in fp32
     */
    public static Autocast current() {
        return CURRENT.get();
    }

    /**
     * Returns how many conversions this scope has run (half copies of parameters count once).
     *
     * @return the number of casts
     */
    public int casts() {
        return casts;
    }

    /**
     * Converts an activation to the scope's half type, keeping its gradient.
     *
     * @param x an fp32 array, or one already in the half type (returned as it is)
     * @return its half-precision copy
     */
    public NDArray half(NDArray x) {
        return isHalf(x) ? x : cast(x, 0);
    }

    /** Whether an array is already in the scope's type (DJL 0.36 reports bfloat16 as unknown). */
    private boolean isHalf(NDArray x) {
        DataType t = x.getDataType();
        return t == half || half == DataType.BFLOAT16 && t == DataType.UNKNOWN;
    }

    /**
     * Converts a parameter to the scope's half type once per scope, keeping its gradient.
     *
     * @param w a parameter's array (the same object each time it is used)
     * @return its half-precision copy, shared by every use in this scope
     */
    public NDArray halfWeight(NDArray w) {
        NDArray h = weights.get(w);
        if (h == null) {
            h = cast(w, 0);
            h.attach(manager); // not the parameter's manager, which lives as long as the model
            weights.put(w, h);
        }
        return h;
    }

    /**
     * Converts a half-precision result back to fp32, keeping its gradient.
     *
     * @param x a half-precision array
     * @return its fp32 copy
     */
    public NDArray full(NDArray x) {
        return cast(x, 1);
    }

    private NDArray cast(NDArray x, int to) {
        if (closed) {
            throw new IllegalStateException("this autocast scope is closed");
        }
        NDArray[] like = likes.computeIfAbsent(x.getDevice(), this::likes);
        NDArray in = x;
        String name = x.getName();
        if (name != null && !PLAIN_NAME.matcher(name).matches()) {
            // DJL reads structure (lists, dicts, methods) into TorchScript inputs' names
            in = x.reshape(x.getShape());
            in.attach(manager);
        }
        casts++;
        return Modules.CAST
                .forward(noParameters, new NDList(in, like[to]), true)
                .singletonOrThrow();
    }

    /** A half and an fp32 scalar on {@code device}; the casts take their type from them. */
    private NDArray[] likes(Device device) {
        NDManager m = manager.newSubManager(device);
        NDArray f32 = m.zeros(new Shape(), DataType.FLOAT32);
        NDArray h;
        if (half == DataType.FLOAT16) {
            h = m.zeros(new Shape(), DataType.FLOAT16);
        } else {
            // DJL 0.36 cannot create or convert to bfloat16 itself (its converter aborts)
            h = Modules.BFLOAT16.forward(noParameters, new NDList(f32), false).singletonOrThrow();
        }
        return new NDArray[] {h, f32};
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (CURRENT.get() == this) {
            if (previous == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(previous);
            }
        }
        weights.clear();
    }

    /**
     * The cast ({@code x, like -> x.to(like.dtype)}) and the bfloat16 maker, loaded on first use
     * (the JVM's class initialisation makes that once and thread-safe, with no lock per cast).
     */
    private static final class Modules {
        /** Held, not only their blocks: a collected model releases its module. */
        private static final Model CAST_MODEL = load("cast");

        private static final Model BFLOAT16_MODEL = load("bfloat16");
        static final Block CAST = CAST_MODEL.getBlock();
        static final Block BFLOAT16 = BFLOAT16_MODEL.getBlock();

        private Modules() {}
    }

    private static Model load(String name) {
        String resource = name + ".pt";
        try {
            Path dir = Files.createTempDirectory("vlmo-autocast");
            dir.toFile().deleteOnExit();
            Path file = dir.resolve(name + ".pt");
            try (InputStream in = Autocast.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException(
                            "the jar lacks dev/vlmo/model/nn/" + resource + "; rebuild the model");
                }
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            }
            file.toFile().deleteOnExit();
            Model model = Model.newInstance(name, Device.cpu(), "PyTorch");
            model.load(dir, name);
            return model;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load the autocast module: " + e.getMessage(), e);
        } catch (MalformedModelException e) {
            throw new IllegalStateException("the autocast module is damaged: " + e.getMessage(), e);
        }
    }
}
