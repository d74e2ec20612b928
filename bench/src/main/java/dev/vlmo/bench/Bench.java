package dev.vlmo.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.vlmo.dsl.Precision;
import dev.vlmo.model.Engines;
import dev.vlmo.model.MklOnAmd;
import dev.vlmo.model.VlmoConfig;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs workloads on our side and on PyTorch's, interleaved repetition by repetition in one
 * invocation, measures the fp32 matrix-multiply peak of both on the same machine, and writes a
 * Markdown report of medians, ratios and model FLOPs utilisation.
 *
 * <pre>
 * Bench [--suite quick|full|base|NAME,NAME...] [--reps N] [--warmup N] [--train-warmup N]
 *       [--out FILE]
 *       [--python /usr/bin/python3] [--script bench/pytorch_bench.py] [--threads 2] [--gpu]
 *       [--precision FP32|BF16|FP16]
 *       [--command "what to print as the reproducing command"] [--slow SECONDS]
 *       [--min-seconds SECONDS]
 * </pre>
 *
 * <p>Inference workloads get {@code --warmup} (default 1) untimed repetitions per side, training
 * steps {@code --train-warmup} (default {@value #TRAIN_WARMUP}, at least 1): a large training
 * step's first repetitions are slower on both sides (the base VL step after one warm-up: 21.6 and
 * 13.8 s, then 8.9-9.2 s on ours; 20.1 and 12.7 s, then 11.9-12.9 s on PyTorch's), and the steady
 * state is what a long training run sees.
 *
 * <p>A workload whose last warm-up repetition (both sides together) took longer than {@code --slow}
 * seconds (default 240) is timed once, to keep a run of the base preset short. A quick workload
 * gets more than {@code --reps} timed repetitions: they go on, alternating, until both sides' timed
 * repetitions add up to {@code --min-seconds} (default 10), at most {@value #MAX_REPS}, so that the
 * median of a 50 ms step is not the middle of three samples on a noisy machine.
 *
 * <pre>
 * </pre>
 */
public final class Bench {

    /** The most timed repetitions per side that {@code --min-seconds} adds up to. */
    static final int MAX_REPS = 200;

    /** Untimed repetitions per side of a training step, unless {@code --train-warmup} says. */
    static final int TRAIN_WARMUP = 3;

    /** Side of the square matrices of the peak measurement. */
    static final int PEAK_N = 2048;

    private Bench() {}

    /** The measurements of one workload. */
    record Result(
            Workload workload,
            VlmoConfig config,
            double flops,
            double[] ours,
            double[] torch,
            double oursCheck,
            double torchCheck,
            long oursHeapPeak,
            long oursRssPeak,
            long torchRssPeak) {}

    /**
     * Entry point.
     *
     * @param args see the class comment
     * @throws IOException if the report cannot be written
     */
    public static void main(String[] args) throws IOException {
        String suite = "quick";
        int reps = 5;
        int warmup = 1;
        int trainWarmup = TRAIN_WARMUP;
        Path outFile = Path.of("bench/RESULTS.md");
        String python = "/usr/bin/python3";
        String script = "bench/pytorch_bench.py";
        int threads = 2;
        boolean gpu = false;
        Precision precision = Precision.FP32;
        String command = "bench/run.sh";
        double slowSeconds = 240;
        double minSeconds = 10;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--suite" -> suite = args[++i];
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--train-warmup" -> trainWarmup = Integer.parseInt(args[++i]);
                case "--out" -> outFile = Path.of(args[++i]);
                case "--python" -> python = args[++i];
                case "--script" -> script = args[++i];
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--gpu" -> gpu = true;
                case "--precision" -> precision = Precision.valueOf(args[++i]);
                case "--command" -> command = args[++i];
                case "--slow" -> slowSeconds = Double.parseDouble(args[++i]);
                case "--min-seconds" -> minSeconds = Double.parseDouble(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (reps < 1 || warmup < 0 || trainWarmup < 1 || minSeconds < 0) {
            throw new IllegalArgumentException(
                    "need --reps >= 1, --warmup >= 0, --train-warmup >= 1 and --min-seconds >= 0");
        }
        List<Workload> workloads = Workload.suite(suite);
        String code = Report.commit(); // the checkout that was built, before the run takes time
        File log = new File(System.getProperty("java.io.tmpdir"), "vlmo-bench-pytorch.log");
        long start = System.nanoTime();
        try (TorchWorker torch = new TorchWorker(python, script, threads, log, gpu);
                OurSide ours = new OurSide(gpu, precision, threads)) {
            Engine engine = Engines.get(null);
            log(
                    "engine %s %s, torch %s, training steps in %s",
                    engine.getEngineName(), engine.getVersion(), torch.torchVersion(), precision);
            double[][] peak = peak(torch, engine, gpu, 5);
            log(
                    "matmul peak GFLOP/s: ours %.1f, torch %.1f",
                    max(peak[0]) / 1e9, max(peak[1]) / 1e9);
            String blas =
                    Report.blasWarning(
                            max(peak[0]), max(peak[1]), Report.cpuModel(), MklOnAmd.status());
            if (blas != null) {
                System.err.println("WARNING: " + blas);
            }
            List<Result> results = new ArrayList<>();
            for (Workload w : workloads) {
                int warm = w.kind().training() ? trainWarmup : warmup;
                results.add(measure(w, ours, torch, warm, reps, slowSeconds, minSeconds));
            }
            double[][] peakAfter = peak(torch, engine, gpu, 3);
            String report =
                    Report.markdown(
                            results,
                            peak,
                            peakAfter,
                            engine,
                            torch.torchVersion(),
                            torch.device(),
                            threads,
                            command,
                            code,
                            reps,
                            minSeconds,
                            warmup,
                            trainWarmup,
                            (System.nanoTime() - start) / 1e9,
                            precision);
            Files.writeString(outFile, report);
            log("wrote %s", outFile);
        }
    }

    /** Interleaved fp32 N x N x N products: FLOP/s of ours (row 0) and torch's (row 1). */
    static double[][] peak(TorchWorker torch, Engine engine, boolean gpu, int reps) {
        double flops = 2.0 * PEAK_N * PEAK_N * PEAK_N;
        double[][] out = new double[2][reps];
        // the device the workloads run on, not the engine's default (a GPU whenever one is seen)
        try (NDManager m =
                engine.newBaseManager(gpu ? ai.djl.Device.gpu(0) : ai.djl.Device.cpu())) {
            NDArray a = m.randomNormal(new Shape(PEAK_N, PEAK_N));
            NDArray b = m.randomNormal(new Shape(PEAK_N, PEAK_N));
            a.matMul(b).close(); // warm-up
            torch.call("matmul " + PEAK_N);
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                try (NDArray c = a.matMul(b)) {
                    c.getFloat(0, 0);
                }
                out[0][r] = flops / ((System.nanoTime() - t0) / 1e9);
                out[1][r] =
                        flops / Double.parseDouble(torch.call("matmul " + PEAK_N).get("seconds"));
            }
        }
        return out;
    }

    private static Result measure(
            Workload w,
            OurSide ours,
            TorchWorker torch,
            int warm,
            int reps,
            double slowSeconds,
            double minSeconds) {
        log("%s: preparing", w.name());
        resetPeaks();
        ours.prepare(w);
        StringBuilder cmd = new StringBuilder("prepare");
        for (Map.Entry<String, String> e : ours.torchArgs().entrySet()) {
            cmd.append(' ').append(e.getKey()).append('=').append(e.getValue());
        }
        torch.call(cmd.toString());
        double lastWarm = 0;
        for (int i = 0; i < warm; i++) {
            long t0 = System.nanoTime();
            ours.run();
            torch.call("run");
            lastWarm = (System.nanoTime() - t0) / 1e9;
        }
        boolean slow = lastWarm > slowSeconds;
        if (slow && reps > 1) {
            log(
                    "%s: a warm-up repetition of both sides took %.0f s; 1 timed repetition",
                    w.name(), lastWarm);
            reps = 1;
        }
        List<Double> t1 = new ArrayList<>();
        List<Double> t2 = new ArrayList<>();
        double c1 = 0;
        double c2 = 0;
        long torchRss = 0;
        double timed = 0;
        // at least reps; then on while the timed total is short of minSeconds (never after a
        // slow warm-up)
        while (t1.size() < reps
                || (!slow && timed < minSeconds && t1.size() < Math.max(reps, MAX_REPS))) {
            long t0 = System.nanoTime();
            c1 = ours.run();
            double mine = (System.nanoTime() - t0) / 1e9;
            Map<String, String> ans = torch.call("run");
            double theirs = Double.parseDouble(ans.get("seconds"));
            c2 = Double.parseDouble(ans.get("check"));
            torchRss = Long.parseLong(ans.get("rss_peak"));
            t1.add(mine);
            t2.add(theirs);
            timed += mine + theirs;
        }
        long heap = heapPeak();
        long rss = rssPeak();
        VlmoConfig c = ours.config();
        double flops = Flops.of(w, c);
        ours.release();
        torch.call("release");
        double[] ourTimes = t1.stream().mapToDouble(Double::doubleValue).toArray();
        double[] torchTimes = t2.stream().mapToDouble(Double::doubleValue).toArray();
        Result res = new Result(w, c, flops, ourTimes, torchTimes, c1, c2, heap, rss, torchRss);
        log(
                "%s: ours %.4f s, torch %.4f s (medians of %d), torch/ours %.2f",
                w.name(),
                median(ourTimes),
                median(torchTimes),
                ourTimes.length,
                median(torchTimes) / median(ourTimes));
        return res;
    }

    // ------------------------------------------------------------------ memory

    private static void resetPeaks() {
        System.gc();
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                p.resetPeakUsage();
            }
        }
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException | UnsupportedOperationException e) {
            // not Linux, or not allowed: the peak then covers the whole run so far
        }
        // a kernel that honours the reset leaves the peak at about the current resident set
        long rss = status("VmRSS:");
        long hwm = status("VmHWM:");
        if (rss > 0 && hwm > rss + (64L << 20)) {
            rssPeakIsCumulative = true;
        }
    }

    /** Whether the kernel ignored a reset of the peak RSS, so peaks cover the run so far. */
    static boolean rssPeakIsCumulative;

    private static long status(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return -1;
    }

    private static long heapPeak() {
        long sum = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                sum += p.getPeakUsage().getUsed();
            }
        }
        return sum;
    }

    private static long rssPeak() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return -1;
    }

    // ------------------------------------------------------------------ statistics

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    static double max(double[] v) {
        return Arrays.stream(v).max().orElse(Double.NaN);
    }

    static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }

    private static void log(String fmt, Object... args) {
        String time = ZonedDateTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss"));
        System.out.println(time + " " + String.format(Locale.ROOT, fmt, args));
        System.out.flush();
    }
}
