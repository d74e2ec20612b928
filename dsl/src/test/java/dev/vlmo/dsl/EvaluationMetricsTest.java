package dev.vlmo.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlmo.dsl.eval.Classification;
import dev.vlmo.dsl.eval.Retrieval;
import dev.vlmo.dsl.eval.VqaAccuracy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The fine-tuning metrics against hand-computed cases. */
class EvaluationMetricsTest {

    private static List<String> answers(String match, int matches, String other, int total) {
        List<String> out = new ArrayList<>(Collections.nCopies(matches, match));
        out.addAll(Collections.nCopies(total - matches, other));
        return out;
    }

    @Test
    void officialVqaAccuracyAveragesOverLeaveOneOutSubsets() {
        // 10 annotators; k of them gave the predicted answer. Leaving out a matching annotator
        // leaves k-1 matches, leaving out another leaves k: (k min(1,(k-1)/3) + (10-k)
        // min(1,k/3))/10
        assertEquals(0.0, VqaAccuracy.official("2", answers("2", 0, "3", 10)), 1e-12);
        assertEquals(
                (1 * 0 + 9 * (1 / 3.0)) / 10,
                VqaAccuracy.official("2", answers("2", 1, "3", 10)),
                1e-12);
        assertEquals(0.6, VqaAccuracy.official("2", answers("2", 2, "3", 10)), 1e-12);
        assertEquals(0.9, VqaAccuracy.official("2", answers("2", 3, "3", 10)), 1e-12);
        assertEquals(1.0, VqaAccuracy.official("2", answers("2", 4, "3", 10)), 1e-12);
        assertEquals(1.0, VqaAccuracy.official("2", answers("2", 10, "3", 10)), 1e-12);
    }

    @Test
    void officialVqaAccuracyNormalisesBothSides() {
        // "Two" and "two." normalise to "2"; "a dog" loses its article
        List<String> humans = List.of("Two", "two.", "2", "3", "3", "3", "3", "3", "3", "3");
        assertEquals(0.9, VqaAccuracy.official("2", humans), 1e-12);
        assertEquals(0.9, VqaAccuracy.official("two", humans), 1e-12);
        assertEquals(
                1.0,
                VqaAccuracy.official("dog", List.of("a dog", "the dog", "dog", "Dog!")),
                1e-12);
    }

    @Test
    void officialVqaAccuracyOfASingleAnswerIsExactMatch() {
        assertEquals(1.0, VqaAccuracy.official("red", List.of("red")), 0);
        assertEquals(0.0, VqaAccuracy.official("blue", List.of("red")), 0);
        assertThrows(IllegalArgumentException.class, () -> VqaAccuracy.official("x", List.of()));
    }

    @Test
    void referenceVqaScoreIsTheSoftScoreOfThePrediction() {
        int[] labels = {4, 7};
        float[] scores = {0.6f, 1.0f};
        assertEquals(1.0, VqaAccuracy.score(7, labels, scores), 1e-7);
        assertEquals(0.6, VqaAccuracy.score(4, labels, scores), 1e-7);
        assertEquals(0.0, VqaAccuracy.score(3, labels, scores), 0);
    }

    @Test
    void topKCountsTiesAgainstTheModel() {
        float[][] logits = {
            {0.1f, 0.9f, 0.0f}, // label 1: top-1 hit
            {0.5f, 0.5f, 0.0f}, // label 1 tied with 0: not top-1, top-2
            {0.3f, 0.2f, 0.1f}, // label 2: rank 3
            {0.0f, 0.0f, 0.0f} // constant scorer: label 0 ranks below both ties
        };
        int[] labels = {1, 1, 2, 0};
        assertEquals(0.25, Classification.topK(logits, labels, 1), 1e-12);
        assertEquals(0.5, Classification.topK(logits, labels, 2), 1e-12);
        assertEquals(1.0, Classification.topK(logits, labels, 3), 1e-12);
        assertThrows(
                IllegalArgumentException.class,
                () -> Classification.topK(logits, new int[] {1, 1, 3, 0}, 1));
    }

    @Test
    void rerankingWithAPerfectScorerFixesEveryHitInsideTheCandidates() {
        // 3 images, 6 texts (2 per image); the dual encoder ranks every text's image last but one
        int images = 3;
        int texts = 6;
        int[] owner = {0, 0, 1, 1, 2, 2};
        float[] scores = new float[images * texts];
        for (int i = 0; i < images; i++) {
            for (int t = 0; t < texts; t++) {
                scores[i * texts + t] =
                        owner[t] == i ? 0.5f : (owner[t] == (i + 1) % 3 ? 0.9f : 0.1f);
            }
        }
        Retrieval.Recall before = Retrieval.recall(scores, images, texts, owner);
        assertEquals(0.0, before.textR1(), 0);
        assertEquals(0.0, before.imageR1(), 0);
        Retrieval.PairScorer oracle =
                (qi, qt) -> {
                    float[] s = new float[qi.length];
                    for (int q = 0; q < s.length; q++) {
                        s[q] = owner[qt[q]] == qi[q] ? 1f : 0f;
                    }
                    return s;
                };
        // top 2 candidates hold the truth for image retrieval (second best) but not text
        // retrieval (the image's own texts rank 3rd and 4th of 6)
        Retrieval.Recall top2 = Retrieval.rerank(scores, images, texts, owner, 2, oracle);
        assertEquals(1.0, top2.imageR1(), 0);
        assertEquals(0.0, top2.textR1(), 0);
        Retrieval.Recall top4 = Retrieval.rerank(scores, images, texts, owner, 4, oracle);
        assertEquals(1.0, top4.textR1(), 0);
        assertEquals(1.0, top4.imageR1(), 0);
        assertTrue(top4.textR5() >= top4.textR1());
    }
}
