package dev.vlmo.model.checkpoint;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;

/**
 * Unpickles the {@code data.pkl} record of a PyTorch checkpoint into plain Java values.
 *
 * <p>Tensors become {@link TensorRef}s (a storage reference plus offset, shape and strides) that
 * {@link TorchCheckpoint} resolves against the archive's storage records. Dictionaries keep their
 * insertion order. Globals are resolved here rather than through the library's global constructor
 * registry, so unknown classes (optimizer state, hyper-parameters) become inert {@link PyObject}s
 * instead of failing the whole file.
 */
final class TorchUnpickler extends Unpickler {

    /** A Python dict or OrderedDict, in insertion order. */
    static final class PyDict extends LinkedHashMap<Object, Object> {
        private static final long serialVersionUID = 1L;
    }

    /** An instance of a class this reader does not interpret, kept for error messages. */
    static final class PyObject {
        final String className;
        final Object[] args;
        Object state;

        PyObject(String className, Object[] args) {
            this.className = className;
            this.args = args;
        }

        @Override
        public String toString() {
            return className;
        }
    }

    /** A global that constructs {@link PyObject}s when called. */
    static final class PyGlobal implements IObjectConstructor {
        final String name;

        PyGlobal(String name) {
            this.name = name;
        }

        @Override
        public Object construct(Object[] args) {
            return new PyObject(name, args);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /**
     * A {@code torch.*Storage} class; dtype is null for storage classes this reader cannot read.
     */
    static final class StorageType {
        final String name;
        final DType dtype;

        StorageType(String name) {
            this.name = name;
            this.dtype = DType.ofStorage(name);
        }
    }

    /** A persistent id: one storage record of the archive. */
    static final class StorageRef {
        final StorageType type;
        final String key;
        final long numel;

        StorageRef(StorageType type, String key, long numel) {
            this.type = type;
            this.key = key;
            this.numel = numel;
        }
    }

    /** A tensor as the pickle describes it: a view into a storage. */
    static final class TensorRef {
        final StorageRef storage;
        final long offset;
        final long[] shape;
        final long[] stride;

        TensorRef(StorageRef storage, long offset, long[] shape, long[] stride) {
            this.storage = storage;
            this.offset = offset;
            this.shape = shape;
            this.stride = stride;
        }

        @Override
        public String toString() {
            return "tensor " + Arrays.toString(shape);
        }
    }

    private static final IObjectConstructor REBUILD_TENSOR =
            args -> {
                if (args.length < 4 || !(args[0] instanceof StorageRef)) {
                    throw new PickleException(
                            "tensor rebuild call with unexpected arguments "
                                    + Arrays.deepToString(args));
                }
                long[] shape = longs(args[2]);
                long[] stride = longs(args[3]);
                if (shape.length != stride.length) {
                    throw new PickleException(
                            "tensor with shape "
                                    + Arrays.toString(shape)
                                    + " has strides "
                                    + Arrays.toString(stride));
                }
                return new TensorRef(
                        (StorageRef) args[0], ((Number) args[1]).longValue(), shape, stride);
            };

    private static final IObjectConstructor FIRST_ARGUMENT = args -> args[0];

    private static final IObjectConstructor ORDERED_DICT =
            args -> {
                PyDict dict = new PyDict();
                if (args.length == 1 && args[0] instanceof List) {
                    for (Object pair : (List<?>) args[0]) {
                        Object[] kv = pair instanceof Object[] ? (Object[]) pair : null;
                        if (kv == null || kv.length != 2) {
                            throw new PickleException("OrderedDict item is not a pair");
                        }
                        dict.put(kv[0], kv[1]);
                    }
                }
                return dict;
            };

    private static long[] longs(Object tuple) {
        if (!(tuple instanceof Object[])) {
            throw new PickleException("expected a tuple of ints, got " + tuple);
        }
        Object[] t = (Object[]) tuple;
        long[] out = new long[t.length];
        for (int i = 0; i < t.length; i++) {
            out[i] = ((Number) t[i]).longValue();
        }
        return out;
    }

    private Object resolveGlobal(String module, String name) {
        String full = module + "." + name;
        switch (full) {
            case "torch._utils._rebuild_tensor_v2":
            case "torch._utils._rebuild_tensor":
                return REBUILD_TENSOR;
            case "torch._utils._rebuild_parameter":
            case "torch._utils._rebuild_parameter_with_state":
                return FIRST_ARGUMENT;
            case "collections.OrderedDict":
                return ORDERED_DICT;
            default:
                break;
        }
        if (module.equals("torch") && name.endsWith("Storage")) {
            return new StorageType(name);
        }
        IObjectConstructor known = objectConstructors.get(full);
        return known != null ? known : new PyGlobal(full);
    }

    @Override
    protected Object dispatch(short key) throws PickleException, IOException {
        switch (key) {
            case Opcodes.GLOBAL:
                {
                    String module = PickleUtils.readline(input);
                    String name = PickleUtils.readline(input);
                    stack.add(resolveGlobal(module, name));
                    return NO_RETURN_VALUE;
                }
            case Opcodes.STACK_GLOBAL:
                {
                    String name = (String) stack.pop();
                    String module = (String) stack.pop();
                    stack.add(resolveGlobal(module, name));
                    return NO_RETURN_VALUE;
                }
            case Opcodes.EMPTY_DICT:
                stack.add(new PyDict());
                return NO_RETURN_VALUE;
            case Opcodes.DICT:
                {
                    List<Object> items = stack.pop_all_since_marker();
                    PyDict dict = new PyDict();
                    putPairs(dict, items);
                    stack.add(dict);
                    return NO_RETURN_VALUE;
                }
            case Opcodes.SETITEMS:
                {
                    List<Object> items = stack.pop_all_since_marker();
                    putPairs(targetMap(), items);
                    return NO_RETURN_VALUE;
                }
            case Opcodes.SETITEM:
                {
                    Object value = stack.pop();
                    Object k = stack.pop();
                    targetMap().put(k, value);
                    return NO_RETURN_VALUE;
                }
            case Opcodes.BUILD:
                {
                    Object state = stack.pop();
                    Object target = stack.peek();
                    if (target instanceof PyObject) {
                        ((PyObject) target).state = state;
                    }
                    // Dict attributes such as a state dict's _metadata carry nothing we need.
                    return NO_RETURN_VALUE;
                }
            default:
                return super.dispatch(key);
        }
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> targetMap() {
        Object target = stack.peek();
        if (!(target instanceof Map)) {
            throw new PickleException("SETITEMS on a " + target + ", not a dict");
        }
        return (Map<Object, Object>) target;
    }

    private static void putPairs(Map<Object, Object> map, List<Object> items) {
        if (items.size() % 2 != 0) {
            throw new PickleException("odd number of dict items");
        }
        List<Object> list = new ArrayList<>(items);
        for (int i = 0; i < list.size(); i += 2) {
            map.put(list.get(i), list.get(i + 1));
        }
    }

    @Override
    protected Object persistentLoad(Object pid) {
        if (pid instanceof Object[]) {
            Object[] t = (Object[]) pid;
            if (t.length >= 5
                    && "storage".equals(t[0])
                    && t[1] instanceof StorageType
                    && t[2] instanceof String
                    && t[4] instanceof Number) {
                return new StorageRef(
                        (StorageType) t[1], (String) t[2], ((Number) t[4]).longValue());
            }
        }
        throw new PickleException(
                "unexpected persistent id "
                        + (pid instanceof Object[] ? Arrays.deepToString((Object[]) pid) : pid));
    }
}
