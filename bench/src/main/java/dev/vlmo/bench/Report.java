package dev.vlmo.bench;

import ai.djl.engine.Engine;
import dev.vlmo.dsl.Precision;
import dev.vlmo.model.MklOnAmd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** The Markdown report of a benchmark run. */
final class Report {

    /** The speed target of issue 8: our throughput over PyTorch's on the same work. */
    static final double TARGET = 1.25;

    private Report() {}

    /**
     * A warning when PyTorch's matrix multiply is under a quarter of ours: Debian's {@code
     * python3-torch} installed without its recommended OpenBLAS runs on the reference BLAS ({@code
     * libblas3}), which multiplies at a few GFLOP/s, and every ratio would then compare against a
     * crippled PyTorch. And the opposite case: our matrix multiply under 60% of PyTorch's. DJL's
     * CPU libtorch 2.7.1 multiplies with Intel MKL, linked into it, which runs slower kernels on
     * CPUs of other vendors unless its vendor check is answered ({@link MklOnAmd}); Debian's
     * PyTorch calls OpenBLAS. On such a machine the compute-bound workloads compare the two BLAS
     * libraries more than the two frameworks.
     *
     * @param ours our best matrix-multiply rate (FLOP/s)
     * @param torch PyTorch's best rate
     * @param cpu the CPU's model name (for the note; may be empty)
     * @param mkl whether MKL's vendor check is answered in this JVM
     * @return the warning or note, or null when the rates are comparable
     */
    static String blasWarning(double ours, double torch, String cpu, MklOnAmd.Status mkl) {
        if (ours < 0.6 * torch) {
            String why =
                    mkl == MklOnAmd.Status.MISSING
                            ? ", and MKL runs slower kernels than this CPU ("
                                    + (cpu.isBlank() ? "unknown" : cpu)
                                    + ") supports, as it does on CPUs not made by Intel: bench/run.sh"
                                    + " preloads model/src/main/native/mkl_amd.c to fix that, which"
                                    + " needs a C compiler (apt-get install gcc) and is off with"
                                    + " VLMO_MKL_AMD=0; README, \"Engines\""
                            : "";
            return String.format(
                    Locale.ROOT,
                    "Our matrix multiply reaches %.1f GFLOP/s, under 60%% of PyTorch's (%.1f): the"
                            + " CPU libtorch DJL runs multiplies with Intel MKL, linked into it%s;"
                            + " Debian's PyTorch calls OpenBLAS. The compute-bound workloads below"
                            + " then compare the two BLAS libraries more than the two frameworks;"
                            + " README, \"Engines\", shows how to run on the machine's own libtorch"
                            + " (bench/build-djl-jni.sh).",
                    ours / 1e9,
                    torch / 1e9,
                    why);
        }
        if (!(torch < ours / 4)) {
            return null;
        }
        return String.format(
                Locale.ROOT,
                "PyTorch's matrix multiply reaches %.1f GFLOP/s, under a quarter of ours (%.1f):"
                        + " its BLAS is probably Debian's reference libblas3 (python3-torch"
                        + " installed without its recommended OpenBLAS). Install it"
                        + " (apt-get install libopenblas0-pthread) and run again; until then the"
                        + " ratios compare against an unoptimised PyTorch.",
                torch / 1e9,
                ours / 1e9);
    }

