package dev.vlmo.model.objectives;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class HardNegativesTest {

    @Test
    void neverThePositiveAndHarderCandidatesMoreOften() {
        int b = 4;
        float[] sim = new float[b * b];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < b; j++) {
                sim[i * b + j] = i == j ? 50f : (j == (i + 1) % b ? 3f : 0f);
            }
        }
        Random r = new Random(1);
        int[] counts = new int[b];
        for (int t = 0; t < 2000; t++) {
            int[] neg = HardNegatives.sample(sim, b, b, 0, null, true, r);
            for (int i = 0; i < b; i++) {
                assertNotEquals(i, neg[i], "sampled the positive");
            }
            counts[neg[0]]++;
        }
        // row 0: candidate 1 has weight e^3 against 1 for candidates 2 and 3
        assertTrue(counts[1] > 1500, "hard candidate drawn " + counts[1] + " of 2000");
        assertTrue(counts[2] > 0 && counts[3] > 0);
    }

    @Test
    void excludesOtherCaptionsOfTheSameImage() {
        // 6 captions of 3 images, two captions each; global candidates offset by 2 (rank 1 of 3)
        long[] imageIds = {7, 7, 8, 8, 9, 9};
        int rows = 2;
        int cols = 6;
        float[] sim = new float[rows * cols];
        java.util.Arrays.fill(sim, 1f);
        sim[0 * cols + 3] = 40f; // the same image as row 0's positive (column 2): very "hard"
        Random r = new Random(3);
        for (int t = 0; t < 500; t++) {
            int[] neg = HardNegatives.sample(sim, rows, cols, 2, imageIds, true, r);
            for (int i = 0; i < rows; i++) {
                assertNotEquals(8L, imageIds[neg[i]], "drew a caption of the positive's image");
            }
        }
        // without exclusion the same-image caption dominates
        int same = 0;
        for (int t = 0; t < 200; t++) {
            if (HardNegatives.sample(sim, rows, cols, 2, null, true, r)[0] == 3) {
                same++;
            }
        }
        assertTrue(same > 150, "same-image caption drawn " + same + " of 200");
    }

    @Test
    void aBatchOfOneImageHasNoNegative() {
        long[] ids = {1, 1};
        float[] sim = {1f, 1f, 1f, 1f};
        var e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> HardNegatives.sample(sim, 2, 2, 0, ids, true, new Random(0)));
        assertTrue(e.getMessage().contains("at least two different images"), e.getMessage());
    }
}
