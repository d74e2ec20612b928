package dev.vlmo.dsl;

import static dev.vlmo.dsl.Dsl.text;
import static dev.vlmo.dsl.Dsl.vision;
import static dev.vlmo.dsl.Dsl.visionLanguage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

/** Options visibly change what training does: metrics, learning rates, updates. */
class TrainingOptionsTest {

    private static final Stage VISION =
            vision().data(Fixtures.WORLD).batchSize(8).learningRate(1e-3).warmup(0);
    private static final Stage TEXT =
            text().data(Fixtures.WORLD).batchSize(8).learningRate(1e-3).warmup(0);
    private static final Stage VL =
            visionLanguage()
                    .data(Fixtures.WORLD)
                    .steps(1)
                    .batchSize(8)
                    .learningRate(1e-3)
                    .warmup(0)
                    .dropPath(0);

    private static Table metrics(Vlmo v, Path dir) {
        try (Run r = v.run(Fixtures.quiet(dir))) {
            return r.metrics();
        }
    }

    private static boolean has(Table t, int row, String column) {
        return !t.row(row).isMissing(column);
    }

    @Test
    void metricsColumnsFollowTheObjectives(@TempDir Path dir) {
        Table t =
                metrics(
                        Fixtures.tiny()
                                .stage(VISION.steps(1))
                                .stage(TEXT.steps(1))
                                .stage(VL.itc(false).vlItc(false).itm(ItmNegatives.NONE))
                                .stage(
                                        VL.itc(false)
                                                .vlItc(false)
                                                .itm(ItmNegatives.RANDOM)
                                                .mlmProbability(0))
                                .stage(VL.mlmWeight(0.5)),
                        dir);
        assertEquals(5, t.rowCount(), t.print());
        String[] cols = {"itc", "itm", "mlm", "mim"};
        boolean[][] present = {
            {false, false, false, true},
            {false, false, true, false},
            {false, false, true, false},
            {false, true, false, false},
            {true, true, true, false},
        };
        for (int i = 0; i < 5; i++) {
            assertEquals(i + 1, t.intColumn("stage").get(i));
            for (int c = 0; c < 4; c++) {
                assertEquals(
                        present[i][c],
                        has(t, i, cols[c]),
                        "stage " + (i + 1) + " " + cols[c] + "\n" + t.print());
            }
            assertTrue(Double.isFinite(t.doubleColumn("loss").get(i)), t.print());
        }
        double[] loss = Fixtures.column(t, "loss");
        double[] itc = Fixtures.column(t, "itc");
        double[] itm = Fixtures.column(t, "itm");
        double[] mlm = Fixtures.column(t, "mlm");
        double[] mim = Fixtures.column(t, "mim");
        assertEquals(mim[0], loss[0], 1e-6);
        assertEquals(mlm[1], loss[1], 1e-6);
        assertEquals(0.25 * mlm[2], loss[2], 1e-5, "the reference's MLM weight in stage 3");
        assertEquals(itm[3], loss[3], 1e-6);
        assertEquals(itc[4] + itm[4] + 0.5 * mlm[4], loss[4], 1e-5, "mlmWeight(0.5)");
        assertTrue(itm[3] > 0.3 && itm[3] < 1.5, "ITM starts near ln 2 per row: " + itm[3]);
        assertTrue(Math.abs(itc[4] - Math.log(8)) < 0.5, "ITC starts near ln 8: " + itc[4]);
    }

    @Test
    void theLearningRateFollowsWarmupAndDecay(@TempDir Path dir) {
        int vSteps = 8;
        int tSteps = 6;
        Table t =
                metrics(
                        Fixtures.tiny()
                                .stage(
                                        VISION.steps(vSteps)
                                                .warmup(3)
                                                .schedule(Schedule.COSINE)
                                                .learningRate(1e-3))
                                .stage(TEXT.steps(tSteps).warmup(0.5).learningRate(2e-3)),
                        dir);
        assertEquals(vSteps + tSteps, t.rowCount());
        double[] lr = Fixtures.column(t, "lr");
        for (int s = 0; s < vSteps; s++) {
            double want =
                    s < 3
                            ? 1e-3 * s / 3
                            : 1e-3 * 0.5 * (1 + Math.cos(Math.PI * (s - 3) / (vSteps - 3)));
            assertEquals(
                    want, lr[s], 1e-5 * want + 1e-12, "vision step " + (s + 1) + "\n" + t.print());
            assertEquals(s + 1, t.intColumn("step").get(s));
        }
        for (int s = 0; s < tSteps; s++) {
            // warm-up 0.5 of 6 steps = 3 steps, then linear to 0
            double want = s < 3 ? 2e-3 * s / 3 : 2e-3 * (tSteps - s) / (tSteps - 3.0);
            assertEquals(
                    want,
                    lr[vSteps + s],
                    1e-5 * want + 1e-12,
                    "text step " + (s + 1) + "\n" + t.print());
        }
    }

