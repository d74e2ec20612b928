package dev.vlmo.model.objectives;

import java.util.Random;

/**
 * Draws one hard negative per row for image-text matching, as the reference does: sampling weights
 * are the softmax of each row of the contrastive similarities with the positive zeroed, so similar
 * but wrong candidates are drawn more often.
 *
 * <p>Optionally (not in the reference) candidates that show the same image as the row's positive
 * are excluded too, so another caption of the same image is never used as a "negative".
 */
public final class HardNegatives {

    private HardNegatives() {}

    /**
     * Samples a negative column for each row.
     *
     * @param sim (B, G) row-major scaled similarities of B local rows against G global candidates,
     *     where the positive of row i is column {@code offset + i}
     * @param rows B
     * @param cols G
     * @param offset the global index of the first local row
     * @param imageIds image id of each of the G candidates, or null to not exclude same-image
     *     candidates (the reference's behaviour)
     * @param hard true to sample by softmax weight, false to sample uniformly among the allowed
     * @param random the random source
     * @return for each row the chosen column
     * @throws IllegalArgumentException if a row has no allowed candidate
     */
    public static int[] sample(
            float[] sim,
            int rows,
            int cols,
            int offset,
            long[] imageIds,
            boolean hard,
            Random random) {
        int[] out = new int[rows];
        double[] w = new double[cols];
        for (int r = 0; r < rows; r++) {
            int pos = offset + r;
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) {
                max = Math.max(max, sim[r * cols + c]);
            }
            double total = 0;
            for (int c = 0; c < cols; c++) {
                boolean allowed = c != pos && (imageIds == null || imageIds[c] != imageIds[pos]);
                w[c] = allowed ? (hard ? Math.exp(sim[r * cols + c] - max) : 1.0) : 0.0;
                total += w[c];
            }
            if (!Double.isFinite(total) || Double.isNaN(max)) {
                // similarities that are not finite carry no preference: draw uniformly
                total = 0;
                for (int c = 0; c < cols; c++) {
                    boolean allowed =
                            c != pos && (imageIds == null || imageIds[c] != imageIds[pos]);
                    w[c] = allowed ? 1.0 : 0.0;
                    total += w[c];
                }
            }
            if (!(total > 0)) {
                throw new IllegalArgumentException(
                        "row "
                                + r
                                + " has no negative candidate: every candidate is its own pair"
                                + (imageIds == null ? "" : " or shows the same image")
                                + "; use a batch with at least two different images");
            }
            double u = random.nextDouble() * total;
            int chosen = -1;
            for (int c = 0; c < cols; c++) {
                if (w[c] > 0) {
                    chosen = c;
                    u -= w[c];
                    if (u < 0) {
                        break;
                    }
                }
            }
            out[r] = chosen;
        }
        return out;
    }
}
