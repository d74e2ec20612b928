package dev.vlmo.bench;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The PyTorch side: {@code bench/pytorch_bench.py} as a child process that answers one line per
 * command (see that file), so both sides run interleaved while the other waits.
 */
final class TorchWorker implements AutoCloseable {

    private final Process process;
    private final File log;
    private final BufferedWriter in;
    private final BufferedReader out;
    private final String banner;
    private final String device;

    /** How the worker's idle OpenMP threads wait, whatever our side's do: they sleep at once. */
    static final String OMP_WAIT_POLICY = "PASSIVE";

    /**
     * Starts the worker.
     *
     * @param python the interpreter (Debian's {@code /usr/bin/python3} with {@code python3-torch})
     * @param script the path of {@code pytorch_bench.py}
     * @param threads intra-op threads for torch and its BLAS
     * @param log where the worker's stderr goes
     * @param gpu whether the worker runs on the GPU ({@code BENCH_DEVICE=cuda}) instead of the CPU
     */
    TorchWorker(String python, String script, int threads, File log, boolean gpu) {
        this.log = log;
        ProcessBuilder pb = new ProcessBuilder(List.of(python, script));
        Map<String, String> env = pb.environment();
        String t = Integer.toString(threads);
        env.put("BENCH_THREADS", t);
        env.put("BENCH_DEVICE", gpu ? "cuda" : "cpu");
        env.put("OMP_NUM_THREADS", t);
        env.put("OPENBLAS_NUM_THREADS", t);
        env.put("MKL_NUM_THREADS", t);
        // Debian's torch calls OpenBLAS, which does not recognise this virtualised Xeon and falls
        // back to its generic (Prescott, SSE3) kernels at a fraction of the machine's speed;
        // naming the core type gives PyTorch the AVX-512 kernels the CPU has
        String core = System.getenv("BENCH_OPENBLAS_CORETYPE");
        env.put("OPENBLAS_CORETYPE", core == null ? "SkylakeX" : core);
        // OpenBLAS's worker threads busy-wait for the next call for 2^28 cycles (about 0.1 s)
        // after each one, on the cores our side's next repetition then runs on; the shortest wait
        // (2^4 cycles) keeps PyTorch's idle threads off them (bench/README.md, "How it measures")
        env.putIfAbsent("OPENBLAS_THREAD_TIMEOUT", "4");
        // Debian's torch runs OpenMP threads for element-wise work beside OpenBLAS's for products:
        // OpenMP threads that spin after an operator hold the cores the product's threads need
        // (its tiny MIM step alone: 47-60 ms sleeping at once, 50-72 ms spinning 20000 rounds,
        // 68-89 ms with libgomp's default spin), so they sleep at once, whatever our side uses
        env.put("OMP_WAIT_POLICY", OMP_WAIT_POLICY);
        env.remove("GOMP_SPINCOUNT");
        pb.redirectError(ProcessBuilder.Redirect.appendTo(log));
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + python + " " + script, e);
        }
        in =
                new BufferedWriter(
                        new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        out =
                new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        Map<String, String> hello = read("start");
        banner = hello.getOrDefault("torch", "?");
        device = hello.getOrDefault("device", "cpu").replace('_', ' ');
    }

    /** The device the worker runs on: "cpu", or the GPU's name as torch reports it. */
    String device() {
        return device;
    }

    /** The torch version the worker reported. */
    String torchVersion() {
        return banner;
    }

    /**
     * Sends a command and waits for its answer.
     *
     * @param command the line to send
     * @return the answer's {@code key=value} fields
     * @throws IllegalStateException if the worker answers with an error or exits
     */
    Map<String, String> call(String command) {
        try {
            in.write(command);
            in.write('\n');
            in.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("the PyTorch worker is gone", e);
        }
        return read(command.split(" ", 2)[0]);
    }

    private Map<String, String> read(String what) {
        String line;
        try {
            line = out.readLine();
        } catch (IOException e) {
            throw new UncheckedIOException("the PyTorch worker is gone", e);
        }
        if (line == null) {
            throw new IllegalStateException(
                    "the PyTorch worker exited during '" + what + "'; see its log, " + log);
        }
        if (!line.startsWith("ok")) {
            throw new IllegalStateException("PyTorch worker, '" + what + "': " + line);
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (String p : line.substring(2).trim().split(" ")) {
            int eq = p.indexOf('=');
            if (eq > 0) {
                fields.put(p.substring(0, eq), p.substring(eq + 1));
            }
        }
        return fields;
    }

    @Override
    public void close() {
        try {
            call("quit");
        } catch (RuntimeException e) {
            // already gone
        }
        process.destroy();
    }
}
