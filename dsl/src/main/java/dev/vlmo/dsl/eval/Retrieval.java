package dev.vlmo.dsl.eval;

import java.util.Locale;

/**
 * Image-text retrieval recall exactly as the reference reports it (I images, N texts, each text
 * belonging to one image).
 *
 * <ul>
 *   <li>Text retrieval (image to text) R@k: the share of images for which at least one of the k
 *       best-scored texts belongs to the image.
 *   <li>Image retrieval (text to image) R@k: the share of texts whose own image is among the k
 *       best-scored images.
 * </ul>
 */
public final class Retrieval {

    private Retrieval() {}

    /**
     * Recall at 1, 5 and 10 in both directions.
     *
     * @param textR1 text retrieval R@1
     * @param textR5 text retrieval R@5
     * @param textR10 text retrieval R@10
     * @param imageR1 image retrieval R@1
     * @param imageR5 image retrieval R@5
     * @param imageR10 image retrieval R@10
     */
    public record Recall(
            double textR1,
            double textR5,
            double textR10,
            double imageR1,
            double imageR5,
            double imageR10) {

        @Override
        public String toString() {
            return String.format(
                    Locale.ROOT,
                    "TR@1 %.1f TR@5 %.1f TR@10 %.1f | IR@1 %.1f IR@5 %.1f IR@10 %.1f",
                    100 * textR1,
                    100 * textR5,
                    100 * textR10,
                    100 * imageR1,
                    100 * imageR5,
                    100 * imageR10);
        }
    }

    /**
     * Computes recall from a score matrix.
     *
     * @param scores (I x N) row-major, scores[i * n + t] = score of image i with text t
     * @param images I
     * @param texts N
     * @param textImage for each text, the index of its image in [0, I)
     * @return the recalls
     */
    public static Recall recall(float[] scores, int images, int texts, int[] textImage) {
        if (scores.length != images * texts || textImage.length != texts) {
            throw new IllegalArgumentException(
                    "scores must be images x texts ("
                            + images
                            + " x "
                            + texts
                            + ") with one image per text, got "
                            + scores.length
                            + " scores and "
                            + textImage.length
                            + " text owners");
        }
        int[] ks = {1, 5, 10};
        double[] tr = new double[3];
        double[] ir = new double[3];
        // image to text: rank of the best text of the image among all texts
        for (int i = 0; i < images; i++) {
            int best = Integer.MAX_VALUE;
            for (int t = 0; t < texts; t++) {
                if (textImage[t] == i) {
                    best = Math.min(best, rank(scores, i * texts, 1, texts, t));
                }
            }
            for (int q = 0; q < 3; q++) {
                if (best < ks[q]) {
                    tr[q]++;
                }
            }
        }
        for (int t = 0; t < texts; t++) {
            int r = rank(scores, t, texts, images, textImage[t]);
            for (int q = 0; q < 3; q++) {
                if (r < ks[q]) {
                    ir[q]++;
                }
            }
        }
        return new Recall(
                tr[0] / images,
                tr[1] / images,
                tr[2] / images,
                ir[0] / texts,
                ir[1] / texts,
                ir[2] / texts);
    }

    /**
     * The rank of entry {@code target}: entries scoring higher, plus equal ones at lower indices
     * (ties never count in the model's favour, so a constant scorer is not perfect).
     */
    private static int rank(float[] a, int start, int stride, int count, int target) {
        float v = a[start + target * stride];
        int higher = 0;
        for (int j = 0; j < count; j++) {
            float x = a[start + j * stride];
            if (x > v || x == v && j < target) {
                higher++;
            }
        }
        return higher;
    }

    /**
     * The dual encoder's scores: every image embedding against every text embedding.
     *
     * @param images I embeddings
     * @param texts N embeddings of the same width
     * @return (I x N) dot products, row-major, as {@link #recall} takes them
     */
    public static float[] similarity(float[][] images, float[][] texts) {
        float[] scores = new float[images.length * texts.length];
        for (int i = 0; i < images.length; i++) {
            for (int t = 0; t < texts.length; t++) {
                float dot = 0;
                for (int k = 0; k < images[i].length; k++) {
                    dot += images[i][k] * texts[t][k];
                }
                scores[i * texts.length + t] = dot;
            }
        }
        return scores;
    }

    /** Scores image-text pairs with the fusion encoder (the ITM head), in batches. */
    @FunctionalInterface
    public interface PairScorer {
        /**
         * Scores pairs.
         *
         * @param images the image index of each pair
         * @param texts the text index of each pair
         * @return one score per pair, higher meaning a better match
         */
        float[] score(int[] images, int[] texts);
    }

    /**
     * Recall after re-ranking each query's top {@code k} candidates of the dual encoder with a pair
     * scorer: the candidates are ordered by the pair score and stay ahead of every other entry,
     * which keeps its dual-encoder order.
     *
     * @param scores (I x N) dual-encoder scores, row-major
     * @param images I
     * @param texts N
     * @param textImage for each text, the index of its image
     * @param k candidates re-ranked per query, positive
     * @param scorer the pair scorer
     * @return the recalls after re-ranking
     */
    public static Recall rerank(
            float[] scores, int images, int texts, int[] textImage, int k, PairScorer scorer) {
        if (k <= 0) {
            throw new IllegalArgumentException("k must be positive, got " + k);
        }
        recall(scores, images, texts, textImage); // checks the shapes
        float[] i2t = scores.clone();
        int kt = Math.min(k, texts);
        int[] qi = new int[images * kt];
        int[] qt = new int[images * kt];
        for (int i = 0; i < images; i++) {
            int[] top = top(scores, i * texts, 1, texts, kt);
            for (int j = 0; j < kt; j++) {
                qi[i * kt + j] = i;
                qt[i * kt + j] = top[j];
            }
        }
        float[] s = scorer.score(qi, qt);
        for (int q = 0; q < s.length; q++) {
            i2t[qi[q] * texts + qt[q]] = 1e6f + s[q];
        }
        float[] t2i = scores.clone();
        int ki = Math.min(k, images);
        qi = new int[texts * ki];
        qt = new int[texts * ki];
        for (int t = 0; t < texts; t++) {
            int[] top = top(scores, t, texts, images, ki);
            for (int j = 0; j < ki; j++) {
                qi[t * ki + j] = top[j];
                qt[t * ki + j] = t;
            }
        }
        s = scorer.score(qi, qt);
        for (int q = 0; q < s.length; q++) {
            t2i[qi[q] * texts + qt[q]] = 1e6f + s[q];
        }
        Recall a = recall(i2t, images, texts, textImage);
        Recall b = recall(t2i, images, texts, textImage);
        return new Recall(
                a.textR1(), a.textR5(), a.textR10(), b.imageR1(), b.imageR5(), b.imageR10());
    }

    /** The indices of the k best entries, best first, ties to the lower index. */
    private static int[] top(float[] a, int start, int stride, int count, int k) {
        Integer[] order = new Integer[count];
        for (int j = 0; j < count; j++) {
            order[j] = j;
        }
        java.util.Arrays.sort(
                order, (x, y) -> Float.compare(a[start + y * stride], a[start + x * stride]));
        int[] out = new int[k];
        for (int j = 0; j < k; j++) {
            out[j] = order[j];
        }
        return out;
    }

    /**
     * Returns the recall a random scorer reaches in expectation for R@k of image retrieval.
     *
     * @param images I
     * @param k the cut-off
     * @return k / I
     */
    public static double chanceImageRecall(int images, int k) {
        return Math.min(1.0, (double) k / images);
    }
}
