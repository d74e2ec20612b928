package dev.vlmo.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.vlmo.dsl.engine.AdamW;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Times the optimizer step alone, side by side in one JVM: AdamW through DJL's native per-parameter
 * update against the same update through array operations, on {@code n} parameters of {@code size}
 * elements each (half with weight decay, gradients scaled by 0.5 as clipping does). Run with {@code
 * bench/profile.sh adamw N SIZE}.
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
            AdamW fused = new AdamW(0.9, 0.98, 1e-8);
            AdamW arrays = new AdamW(0.9, 0.98, 1e-8).nativeUpdate(false);
            for (int w = 0; w < 20; w++) {
                fused.update(params, grads, decays, Map.of(), 1e-3, 0.5);
                arrays.update(params, grads, decays, Map.of(), 1e-3, 0.5);
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
                System.out.printf(
                        Locale.ROOT,
                        "%d parameters x %d elements: native update %.2f ms, array operations"
                                + " %.2f ms per step%n",
                        n,
                        size,
                        (t1 - t0) / 50e6,
                        (t2 - t1) / 50e6);
            }
        }
    }
}
