package dev.vlmo.dsl.eval;

/** Top-k accuracy of classifiers (ties never count in the model's favour). */
public final class Classification {

    private Classification() {}

    /**
     * The share of rows whose true class is among the {@code k} highest logits; a class tied with
     * the true one counts as ranked above it.
     *
     * @param logits one row of class scores per example
     * @param labels the true class of each example
     * @param k the cut-off, positive
     * @return top-k accuracy in [0, 1]
     */
    public static double topK(float[][] logits, int[] labels, int k) {
        if (logits.length != labels.length) {
            throw new IllegalArgumentException(
                    logits.length + " rows of logits for " + labels.length + " labels");
        }
        if (k <= 0) {
            throw new IllegalArgumentException("k must be positive, got " + k);
        }
        if (logits.length == 0) {
            throw new IllegalArgumentException("no examples to score");
        }
        int hits = 0;
        for (int i = 0; i < logits.length; i++) {
            float[] row = logits[i];
            int y = labels[i];
            if (y < 0 || y >= row.length) {
                throw new IllegalArgumentException(
                        "label " + y + " of example " + i + " is outside [0, " + row.length + ")");
            }
            int above = 0;
            for (int c = 0; c < row.length; c++) {
                if (c != y && row[c] >= row[y]) {
                    above++;
                }
            }
            if (above < k) {
                hits++;
            }
        }
        return (double) hits / logits.length;
    }
}