    @Test
    void gradientAccumulationMatchesOneLargeBatch(@TempDir Path dir) {
        Stage s = VISION.steps(2).batchSize(16).weightDecay(0.05);
        try (Run one = Fixtures.tiny().stage(s).run(Fixtures.quiet(dir.resolve("one")));
                Run two =
                        Fixtures.tiny()
                                .stage(s.gradientAccumulation(2))
                                .run(Fixtures.quiet(dir.resolve("two")))) {
            assertEquals(16, one.plan().stages().get(0).microBatch());
            assertEquals(8, two.plan().stages().get(0).microBatch());
            double[] a = Fixtures.column(one.metrics(), "loss");
            double[] b = Fixtures.column(two.metrics(), "loss");
            assertEquals(a[0], b[0], 1e-5, "first-step loss: 16 at once vs 2 x 8");
            assertEquals(a[1], b[1], 1e-4, "second-step loss after the same update");
            double d =
                    Fixtures.maxDifference(
                            Fixtures.snapshot(one.model()), Fixtures.snapshot(two.model()));
            assertTrue(d < 1e-4, "parameters after two steps differ by " + d);
        }
    }

    @Test
    void onlyTheLatestCheckpointsWithinAStageAreKept(@TempDir Path dir) throws Exception {
        Stage s = VISION.steps(5).checkpointEvery(1);
        Fixtures.tiny().stage(s).run(Fixtures.quiet(dir.resolve("two"))).close();
        assertEquals(
                java.util.List.of("stage-1-step-3", "stage-1-step-4", "stage-1-step-5"),
                checkpoints(dir.resolve("two")));
        Fixtures.tiny().stage(s.keepCheckpoints(1)).run(Fixtures.quiet(dir.resolve("one"))).close();
        assertEquals(
                java.util.List.of("stage-1-step-4", "stage-1-step-5"),
                checkpoints(dir.resolve("one")));
        Fixtures.tiny()
                .stage(s.keepCheckpoints(Integer.MAX_VALUE))
                .run(Fixtures.quiet(dir.resolve("all")))
                .close();
        assertEquals(5, checkpoints(dir.resolve("all")).size());
        assertThrows(IllegalArgumentException.class, () -> s.keepCheckpoints(0));
    }

    private static java.util.List<String> checkpoints(Path run) throws java.io.IOException {
        try (var files = java.nio.file.Files.list(run.resolve("checkpoints"))) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void gradientClippingShrinksTheUpdate(@TempDir Path dir) {
        // step 1 has rate 0 (warm-up of 1): its checkpoint holds the initial weights
        Stage s = VISION.steps(2).warmup(1).weightDecay(0).checkpointEvery(1);
        double none = update(s, dir.resolve("none"));
        double tight = update(s.gradientClipping(1e-7), dir.resolve("tight"));
        double loose = update(s.gradientClipping(1e6), dir.resolve("loose"));
        assertTrue(none > 0, "the unclipped step moved nothing");
        assertTrue(tight < 0.2 * none, "clipped to 1e-7: update " + tight + " vs " + none);
        assertEquals(none, loose, 1e-9 * none, "a norm above the gradient's clips nothing");
    }

    private static double update(Stage s, Path dir) {
        try (Run r = Fixtures.tiny().stage(s).run(Fixtures.quiet(dir))) {
            Map<String, float[]> before =
                    Fixtures.loadCheckpoint(r.plan(), dir.resolve("checkpoints/stage-1-step-1"));
            Map<String, float[]> after =
                    Fixtures.loadCheckpoint(r.plan(), dir.resolve("checkpoints/stage-1-step-2"));
            assertEquals(Fixtures.snapshot(r.model()).keySet(), after.keySet());
            double sq = 0;
            for (String k : before.keySet()) {
                float[] x = before.get(k);
                float[] y = after.get(k);
                for (int i = 0; i < x.length; i++) {
                    sq += (double) (y[i] - x[i]) * (y[i] - x[i]);
                }
            }
            return Math.sqrt(sq);
        }
    }

    @Test
    void theSeedDecidesTheRun(@TempDir Path dir) {
        Stage s = TEXT.steps(2);
        double[] a = Fixtures.column(metrics(Fixtures.tiny().stage(s), dir.resolve("a")), "loss");
        double[] b = Fixtures.column(metrics(Fixtures.tiny().stage(s), dir.resolve("b")), "loss");
        double[] c =
                Fixtures.column(
                        metrics(Fixtures.tiny().stage(s.seed(2)), dir.resolve("c")), "loss");
        assertArrayEquals(a, b, "the same description must train the same way");
        assertTrue(
                Math.abs(a[0] - c[0]) > 1e-4 && Math.abs(a[1] - c[1]) > 1e-4,
                "seed 1 "
                        + java.util.Arrays.toString(a)
                        + " vs seed 2 "
                        + java.util.Arrays.toString(c));
    }

    @Test
    void sameImageExclusionTrainsOnAWorldWithSeveralCaptionsPerImage(@TempDir Path dir) {
        Table t =
                metrics(
                        Fixtures.tiny()
                                .stage(VL.steps(2).batchSize(16).excludeSameImageNegatives(true)),
                        dir);
        double[] itm = Fixtures.column(t, "itm");
        assertEquals(2, itm.length);
        for (double x : itm) {
            assertTrue(Double.isFinite(x) && x > 0, t.print());
        }
    }
}