    static String markdown(
            List<Bench.Result> results,
            double[][] peak,
            double[][] peakAfter,
            Engine engine,
            String torchVersion,
            String device,
            int threads,
            String command,
            String code,
            int reps,
            double minSeconds,
            int warmup,
            int trainWarmup,
            double seconds,
            Precision precision) {
        double machinePeak =
                Math.max(
                        Math.max(Bench.max(peak[0]), Bench.max(peak[1])),
                        Math.max(Bench.max(peakAfter[0]), Bench.max(peakAfter[1])));
        StringBuilder s = new StringBuilder();
        s.append("# Benchmark results: VLMo for Java against PyTorch\n\n");
        s.append(
                "Written by the benchmark itself (`dev.vlmo.bench.Bench`); do not edit by hand.\n\n");
        s.append("Command: `").append(command).append("`\n\n");
        s.append("Code: ").append(code).append("\n\n");
        s.append(
                f(
                        "Run on %s; %d workloads, each with %d untimed warm-up repetition%s"
                                + " (training steps: %d) and at least %d timed"
                                + " repetitions per side, ours and PyTorch's alternating repetition"
                                + " by repetition in one invocation; a quick workload goes on"
                                + " alternating until the two sides' timed repetitions add up to %.0f s"
                                + " (at most %d each), and one whose warm-up took longer than the"
                                + " --slow limit is timed once (the count of each is in the raw"
                                + " times); %.0f s in all. Times are medians (min to max in"
                                + " brackets).\n\n",
                        LocalDate.now(),
                        results.size(),
                        warmup,
                        warmup == 1 ? "" : "s",
                        trainWarmup,
                        reps,
                        minSeconds,
                        Bench.MAX_REPS,
                        seconds));
        s.append("## Machine\n\n");
        s.append("| | |\n|---|---|\n");
        s.append("| CPU | ").append(cpuModel()).append(" |\n");
        s.append(
                f(
                        "| cores visible | %d |\n",
                        java.lang.Runtime.getRuntime().availableProcessors()));
        s.append("| memory | ").append(memTotal()).append(" |\n");
        if (!"cpu".equals(device)) {
            s.append("| GPU (both sides) | ").append(device).append(" |\n");
        }
        s.append(
                f(
                        "| ours | Java %s, DJL %s engine %s, %d intra-op threads |\n",
                        System.getProperty("java.version"),
                        engine.getEngineName(),
                        engine.getVersion(),
                        threads));
        s.append(f("| PyTorch | Debian python3-torch %s, %d threads |\n", torchVersion, threads));
        s.append("| OpenMP wait | ").append(openMpWait(System.getenv())).append(" |\n");
        MklOnAmd.Status mkl = MklOnAmd.status();
        if (mkl != MklOnAmd.Status.NOT_NEEDED) {
            s.append(
                    mkl == MklOnAmd.Status.ACTIVE
                            ? "| MKL on this AMD CPU | vendor check answered by the preloaded"
                                    + " libvlmo-mkl-amd.so: MKL picks its kernels by instruction set"
                                    + " |\n"
                            : "| MKL on this AMD CPU | its slower kernels (libvlmo-mkl-amd.so not"
                                    + " preloaded) |\n");
        }
        s.append(
                "| load | the machine was shared with other jobs (builds and training runs) while"
                        + " this ran: absolute times are noisy; the interleaved ratios are the"
                        + " numbers to read |\n\n");

        s.append(
                f(
                        "## Matrix-multiply peak (fp32, %d x %d x %d)\n\n",
                        Bench.PEAK_N, Bench.PEAK_N, Bench.PEAK_N));
        s.append(
                "| | best GFLOP/s (start) | median (start) | best GFLOP/s (end) |\n|---|---|---|---|\n");
        s.append(
                f(
                        "| ours (DJL) | %.1f | %.1f | %.1f |\n",
                        Bench.max(peak[0]) / 1e9,
                        Bench.median(peak[0]) / 1e9,
                        Bench.max(peakAfter[0]) / 1e9));
        s.append(
                f(
                        "| PyTorch | %.1f | %.1f | %.1f |\n\n",
                        Bench.max(peak[1]) / 1e9,
                        Bench.median(peak[1]) / 1e9,
                        Bench.max(peakAfter[1]) / 1e9));
        // the best of the start and the end: one side's start can be low on a shared machine
        String blas =
                blasWarning(
                        Math.max(Bench.max(peak[0]), Bench.max(peakAfter[0])),
                        Math.max(Bench.max(peak[1]), Bench.max(peakAfter[1])),
                        cpuModel(),
                        mkl);
        if (blas != null) {
            s.append("**Warning:** ").append(blas).append("\n\n");
        }
        s.append(
                f(
                        "MFU below = model FLOPs of the work (counted from the configuration by"
                                + " `Flops`) / median time / the machine's measured peak, the best of"
                                + " all products above: **%.1f GFLOP/s**.\n\n",
                        machinePeak / 1e9));

        table(
                s,
                precision == Precision.FP32
                        ? "## Training steps (forward, backward, AdamW)"
                        : "## Training steps (forward, backward, AdamW) in "
                                + precision
                                + " mixed precision on both sides (MFU against the fp32 peak)",
                results,
                true,
                machinePeak);
        if (results.stream().anyMatch(r -> r.workload().kind() == Workload.Kind.TRAIN_VL)) {
            s.append(
                    "In the stage 3 step our ITC and ITM passes compute their last block for the"
                            + " [CLS] token alone, the only token those losses read (the full"
                            + " pass's gradients, `ClsOnlyPassesTest`; in fp32 only, mixed"
                            + " precision runs the full passes); the PyTorch side runs the"
                            + " reference's full passes. Both sides' heads run at the masked"
                            + " positions alone (MLM: ours, the reference computes every"
                            + " position; MIM: both, as BEiT). FLOPs count the work the losses"
                            + " need.\n\n");
        }
        table(s, "## Inference (no gradients)", results, false, machinePeak);
        if (results.stream()
                .anyMatch(r -> r.workload().kind().model() && !r.workload().kind().training())) {
            s.append(
                    "Inference on our side goes through the API a user calls"
                            + " (`VlmoModel.embedImages`, `embedTexts`, `poolPairs`), which"
                            + " computes the last block for the [CLS] token alone, the only token"
                            + " these outputs read (keys and values still come from every token;"
                            + " same numbers as the full pass, `ClsOnlyPassesTest`). The"
                            + " PyTorch side runs the reference's full pass. Both MFU columns"
                            + " count the FLOPs the outputs need (`Flops.clsBlock` for the last"
                            + " block), as the MLM and MIM heads are counted at the masked"
                            + " positions alone.\n\n");
        }
        retrieval(s, results);
        loader(s, results);
        memory(s, results);
        s.append("## Raw times (seconds per repetition)\n\n");
        s.append(
                "| workload | repetitions | ours | PyTorch | check ours / PyTorch |\n"
                        + "|---|---|---|---|---|\n");
        for (Bench.Result r : results) {
            s.append(
                    f(
                            "| %s | %d | %s | %s | %.4g / %.4g |\n",
                            r.workload().name(),
                            r.ours().length,
                            list(r.ours()),
                            list(r.torch()),
                            r.oursCheck(),
                            r.torchCheck()));
        }
        s.append(
                "\nThe check column is the last repetition's loss (training), the sum of the"
                        + " outputs (inference) or the images delivered (the loader); the two sides start from different random weights"
                        + " and inputs of the same shapes, so the values only show that real"
                        + " numbers came out.\n");
        return s.toString();
    }

