package dev.vlmo.dsl.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.ParameterStore;
import dev.vlmo.dsl.DeviceRef;
import java.util.ArrayList;
import java.util.List;

/**
 * The devices of a data-parallel step, shared by pretraining and fine-tuning. A batch is split into
 * one shard per device (rows in order, sizes differing by at most one), each shard runs its forward
 * pass with its device's copy of the parameters, the outputs are gathered on the first device and
 * the loss is computed there over the whole batch; the backward pass carries each shard's gradient
 * back through its parameter copies into the parameters. So K devices compute the loss, and the
 * gradient, of one device with the whole batch.
 *
 * <p>The CPU named several times gives several shards on the CPU, each but the first with its own
 * copies of the parameters: the same split, copies, gather and backward pass as on several GPUs,
 * which tests exercise without GPUs.
 */
final class Shards {

    private final List<Device> devices;

    Shards(Engine engine, List<DeviceRef> refs) {
        this.devices = resolve(engine, refs);
    }

    /** The device that holds the parameters, the gathered outputs and the loss. */
    Device main() {
        return devices.get(0);
    }

    /** How many shards a batch is split into. */
    int count() {
        return devices.size();
    }

    /**
     * One parameter store per shard: the first shard's uses the parameters themselves, every other
     * shard's holds copies on its device (on the first device too when it is named again), made on
     * first use and freed with {@code sm}. A copy is made by {@code toDevice}, which autograd
     * records, so the backward pass adds each shard's gradient into the parameters themselves: no
     * reduction step (adding the copies' gradients again would count them twice).
     */
    List<ParameterStore> stores(NDManager sm) {
        List<ParameterStore> out = new ArrayList<>();
        out.add(new ParameterStore(sm, false));
        for (int i = 1; i < devices.size(); i++) {
            out.add(new ParameterStore(sm.newSubManager(devices.get(i)), true));
        }
        return out;
    }

    /**
     * The first row of each shard of {@code n} rows over {@code k} shards, and {@code n} last.
     *
     * @throws IllegalArgumentException when there are fewer rows than shards
     */
    static int[] bounds(int n, int k) {
        if (n < k) {
            throw new IllegalArgumentException(
                    "a batch of "
                            + n
                            + " sample(s) cannot be split across "
                            + k
                            + " devices; use a batch size of at least "
                            + k
                            + " (a multiple of "
                            + k
                            + " keeps the shards equal)");
        }
        int[] b = new int[k + 1];
        for (int i = 0; i <= k; i++) {
            b[i] = (int) ((long) n * i / k);
        }
        return b;
    }

    /** Splits a batch's inputs into one shard per store, each on its store's device. */
    static List<Trainer.Inputs> split(Trainer.Inputs in, List<ParameterStore> stores) {
        if (stores.size() == 1) {
            return List.of(in);
        }
        int[] b = bounds(in.size(), stores.size());
        List<Trainer.Inputs> out = new ArrayList<>();
        for (int i = 0; i < stores.size(); i++) {
            Trainer.Inputs part = in.rows(b[i], b[i + 1] - b[i], null);
            NDManager m = stores.get(i).getManager();
            Device d = m.getDevice();
            out.add(
                    new Trainer.Inputs(
                            part.size(),
                            move(part.images(), d, m),
                            move(part.patchMask(), d, m),
                            move(part.ids(), d, m),
                            move(part.mask(), d, m),
                            move(part.mlmIds(), d, m),
                            move(part.mlmLabels(), d, m),
                            part.imageIds(),
                            part.patchMaskHost(),
                            part.mlmLabelsHost()));
        }
        return out;
    }

    /** Splits the rows of one array as {@link #split(Trainer.Inputs, List)} splits a batch. */
    static List<NDArray> split(NDArray a, List<ParameterStore> stores) {
        if (stores.size() == 1) {
            return List.of(a);
        }
        int[] b = bounds((int) a.getShape().get(0), stores.size());
        List<NDArray> out = new ArrayList<>();
        for (int i = 0; i < stores.size(); i++) {
            NDManager m = stores.get(i).getManager();
            out.add(move(a.get(new NDIndex("{}:{}", b[i], b[i + 1])), m.getDevice(), m));
        }
        return out;
    }

    /** Concatenates the shards' outputs along the first axis on {@code sm}'s device. */
    static NDArray gather(List<NDArray> parts, NDManager sm) {
        Device main = sm.getDevice();
        NDList list = new NDList();
        for (NDArray a : parts) {
            list.add(move(a, main, sm));
        }
        return list.size() == 1 ? list.get(0) : NDArrays.concat(list, 0);
    }

    /** The array on device {@code d} (a copy owned by {@code m} when it is elsewhere). */
    static NDArray move(NDArray a, Device d, NDManager m) {
        if (a == null || a.getDevice().equals(d)) {
            return a;
        }
        NDArray b = a.toDevice(d, true);
        b.attach(m);
        return b;
    }

    /** Whether gpus() has said that it runs on the CPU (said once per JVM). */
    private static final java.util.concurrent.atomic.AtomicBoolean CPU_NOTICE_GIVEN =
            new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * The devices a runtime names: {@code cpu()}, {@code gpu(i)} (checked to exist), and {@code
     * gpus()} for every GPU the engine sees (the CPU when it sees none).
     */
    static List<Device> resolve(Engine engine, List<DeviceRef> refs) {
        List<Device> out = new ArrayList<>();
        for (DeviceRef r : refs) {
            switch (r.kind()) {
                case "cpu" -> out.add(Device.cpu());
                case "gpu" -> {
                    if (r.index() >= engine.getGpuCount()) {
                        throw new IllegalArgumentException(
                                "gpu("
                                        + r.index()
                                        + ") does not exist: "
                                        + engine.getEngineName()
                                        + " sees "
                                        + engine.getGpuCount()
                                        + " GPU(s)");
                    }
                    out.add(Device.gpu(r.index()));
                }
                default -> {
                    int n = engine.getGpuCount();
                    if (n == 0) {
                        out.add(Device.cpu());
                        if (CPU_NOTICE_GIVEN.compareAndSet(false, true)) {
                            System.err.println(
                                    "gpus(): "
                                            + engine.getEngineName()
                                            + " sees no GPU, so this runs on the CPU (a CPU build"
                                            + " of libtorch, or no CUDA driver; README, \"Engines\","
                                            + " says how to run on GPUs)");
                        }
                    }
                    for (int i = 0; i < n; i++) {
                        out.add(Device.gpu(i));
                    }
                }
            }
        }
        return out;
    }
}
