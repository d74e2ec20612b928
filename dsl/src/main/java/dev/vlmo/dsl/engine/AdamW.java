package dev.vlmo.dsl.engine;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * AdamW with decoupled weight decay and two parameter groups, computed exactly as {@code
 * torch.optim.AdamW}: {@code p -= lr*wd*p; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr/bc1
 * * m / (sqrt(v)/sqrt(bc2) + eps)}.
 *
 * <p>Its state (moments and step count) is saved with checkpoints, so a resumed run continues
 * exactly. DJL's own AdamW has a single weight decay and keeps its state private, which rules out
 * both parameter groups and resumable checkpoints.
 *
 * <p>On DJL's PyTorch engine a training step binds its parameters into groups ({@link #bind}): the
 * values of the parameters that share a weight decay and a learning-rate multiplier are moved into
 * one contiguous buffer, each parameter's array becoming a view of its slice, and their moments
 * likewise. An update is then a few operations per group on whole buffers instead of a dozen per
 * parameter: a tiny model's stage step has about 70 trained parameters, and their per-parameter
 * updates cost more than the rest of the optimizer's arithmetic. On the CPU the groups are then
 * updated in one pass over their memory ({@link #onePass}), which reads each gradient where the
 * engine left it; on a GPU by DJL's native update of each group, from the gradients copied into one
 * buffer per group ({@link #gather}).
 */
public final class AdamW {

    private final double beta1;
    private final double beta2;
    private final double eps;
    private final Map<String, NDArray> first = new LinkedHashMap<>();
    private final Map<String, NDArray> second = new LinkedHashMap<>();
    private long step;
    private boolean nativeUpdate = true;
    private boolean grouped = true;
    private boolean onePass = true;
    private List<Group> groups = List.of();
    private long groupLimit = GROUP_LIMIT;

    /**
     * The most values one group's buffer holds (4 MiB of fp32); larger groups are cut into several
     * buffers (a larger single parameter gets one of its own). DJL's native update makes about
     * seven temporary arrays of its buffer's size: past glibc's mmap threshold (at most 32 MiB)
     * each is mapped fresh and page-faulted in every step. With buffers of 2^24 values the small
     * preset's vision-language step faulted in about 290,000 pages per step and took 6.5 s against
     * 3.2-3.4 s parameter by parameter; with 2^20, 12,000-18,000 pages and 3.0 s.
     */
    static final long GROUP_LIMIT = 1L << 20;

    /**
     * Parameters updated together: their values in one buffer that their arrays are views of, and
     * their moments in two more.
     */
    private static final class Group {
        final List<String> names = new ArrayList<>();
        final List<Parameter> params = new ArrayList<>();
        final List<NDArray> views = new ArrayList<>();
        final double decay;
        final double scale;
        long size;
        NDArray values;
        NDArray first;
        NDArray second;
        // the buffers' memory, on the CPU: what the one-pass update reads and writes
        FloatBuffer valueMemory;
        FloatBuffer firstMemory;
        FloatBuffer secondMemory;

        Group(double decay, double scale) {
            this.decay = decay;
            this.scale = scale;
        }

        void close() {
            valueMemory = null; // views of memory the arrays below own
            firstMemory = null;
            secondMemory = null;
            values.close();
            first.close();
            second.close();
        }
    }

    /**
     * Creates the optimizer.
     *
     * @param beta1 decay of the first moment
     * @param beta2 decay of the second moment
     * @param eps added to the denominator
     */
    public AdamW(double beta1, double beta2, double eps) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
    }

    /**
     * Chooses between DJL's native per-parameter update on the PyTorch engine (the default) and the
     * array-operation form every engine supports; both compute the same update.
     *
     * @param use whether to use the native update where the engine has one
     * @return this optimizer
     */
    public AdamW nativeUpdate(boolean use) {
        this.nativeUpdate = use;
        return this;
    }

    /**
     * Chooses whether {@link #bind} groups parameters into shared buffers (the default) or leaves
     * them as they are, so that every update goes parameter by parameter.
     *
     * @param use whether to group parameters on the PyTorch engine
     * @return this optimizer
     */
    public AdamW grouped(boolean use) {
        this.grouped = use; // groups bound before stay valid: the moments are views of them
        return this;
    }

    /**
     * Chooses whether grouped parameters on the CPU are updated in one pass over their memory (the
     * default; {@link #onePass}) or by DJL's native update of each group, as on a GPU; both compute
     * torch's formula, with different rounding.
     *
     * @param use whether to use the one-pass update where it applies
     * @return this optimizer
     */
    public AdamW onePass(boolean use) {
        this.onePass = use;
        return this;
    }

    /** Sets the most values one group holds (tests cut small groups to cover the cutting). */
    AdamW groupLimit(long limit) {
        this.groupLimit = limit;
        return this;
    }

    /** The number of group buffers bound now (0 when not grouped). */
    int groupCount() {
        return groups.size();
    }

    /**
     * Returns the number of updates made.
     *
     * @return steps
     */
    public long step() {
        return step;
    }

    /**
     * Applies one update to every parameter, in place.
     *
     * @param params parameters by name
     * @param grads their gradients by name (same keys)
     * @param decays weight decay per name (0 for no decay)
     * @param lr the learning rate of this step
     */
    public void update(
            Map<String, NDArray> params,
            Map<String, NDArray> grads,
            Map<String, Double> decays,
            double lr) {
        update(params, grads, decays, Map.of(), lr);
    }

    /**
     * Applies one update to every parameter, in place, some parameters learning at a multiple of
     * the rate (a fine-tuned head's {@code lr_mult}).
     *
     * @param params parameters by name
     * @param grads their gradients by name (same keys)
     * @param decays weight decay per name (0 for no decay)
     * @param lrScales learning-rate multiplier per name (1 when absent)
     * @param baseLr the learning rate of this step
     */
    public void update(
            Map<String, NDArray> params,
            Map<String, NDArray> grads,
            Map<String, Double> decays,
            Map<String, Double> lrScales,
            double baseLr) {
        update(params, grads, decays, lrScales, baseLr, 1.0);
    }

    /**
     * Applies one update to every parameter, in place, with the gradients multiplied by {@code
     * gradScale} first (gradient clipping by the global norm folded into the update, so the
     * gradients are not rewritten).
     *
     * <p>On DJL's PyTorch engine each parameter is updated by one native call (DJL's {@code
     * adamUpdate}, given a bias-corrected rate and epsilon so that its formula equals {@code
     * torch.optim.AdamW}'s), which also sets the parameter's own gradient to zero; other engines
     * use the same formula through array operations and leave the gradients alone.
     *
     * @param params parameters by name
     * @param grads their gradients by name (same keys)
     * @param decays weight decay per name (0 for no decay)
     * @param lrScales learning-rate multiplier per name (1 when absent)
     * @param baseLr the learning rate of this step
     * @param gradScale the factor applied to every gradient (1 for none)
     * @return whether the update also set every gradient to zero (DJL's native update on PyTorch)
     */
    public boolean update(
            Map<String, NDArray> params,
            Map<String, NDArray> grads,
            Map<String, Double> decays,
            Map<String, Double> lrScales,
            double baseLr,
            double gradScale) {
        step++;
        boolean cleared = true;
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            String name = e.getKey();
            double lr = baseLr * lrScales.getOrDefault(name, 1.0);
            NDArray g = grads.get(name);
            if (g == null) {
                throw new IllegalArgumentException("no gradient given for parameter " + name);
            }
            NDArray p = e.getValue();
            NDArray m = first.computeIfAbsent(name, k -> zerosLike(p));
            NDArray v = second.computeIfAbsent(name, k -> zerosLike(p));
            double wd = decays.getOrDefault(name, 0.0);
            if (nativeUpdate && "PyTorch".equals(p.getManager().getEngine().getEngineName())) {
                nativeStep(p, g, m, v, lr, wd, gradScale, bc1, Math.sqrt(bc2));
            } else {
                arrayUpdate(p, g, m, v, lr, wd, bc1, bc2, gradScale);
                cleared = false;
            }
        }
        return cleared;
    }

    /**
     * Prepares the grouped update of these parameters: on DJL's PyTorch engine, with every
     * parameter a float32 array on one device, the parameters that share a weight decay and a
     * learning-rate multiplier are moved into one buffer (their arrays become views of it, with the
     * same values and the same need for gradients) and their moments into two more. Done again
     * whenever the parameters, their decays or multipliers change, or a parameter's array was
     * replaced (a checkpoint loaded into the model), so it is cheap to call before every update.
     *
     * @param params the trained parameters by name
     * @param decays weight decay per name (0 for no decay)
     * @param lrScales learning-rate multiplier per name (1 when absent)
     * @return whether the parameters are grouped; when not (another engine, grouping or the native
     *     update switched off), use the per-parameter updates
     */
    public boolean bind(
            Map<String, Parameter> params,
            Map<String, Double> decays,
            Map<String, Double> lrScales) {
        if (!grouped || !nativeUpdate || params.isEmpty()) {
            return false; // the grouped update is DJL's native call on each group
        }
        if (bound(params, decays, lrScales)) {
            return true;
        }
        NDArray any = params.values().iterator().next().getArray();
        if (!"PyTorch".equals(any.getManager().getEngine().getEngineName())) {
            return false;
        }
        for (Parameter p : params.values()) {
            NDArray a = p.getArray();
            if (a.getDataType() != DataType.FLOAT32 || !a.getDevice().equals(any.getDevice())) {
                return false;
            }
        }
        regroup(params, decays, lrScales);
        return true;
    }

    /** Whether the groups hold exactly these parameters, in this order, with these settings. */
    private boolean bound(
            Map<String, Parameter> params,
            Map<String, Double> decays,
            Map<String, Double> lrScales) {
        int n = 0;
        for (Group g : groups) {
            for (int i = 0; i < g.names.size(); i++) {
                String name = g.names.get(i);
                Parameter p = params.get(name);
                if (p != g.params.get(i)
                        || !p.isInitialized()
                        || p.getArray() != g.views.get(i)
                        || decays.getOrDefault(name, 0.0) != g.decay
                        || lrScales.getOrDefault(name, 1.0) != g.scale) {
                    return false;
                }
            }
            n += g.names.size();
        }
        return n == params.size() && n > 0;
    }

    /** Moves the parameters and their moments into new group buffers. */
    private void regroup(
            Map<String, Parameter> params,
            Map<String, Double> decays,
            Map<String, Double> lrScales) {
        // one group per (decay, multiplier), in the order of first appearance, cut at the limit
        Map<List<Double>, List<String>> byKey = new LinkedHashMap<>();
        for (String name : params.keySet()) {
            byKey.computeIfAbsent(
                            List.of(
                                    decays.getOrDefault(name, 0.0),
                                    lrScales.getOrDefault(name, 1.0)),
                            k -> new ArrayList<>())
                    .add(name);
        }
        List<Group> next = new ArrayList<>();
        for (Map.Entry<List<Double>, List<String>> e : byKey.entrySet()) {
            Group g = null;
            for (String name : e.getValue()) {
                long size = params.get(name).getArray().size();
                if (g == null || (g.size > 0 && g.size + size > groupLimit)) {
                    g = new Group(e.getKey().get(0), e.getKey().get(1));
                    next.add(g);
                }
                g.names.add(name);
                g.params.add(params.get(name));
                g.size += size;
            }
        }
        List<Group> old = groups;
        for (Group g : next) {
            fill(g);
        }
        for (Group g : old) {
            g.close(); // the storage stays while any view of it does (a now frozen parameter)
        }
        groups = next;
    }

    /** Copies a group's values and moments into its buffers and points everything at them. */
    private void fill(Group g) {
        NDManager manager = g.params.get(0).getArray().getManager();
        NDList values = new NDList();
        NDList firsts = new NDList();
        NDList seconds = new NDList();
        long[] cuts = new long[g.names.size() - 1];
        long at = 0;
        for (int i = 0; i < g.names.size(); i++) {
            String name = g.names.get(i);
            NDArray a = g.params.get(i).getArray();
            // detached: the copy must not become a node of an autograd graph
            try (NDArray detached = a.stopGradient()) {
                values.add(detached.reshape(-1));
            }
            firsts.add(flat(first.get(name), a));
            seconds.add(flat(second.get(name), a));
            at += a.size();
            if (i < cuts.length) {
                cuts[i] = at;
            }
        }
        g.values = concat(values, manager);
        g.first = concat(firsts, manager);
        g.second = concat(seconds, manager);
        if (g.values.getDevice().getDeviceType().equals(Device.Type.CPU)
                && g.size <= Integer.MAX_VALUE / Float.BYTES) {
            // the engine's memory itself (the buffers are contiguous): no copy
            g.valueMemory = g.values.toByteBuffer(true).asFloatBuffer();
            g.firstMemory = g.first.toByteBuffer(true).asFloatBuffer();
            g.secondMemory = g.second.toByteBuffer(true).asFloatBuffer();
        }
        NDList valueParts = g.values.split(cuts);
        NDList firstParts = g.first.split(cuts);
        NDList secondParts = g.second.split(cuts);
        for (int i = 0; i < g.names.size(); i++) {
            String name = g.names.get(i);
            Parameter p = g.params.get(i);
            Shape shape = p.getArray().getShape();
            NDArray view = valueParts.get(i).reshape(shape);
            install(p, view);
            g.views.add(view);
            replace(first, name, firstParts.get(i).reshape(shape));
            replace(second, name, secondParts.get(i).reshape(shape));
        }
        closeSlices(valueParts, g.values);
        closeSlices(firstParts, g.first);
        closeSlices(secondParts, g.second);
    }

    /** A moment as one row of values: its own, or zeros before the first update. */
    private static NDArray flat(NDArray moment, NDArray param) {
        return moment == null
                ? param.getManager().zeros(new Shape(param.size()))
                : moment.reshape(-1);
    }

    /** One buffer of the parts, in {@code manager} (the parameters' own). */
    private static NDArray concat(NDList parts, NDManager manager) {
        NDArray out = parts.size() == 1 ? parts.get(0).duplicate() : NDArrays.concat(parts);
        out.attach(manager);
        parts.close();
        return out;
    }

    /** Closes the one-dimensional slices once the shaped views are made (not the buffer). */
    private static void closeSlices(NDList parts, NDArray buffer) {
        for (NDArray part : parts) {
            if (part != buffer) {
                part.close();
            }
        }
    }

    private static void replace(Map<String, NDArray> moments, String name, NDArray view) {
        NDArray old = moments.put(name, view);
        if (old != null && old != view) {
            old.close();
        }
    }

    /**
     * Gives a parameter a new array through DJL's public life cycle: closed, then initialized by an
     * initializer that returns the view (which takes the parameter's name and, where the parameter
     * needs them, gradients); its own initializer is put back afterwards.
     */
    private static void install(Parameter p, NDArray view) {
        NDManager manager = p.getArray().getManager();
        Initializer own = p.getInitializer();
        p.close();
        p.setInitializer((m, shape, type) -> view);
        try {
            p.initialize(manager, DataType.FLOAT32);
        } finally {
            p.setInitializer(own);
        }
    }

    /**
     * One update of the bound parameters: the gradients' global norm first (to clip by), then the
     * update. Closing it frees what it holds.
     */
    public interface GroupedStep extends AutoCloseable {

        /**
         * The global L2 norm of the gradients.
         *
         * @return the norm (not finite when a gradient is not)
         */
        double norm();

        /**
         * Applies the update, with the gradients multiplied by {@code gradScale} first.
         *
         * @param baseLr the learning rate of this step
         * @param gradScale the factor applied to every gradient (1 for none)
         */
        void apply(double baseLr, double gradScale);

        @Override
        void close();
    }

    /**
     * The update of the bound parameters with these gradients, in the form that suits them: in one
     * pass over their memory where {@link #onePass} applies (the CPU), else from the gradients
     * copied into one buffer per group ({@link #gather}, {@link #updateGrouped}; a GPU).
     *
     * @param grads the gradients by name (every bound parameter's); read, never changed
     * @param manager the manager of the gathered copies, where they are made
     * @return the step
     */
    public GroupedStep groupedStep(Map<String, NDArray> grads, NDManager manager) {
        OnePass pass = onePass(grads);
        if (pass != null) {
            return pass;
        }
        NDList gathered = gather(grads, manager);
        return new GroupedStep() {
            @Override
            public double norm() {
                return globalNorm(gathered);
            }

            @Override
            public void apply(double baseLr, double gradScale) {
                updateGrouped(gathered, baseLr, gradScale);
            }

            @Override
            public void close() {
                gathered.close();
            }
        };
    }

    /**
     * The L2 norm of all gradients together; infinite or NaN when any gradient overflowed. One
     * value comes back from the engine, not one per parameter.
     *
     * @param grads the gradients
     * @return the norm (0 for none)
     */
    static double globalNorm(java.util.Collection<NDArray> grads) {
        if (grads.isEmpty()) {
            return 0;
        }
        NDList norms = new NDList(grads.size());
        try {
            for (NDArray g : grads) {
                norms.add(g.norm());
            }
            try (NDArray all = NDArrays.stack(norms);
                    NDArray total = all.norm()) {
                return total.getFloat();
            }
        } finally {
            norms.close();
        }
    }

    /**
     * The one-pass update of the bound parameters with these gradients ({@link FusedAdamW}): each
     * value of a parameter, its gradient and its moments read once and the parameter and moments
     * written once, straight in the engine's memory. Applies where every group is on the CPU and
     * every gradient is a float32 CPU array of its parameter's size; elsewhere use {@link #gather}
     * and {@link #updateGrouped}.
     *
     * @param grads the gradients by name (every bound parameter's); read, never changed
     * @return the update, or null where it does not apply (or is switched off)
     */
    public OnePass onePass(Map<String, NDArray> grads) {
        if (!onePass || groups.isEmpty()) {
            return null;
        }
        List<FusedAdamW.Span> spans = new ArrayList<>();
        for (int k = 0; k < groups.size(); k++) {
            Group g = groups.get(k);
            if (g.valueMemory == null) {
                return null;
            }
            int at = 0;
            for (int i = 0; i < g.names.size(); i++) {
                String name = g.names.get(i);
                NDArray grad =
                        Objects.requireNonNull(
                                grads.get(name), () -> "no gradient given for parameter " + name);
                int size = (int) g.views.get(i).size();
                if (grad.getDataType() != DataType.FLOAT32
                        || !grad.getDevice().getDeviceType().equals(Device.Type.CPU)
                        || grad.size() != size) {
                    return null;
                }
                FloatBuffer memory = grad.toByteBuffer(true).asFloatBuffer();
                FusedAdamW.cut(
                        spans, g.valueMemory, g.firstMemory, g.secondMemory, at, memory, size, k);
                at += size;
            }
        }
        return new OnePass(spans);
    }

    /** One update of the bound parameters in one pass over their memory; see {@link #onePass}. */
    public final class OnePass implements GroupedStep {

        private final List<FusedAdamW.Span> spans;

        private OnePass(List<FusedAdamW.Span> spans) {
            this.spans = spans;
        }

        /** The global L2 norm of the gradients, summed in double precision in a fixed order. */
        @Override
        public double norm() {
            return Math.sqrt(FusedAdamW.sumOfSquares(spans));
        }

        @Override
        public void apply(double baseLr, double gradScale) {
            step++;
            double bc1 = 1 - Math.pow(beta1, step);
            double sq = Math.sqrt(1 - Math.pow(beta2, step));
            float[] decay = new float[groups.size()];
            float[] stepSize = new float[groups.size()];
            for (int k = 0; k < groups.size(); k++) {
                Group g = groups.get(k);
                double lr = baseLr * g.scale;
                decay[k] = (float) (1 - lr * g.decay);
                stepSize[k] = (float) (lr / bc1);
            }
            FusedAdamW.update(
                    spans,
                    new FusedAdamW.Step(
                            (float) beta1,
                            (float) beta2,
                            (float) eps,
                            (float) sq,
                            (float) gradScale,
                            decay,
                            stepSize));
        }

        @Override
        public void close() {} // holds views of memory the groups and gradients own
    }

    /**
     * The gradients of the bound parameters, one flat array per group (a copy, on {@code manager}),
     * in the order {@link #updateGrouped} takes them.
     *
     * @param grads the gradients by name (every bound parameter's)
     * @param manager the manager of the copies
     * @return one array per group
     */
    public NDList gather(Map<String, NDArray> grads, NDManager manager) {
        NDList out = new NDList(groups.size());
        for (Group g : groups) {
            NDList parts = new NDList(g.names.size());
            for (String name : g.names) {
                NDArray grad =
                        Objects.requireNonNull(
                                grads.get(name), () -> "no gradient given for parameter " + name);
                parts.add(grad.reshape(-1));
            }
            out.add(concat(parts, manager));
        }
        return out;
    }

    /**
     * Applies one update to the bound parameters from their gathered gradients, multiplied by
     * {@code gradScale} first: one native update per group (DJL's {@code adamUpdate}, with the same
     * formula as {@link #update(Map, Map, Map, Map, double, double)}).
     *
     * @param gathered what {@link #gather} returned for this step
     * @param baseLr the learning rate of this step
     * @param gradScale the factor applied to every gradient (1 for none)
     */
    public void updateGrouped(NDList gathered, double baseLr, double gradScale) {
        if (gathered.size() != groups.size()) {
            throw new IllegalArgumentException(
                    gathered.size() + " gradient buffers for " + groups.size() + " groups");
        }
        step++;
        double bc1 = 1 - Math.pow(beta1, step);
        double sq = Math.sqrt(1 - Math.pow(beta2, step));
        for (int i = 0; i < groups.size(); i++) {
            Group g = groups.get(i);
            double lr = baseLr * g.scale;
            nativeStep(
                    g.values, gathered.get(i), g.first, g.second, lr, g.decay, gradScale, bc1, sq);
        }
    }

    /**
     * One update of {@code p} through DJL's native {@code adamUpdate}, which also zeroes {@code
     * p}'s own gradient. torch's AdamW decays first, {@code p *= 1 - lr*wd}, then steps {@code p -=
     * lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps)}; multiplying through by {@code sq = sqrt(bc2)} gives
     * DJL's form {@code p -= a * m / (sqrt(v) + e)} with the values below. The decay is done here
     * in one pass, as torch does it: DJL's own makes two temporaries of {@code p}'s size and
     * subtracts, and runs even at a decay of 0.
     */
    private void nativeStep(
            NDArray p,
            NDArray g,
            NDArray m,
            NDArray v,
            double lr,
            double wd,
            double gradScale,
            double bc1,
            double sq) {
        if (wd > 0) {
            // a detached view shares the storage: in place even where gradients are recorded
            try (NDArray values = p.stopGradient()) {
                values.muli((float) (1 - lr * wd));
            }
        }
        p.getNDArrayInternal()
                .adamUpdate(
                        new NDList(p, g, m, v),
                        new NDList(p),
                        (float) lr,
                        (float) (lr * sq / bc1),
                        0f, // decayed above; with adamw false and no decay DJL adds 0 * p
                        (float) gradScale,
                        -1f, // no element-wise clipping
                        (float) beta1,
                        (float) beta2,
                        (float) (eps * sq),
                        false,
                        false);
    }

    /** The same update through array operations, for engines without DJL's native one. */
    private void arrayUpdate(
            NDArray param,
            NDArray g,
            NDArray m,
            NDArray v,
            double lr,
            double wd,
            double bc1,
            double bc2,
            double gradScale) {
        // a detached view shares the parameter's storage: updating it in place is allowed
        // even on threads where the engine records gradients (PyTorch's grad mode is per
        // thread, and notebook or recipe threads start with it on)
        NDArray p = param.stopGradient();
        // every temporary is closed here: they belong to the parameters' long-lived manager
        if (wd > 0) {
            p.muli((float) (1 - lr * wd)); // as torch: one pass, no temporary
        }
        try (NDArray g1 = g.mul((float) ((1 - beta1) * gradScale));
                NDArray g2 = g.square()) {
            m.muli((float) beta1).addi(g1);
            g2.muli((float) ((1 - beta2) * gradScale * gradScale));
            v.muli((float) beta2).addi(g2);
        }
        try (NDArray denom = v.sqrt();
                NDArray step = m.div(denom.divi((float) Math.sqrt(bc2)).addi((float) eps))) {
            step.muli((float) (lr / bc1));
            p.subi(step);
        }
        p.close();
    }

    private static NDArray zerosLike(NDArray p) {
        NDArray z = p.zerosLike();
        z.detach();
        return z;
    }

    /**
     * Writes the moments and the step count.
     *
     * @param file the file to write
     * @throws IOException if writing fails
     */
    public void save(Path file) throws IOException {
        NDList list = new NDList();
        for (String k : first.keySet()) {
            NDArray m = first.get(k);
            m.setName("m:" + k);
            NDArray v = second.get(k);
            v.setName("v:" + k);
            list.add(m);
            list.add(v);
        }
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(file))) {
            os.write(Long.toString(step).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            os.write('\n');
            if (!list.isEmpty()) {
                // nothing before the first update (every step so far skipped): the count alone
                list.encode(os);
            }
        }
    }

    /**
     * Reads what {@link #save(Path)} wrote.
     *
     * @param file the file
     * @param manager the manager that owns the moments
     * @throws IOException if reading fails
     */
    public void load(Path file, NDManager manager) throws IOException {
        try (InputStream is = new BufferedInputStream(Files.newInputStream(file))) {
            StringBuilder sb = new StringBuilder();
            int c;
            while ((c = is.read()) != '\n') {
                if (c < 0) {
                    throw new IOException(file + " ends before its step count");
                }
                sb.append((char) c);
            }
            step = Long.parseLong(sb.toString());
            for (Group g : groups) {
                g.close(); // the parameters keep their views; the moments come from the file
            }
            groups = List.of();
            first.clear();
            second.clear();
            is.mark(1);
            if (is.read() < 0) {
                if (step > 0) {
                    throw new IOException(
                            file
                                    + " ends after its step count ("
                                    + step
                                    + " updates) without the moments: it is truncated");
                }
                return; // saved before the first update
            }
            is.reset();
            NDList list;
            try {
                list = NDList.decode(manager, is);
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new IOException(
                        file + " is damaged or truncated (" + e.getMessage() + ")", e);
            }
            List<NDArray> arrays = list;
            for (NDArray a : arrays) {
                String n = a.getName();
                a.detach();
                if (n.startsWith("m:")) {
                    first.put(n.substring(2), a);
                } else if (n.startsWith("v:")) {
                    second.put(n.substring(2), a);
                } else {
                    throw new IOException(file + " holds an unknown optimizer array " + n);
                }
            }
        }
    }
}
