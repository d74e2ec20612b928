package dev.vlmo.dsl;

import static dev.vlmo.dsl.Dsl.cpu;
import static dev.vlmo.dsl.Dsl.on;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

/** A killed run resumed from its last checkpoint ends exactly where an uninterrupted run ends. */
class ResumeTest {

    static final class Killed extends RuntimeException {
        Killed() {
            super("simulated kill");
        }
    }

    /** Records stage starts and throws after a given step of a given stage. */
    static final class Listener implements ProgressListener {
        final List<String> starts = new ArrayList<>();
        final int killStage;
        final int killStep;

        Listener(int killStage, int killStep) {
            this.killStage = killStage;
            this.killStep = killStep;
        }

        @Override
        public void stageStarted(Plan.StagePlan stage, int totalSteps, int startStep) {
            starts.add(stage.index() + "@" + startStep);
        }

        @Override
        public void step(
                Plan.StagePlan stage,
                int step,
                int totalSteps,
                Map<String, Double> losses,
                double samplesPerSecond,
                double etaSeconds) {
            if (stage.index() == killStage && step == killStep) {
                throw new Killed();
            }
        }

        @Override
        public void stageFinished(Plan.StagePlan stage, double seconds) {}
    }

    @Test
    void killAndResumeEqualsAnUninterruptedRun(@TempDir Path dir) throws Exception {
        Vlmo v = Fixtures.twoStages();
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        Table full;
        Map<String, float[]> fullParams;
        try (Run r = v.run(Fixtures.quiet(a))) {
            full = r.metrics();
            fullParams = Fixtures.snapshot(r.model());
        }
        assertEquals(6, full.rowCount());

        Listener killer = new Listener(2, 3);
        Listener resumed = new Listener(-1, -1);
        try {
            ProgressListener.setDefault(() -> killer);
            assertThrows(Killed.class, () -> v.run(on(cpu()).runDir(b)));
            assertEquals(List.of("1@0", "2@0"), killer.starts);
            assertTrue(Files.exists(b.resolve("checkpoints/stage-2-step-2/model.params")));
            assertTrue(!Files.exists(b.resolve("checkpoints/stage-2-step-3")));
            // what a crash can leave besides: a torn last metrics row, a half-written checkpoint
            Files.writeString(
                    b.resolve("metrics.csv"),
                    "2,visionLa",
                    java.nio.file.StandardOpenOption.APPEND);
            Path half = Files.createDirectories(b.resolve("checkpoints/stage-2-step-3.tmp12345"));
            Files.writeString(half.resolve("model.params.tmp"), "partial");
            ProgressListener.setDefault(() -> resumed);
            try (Run r = v.run(on(cpu()).runDir(b).resume(true))) {
                assertTrue(!Files.exists(half), "the half-written checkpoint is removed");
                assertEquals(List.of("2@2"), resumed.starts, "resumes stage 2 after step 2");
                Table again = r.metrics();
                assertEquals(full.rowCount(), again.rowCount(), again.print());
                assertEquals(full.intColumn("step").asList(), again.intColumn("step").asList());
                for (String c : new String[] {"loss", "itc", "itm", "mlm", "mim", "lr"}) {
                    double[] x = Fixtures.column(full, c);
                    double[] y = Fixtures.column(again, c);
                    for (int i = 0; i < x.length; i++) {
                        assertEquals(Double.isNaN(x[i]), Double.isNaN(y[i]), c + " row " + i);
                        if (!Double.isNaN(x[i])) {
                            assertEquals(
                                    x[i],
                                    y[i],
                                    1e-5,
                                    c
                                            + " row "
                                            + (i + 1)
                                            + "\n"
                                            + full.print()
                                            + "\n"
                                            + again.print());
                        }
                    }
                }
                double d = Fixtures.maxDifference(fullParams, Fixtures.snapshot(r.model()));
                assertTrue(d < 1e-5, "final parameters differ by " + d);
            }
        } finally {
            ProgressListener.setDefault(null);
        }
    }
}
