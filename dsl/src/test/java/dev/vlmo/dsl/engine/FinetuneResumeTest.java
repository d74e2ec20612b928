package dev.vlmo.dsl.engine;

import static dev.vlmo.dsl.Dsl.cpu;
import static dev.vlmo.dsl.Dsl.on;
import static dev.vlmo.dsl.Dsl.visionLanguage;
import static dev.vlmo.dsl.Dsl.vqa;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlmo.dsl.Finetune;
import dev.vlmo.dsl.FinetuneRun;
import dev.vlmo.dsl.Fixtures;
import dev.vlmo.dsl.Precision;
import dev.vlmo.dsl.Run;
import dev.vlmo.dsl.Vlmo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

/** A fine-tune stopped part way continues from its checkpoint as if it had not stopped. */
class FinetuneResumeTest {

    @TempDir Path dir;

    private static final class Killed extends RuntimeException {
        Killed() {
            super("simulated kill");
        }
    }

    private static final Vlmo PRETRAIN =
            Fixtures.tiny()
                    .stage(visionLanguage().data(Fixtures.WORLD).steps(1).batchSize(4).warmup(0));

    // drop path on: the resumed steps must draw the same random numbers as the uninterrupted ones
    private static final Finetune TASK =
            vqa().steps(6).batchSize(4).learningRate(1e-3).checkpointEvery(2);

    @AfterEach
    void noHook() {
        FineTuner.afterStep = null;
    }

    @Test
    void killAndResumeEqualsAnUninterruptedFineTune() throws Exception {
        killAndResume(Precision.FP32);
    }

    /**
     * VQA's first FP16 steps overflow at the start scale of 2^16, so the checkpoint after step 2
     * holds a lower scale: a resume that started from 2^16 again would skip step 3 and differ.
     */
    @Test
    void anFp16FineTuneResumesWithItsLossScale() throws Exception {
        Properties state = killAndResume(Precision.FP16);
        assertEquals("FP16", state.getProperty("precision"));
        double scale = Double.parseDouble(state.getProperty("lossScale"));
        assertTrue(
                scale < MixedPrecision.INITIAL_SCALE,
                "no overflow before the checkpoint: " + scale);
    }

    /** Runs the kill-and-resume comparison; returns the state of the checkpoint resumed from. */
    private Properties killAndResume(Precision precision) throws Exception {
        Table full;
        Map<String, float[]> fullParams;
        try (Run r = PRETRAIN.run(on(cpu()).quiet().precision(precision).runDir(dir.resolve("a")));
                FinetuneRun f = r.finetune(TASK)) {
            full = f.metrics();
            fullParams = Fixtures.snapshot(f.model());
            assertFalse(
                    Files.exists(f.runDir().resolve(FineTuner.CHECKPOINT)),
                    "a finished fine-tune leaves no checkpoint behind");
        }
        assertEquals(6, full.rowCount());

        Path b = dir.resolve("b");
        try (Run r = PRETRAIN.run(on(cpu()).quiet().precision(precision).runDir(b))) {
            FineTuner.afterStep =
                    (root, step) -> {
                        if (step == 3) {
                            throw new Killed();
                        }
                    };
            assertThrows(Killed.class, () -> r.finetune(TASK));
        }
        FineTuner.afterStep = null;
        Path ft = b.resolve("finetune-vqa");
        assertTrue(Files.exists(ft.resolve("checkpoint/params.bin")), "checkpoint after step 2");
        assertEquals(1 + 3, Files.readAllLines(ft.resolve("metrics.csv")).size());
        Properties state = new Properties();
        try (var in = Files.newBufferedReader(ft.resolve("checkpoint/state.properties"))) {
            state.load(in);
        }

        try (Run r = PRETRAIN.run(on(cpu()).quiet().precision(precision).runDir(b).resume(true))) {
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> r.finetune(TASK.learningRate(2e-3)));
            assertTrue(e.getMessage().contains("another fine-tune"), e.getMessage());
            try (FinetuneRun f = r.finetune(TASK)) {
                assertEquals(ft, f.runDir(), "the stopped fine-tune's directory is taken up");
                Table again = f.metrics();
                assertEquals(full.rowCount(), again.rowCount(), again.print());
                double[] x = full.doubleColumn("loss").asDoubleArray();
                double[] y = again.doubleColumn("loss").asDoubleArray();
                for (int i = 0; i < x.length; i++) {
                    assertEquals(x[i], y[i], 1e-5, "loss of step " + (i + 1));
                }
                assertEquals(
                        1 + 6,
                        Files.readAllLines(ft.resolve("metrics.csv")).size(),
                        "metrics.csv holds each step once");
                double d = Fixtures.maxDifference(fullParams, Fixtures.snapshot(f.model()));
                assertTrue(d < 1e-5, "final parameters differ by " + d);
                assertFalse(Files.exists(ft.resolve(FineTuner.CHECKPOINT)));
            }
        }
        return state;
    }
}
