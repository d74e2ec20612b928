package dev.vlmo.model.checkpoint;

import dev.vlmo.model.checkpoint.TorchUnpickler.PyObject;
import dev.vlmo.model.checkpoint.TorchUnpickler.StorageRef;
import dev.vlmo.model.checkpoint.TorchUnpickler.TensorRef;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Reads and writes PyTorch checkpoint files in the zip format of {@code torch.save} (PyTorch 1.6
 * and later).
 *
 * <p>A file is a zip archive {@code NAME/data.pkl} (the pickled object) plus one record {@code
 * NAME/data/KEY} of raw little-endian values per storage. Tensors are views into storages (offset
 * and strides); several tensors may share one storage. {@link #read} returns each tensor
 * contiguous; {@link #write} stores each tensor in its own storage, as a state dict that {@code
 * torch.load} reads.
 */
public final class TorchCheckpoint {

    private static final List<String> WRAPPERS = List.of("state_dict", "module", "model");
    private static final String MODULE_PREFIX = "module.";
    private static final String ARCHIVE = "archive/";
    private static final int ALIGNMENT = 64;

    private TorchCheckpoint() {}

    /**
     * Reads the state dict of a checkpoint.
     *
     * <p>The dict may be the top-level object or sit under {@code state_dict}, {@code module} or
     * {@code model} (looked up in that order, as the reference loader does); under {@code module} a
     * {@code module.} prefix is stripped from the keys.
     *
     * @param file a file written by {@code torch.save} or {@link #write}
     * @return parameter name to tensor, in the file's order (unmodifiable)
     * @throws CheckpointFormatException if the file is not a readable checkpoint; the message names
     *     the file, and the key and shapes where one is involved
     * @throws IOException if the file cannot be read
     */
    public static Map<String, TensorData> read(Path file) throws IOException {
        checkMagic(file);
        try (ZipFile zip = openZip(file)) {
            String prefix = archivePrefix(file, zip);
            ByteOrder order = byteOrder(file, zip, prefix);
            Object top = unpickle(file, zip, prefix);
            Map<String, TensorRef> refs = stateDict(file, top);
            Map<String, Object> storages = new HashMap<>();
            Map<String, TensorData> out = new LinkedHashMap<>();
            for (Map.Entry<String, TensorRef> e : refs.entrySet()) {
                out.put(
                        e.getKey(),
                        materialise(file, zip, prefix, order, e.getKey(), e.getValue(), storages));
            }
            return Collections.unmodifiableMap(out);
        }
    }

    private static void checkMagic(Path file) throws IOException {
        byte[] head = new byte[4];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, 4);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "checkpoint file does not exist");
        }
        if (n == 0) {
            throw new CheckpointFormatException(file, "file is empty, not a PyTorch checkpoint");
        }
        boolean zip = n == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
        if (!zip) {
            if ((head[0] & 0xff) == 0x80) {
                throw new CheckpointFormatException(
                        file,
                        "legacy (pre-1.6) torch.save format is not supported; load it in PyTorch"
                                + " and save it again with torch.save");
            }
            throw new CheckpointFormatException(
                    file, "not a PyTorch checkpoint (not a zip archive as torch.save writes)");
        }
    }

    private static ZipFile openZip(Path file) throws IOException {
        try {
            return new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new CheckpointFormatException(
                    file, "truncated or corrupt zip archive (" + e.getMessage() + ")", e);
        }
    }

    private static String archivePrefix(Path file, ZipFile zip) throws IOException {
        List<String> candidates = new ArrayList<>();
        zip.stream()
                .map(ZipEntry::getName)
                .filter(n -> n.endsWith("data.pkl"))
                .forEach(candidates::add);
        for (String name : candidates) {
            String prefix = name.substring(0, name.length() - "data.pkl".length());
            if (prefix.isEmpty()
                    || (prefix.endsWith("/") && prefix.indexOf('/') == prefix.length() - 1)) {
                return prefix;
            }
        }
        throw new CheckpointFormatException(
                file,
                "zip archive has no data.pkl record, so it is not a PyTorch checkpoint (records: "
                        + zip.stream().limit(5).map(ZipEntry::getName).toList()
                        + ")");
    }

    private static ByteOrder byteOrder(Path file, ZipFile zip, String prefix) throws IOException {
        ZipEntry e = zip.getEntry(prefix + "byteorder");
        if (e == null) {
            return ByteOrder.LITTLE_ENDIAN;
        }
        String order = new String(record(file, zip, e), StandardCharsets.US_ASCII).trim();
        switch (order) {
            case "little":
                return ByteOrder.LITTLE_ENDIAN;
            case "big":
                return ByteOrder.BIG_ENDIAN;
            default:
                throw new CheckpointFormatException(
                        file, "unknown byteorder record '" + order + "'");
        }
    }

    private static byte[] record(Path file, ZipFile zip, ZipEntry e) throws IOException {
        if (e.getSize() > Integer.MAX_VALUE - 8) {
            throw new CheckpointFormatException(
                    file,
                    "record " + e.getName() + " is larger than 2 GiB, which is not supported");
        }
        byte[] bytes;
        try (InputStream in = zip.getInputStream(e)) {
            bytes = in.readAllBytes();
        } catch (ZipException ex) {
            throw new CheckpointFormatException(
                    file, "record " + e.getName() + " is corrupt (" + ex.getMessage() + ")", ex);
        }
        if (e.getCrc() != -1) {
            CRC32 crc = new CRC32();
            crc.update(bytes);
            if (crc.getValue() != e.getCrc()) {
                throw new CheckpointFormatException(
                        file,
                        "record "
                                + e.getName()
                                + " is corrupt (CRC "
                                + Long.toHexString(crc.getValue())
                                + " but the archive says "
                                + Long.toHexString(e.getCrc())
                                + ")");
            }
        }
        return bytes;
    }

    private static Object unpickle(Path file, ZipFile zip, String prefix) throws IOException {
        byte[] pickle = record(file, zip, zip.getEntry(prefix + "data.pkl"));
        try {
            TorchUnpickler unpickler = new TorchUnpickler();
            Object result = unpickler.loads(pickle);
            unpickler.close();
            return result;
        } catch (IOException | RuntimeException e) {
            throw new CheckpointFormatException(
                    file,
                    "data.pkl cannot be unpickled as a checkpoint (" + e.getMessage() + ")",
                    e);
        }
    }

    private static Map<String, TensorRef> stateDict(Path file, Object top) throws IOException {
        if (!(top instanceof Map)) {
            throw new CheckpointFormatException(
                    file, "holds a " + pythonType(top) + ", not a dict of tensors (a state dict)");
        }
        Map<?, ?> dict = (Map<?, ?>) top;
        boolean strip = false;
        for (String wrapper : WRAPPERS) {
            Object inner = dict.get(wrapper);
            if (inner instanceof Map) {
                dict = (Map<?, ?>) inner;
                strip = wrapper.equals("module");
                break;
            }
        }
        Map<String, TensorRef> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : dict.entrySet()) {
            if (!(e.getKey() instanceof String)) {
                throw new CheckpointFormatException(
                        file,
                        "state dict has a key of type "
                                + pythonType(e.getKey())
                                + ": "
                                + e.getKey());
            }
            String key = (String) e.getKey();
            if (!(e.getValue() instanceof TensorRef)) {
                throw new CheckpointFormatException(
                        file,
                        "key '"
                                + key
                                + "' holds a "
                                + pythonType(e.getValue())
                                + ", not a tensor; not a state dict");
            }
            String name =
                    strip && key.startsWith(MODULE_PREFIX)
                            ? key.substring(MODULE_PREFIX.length())
                            : key;
            if (out.put(name, (TensorRef) e.getValue()) != null) {
                throw new CheckpointFormatException(
                        file,
                        "key '" + name + "' appears twice once the module. prefix is stripped");
            }
        }
        return out;
    }

    private static String pythonType(Object o) {
        if (o == null) {
            return "None";
        } else if (o instanceof String) {
            return "str";
        } else if (o instanceof Boolean) {
            return "bool";
        } else if (o instanceof Integer || o instanceof Long || o instanceof java.math.BigInteger) {
            return "int (" + o + ")";
        } else if (o instanceof Double || o instanceof Float) {
            return "float (" + o + ")";
        } else if (o instanceof Object[]) {
            return "tuple";
        } else if (o instanceof List) {
            return "list";
        } else if (o instanceof Map) {
            return "dict";
        } else if (o instanceof PyObject || o instanceof TorchUnpickler.PyGlobal) {
            return o.toString();
        } else if (o instanceof TensorRef) {
            return "tensor";
        }
        return o.getClass().getSimpleName();
    }

    private static TensorData materialise(
            Path file,
            ZipFile zip,
            String prefix,
            ByteOrder order,
            String key,
            TensorRef t,
            Map<String, Object> storages)
            throws IOException {
        StorageRef s = t.storage;
        String view =
                "shape "
                        + Arrays.toString(t.shape)
                        + ", strides "
                        + Arrays.toString(t.stride)
                        + ", offset "
                        + t.offset;
        DType dtype = s.type.dtype;
        if (dtype == null) {
            throw new CheckpointFormatException(
                    file,
                    "key '"
                            + key
                            + "' ("
                            + view
                            + ") has storage type torch."
                            + s.type.name
                            + ", which is not supported; supported: "
                            + Arrays.stream(DType.values()).map(DType::torchName).toList());
        }
        String recordName = "data/" + s.key;
        Object values = storages.get(s.key);
        if (values == null) {
            ZipEntry e = zip.getEntry(prefix + recordName);
            if (e == null) {
                throw new CheckpointFormatException(
                        file, "storage record " + recordName + " of key '" + key + "' is missing");
            }
            byte[] bytes = record(file, zip, e);
            long declared = s.numel * dtype.bytes();
            if (bytes.length < declared || bytes.length % dtype.bytes() != 0) {
                throw new CheckpointFormatException(
                        file,
                        "storage record "
                                + recordName
                                + " of key '"
                                + key
                                + "' ("
                                + view
                                + ") holds "
                                + bytes.length
                                + " bytes, but its "
                                + dtype.torchName()
                                + " storage declares "
                                + s.numel
                                + " elements ("
                                + declared
                                + " bytes)");
            }
            values = decode(dtype, ByteBuffer.wrap(bytes).order(order), (int) s.numel);
            storages.put(s.key, values);
        }
        long count = 1;
        long maxIndex = t.offset;
        for (int d = 0; d < t.shape.length; d++) {
            if (t.shape[d] < 0 || t.stride[d] < 0) {
                throw new CheckpointFormatException(
                        file, "key '" + key + "' has a negative size or stride (" + view + ")");
            }
            count *= t.shape[d];
            maxIndex += (t.shape[d] - 1) * t.stride[d];
        }
        long available = s.numel;
        if (count > 0 && (t.offset < 0 || maxIndex >= available)) {
            throw new CheckpointFormatException(
                    file,
                    "key '"
                            + key
                            + "' ("
                            + view
                            + ") needs "
                            + (maxIndex + 1)
                            + " elements of storage "
                            + recordName
                            + ", which has only "
                            + available);
        }
        if (count > Integer.MAX_VALUE - 8) {
            throw new CheckpointFormatException(
                    file, "key '" + key + "' (" + view + ") has more than 2^31 elements");
        }
        int n = (int) count;
        long[] shape = t.shape.clone();
        if (values instanceof float[]) {
            float[] src = (float[]) values;
            float[] dst = new float[n];
            gather(t, n, (i, j) -> dst[i] = src[(int) j]);
            return TensorData.wrapFloats(dtype, shape, dst);
        }
        long[] src = (long[]) values;
        long[] dst = new long[n];
        gather(t, n, (i, j) -> dst[i] = src[(int) j]);
        return TensorData.wrapLongs(dtype, shape, dst);
    }

    /** Receives (output index, storage index) pairs. */
    private interface Copy {
        void copy(int out, long storageIndex);
    }

    /** Visits the view's elements in row-major order. */
    private static void gather(TensorRef t, int n, Copy copy) {
        int rank = t.shape.length;
        long[] index = new long[rank];
        long pos = t.offset;
        for (int i = 0; i < n; i++) {
            copy.copy(i, pos);
            for (int d = rank - 1; d >= 0; d--) {
                index[d]++;
                pos += t.stride[d];
                if (index[d] < t.shape[d]) {
                    break;
                }
                pos -= index[d] * t.stride[d];
                index[d] = 0;
            }
        }
    }

    private static Object decode(DType dtype, ByteBuffer b, int numel) {
        switch (dtype) {
            case FLOAT32:
                {
                    float[] v = new float[numel];
                    b.asFloatBuffer().get(v);
                    return v;
                }
            case FLOAT16:
            case BFLOAT16:
                {
                    float[] v = new float[numel];
                    for (int i = 0; i < numel; i++) {
                        short h = b.getShort(2 * i);
                        v[i] =
                                dtype == DType.FLOAT16
                                        ? HalfPrecision.halfToFloat(h)
                                        : HalfPrecision.bf16ToFloat(h);
                    }
                    return v;
                }
            case FLOAT64:
                {
                    float[] v = new float[numel];
                    for (int i = 0; i < numel; i++) {
                        v[i] = (float) b.getDouble(8 * i);
                    }
                    return v;
                }
            case INT64:
                {
                    long[] v = new long[numel];
                    b.asLongBuffer().get(v);
                    return v;
                }
            case INT32:
                {
                    long[] v = new long[numel];
                    for (int i = 0; i < numel; i++) {
                        v[i] = b.getInt(4 * i);
                    }
                    return v;
                }
            case INT16:
                {
                    long[] v = new long[numel];
                    for (int i = 0; i < numel; i++) {
                        v[i] = b.getShort(2 * i);
                    }
                    return v;
                }
            case INT8:
                {
                    long[] v = new long[numel];
                    for (int i = 0; i < numel; i++) {
                        v[i] = b.get(i);
                    }
                    return v;
                }
            case UINT8:
            case BOOL:
                {
                    long[] v = new long[numel];
                    for (int i = 0; i < numel; i++) {
                        v[i] = b.get(i) & 0xff;
                    }
                    return v;
                }
            default:
                throw new IllegalStateException("unhandled dtype " + dtype);
        }
    }

    /**
     * Writes tensors as a state dict that {@code torch.load} reads and {@link #read} reads back
     * bit-exactly.
     *
     * <p>The archive holds {@code archive/data.pkl} (pickle protocol 2, an {@code OrderedDict} of
     * tensors), {@code archive/byteorder}, one record {@code archive/data/N} per tensor (aligned to
     * 64 bytes, as PyTorch aligns them) and {@code archive/version}. The file is written to a
     * temporary sibling first and then moved into place.
     *
     * @param file the file to create or replace
     * @param tensors parameter name to tensor, written in the map's order
     * @throws IllegalArgumentException if a key is null or empty or a tensor is null
     * @throws IOException if the file cannot be written
     */
    public static void write(Path file, Map<String, TensorData> tensors) throws IOException {
        List<Map.Entry<String, TorchPickler.StoredTensor>> entries = new ArrayList<>();
        List<TensorData> data = new ArrayList<>();
        for (Map.Entry<String, TensorData> e : tensors.entrySet()) {
            if (e.getKey() == null || e.getKey().isEmpty()) {
                throw new IllegalArgumentException("checkpoint keys must be non-empty strings");
            }
            TensorData t = e.getValue();
            if (t == null) {
                throw new IllegalArgumentException("tensor of key '" + e.getKey() + "' is null");
            }
            String storageKey = Integer.toString(data.size());
            entries.add(
                    new AbstractMap.SimpleImmutableEntry<>(
                            e.getKey(),
                            new TorchPickler.StoredTensor(
                                    storageKey, t.dtype(), t.shape(), t.size())));
            data.add(t);
        }
        byte[] pickle = new TorchPickler().dumps(new TorchPickler.StateDict(entries));

        Path dir = file.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            throw new java.nio.file.NoSuchFileException(
                    dir.toString(), null, "no such folder to write " + file.getFileName() + " in");
        }
        // beside the target and renamed into place; created as any new file is (the umask's
        // permissions, not a temporary file's owner-only ones)
        Path tmp = dir.resolve(file.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        try {
            try (CountingOutputStream counting =
                            new CountingOutputStream(Files.newOutputStream(tmp));
                    ZipOutputStream zip = new ZipOutputStream(counting)) {
                putStored(zip, counting, ARCHIVE + "data.pkl", pickle, false);
                putStored(zip, counting, ARCHIVE + "byteorder", ascii("little"), false);
                for (int i = 0; i < data.size(); i++) {
                    putStored(zip, counting, ARCHIVE + "data/" + i, encode(data.get(i)), true);
                }
                putStored(zip, counting, ARCHIVE + "version", ascii("3\n"), false);
            }
            try {
                Files.move(
                        tmp,
                        file,
                        StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static void putStored(
            ZipOutputStream zip,
            CountingOutputStream counting,
            String name,
            byte[] bytes,
            boolean align)
            throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(bytes.length);
        e.setCompressedSize(bytes.length);
        CRC32 crc = new CRC32();
        crc.update(bytes);
        e.setCrc(crc.getValue());
        e.setTimeLocal(LocalDateTime.of(2000, 1, 1, 0, 0));
        if (align) {
            // Pad with an "FB" extra field so that the data starts on a 64-byte boundary.
            long dataStart = counting.count + 30 + name.getBytes(StandardCharsets.UTF_8).length + 4;
            int pad = (int) ((ALIGNMENT - dataStart % ALIGNMENT) % ALIGNMENT);
            byte[] extra = new byte[4 + pad];
            extra[0] = 'F';
            extra[1] = 'B';
            extra[2] = (byte) pad;
            extra[3] = (byte) (pad >>> 8);
            e.setExtra(extra);
        }
        zip.putNextEntry(e);
        zip.write(bytes);
        zip.closeEntry();
    }

    private static byte[] encode(TensorData t) {
        DType dtype = t.dtype();
        int n = t.size();
        ByteBuffer b = ByteBuffer.allocate(n * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        if (t.isFloating()) {
            float[] v = t.floatArray();
            for (float x : v) {
                switch (dtype) {
                    case FLOAT32:
                        b.putFloat(x);
                        break;
                    case FLOAT16:
                        b.putShort(HalfPrecision.floatToHalf(x));
                        break;
                    case BFLOAT16:
                        b.putShort(HalfPrecision.floatToBf16(x));
                        break;
                    default:
                        b.putDouble(x);
                        break;
                }
            }
        } else {
            long[] v = t.longArray();
            for (long x : v) {
                switch (dtype.bytes()) {
                    case 8:
                        b.putLong(x);
                        break;
                    case 4:
                        b.putInt((int) x);
                        break;
                    case 2:
                        b.putShort((short) x);
                        break;
                    default:
                        b.put((byte) x);
                        break;
                }
            }
        }
        return b.array();
    }

    /** Counts the bytes written through it, to place records on aligned offsets. */
    private static final class CountingOutputStream extends FilterOutputStream {
        long count;

        CountingOutputStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
