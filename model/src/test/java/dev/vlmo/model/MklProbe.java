package dev.vlmo.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;

/**
 * Run in a fresh JVM by {@link MklOnAmdTest}: starts the PyTorch engine through the project,
 * multiplies two random 192 x 160 and 160 x 224 matrices and prints the largest difference from the
 * product computed in Java, then this JVM's {@link MklOnAmd.Status}.
 */
public final class MklProbe {

    private MklProbe() {}

    public static void main(String[] args) {
        int n = 192;
        int k = 160;
        int m = 224;
        Random r = new Random(7);
        float[] a = new float[n * k];
        float[] b = new float[k * m];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) r.nextGaussian();
        }
        double worst = 0;
        try (NDManager manager = Engines.newManager("PyTorch")) {
            NDArray x = manager.create(a, new Shape(n, k));
            NDArray y = manager.create(b, new Shape(k, m));
            float[] c = x.matMul(y).toFloatArray();
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < m; j++) {
                    double s = 0;
                    for (int l = 0; l < k; l++) {
                        s += (double) a[i * k + l] * b[l * m + j];
                    }
                    worst = Math.max(worst, Math.abs(s - c[i * m + j]));
                }
            }
        }
        System.out.println("MAXDIFF=" + worst);
        System.out.println("STATUS=" + MklOnAmd.status());
    }
}
