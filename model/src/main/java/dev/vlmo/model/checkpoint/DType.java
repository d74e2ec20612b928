package dev.vlmo.model.checkpoint;

/** Element types of PyTorch storages that checkpoints can hold. */
public enum DType {
    /** 32-bit IEEE float ({@code torch.float32}, {@code FloatStorage}). */
    FLOAT32("FloatStorage", 4, true),
    /** 16-bit IEEE half ({@code torch.float16}, {@code HalfStorage}). */
    FLOAT16("HalfStorage", 2, true),
    /** bfloat16 ({@code torch.bfloat16}, {@code BFloat16Storage}). */
    BFLOAT16("BFloat16Storage", 2, true),
    /** 64-bit IEEE double ({@code torch.float64}, {@code DoubleStorage}); held as float32. */
    FLOAT64("DoubleStorage", 8, true),
    /** 64-bit signed integer ({@code torch.int64}, {@code LongStorage}). */
    INT64("LongStorage", 8, false),
    /** 32-bit signed integer ({@code torch.int32}, {@code IntStorage}). */
    INT32("IntStorage", 4, false),
    /** 16-bit signed integer ({@code torch.int16}, {@code ShortStorage}). */
    INT16("ShortStorage", 2, false),
    /** 8-bit signed integer ({@code torch.int8}, {@code CharStorage}). */
    INT8("CharStorage", 1, false),
    /** 8-bit unsigned integer ({@code torch.uint8}, {@code ByteStorage}). */
    UINT8("ByteStorage", 1, false),
    /** Boolean ({@code torch.bool}, {@code BoolStorage}), held as 0 or 1. */
    BOOL("BoolStorage", 1, false);

    private final String storageName;
    private final int bytes;
    private final boolean floating;

    DType(String storageName, int bytes, boolean floating) {
        this.storageName = storageName;
        this.bytes = bytes;
        this.floating = floating;
    }

    /**
     * Returns the name of the legacy storage class that {@code torch.save} records, e.g. {@code
     * FloatStorage}.
     *
     * @return the class name inside module {@code torch}
     */
    public String storageName() {
        return storageName;
    }

    /**
     * Returns the size of one element in the file.
     *
     * @return bytes per element
     */
    public int bytes() {
        return bytes;
    }

    /**
     * Tells whether values of this type are held as floats (otherwise as longs).
     *
     * @return true for the floating point types
     */
    public boolean isFloating() {
        return floating;
    }

    /**
     * Returns the PyTorch name of the type, e.g. {@code float32}.
     *
     * @return the name after {@code torch.}
     */
    public String torchName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Finds the type of a storage class name.
     *
     * @param storageName a class name such as {@code HalfStorage}
     * @return the type, or null when the storage class is not one of the supported types
     */
    public static DType ofStorage(String storageName) {
        for (DType t : values()) {
            if (t.storageName.equals(storageName)) {
                return t;
            }
        }
        return null;
    }
}
