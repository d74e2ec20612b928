package dev.vlmo.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.vlmo.dsl.engine.AdamW;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Times the optimizer step alone, side by side in one JVM: AdamW through DJL's native per-parameter
 * update, the same update through array operations, and the two grouped updates training uses (the
 * parameters bound into one buffer per weight decay): on a GPU the gradients copied into one buffer
 * per group and DJL's native update of each, on the CPU the update in one pass over the groups'
 * memory ({@code AdamW.onePass}); on {@code n} parameters of {@code size} elements each (half with
 * weight decay, gradients scaled by 0.5 as clipping does; the grouped forms take the global
 * gradient norm too, as a training step does). Run with {@code bench/profile.sh adamw N SIZE}.
 */
public final class AdamWTiming {

    private AdamWTiming() {}

    /**
     * Prints milliseconds per update for both forms, three rounds of 50 updates each.
     *
     * @param args the parameter count and the elements per parameter
     */
    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 70;
        int size = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        try (NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
            Map<String, NDArray> params = new LinkedHashMap<>();
            Map<String, NDArray> grads = new LinkedHashMap<>();
            Map<String, Double> decays = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                params.put("p" + i, m.randomNormal(new Shape(size)));
                grads.put("p" + i, m.randomNormal(new Shape(size)));
                decays.put("p" + i, i % 2 == 0 ? 0.05 : 0.0);
            }
            Map<String, Parameter> bound = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                bound.put(e.getKey(), parameter(e.getKey(), e.getValue().duplicate(), m));
            }
            AdamW fused = new AdamW(0.9, 0.98, 1e-8);
            AdamW arrays = new AdamW(0.9, 0.98, 1e-8).nativeUpdate(false);
            AdamW grouped = new AdamW(0.9, 0.98, 1e-8).onePass(false);
            Map<String, Parameter> bound2 = copies(bound, m);
            AdamW onePass = new AdamW(0.9, 0.98, 1e-8);
            for (int w = 0; w < 20; w++) {
                fused.update(params, grads, decays, Map.of(), 1e-3, 0.5);
                arrays.update(params, grads, decays, Map.of(), 1e-3, 0.5);
                grouped(grouped, bound, grads, decays, m);
                grouped(onePass, bound2, grads, decays, m);
            }
            for (int round = 0; round < 3; round++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < 50; i++) {
                    fused.update(params, grads, decays, Map.of(), 1e-3, 0.5);
                }
                long t1 = System.nanoTime();
                for (int i = 0; i < 50; i++) {
                    arrays.update(params, grads, decays, Map.of(), 1e-3, 0.5);
                }
                long t2 = System.nanoTime();
                for (int i = 0; i < 50; i++) {
                    grouped(grouped, bound, grads, decays, m);
                }
                long t3 = System.nanoTime();
                for (int i = 0; i < 50; i++) {
                    grouped(onePass, bound2, grads, decays, m);
                }
                long t4 = System.nanoTime();
                System.out.printf(
                        Locale.ROOT,
                        "%d parameters x %d elements: native update %.2f ms, array operations"
                                + " %.2f ms, grouped (native, per group) %.2f ms, grouped (one"
                                + " pass) %.2f ms per step%n",
                        n,
                        size,
                        (t1 - t0) / 50e6,
                        (t2 - t1) / 50e6,
                        (t3 - t2) / 50e6,
                        (t4 - t3) / 50e6);
            }
        }
    }

    /** Parameters with the values of {@code params}, in arrays of their own. */
    private static Map<String, Parameter> copies(Map<String, Parameter> params, NDManager m) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            out.put(e.getKey(), parameter(e.getKey(), e.getValue().getArray().duplicate(), m));
        }
        return out;
    }

    /** A trained parameter initialised with {@code values}. */
    private static Parameter parameter(String name, NDArray values, NDManager m) {
        Parameter p =
                Parameter.builder()
                        .setName(name)
                        .setType(Parameter.Type.WEIGHT)
                        .optShape(values.getShape())
                        .optInitializer((mm, s, t) -> values)
                        .build();
        p.initialize(m, DataType.FLOAT32);
        return p;
    }

    /**
     * One grouped step as training makes it: bind (a check after the first), then the form the
     * optimizer picks (one pass on the CPU unless switched off): norm, update.
     */
    private static void grouped(
            AdamW opt,
            Map<String, Parameter> params,
            Map<String, NDArray> grads,
            Map<String, Double> decays,
            NDManager m) {
        if (!opt.bind(params, decays, Map.of())) {
            throw new IllegalStateException("the PyTorch engine's parameters were not grouped");
        }
        try (NDManager sm = m.newSubManager();
                AdamW.GroupedStep step = opt.groupedStep(grads, sm)) {
            if (Double.isFinite(step.norm())) {
                step.apply(1e-3, 0.5);
            }
        }
    }
}
