package dev.vlmo.dsl;

/**
 * A device in a runtime description: the CPU, one GPU, or every visible GPU.
 *
 * @param kind {@code cpu}, {@code gpu} or {@code gpus}
 * @param index the GPU index for {@code gpu}, else -1
 */
public record DeviceRef(String kind, int index) {

    /** Checks the reference. */
    public DeviceRef {
        if (!kind.equals("cpu") && !kind.equals("gpu") && !kind.equals("gpus")) {
            throw new IllegalArgumentException("device kind must be cpu, gpu or gpus, got " + kind);
        }
        if (kind.equals("gpu") && index < 0) {
            throw new IllegalArgumentException("GPU index must be 0 or more, got " + index);
        }
    }

    @Override
    public String toString() {
        return switch (kind) {
            case "gpu" -> "gpu(" + index + ")";
            case "gpus" -> "gpus()";
            default -> "cpu()";
        };
    }
}
