package dev.vlmo.dsl.engine;

import static dev.vlmo.dsl.Dsl.cpu;
import static dev.vlmo.dsl.Dsl.on;
import static dev.vlmo.dsl.Dsl.vision;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.vlmo.dsl.Fixtures;
import dev.vlmo.dsl.Plan;
import dev.vlmo.model.Engines;
import dev.vlmo.model.VlmoModel;
import dev.vlmo.model.objectives.Losses;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Stage 1 applies the MIM head at the masked patches alone (as BEiT does): the loss equals the head
 * over every patch with the unmasked ones left out, on one device or split over shards, and a batch
 * with nothing masked gives a loss of 0.
 */
class MimMaskedRowsTest {

    private static NDManager manager;
    private static VlmoModel model;
    private static Plan.StagePlan stage;

    @BeforeAll
    static void model() {
        Plan plan =
                Fixtures.tiny()
                        .stage(vision().data(Fixtures.WORLD).steps(1).batchSize(6).dropPath(0))
                        .compile(on(cpu()));
        stage = plan.stages().get(0);
        manager = Engines.newManager(null);
        manager.getEngine().setRandomSeed(3);
        model = new VlmoModel(plan.model()).initialize(manager);
        model.setDropPath(0);
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static Trainer.Inputs inputs(NDManager m, int n, double maskRate) {
        int s = model.config().imageSize();
        int p = model.config().gridSize() * model.config().gridSize();
        Random r = new Random(9);
        float[] pixels = new float[n * 3 * s * s];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) r.nextGaussian();
        }
        float[] mask = new float[n * p];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = r.nextDouble() < maskRate ? 1f : 0f;
        }
        return new Trainer.Inputs(
                n,
                m.create(pixels, new Shape(n, 3, s, s)),
                m.create(mask, new Shape(n, p)),
                null,
                null,
                null,
                null,
                null,
                mask,
                null);
    }

    private static double mim(Trainer.Inputs in, int shards, NDManager m) {
        ParameterStore ps = new ParameterStore(m, false);
        List<ParameterStore> stores = new ArrayList<>();
        for (int i = 0; i < shards; i++) {
            stores.add(ps);
        }
        return Objectives.compute(model, stage, in, stores, new Random(0), m, null)
                .get("mim")
                .getFloat();
    }

    @Test
    void theLossAtTheMaskedRowsEqualsTheLossOverEveryPatchWithTheOthersLeftOut() {
        try (NDManager m = manager.newSubManager()) {
            Trainer.Inputs in = inputs(m, 6, 0.4);
            ParameterStore ps = new ParameterStore(m, false);
            NDArray hidden =
                    model.encodeImage(ps, in.images(), in.patchMask(), false, false).hidden();
            double want =
                    Losses.maskedMse(
                                    model.mimLogits(ps, hidden, false),
                                    Objectives.pixelTargets(
                                            in.images(), model.config().patchSize()),
                                    in.patchMask())
                            .getFloat();
            assertTrue(want > 0.1, "a real loss: " + want);
            assertEquals(want, mim(in, 1, m), 1e-5);
            assertEquals(want, mim(in, 2, m), 1e-5);
            assertEquals(want, mim(in, 3, m), 1e-5);
        }
    }

    @Test
    void nothingMaskedGivesZero() {
        try (NDManager m = manager.newSubManager()) {
            assertEquals(0.0, mim(inputs(m, 4, 0.0), 1, m), 0.0);
        }
    }
}
