package dev.vlmo.dsl;

import static dev.vlmo.dsl.Dsl.cpu;
import static dev.vlmo.dsl.Dsl.on;
import static dev.vlmo.dsl.Dsl.visionLanguage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

/**
 * Two shards on the CPU gather their features, so every loss equals the loss of one device with the
 * whole batch.
 */
class DataParallelTest {

    private static final Stage VL =
            visionLanguage()
                    .data(Fixtures.WORLD)
                    .steps(2)
                    .batchSize(16)
                    .learningRate(1e-2)
                    .warmup(0)
                    .dropPath(0);

    private static Table metrics(Stage s, Runtime rt, Path dir) {
        try (Run r = Fixtures.tiny().stage(s).run(rt.quiet().runDir(dir))) {
            assertEquals(rt.devices().size(), r.plan().stages().get(0).shards());
            return r.metrics();
        }
    }

    private static void assertSameLosses(Table a, Table b, String... columns) {
        assertEquals(a.rowCount(), b.rowCount());
        for (String c : columns) {
            double[] x = Fixtures.column(a, c);
            double[] y = Fixtures.column(b, c);
            for (int i = 0; i < x.length; i++) {
                assertTrue(Double.isFinite(x[i]), c + " step " + (i + 1));
                assertEquals(
                        x[i],
                        y[i],
                        1e-4,
                        c + " at step " + (i + 1) + ":\n" + a.print() + "\n" + b.print());
            }
        }
    }

    /**
     * An untrained ITM head scores every pair near ln 2, so which negatives were drawn hardly shows
     * in the first step's ITM loss; with a large learning rate the first step's negatives decide
     * the update, and the second step's losses show whether both runs drew the same ones.
     */
    @Test
    void globalHardNegativesOnTwoShardsEqualOneDevice(@TempDir Path dir) {
        Table one = metrics(VL, on(cpu()), dir.resolve("one"));
        Table two = metrics(VL, on(cpu(), cpu()), dir.resolve("two"));
        assertSameLosses(one, two, "loss", "itc", "itm", "mlm");
    }

    @Test
    void withoutItmTwoShardsEqualOneDevice(@TempDir Path dir) {
        Stage s = VL.itm(ItmNegatives.NONE);
        Table one = metrics(s, on(cpu()), dir.resolve("one"));
        Table two = metrics(s, on(cpu(), cpu()), dir.resolve("two"));
        assertSameLosses(one, two, "loss", "itc", "mlm");
        // and local negatives on two shards contrast 8 candidates instead of 16
        Table local =
                metrics(s.globalNegatives(false).steps(1), on(cpu(), cpu()), dir.resolve("local"));
        double global = one.doubleColumn("itc").get(0);
        double mine = local.doubleColumn("itc").get(0);
        assertTrue(global - mine > 0.2, "global ITC " + global + " vs local " + mine);
        assertEquals(one.doubleColumn("mlm").get(0), local.doubleColumn("mlm").get(0), 1e-4);
    }
}
