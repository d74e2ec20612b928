package dev.vlmo.model.checkpoint;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import net.razorvine.pickle.IObjectPickler;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.Pickler;

/**
 * Pickles a state dict the way {@code torch.save} does (protocol 2): an {@code OrderedDict} of
 * {@code torch._utils._rebuild_tensor_v2} calls whose storages are persistent ids {@code
 * ('storage', torch.FloatStorage, key, 'cpu', numel)}.
 */
final class TorchPickler extends Pickler {

    /** The state dict to pickle: names and tensors, in order. */
    static final class StateDict {
        final List<Map.Entry<String, StoredTensor>> entries;

        StateDict(List<Map.Entry<String, StoredTensor>> entries) {
            this.entries = entries;
        }
    }

    /** One tensor stored contiguously in its own storage record. */
    static final class StoredTensor {
        final String storageKey;
        final DType dtype;
        final long[] shape;
        final long numel;

        StoredTensor(String storageKey, DType dtype, long[] shape, long numel) {
            this.storageKey = storageKey;
            this.dtype = dtype;
            this.shape = shape;
            this.numel = numel;
        }
    }

    private static final int SETITEMS_BATCH = 1000;

    TorchPickler() {
        super(false);
    }

    @Override
    protected IObjectPickler getCustomPickler(Class<?> t) {
        if (t == StateDict.class) {
            return (o, out, pickler) -> pickleStateDict((StateDict) o, out, pickler);
        }
        if (t == StoredTensor.class) {
            return (o, out, pickler) -> pickleTensor((StoredTensor) o, out, pickler);
        }
        return super.getCustomPickler(t);
    }

    private static void global(OutputStream out, String module, String name) throws IOException {
        out.write(Opcodes.GLOBAL);
        out.write((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    private static void emptyOrderedDict(OutputStream out) throws IOException {
        global(out, "collections", "OrderedDict");
        out.write(Opcodes.EMPTY_TUPLE);
        out.write(Opcodes.REDUCE);
    }

    private static void pickleStateDict(StateDict dict, OutputStream out, Pickler pickler)
            throws IOException {
        emptyOrderedDict(out);
        List<Map.Entry<String, StoredTensor>> entries = dict.entries;
        for (int start = 0; start < entries.size(); start += SETITEMS_BATCH) {
            out.write(Opcodes.MARK);
            int end = Math.min(entries.size(), start + SETITEMS_BATCH);
            for (Map.Entry<String, StoredTensor> e : entries.subList(start, end)) {
                pickler.save(e.getKey());
                pickler.save(e.getValue());
            }
            out.write(Opcodes.SETITEMS);
        }
    }

    private static void pickleTensor(StoredTensor t, OutputStream out, Pickler pickler)
            throws IOException {
        global(out, "torch._utils", "_rebuild_tensor_v2");
        out.write(Opcodes.MARK);
        // Persistent id of the storage.
        out.write(Opcodes.MARK);
        pickler.save("storage");
        global(out, "torch", t.dtype.storageName());
        pickler.save(t.storageKey);
        pickler.save("cpu");
        pickler.save(t.numel);
        out.write(Opcodes.TUPLE);
        out.write(Opcodes.BINPERSID);
        // storage_offset, size, stride, requires_grad, backward_hooks
        pickler.save(0L);
        pickler.save(boxed(t.shape));
        pickler.save(boxed(contiguousStrides(t.shape)));
        pickler.save(Boolean.FALSE);
        emptyOrderedDict(out);
        out.write(Opcodes.TUPLE);
        out.write(Opcodes.REDUCE);
    }

    private static Object[] boxed(long[] values) {
        Object[] out = new Object[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }

    /** Row-major strides of a shape, as PyTorch computes them (a size-0 dimension counts as 1). */
    static long[] contiguousStrides(long[] shape) {
        long[] stride = new long[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            stride[i] = s;
            s *= Math.max(shape[i], 1);
        }
        return stride;
    }
}
