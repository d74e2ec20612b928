package dev.vlmo.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

/**
 * Whether the Intel MKL inside DJL's CPU libtorch runs its fast kernels on this CPU.
 *
 * <p>MKL chooses its matrix-multiply kernels by the CPU's vendor as well as its instruction sets:
 * on AMD CPUs it runs slower kernels than the CPU supports (on this project's AMD EPYC with
 * AVX-512, about half the speed). The launcher {@code ./vlmo} preloads a two-function library,
 * {@code model/src/main/native/mkl_amd.c}, that answers MKL's vendor question, after which MKL
 * picks its kernels by the instruction sets as on Intel CPUs (README, "Engines"). This class tells
 * whether that is needed and in place, and {@link Engines} warns once when a JVM started some other
 * way lacks it.
 */
public final class MklOnAmd {

    /** Where this JVM stands. */
    public enum Status {
        /** Not an AMD CPU on Linux, or the engine's libtorch is not DJL's (no MKL to steer). */
        NOT_NEEDED,
        /** An AMD CPU, DJL's libtorch, and the library preloaded: MKL uses its fast kernels. */
        ACTIVE,
        /** An AMD CPU and DJL's libtorch without the library: MKL runs its slower kernels. */
        MISSING
    }

    /** The file name the launcher builds the library under. */
    static final String LIBRARY = "libvlmo-mkl-amd.so";

    private static final Pattern AMD = Pattern.compile("(?m)^vendor_id\\s*:\\s*AuthenticAMD\\s*$");
    private static final AtomicBoolean CHECKED = new AtomicBoolean();

    private MklOnAmd() {}

    /**
     * This JVM's status, read from {@code /proc/cpuinfo} and the libraries mapped into the process
     * ({@code /proc/self/maps}); meaningful once the PyTorch engine has started.
     *
     * @return the status; {@link Status#NOT_NEEDED} where {@code /proc} cannot be read
     */
    public static Status status() {
        try {
            return status(
                    Files.readString(Path.of("/proc/cpuinfo")),
                    Files.readString(Path.of("/proc/self/maps")),
                    System.getProperty(
                            "PYTORCH_LIBRARY_PATH", System.getenv("PYTORCH_LIBRARY_PATH")));
        } catch (IOException | RuntimeException e) {
            return Status.NOT_NEEDED;
        }
    }

    /**
     * The status from the contents of {@code /proc/cpuinfo} and {@code /proc/self/maps}.
     *
     * @param cpuinfo the CPU description
     * @param maps the process's mapped files
     * @param libtorchPath {@code PYTORCH_LIBRARY_PATH} (a libtorch of the user's, which may not use
     *     MKL), or null
     * @return the status
     */
    static Status status(String cpuinfo, String maps, String libtorchPath) {
        boolean djlLibtorch =
                (libtorchPath == null || libtorchPath.isEmpty())
                        && maps.lines().anyMatch(l -> l.contains("/libtorch_cpu.so"));
        if (!AMD.matcher(cpuinfo).find() || !djlLibtorch) {
            return Status.NOT_NEEDED;
        }
        // "(deleted)" follows the name when the file was rebuilt while this process ran
        return maps.lines().anyMatch(l -> l.contains("/" + LIBRARY))
                ? Status.ACTIVE
                : Status.MISSING;
    }

    /**
     * The warning for a status, or null when there is nothing to say.
     *
     * @param status where this JVM stands
     * @return the warning
     */
    static String warning(Status status) {
        if (status != Status.MISSING) {
            return null;
        }
        return "This AMD CPU runs the slower kernels of the Intel MKL in DJL's libtorch (about half"
                + " the matrix-multiply speed of its AVX-512 kernels on an AMD EPYC). Start Java"
                + " through ./vlmo, which preloads model/src/main/native/mkl_amd.c, or build it"
                + " (cc -shared -fPIC -nostdlib -O2 -o "
                + LIBRARY
                + " mkl_amd.c) and start Java with LD_PRELOAD=/path/to/"
                + LIBRARY
                + " (README, \"Engines\"). VLMO_MKL_AMD=0 silences this warning.";
    }

    /**
     * Checks once per JVM, after the PyTorch engine has started, and warns on standard error when
     * the library is needed and missing.
     */
    static void warnIfMissing() {
        if ("0".equals(System.getenv("VLMO_MKL_AMD")) || !CHECKED.compareAndSet(false, true)) {
            return;
        }
        String w = warning(status());
        if (w != null) {
            System.err.println("WARNING: " + w);
        }
    }
}
