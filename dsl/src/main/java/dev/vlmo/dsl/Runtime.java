package dev.vlmo.dsl;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Where and how a description runs: devices, engine, precision, the run directory and console
 * output. Immutable; start one with {@link Dsl#on(DeviceRef...)}.
 *
 * <p>Several devices train data-parallel, in pretraining and in fine-tuning: each takes an equal
 * share of every batch (a fine-tune's shares may differ by one row), and features are gathered so
 * contrastive learning and hard-negative sampling see the global batch. Naming the CPU more than
 * once runs that many shards on the CPU, which computes the same thing as one device with the whole
 * batch (useful to test data-parallel code without GPUs).
 */
public final class Runtime {

    private final List<DeviceRef> devices;
    private final String engine;
    private final Precision precision;
    private final Path runDir;
    private final boolean resume;
    private final int logEvery;
    private final boolean quiet;
    private final boolean smoke;

    Runtime(
            List<DeviceRef> devices,
            String engine,
            Precision precision,
            Path runDir,
            boolean resume,
            int logEvery,
            boolean quiet,
            boolean smoke) {
        if (devices.isEmpty()) {
            throw new IllegalArgumentException("a runtime needs at least one device");
        }
        this.devices = List.copyOf(devices);
        this.engine = engine;
        this.precision = precision;
        this.runDir = runDir;
        this.resume = resume;
        this.logEvery = logEvery;
        this.quiet = quiet;
        this.smoke = smoke;
    }

    /**
     * Returns this runtime on another DJL engine.
     *
     * @param v {@code PyTorch} or {@code MXNet}
     * @return a new runtime
     */
    public Runtime engine(String v) {
        Objects.requireNonNull(v, "engine");
        if (!v.equalsIgnoreCase("PyTorch") && !v.equalsIgnoreCase("MXNet")) {
            throw new IllegalArgumentException("engine must be PyTorch or MXNet, got " + v);
        }
        return new Runtime(devices, v, precision, runDir, resume, logEvery, quiet, smoke);
    }

    /**
     * Returns this runtime with another precision: {@link Precision#FP32} (the default), or mixed
     * precision with {@link Precision#FP16} (loss-scaled) or {@link Precision#BF16}, as {@code
     * torch.autocast} runs it; mixed precision needs the PyTorch engine.
     *
     * @param v the precision
     * @return a new runtime
     */
    public Runtime precision(Precision v) {
        Objects.requireNonNull(v, "precision");
        return new Runtime(devices, engine, v, runDir, resume, logEvery, quiet, smoke);
    }

    /**
     * Returns this runtime writing to a run directory (description, checkpoints, metrics).
     *
     * @param v the directory; created if missing
     * @return a new runtime
     */
    public Runtime runDir(Path v) {
        Objects.requireNonNull(v, "runDir");
        return new Runtime(devices, engine, precision, v, resume, logEvery, quiet, smoke);
    }

    /**
     * Returns this runtime resuming from the run directory's last checkpoint, if there is one.
     *
     * @param v whether to resume
     * @return a new runtime
     */
    public Runtime resume(boolean v) {
        return new Runtime(devices, engine, precision, runDir, v, logEvery, quiet, smoke);
    }

    /**
     * Returns this runtime printing a progress line every so many steps.
     *
     * @param v steps, positive
     * @return a new runtime
     */
    public Runtime logEvery(int v) {
        Checks.positive("logEvery", v);
        return new Runtime(devices, engine, precision, runDir, resume, v, quiet, smoke);
    }

    /**
     * Returns this runtime printing nothing on the console.
     *
     * @return a new runtime
     */
    public Runtime quiet() {
        return new Runtime(devices, engine, precision, runDir, resume, logEvery, true, smoke);
    }

    /**
     * Returns this runtime in smoke mode: every data source replaced by the built-in world, every
     * stage cut to a few steps at a small batch, so a recipe can be checked in seconds.
     *
     * @return a new runtime
     */
    public Runtime smoke() {
        return new Runtime(devices, engine, precision, runDir, resume, logEvery, quiet, true);
    }

    /**
     * Returns the devices.
     *
     * @return devices
     */
    public List<DeviceRef> devices() {
        return devices;
    }

    /**
     * Returns the engine's name.
     *
     * @return the engine
     */
    public String engine() {
        return engine;
    }

    /**
     * Returns the precision.
     *
     * @return the precision
     */
    public Precision precision() {
        return precision;
    }

    /**
     * Returns the run directory, or null for a fresh temporary one.
     *
     * @return the directory
     */
    public Path runDir() {
        return runDir;
    }

    /**
     * Returns whether to resume.
     *
     * @return resume
     */
    public boolean resume() {
        return resume;
    }

    /**
     * Returns the logging interval.
     *
     * @return steps
     */
    public int logEvery() {
        return logEvery;
    }

    /**
     * Returns whether the console stays quiet.
     *
     * @return quiet
     */
    public boolean isQuiet() {
        return quiet;
    }

    /**
     * Returns whether smoke mode is on.
     *
     * @return smoke
     */
    public boolean isSmoke() {
        return smoke;
    }

    @Override
    public String toString() {
        return "on("
                + String.join(", ", devices.stream().map(DeviceRef::toString).toList())
                + ").engine("
                + engine
                + ").precision("
                + precision
                + ")"
                + (runDir == null ? "" : ".runDir(" + runDir + ")")
                + (resume ? ".resume(true)" : "")
                + (smoke ? ".smoke()" : "");
    }
}
