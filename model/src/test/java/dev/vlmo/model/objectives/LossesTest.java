package dev.vlmo.model.objectives;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.vlmo.model.Engines;
import org.junit.jupiter.api.Test;

class LossesTest {

    private static double logSumExp(float[] row) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : row) {
            max = Math.max(max, v);
        }
        double s = 0;
        for (float v : row) {
            s += Math.exp(v - max);
        }
        return max + Math.log(s);
    }

    @Test
    void crossEntropyIgnoresMinus100AndMatchesHandComputation() {
        float[][] logits = {{1f, 2f, 0.5f}, {0f, -1f, 3f}, {2f, 2f, 2f}};
        long[] labels = {1, -100, 0};
        double expected =
                ((logSumExp(logits[0]) - 2f) + (logSumExp(logits[2]) - 2f)) / 2; // row 1 ignored
        try (NDManager m = Engines.newManager(null)) {
            NDArray l = m.create(logits);
            NDArray y = m.create(labels);
            assertEquals(expected, Losses.crossEntropy(l, y).getFloat(), 1e-5);
            NDArray none = m.create(new long[] {-100, -100, -100});
            assertEquals(0f, Math.abs(Losses.crossEntropy(l, none).getFloat()));
        }
    }

    @Test
    void contrastiveIsTheMeanOfBothDirections() {
        float[][] img = {{1f, 0f}, {0.6f, 0.8f}};
        float[][] txt = {{0.8f, 0.6f}, {0f, 1f}};
        double scale = 2.0;
        double[][] s = new double[2][2];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                s[i][j] = scale * (img[i][0] * txt[j][0] + img[i][1] * txt[j][1]);
            }
        }
        double i2t = 0;
        double t2i = 0;
        for (int i = 0; i < 2; i++) {
            i2t += logSumExp(new float[] {(float) s[i][0], (float) s[i][1]}) - s[i][i];
            t2i += logSumExp(new float[] {(float) s[0][i], (float) s[1][i]}) - s[i][i];
        }
        double expected = (i2t / 2 + t2i / 2) / 2;
        try (NDManager m = Engines.newManager(null)) {
            Losses.Contrastive c =
                    Losses.contrastive(
                            m.create(img), m.create(txt), m.create((float) Math.log(scale)));
            assertEquals(expected, c.loss().getFloat(), 1e-5);
            assertEquals(new Shape(2, 2), c.imageToText().getShape());
            assertEquals(s[0][1], c.imageToText().getFloat(0, 1), 1e-5);
        }
    }

    @Test
    void softBinaryCrossEntropyMatchesTheFormula() {
        float[][] x = {{0.5f, -2f}, {3f, 0f}};
        float[][] y = {{1f, 0.3f}, {0f, 0.6f}};
        double sum = 0;
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                double p = 1 / (1 + Math.exp(-x[i][j]));
                sum += -(y[i][j] * Math.log(p) + (1 - y[i][j]) * Math.log(1 - p));
            }
        }
        double expected = sum / 4 * 2;
        try (NDManager m = Engines.newManager(null)) {
            NDArray got = Losses.softBinaryCrossEntropy(m.create(x), m.create(y));
            assertEquals(expected, got.getFloat(), 1e-5);
        }
    }

    @Test
    void maskedMseCountsOnlyMaskedPatches() {
        try (NDManager m = Engines.newManager(null)) {
            NDArray pred = m.create(new float[] {1, 1, 2, 2, 0, 0, 5, 5}, new Shape(1, 4, 2));
            NDArray target = m.zeros(new Shape(1, 4, 2));
            NDArray mask = m.create(new float[] {0, 1, 0, 1}, new Shape(1, 4));
            // masked rows: (2,2) -> 4 and (5,5) -> 25; mean over masked rows = 14.5
            assertEquals(14.5f, Losses.maskedMse(pred, target, mask).getFloat(), 1e-5);
        }
    }
}
