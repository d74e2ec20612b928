package dev.vlmo.dsl;

import static dev.vlmo.dsl.Dsl.cpu;
import static dev.vlmo.dsl.Dsl.on;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.vlmo.model.Engines;
import dev.vlmo.model.VlmoModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

/**
 * Training under {@code precision(FP16)} and {@code precision(BF16)}: the same run as fp32 within
 * half precision's rounding, not identical to it (the products did run in half precision), and with
 * FP16's loss scale carried through a checkpoint so a resumed run repeats an uninterrupted one.
 */
class MixedPrecisionTest {

    private static final Vlmo RUN = Fixtures.twoStages();

    private record Result(Table metrics, Map<String, float[]> params) {}

    private static Result run(Vlmo v, Precision p, Path dir) {
        try (Run r = v.run(Fixtures.quiet(dir).precision(p))) {
            return new Result(r.metrics(), Fixtures.snapshot(r.model()));
        }
    }

    @Test
    void halfPrecisionTrainsAsFp32DoesWithinItsRounding(@TempDir Path dir) {
        Map<String, float[]> init;
        Plan plan = RUN.compile(on(cpu()));
        try (NDManager m = Engines.newManager("PyTorch")) {
            // the weights a run starts from (the trainer seeds the engine with stage 1's seed)
            m.getEngine().setRandomSeed((int) plan.stages().get(0).stage().seed());
            init = Fixtures.snapshot(new VlmoModel(plan.model()).initialize(m));
        }
        Result full = run(RUN, Precision.FP32, dir.resolve("fp32"));
        double moved = Fixtures.distance(init, full.params());
        for (Precision p : new Precision[] {Precision.FP16, Precision.BF16}) {
            Result half = run(RUN, p, dir.resolve(p.name()));
            double[] a = Fixtures.column(full.metrics(), "loss");
            double[] b = Fixtures.column(half.metrics(), "loss");
            double[] norms = Fixtures.column(half.metrics(), "grad_norm");
            assertEquals(a.length, b.length);
            double tol = p == Precision.FP16 ? 1e-4 : 1e-3;
            for (int i = 0; i < a.length; i++) {
                assertTrue(Double.isFinite(b[i]), p + " loss of row " + (i + 1) + ": " + b[i]);
                assertTrue(Double.isFinite(norms[i]), p + " skipped step " + (i + 1));
                // the first step of each stage sees the same weights: only rounding differs
                if (i == 0 || i == 2) {
                    assertNotEquals(a[i], b[i], p + " row " + (i + 1) + " ran in fp32");
                    assertEquals(a[i], b[i], tol * Math.abs(a[i]), p + " row " + (i + 1));
                }
            }
            double apart = Fixtures.distance(full.params(), half.params());
            assertTrue(apart > 0, p + " trained exactly as fp32");
            assertTrue(
                    apart < 0.05 * moved,
                    p + " parameters are " + apart + " from fp32's; training moved them " + moved);
        }
    }

    @Test
    void fp16ResumesWithItsLossScale(@TempDir Path dir) throws Exception {
        Result full = run(RUN, Precision.FP16, dir.resolve("a"));
        Path b = dir.resolve("b");
        try {
            ProgressListener.setDefault(() -> new ResumeTest.Listener(2, 3));
            assertThrows(
                    ResumeTest.Killed.class,
                    () -> RUN.run(on(cpu()).runDir(b).precision(Precision.FP16)));
        } finally {
            ProgressListener.setDefault(null);
        }
        Properties state = new Properties();
        try (var r =
                Files.newBufferedReader(b.resolve("checkpoints/stage-2-step-2/state.properties"))) {
            state.load(r);
        }
        assertEquals("65536.0", state.getProperty("lossScale"));
        assertEquals("2", state.getProperty("lossScaleGoodSteps"));
        Result again;
        try (Run r = RUN.run(Fixtures.quiet(b).precision(Precision.FP16).resume(true))) {
            again = new Result(r.metrics(), Fixtures.snapshot(r.model()));
        }
        double[] x = Fixtures.column(full.metrics(), "loss");
        double[] y = Fixtures.column(again.metrics(), "loss");
        assertEquals(x.length, y.length);
        for (int i = 0; i < x.length; i++) {
            assertEquals(x[i], y[i], 1e-5, "loss of row " + (i + 1));
        }
        double d = Fixtures.maxDifference(full.params(), again.params());
        assertTrue(d < 1e-5, "final parameters differ by " + d);
    }

    @Test
    void fineTuningRunsInHalfPrecisionToo(@TempDir Path dir) {
        Vlmo v = Fixtures.pretrainedTiny();
        try (Run r = v.run(Fixtures.quiet(dir.resolve("pre")))) {
            r.metrics();
        }
        Vlmo from = v.startFrom(dir.resolve("pre/checkpoints/stage-1-step-2/model.params"));
        Finetune task = Dsl.vqa().data(Fixtures.WORLD).steps(3).batchSize(8).learningRate(1e-3);
        double[] full;
        try (FinetuneRun f = from.finetune(task, Fixtures.quiet(dir.resolve("fp32")))) {
            full = Fixtures.column(f.metrics(), "loss");
        }
        for (Precision p : new Precision[] {Precision.FP16, Precision.BF16}) {
            try (FinetuneRun f =
                    from.finetune(task, Fixtures.quiet(dir.resolve(p.name())).precision(p))) {
                double[] half = Fixtures.column(f.metrics(), "loss");
                assertEquals(full.length, half.length);
                assertNotEquals(full[0], half[0], p + " fine-tuned in fp32");
                double tol = p == Precision.FP16 ? 1e-4 : 1e-3;
                // FP16 may skip its first updates while the loss scale comes down from 2^16
                // (VQA's loss sums over the answers: large gradients), as GradScaler does
                int same = p == Precision.FP16 ? 1 : full.length;
                for (int i = 0; i < same; i++) {
                    assertEquals(full[i], half[i], tol * Math.abs(full[i]), p + " step " + i);
                }
                assertTrue(Double.isFinite(f.metric("VQA score (reference)")), p + " evaluation");
            }
        }
    }

    @Test
    void mxnetIsRefusedBeforeAnythingRuns(@TempDir Path dir) {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                RUN.run(
                                        Fixtures.quiet(dir)
                                                .engine("MXNet")
                                                .precision(Precision.BF16)));
        assertTrue(e.getMessage().contains("PyTorch engine only"), e.getMessage());
        assertTrue(!Files.exists(dir.resolve("checkpoints")), "nothing was written");
    }
}