    private static void table(
            StringBuilder s,
            String title,
            List<Bench.Result> results,
            boolean training,
            double peak) {
        List<Bench.Result> rows =
                results.stream()
                        .filter(r -> r.workload().kind().model())
                        .filter(r -> r.workload().kind().training() == training)
                        .toList();
        if (rows.isEmpty()) {
            return;
        }
        s.append(title).append("\n\n");
        s.append(
                "| workload | preset | batch | ours s | PyTorch s | ours samples/s | PyTorch"
                        + " samples/s | speed ratio ours/PyTorch | target 1.25x | ours MFU |"
                        + " PyTorch MFU |\n");
        s.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Bench.Result r : rows) {
            Workload w = r.workload();
            double a = Bench.median(r.ours());
            double b = Bench.median(r.torch());
            double ratio = b / a;
            s.append(
                    f(
                            "| %s | %s | %d | %s | %s | %.2f | %.2f | **%s** | %s | %.1f%% | %.1f%% |\n",
                            w.kind().label(),
                            w.preset(),
                            w.batch(),
                            time(r.ours()),
                            time(r.torch()),
                            samples(w) / a,
                            samples(w) / b,
                            ratio(ratio),
                            ratio >= TARGET ? "met" : "not met",
                            100 * r.flops() / a / peak,
                            100 * r.flops() / b / peak));
        }
        s.append('\n');
    }

    /** The loader's table: images per second on both sides, no FLOPs. */
    private static void loader(StringBuilder s, List<Bench.Result> results) {
        List<Bench.Result> rows =
                results.stream().filter(r -> !r.workload().kind().model()).toList();
        if (rows.isEmpty()) {
            return;
        }
        s.append("## Loader (no model)\n\n");
        s.append(
                f(
                        "One repetition is one pass over %d JPEGs (500x375, rendered from the"
                                + " built-in world), held in memory as encoded bytes on both"
                                + " sides: decode, the train transform at the preset's image size"
                                + " (random resized crop of 50-100%% of the area, bicubic; flip;"
                                + " RandAugment(2, 7); normalisation), the caption tokenised to the"
                                + " preset's text length with MLM masking, and batches collated."
                                + " Ours: `PrefetchLoader` with `Collators.imageText` and"
                                + " `Transforms.train`, as many worker threads as intra-op"
                                + " threads; PyTorch's: a `DataLoader` with as many worker"
                                + " processes, PIL decoding and torchvision's transforms"
                                + " (`RandAugment(2, 7)`: its own list of operations), captions"
                                + " split on spaces and looked up in the same vocabulary (no"
                                + " WordPiece), 15%% of tokens masked 80/10/10.\n\n",
                        Workload.LOADER_IMAGES));
        s.append(
                "| workload | image size | batch | ours s | PyTorch s | ours images/s | PyTorch"
                        + " images/s | speed ratio ours/PyTorch | target 1.25x |\n");
        s.append("|---|---|---|---|---|---|---|---|---|\n");
        for (Bench.Result r : rows) {
            Workload w = r.workload();
            double a = Bench.median(r.ours());
            double b = Bench.median(r.torch());
            double ratio = b / a;
            s.append(
                    f(
                            "| %s | %d | %d | %s | %s | %.1f | %.1f | **%s** | %s |\n",
                            w.kind().label(),
                            r.config().imageSize(),
                            w.batch(),
                            time(r.ours()),
                            time(r.torch()),
                            samples(w) / a,
                            samples(w) / b,
                            ratio(ratio),
                            ratio >= TARGET ? "met" : "not met"));
        }
        s.append('\n');
    }

    private static double samples(Workload w) {
        return switch (w.kind()) {
            case LOAD -> Workload.LOADER_IMAGES;
            case RETRIEVE_FUSION -> (double) w.batch() * w.batch();
            default -> w.batch();
        };
    }

    private static void retrieval(StringBuilder s, List<Bench.Result> results) {
        StringBuilder rows = new StringBuilder();
        for (Bench.Result d : results) {
            if (d.workload().kind() != Workload.Kind.RETRIEVE_DUAL) {
                continue;
            }
            for (Bench.Result f : results) {
                Workload w = f.workload();
                if (w.kind() == Workload.Kind.RETRIEVE_FUSION
                        && w.preset().equals(d.workload().preset())
                        && w.batch() == d.workload().batch()) {
                    double od = Bench.median(d.ours());
                    double of = Bench.median(f.ours());
                    double td = Bench.median(d.torch());
                    double tf = Bench.median(f.torch());
                    rows.append(
                            f(
                                    "| %s | %d x %d | %.4f | %.4f | **%.0fx** | %.4f | %.4f | %.0fx |\n",
                                    w.preset(),
                                    w.batch(),
                                    w.batch(),
                                    od,
                                    of,
                                    of / od,
                                    td,
                                    tf,
                                    tf / td));
                }
            }
        }
        if (rows.length() == 0) {
            return;
        }
        s.append("## Retrieval: dual encoder against fusion encoder\n\n");
        s.append(
                "Scoring N images against N texts: the dual encoder embeds each image and each"
                        + " text once and takes N x N dot products; the fusion encoder pools"
                        + " every one of the N x N pairs (`poolPairs`) and scores it with the ITM"
                        + " head (in chunks of 64). Same candidates, same model; times in seconds"
                        + " (medians).\n\n");
        s.append(
                "| preset | candidates | ours dual | ours fusion | fusion / dual | PyTorch dual |"
                        + " PyTorch fusion | fusion / dual |\n");
        s.append("|---|---|---|---|---|---|---|---|\n");
        s.append(rows).append('\n');
    }

    private static void memory(StringBuilder s, List<Bench.Result> results) {
        s.append("## Peak memory per workload\n\n");
        s.append(
                "Java heap: the peak of all heap pools while the workload was prepared and run."
                        + " Native: the process's peak resident set (VmHWM, reset before each"
                        + " workload through /proc/self/clear_refs), which holds the model,"
                        + " optimizer state and activations of both engines' native memory (on a"
                        + " GPU: host memory only; device memory is not measured).\n\n");
        if (Bench.rssPeakIsCumulative) {
            s.append(
                    "**This kernel ignored the reset** (VmHWM stayed above the resident set after"
                            + " it): each RSS figure is the process's peak since the run started, so"
                            + " it includes the larger workloads before it; compare the two sides, and"
                            + " the first workload of each preset.\n\n");
        }
        s.append("| workload | ours heap | ours RSS | PyTorch RSS |\n|---|---|---|---|\n");
        for (Bench.Result r : results) {
            s.append(
                    f(
                            "| %s | %s | %s | %s |\n",
                            r.workload().name(),
                            mib(r.oursHeapPeak()),
                            mib(r.oursRssPeak()),
                            mib(r.torchRssPeak())));
        }
        s.append('\n');
    }

    private static String time(double[] v) {
        return f("%.4f (%.4f-%.4f)", Bench.median(v), Bench.min(v), Bench.max(v));
    }

    /** Every time of a short list; for a long one its quartiles and extremes. */
    static String list(double[] v) {
        if (v.length > 12) {
            double[] sorted = v.clone();
            Arrays.sort(sorted);
            return f(
                    "min %.4f, quartiles %.4f / %.4f / %.4f, max %.4f",
                    sorted[0],
                    quantile(sorted, 0.25),
                    quantile(sorted, 0.5),
                    quantile(sorted, 0.75),
                    sorted[sorted.length - 1]);
        }
        StringBuilder b = new StringBuilder();
        for (double x : v) {
            b.append(b.length() == 0 ? "" : ", ").append(f("%.4f", x));
        }
        return b.toString();
    }

    /** Linear interpolation between the order statistics of sorted values (q in [0, 1]). */
    private static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    private static String mib(long bytes) {
        return bytes < 0 ? "n/a" : f("%.0f MiB", bytes / 1048576.0);
    }

    /**
     * The checked-out commit and whether tracked files differ from it, from {@code git} in the
     * working directory; "unknown" outside a git checkout.
     */
    static String commit() {
        String head = git("rev-parse", "--short", "HEAD");
        if (head == null || head.isEmpty()) {
            return "unknown (not a git checkout)";
        }
        String changes = git("status", "--porcelain", "--untracked-files=no");
        return "commit "
                + head
                + (changes == null || changes.isEmpty()
                        ? ""
                        : " with uncommitted changes to tracked files");
    }

    private static String git(String... args) {
        java.util.List<String> cmd = new java.util.ArrayList<>();
        cmd.add("git");
        cmd.addAll(java.util.List.of(args));
        try {
            Process p =
                    new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor() == 0 ? out : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }

    /**
     * A speed ratio to two decimals, rounded down, so that one just short of the target never reads
     * as the target (1.246 shows as 1.24, beside "not met").
     */
    static String ratio(double r) {
        return String.format(java.util.Locale.ROOT, "%.2f", Math.floor(r * 100) / 100);
    }

    /**
     * How each side's idle OpenMP threads wait, from our environment (the PyTorch worker always
     * sleeps at once, {@link TorchWorker}).
     */
    static String openMpWait(java.util.Map<String, String> env) {
        String spin = env.get("GOMP_SPINCOUNT");
        String policy = env.get("OMP_WAIT_POLICY");
        String ours =
                spin != null
                        ? "spin " + spin + " rounds, then sleep"
                        : policy != null ? "OMP_WAIT_POLICY=" + policy : "libgomp's default";
        return "ours: "
                + ours
                + "; PyTorch: sleep at once (OMP_WAIT_POLICY="
                + TorchWorker.OMP_WAIT_POLICY
                + ")";
    }

    private static String memTotal() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    return f("%.1f GiB", kb / 1048576.0);
                }
            }
        } catch (IOException e) {
            // not Linux
        }
        return "?";
    }

    private static String f(String fmt, Object... args) {
        return String.format(Locale.ROOT, fmt, args);
    }
}
