package dev.vlmo.dsl.eval;

import dev.vlmo.datasets.formats.VqaAnswers;
import java.util.List;

/**
 * VQA accuracy as the field reports it.
 *
 * <ul>
 *   <li>{@link #official}: the VQA challenge's metric. The predicted and the human answers are
 *       normalised ({@link VqaAnswers#normalize}); for each of the n human answers left out in
 *       turn, the prediction scores {@code min(1, matches among the other n-1 / 3)}; the accuracy
 *       is the mean over the n. With 10 answers of which 2 match: (2 x 1/3 + 8 x 2/3) / 10 = 0.6.
 *   <li>{@link #score}: the reference's validation score, the soft target score of the predicted
 *       label (0.3, 0.6, 0.9, 1.0 for 1, 2, 3, 4+ matching annotators; 0 for an answer outside the
 *       vocabulary).
 * </ul>
 */
public final class VqaAccuracy {

    private VqaAccuracy() {}

    /**
     * The official accuracy of one prediction.
     *
     * @param predicted the predicted answer
     * @param humanAnswers the annotators' answers (10 in VQA v2), at least one
     * @return the accuracy in [0, 1]
     */
    public static double official(String predicted, List<String> humanAnswers) {
        if (humanAnswers.isEmpty()) {
            throw new IllegalArgumentException(
                    "the official VQA accuracy needs the annotators' answers; this question has"
                            + " none");
        }
        String p = VqaAnswers.normalize(predicted);
        int n = humanAnswers.size();
        boolean[] match = new boolean[n];
        int total = 0;
        for (int i = 0; i < n; i++) {
            match[i] = VqaAnswers.normalize(humanAnswers.get(i)).equals(p);
            total += match[i] ? 1 : 0;
        }
        if (n == 1) {
            return match[0] ? 1.0 : 0.0;
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            int others = total - (match[i] ? 1 : 0);
            sum += Math.min(1.0, others / 3.0);
        }
        return sum / n;
    }

    /**
     * The reference's score of one prediction: the soft score of the predicted label.
     *
     * @param predicted the predicted label
     * @param labels the question's labels
     * @param scores their soft scores
     * @return the score of {@code predicted}, 0 when it is not among the labels
     */
    public static double score(int predicted, int[] labels, float[] scores) {
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] == predicted) {
                return scores[i];
            }
        }
        return 0.0;
    }
}
