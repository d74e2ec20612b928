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

    /** Environment variables (name to value) that a launched kernel process receives. */
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

    private KernelJvm() {}

    /**
     * Sets {@link #SYSTEM_PROPERTIES} in the running JVM; call it before anything touches DJL.
     * Telemetry is always switched off; an {@code ai.djl.offline} the JVM was started with is kept
     * (the launcher's {@code VLMO_DJL_OFFLINE=false} lets DJL download a CUDA libtorch).
     */
    public static void applyToCurrentJvm() {
        SYSTEM_PROPERTIES.forEach(
                (k, v) -> {
                    if (!k.equals("ai.djl.offline") || System.getProperty(k) == null) {
                        System.setProperty(k, v);
                    }
                });
    }
}
