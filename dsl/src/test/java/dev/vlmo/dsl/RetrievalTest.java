package dev.vlmo.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlmo.dsl.eval.Retrieval;
import org.junit.jupiter.api.Test;

/** Recall at k against cases computed by hand. */
class RetrievalTest {

    /** 3 images, 6 texts: texts 0, 1 show image 0; 2, 3 image 1; 4, 5 image 2. */
    private static final int[] OWNER = {0, 0, 1, 1, 2, 2};

    private static float[] scores(int images, int texts, java.util.function.IntBinaryOperator s) {
        float[] out = new float[images * texts];
        for (int i = 0; i < images; i++) {
            for (int t = 0; t < texts; t++) {
                out[i * texts + t] = s.applyAsInt(i, t);
            }
        }
        return out;
    }

    @Test
    void aPerfectScorerRecallsEverything() {
        float[] s = scores(3, 6, (i, t) -> OWNER[t] == i ? 10 + t : -t);
        Retrieval.Recall r = Retrieval.recall(s, 3, 6, OWNER);
        assertEquals(1.0, r.textR1());
        assertEquals(1.0, r.imageR1());
        assertEquals(1.0, r.textR10());
        assertEquals(1.0, r.imageR5());
    }

    @Test
    void aReversedScorerRanksTheTruthLast() {
        // every wrong pair scores above every right one
        float[] s = scores(3, 6, (i, t) -> OWNER[t] == i ? -10 : 10 + t + 10 * i);
        Retrieval.Recall r = Retrieval.recall(s, 3, 6, OWNER);
        assertEquals(0.0, r.textR1());
        // text retrieval: 4 wrong texts above the image's 2 texts, so R@5 finds one of them
        assertEquals(1.0, r.textR5());
        assertEquals(0.0, r.imageR1());
        // image retrieval: 2 wrong images above the right one; R@5 and R@10 cover all 3 images
        assertEquals(1.0, r.imageR5());
        assertEquals(1.0, r.imageR10());
    }

    @Test
    void oneHitAmongSeveralCaptionsIsEnoughForTextRetrieval() {
        // image 0 ranks text 1 (its own) first; image 1 ranks text 0 (image 0's) first, its own
        // text 3 second; image 2 ranks its texts third and fourth
        float[] s = new float[3 * 6];
        float[][] rows = {{5, 9, 1, 2, 3, 4}, {9, 1, 2, 8, 3, 4}, {9, 8, 7, 1, 6, 5}};
        for (int i = 0; i < 3; i++) {
            System.arraycopy(rows[i], 0, s, i * 6, 6);
        }
        Retrieval.Recall r = Retrieval.recall(s, 3, 6, OWNER);
        assertEquals(1.0 / 3, r.textR1(), 1e-12);
        assertEquals(1.0, r.textR5(), 1e-12);
        // image retrieval, per text (column): t0: image 0 scores 5 < 9, 9: rank 2 -> miss at 1
        // t1: image 0 has 9 > 1, 8: hit; t2: image 1 has 2 < 7: miss; t3: image 1 has 8 > 2, 1:
        // hit; t4: image 2 has 6 > 3, 3: hit; t5: image 2 has 5 > 4, 4: hit
        assertEquals(4.0 / 6, r.imageR1(), 1e-12);
        assertEquals(1.0, r.imageR5(), 1e-12);
    }

    @Test
    void tiesAreNotCountedInTheModelsFavour() {
        // a collapsed model scores every pair the same: it must not look perfect
        float[] s = new float[3 * 6];
        Retrieval.Recall r = Retrieval.recall(s, 3, 6, OWNER);
        assertTrue(r.imageR1() <= 1.0 / 3 + 1e-12, "constant scores give image R@1 " + r.imageR1());
        assertTrue(r.textR1() <= 1.0 / 3 + 1e-12, "constant scores give text R@1 " + r.textR1());
    }

    @Test
    void recallAtTenWithManyImagesAndTheChanceLevel() {
        int images = 20;
        int[] owner = new int[images];
        for (int t = 0; t < images; t++) {
            owner[t] = t;
        }
        // one text per image, each image's own text scores 100 and the others 0 ...
        float[] s = new float[images * images];
        for (int i = 0; i < images; i++) {
            s[i * images + i] = 100;
        }
        // ... except that image i < 6 has 2 i other texts scoring 200
        for (int i = 0; i < 6; i++) {
            for (int k = 0; k < i * 2; k++) {
                int other = (i + 1 + k) % images;
                s[i * images + other] = 200;
            }
        }
        Retrieval.Recall r = Retrieval.recall(s, images, images, owner);
        // images 0..5 have 0, 2, 4, 6, 8, 10 texts above their own: R@1 misses 5, R@5 misses
        // 3 (ranks 6, 8, 10), R@10 misses 1 (rank 10)
        assertEquals((images - 5) / (double) images, r.textR1(), 1e-12);
        assertEquals((images - 3) / (double) images, r.textR5(), 1e-12);
        assertEquals((images - 1) / (double) images, r.textR10(), 1e-12);
        assertEquals(0.05, Retrieval.chanceImageRecall(images, 1), 1e-12);
        assertEquals(1.0, Retrieval.chanceImageRecall(5, 10), 1e-12);
    }

    @Test
    void shapesAreChecked() {
        var e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Retrieval.recall(new float[5], 2, 3, new int[] {0, 1, 1}));
        assertTrue(e.getMessage().contains("2 x 3"), e.getMessage());
    }
}
