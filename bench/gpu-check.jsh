// The checks the CPU tests cannot make, in one short run for a machine with a CUDA GPU: the tiny
// preset (shrunk: D=32, 2 layers) for 3 vision-language steps of batch 8 on the built-in world,
//   1. on gpu(0) in FP32 against the same run on the CPU (first-step loss),
//   2. on gpu(0) in FP16 and BF16 against gpu(0) in FP32 (first-step loss),
//   3. data-parallel on gpu(0) twice (the copy-and-backward path of several devices) and, with two
//      GPUs, on gpu(0) and gpu(1), against gpu(0) alone (every step's loss),
// then the tiny preset's VL step at batch 64 in FP32, FP16 and BF16 (samples/s, median of the
// second half of 20 steps; 8 on the CPU). Prints one PASS or FAIL line per check and a table; exits non-zero on a
// FAIL (through ./vlmo run's error line).
//
// Run:  ./vlmo run bench/gpu-check.jsh               (needs DJL's CUDA libtorch: README,
//                                                    "Engines")
//       GPU_CHECK_DEVICE=cpu ./vlmo run bench/gpu-check.jsh   the same checks with the CPU
//                                                    standing in for the GPU (about a minute)

// the system property is how the tests run it on the CPU
boolean onCpu = "cpu".equals(System.getProperty("vlmo.gpuCheck.device", System.getenv("GPU_CHECK_DEVICE")));
int gpuCount = onCpu ? 1 : ai.djl.engine.Engine.getEngine("PyTorch").getGpuCount();
if (gpuCount == 0) {
    throw new IllegalStateException("no GPU visible to DJL's PyTorch engine; GPU_CHECK_DEVICE=cpu"
            + " runs the checks on the CPU");
}
java.util.function.IntFunction<DeviceRef> dev = i -> onCpu ? cpu() : gpu(i);

var world = builtIn().scenes(64, 16);
var small = Vlmo.tiny().model(c -> c.withLayers(2).withVlLayers(1).withHidden(32).withHeads(2))
        .stage(visionLanguage().data(world).steps(3).batchSize(8).learningRate(1e-3).warmup(0)
                .dropPath(0));
java.util.function.Function<Runtime, double[]> losses = rt -> {
    try (var run = small.run(rt.quiet().runDir(Files.createTempDirectory("vlmo-gpu-check-")))) {
        return run.metrics().doubleColumn("loss").asDoubleArray();
    } catch (IOException e) {
        throw new UncheckedIOException(e);
    }
};
var failures = new ArrayList<String>();
java.util.function.BiConsumer<String, Boolean> check = (what, ok) -> {
    System.out.println((ok ? "PASS " : "FAIL ") + what);
    if (!ok) {
        failures.add(what);
    }
};
double[] cpu32 = losses.apply(on(cpu()));
double[] gpu32 = losses.apply(on(dev.apply(0)));
double rel = Math.abs(gpu32[0] - cpu32[0]) / Math.abs(cpu32[0]);
// cuDNN's convolutions (the patch embedding) may use TF32 on recent GPUs: allow 5e-3
check.accept(String.format("FP32 on %s: first loss %.6f, CPU %.6f (relative %.1e)",
        dev.apply(0), gpu32[0], cpu32[0], rel), rel < 5e-3);
for (Precision p : new Precision[] {Precision.FP16, Precision.BF16}) {
    double[] half = losses.apply(on(dev.apply(0)).precision(p));
    double r = Math.abs(half[0] - gpu32[0]) / Math.abs(gpu32[0]);
    check.accept(String.format("%s on %s: first loss %.6f, FP32 %.6f (relative %.1e)",
            p, dev.apply(0), half[0], gpu32[0], r), r < 1e-2 && r > 0);
}
var pairs = new ArrayList<DeviceRef[]>();
pairs.add(new DeviceRef[] {dev.apply(0), dev.apply(0)});
if (gpuCount > 1) {
    pairs.add(new DeviceRef[] {dev.apply(0), dev.apply(1)});
}
for (DeviceRef[] pair : pairs) {
    double[] two = losses.apply(on(pair));
    double worst = 0;
    for (int i = 0; i < two.length; i++) {
        worst = Math.max(worst, Math.abs(two[i] - gpu32[i]) / Math.abs(gpu32[i]));
    }
    check.accept(String.format("data-parallel on %s: losses %s against one device's %s"
            + " (worst relative %.1e)", Arrays.toString(pair), Arrays.toString(two),
            Arrays.toString(gpu32), worst), worst < 1e-4);
}

var speed = Table.create("tiny preset, VL step, batch 64 on " + dev.apply(0),
        StringColumn.create("precision"), DoubleColumn.create("samples/s"));
int speedSteps = onCpu ? 8 : 20;
for (Precision p : Precision.values()) {
    var tiny = Vlmo.tiny().stage(visionLanguage().data(builtIn()).steps(speedSteps).batchSize(64)
            .warmup(0));
    try (var run = tiny.run(on(dev.apply(0)).precision(p).quiet()
            .runDir(Files.createTempDirectory("vlmo-gpu-check-")))) {
        double[] sps = run.metrics().doubleColumn("samples_per_s").asDoubleArray();
        double[] last = Arrays.copyOfRange(sps, sps.length / 2, sps.length);
        Arrays.sort(last);
        speed.stringColumn("precision").append(p.name());
        speed.doubleColumn("samples/s").append((last[(last.length - 1) / 2] + last[last.length / 2]) / 2);
    }
}
System.out.println(speed.printAll());
if (!failures.isEmpty()) {
    throw new IllegalStateException(failures.size() + " GPU check(s) failed: " + failures);
}
System.out.println("all GPU checks passed");
