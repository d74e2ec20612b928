package dev.vlmo.dsl.engine;

import static dev.vlmo.dsl.Dsl.cpu;
import static dev.vlmo.dsl.Dsl.on;
import static dev.vlmo.dsl.Dsl.visionLanguage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlmo.datasets.batch.Batch;
import dev.vlmo.dsl.Fixtures;
import dev.vlmo.dsl.Plan;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The batches of a stage: by step, reproducible, with several captions of an image. */
class StageDataTest {

    @Test
    void batchesAreAFunctionOfTheStepAndRepeatImages() {
        Plan plan =
                Fixtures.tiny()
                        .stage(visionLanguage().data(Fixtures.WORLD).steps(4).batchSize(16))
                        .compile(on(cpu()));
        Plan.StagePlan p = plan.stages().get(0);
        int[][] ids = new int[4][];
        int[][] texts = new int[4][];
        boolean repeated = false;
        try (StageData d = StageData.open(p, plan.model(), Trainer.tokenizer(plan))) {
            for (int s = 0; s < 4; s++) {
                Batch b = d.batch(s);
                assertEquals(16, b.size());
                ids[s] = b.imageIds().clone();
                texts[s] = b.textIds().clone();
                Set<Integer> seen = new HashSet<>();
                for (int id : ids[s]) {
                    repeated |= !seen.add(id);
                }
            }
            // going back (as a resumed run does) reads the same batch again
            assertArrayEquals(texts[1], d.batch(1).textIds());
            assertArrayEquals(ids[3], d.batch(3).imageIds());
        }
        assertTrue(
                repeated,
                "no batch held two captions of one image, so excluding same-image negatives is"
                        + " never exercised");
        try (StageData fresh = StageData.open(p, plan.model(), Trainer.tokenizer(plan))) {
            assertArrayEquals(texts[2], fresh.batch(2).textIds(), "a new reader jumps to step 2");
        }
    }
}
