package dev.vlmo.datasets;

import java.util.List;
import java.util.Objects;

/**
 * A visual question with its soft answer targets.
 *
 * @param image the image the question is about
 * @param question the question text
 * @param answers the normalised answers of the annotators: one per annotator in annotation order
 *     when read from VQA v2's files (what the official accuracy needs), the distinct answers most
 *     frequent first from the reference's Arrow files and the built-in world (may be empty for test
 *     splits)
 * @param labels the answer-vocabulary indices of the answers that are in the vocabulary
 * @param scores the soft score of each label (0.3, 0.6, 0.9 or 1.0 for 1, 2, 3, 4+ annotators)
 * @param questionId the question identifier
 * @param imageId the index of the image within its dataset
 */
public record VqaExample(
        ImageRef image,
        String question,
        List<String> answers,
        int[] labels,
        float[] scores,
        long questionId,
        int imageId) {
    /** Checks that labels and scores line up. */
    public VqaExample {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(question, "question");
        answers = List.copyOf(answers);
        if (labels.length != scores.length) {
            throw new IllegalArgumentException(
                    "labels ("
                            + labels.length
                            + ") and scores ("
                            + scores.length
                            + ") must have the same length for question "
                            + questionId);
        }
    }
}
