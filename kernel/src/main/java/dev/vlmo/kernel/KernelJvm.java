package dev.vlmo.kernel;

import java.util.List;
import java.util.Map;

/**
 * The JVM settings every process of this project starts with: DJL offline and its usage telemetry
 * switched off, and {@code java.nio} open to Arrow Java.
 */
public final class KernelJvm {

    /** System properties (name to value) that switch off DJL's telemetry and network access. */
    public static final Map<String, String> SYSTEM_PROPERTIES =
            Map.of("OPT_OUT_TRACKING", "true", "ai.djl.offline", "true");

    /**
     * Environment variables (name to value) that a launched kernel process receives. The launcher
     * adds its native settings (preloaded library, glibc malloc) to the kernelspec as {@code --env}
     * options of {@link KernelInstaller}.
     */
    public static final Map<String, String> ENVIRONMENT = Map.of("OPT_OUT_TRACKING", "true");

    /**
     * JVM options, in a fixed order: {@link #SYSTEM_PROPERTIES} on a command line, and the opening
     * of {@code java.nio} that Arrow Java needs to read the reference's {@code .arrow} files.
     */
    public static final List<String> JVM_OPTIONS =
            List.of(
                    "-DOPT_OUT_TRACKING=true",
                    "-Dai.djl.offline=true",
                    "--add-opens=java.base/java.nio=ALL-UNNAMED");

    /** Held so that the levels set on them stay (java.util.logging keeps loggers weakly). */
    private static final java.util.logging.Logger DJL_LOG =
            java.util.logging.Logger.getLogger("ai.djl");

    private static final java.util.logging.Logger DJL_CUDA_LOG =
            java.util.logging.Logger.getLogger("ai.djl.util.cuda");

    private KernelJvm() {}

    /**
     * Keeps DJL's start-up notes (platform, thread counts, graph optimizer) off the console of
     * recipes and the kernel; its warnings still show. On a Linux machine without an NVIDIA driver
     * its CUDA probe's "Failed to detect GPU count" warning is dropped too: there is no GPU to
     * find.
     */
    static void quietDjlLogging() {
        DJL_LOG.setLevel(java.util.logging.Level.WARNING);
        if (System.getProperty("os.name", "").startsWith("Linux")
                && !java.nio.file.Files.exists(java.nio.file.Path.of("/proc/driver/nvidia"))) {
            DJL_CUDA_LOG.setLevel(java.util.logging.Level.SEVERE);
        }
    }

    /**
     * Sets {@link #SYSTEM_PROPERTIES} in the running JVM; call it before anything touches DJL.
     * Telemetry is always switched off; an {@code ai.djl.offline} the JVM was started with is kept
     * (the launcher's {@code VLMO_DJL_OFFLINE=false} lets DJL download a CUDA libtorch).
     */
    public static void applyToCurrentJvm() {
        quietDjlLogging();
        SYSTEM_PROPERTIES.forEach(
                (k, v) -> {
                    if (!k.equals("ai.djl.offline") || System.getProperty(k) == null) {
                        System.setProperty(k, v);
                    }
                });
    }
}
