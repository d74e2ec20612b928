package dev.vlmo.bench;

import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where a workload's time goes on our side: runs it under libtorch's profiler and prints, per
 * operator, calls and time per repetition, plus how much of the wall time native operators cover
 * (the rest is Java, JNI crossings and allocation outside operators).
 *
 * <pre>
 * Profile WORKLOAD [reps] [trace.json]     e.g. Profile train-vl/small/b4 3
 * </pre>
 */
public final class Profile {

    private Profile() {}

    /**
     * Entry point.
     *
     * @param args the workload name, repetitions (default 3) and where to keep the trace
     * @throws IOException if the trace cannot be read
     */
    public static void main(String[] args) throws IOException {
        if (args.length > 0 && args[0].equals("adamw")) {
            AdamWTiming.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        Workload w = Workload.parse(args[0]);
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path trace =
                args.length > 2 ? Path.of(args[2]) : Files.createTempFile("vlmo-profile-", ".json");
        String precision = System.getenv().getOrDefault("PRECISION", "FP32");
        try (OurSide ours =
                new OurSide(
                        false,
                        dev.vlmo.dsl.Precision.valueOf(precision),
                        Runtime.getRuntime().availableProcessors())) {
            ours.prepare(w);
            ours.run(); // warm-up
            ours.run();
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) {
                ours.run();
            }
            double plain = (System.nanoTime() - t0) / 1e9 / reps;
            JniUtils.startProfile(false, false, false);
            t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) {
                ours.run();
            }
            double profiled = (System.nanoTime() - t0) / 1e9 / reps;
            JniUtils.stopProfile(trace.toString());
            summarise(trace, reps, plain, profiled);
        }
    }

    private static void summarise(Path trace, int reps, double plain, double profiled)
            throws IOException {
        JsonNode root = new ObjectMapper().readTree(trace.toFile());
        JsonNode events = root.isArray() ? root : root.get("traceEvents");
        Map<String, double[]> byName = new HashMap<>();
        List<double[]> spans = new ArrayList<>();
        for (JsonNode e : events) {
            if (!"X".equals(e.path("ph").asText()) || !e.has("dur")) {
                continue;
            }
            String name = e.get("name").asText();
            double ts = e.get("ts").asDouble();
            double dur = e.get("dur").asDouble();
            double[] v = byName.computeIfAbsent(name, k -> new double[2]);
            v[0]++;
            v[1] += dur;
            spans.add(new double[] {ts, ts + dur});
        }
        spans.sort(Comparator.comparingDouble(s -> s[0]));
        double covered = 0;
        int topLevel = 0;
        double end = Double.NEGATIVE_INFINITY;
        double first = spans.isEmpty() ? 0 : spans.get(0)[0];
        double last = first;
        for (double[] s : spans) {
            if (s[0] >= end) {
                topLevel++;
                covered += s[1] - s[0];
                end = s[1];
            } else if (s[1] > end) {
                covered += s[1] - end;
                end = s[1];
            }
            last = Math.max(last, s[1]);
        }
        System.out.printf(
                Locale.ROOT,
                "per repetition: %.4f s without the profiler, %.4f s with it; %d top-level operator"
                        + " calls; native operators cover %.1f%% of the profiled span%n",
                plain,
                profiled,
                topLevel / reps,
                100 * covered / Math.max(1, last - first));
        System.out.printf(
                Locale.ROOT, "%-44s %10s %12s%n", "operator (inclusive)", "calls/rep", "ms/rep");
        byName.entrySet().stream()
                .sorted((a, b) -> Double.compare(b.getValue()[1], a.getValue()[1]))
                .limit(45)
                .forEach(
                        e ->
                                System.out.printf(
                                        Locale.ROOT,
                                        "%-44s %10.0f %12.2f%n",
                                        e.getKey(),
                                        e.getValue()[0] / reps,
                                        e.getValue()[1] / 1000 / reps));
    }
}
