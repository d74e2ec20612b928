package dev.vlmo.dsl.engine;

import static dev.vlmo.dsl.Dsl.cpu;
import static dev.vlmo.dsl.Dsl.on;
import static dev.vlmo.dsl.Dsl.visionLanguage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.vlmo.dsl.Fixtures;
import dev.vlmo.dsl.ItmNegatives;
import dev.vlmo.dsl.Plan;
import dev.vlmo.dsl.Stage;
import dev.vlmo.model.Engines;
import dev.vlmo.model.PairEncoding;
import dev.vlmo.model.VlmoModel;
import dev.vlmo.model.objectives.Losses;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The vision-language objectives of one micro-batch: ITM negatives are never the positive (nor,
 * when excluded, a caption of the same image), and data-parallel shards compute the loss of one
 * device with the whole batch.
 */
class ObjectivesTest {

    private static final Stage VL =
            visionLanguage().data(Fixtures.WORLD).steps(1).batchSize(8).dropPath(0);
    private static final int T = 16;

    private static NDManager manager;
    private static VlmoModel model;
    private static Plan plan;

    @BeforeAll
    static void model() {
        plan = Fixtures.tiny().stage(VL).compile(on(cpu()));
        manager = Engines.newManager(null);
        manager.getEngine().setRandomSeed(11);
        model = new VlmoModel(plan.model()).initialize(manager);
        model.setDropPath(0);
        // an untrained ITM head scores every pair about the same; a sharper one makes the chosen
        // negatives visible in the loss
        model.namedParameters().get("itm_score.fc.weight").getArray().muli(50f);
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static Plan.StagePlan stage(Stage s) {
        return Fixtures.tiny().stage(s).compile(on(cpu())).stages().get(0);
    }

    /** A micro-batch of n pairs: image {@code img[i]} with text {@code txt[i]}. */
    private static Trainer.Inputs inputs(NDManager m, int[] img, int[] txt, long[] imageIds) {
        int n = img.length;
        Random r = new Random(5);
        float[] pixels = new float[n * 3 * 32 * 32];
        long[] ids = new long[n * T];
        long[] mask = new long[n * T];
        long[] mlmIds = new long[n * T];
        long[] labels = new long[n * T];
        for (int i = 0; i < n; i++) {
            Random ri = new Random(1000 + img[i]);
            for (int j = 0; j < 3 * 32 * 32; j++) {
                pixels[i * 3 * 32 * 32 + j] = (float) ri.nextGaussian();
            }
            Random rt = new Random(2000 + txt[i]);
            int len = 6 + rt.nextInt(T - 6);
            for (int j = 0; j < T; j++) {
                int k = i * T + j;
                ids[k] = j < len ? 5 + rt.nextInt(230) : 0;
                mask[k] = j < len ? 1 : 0;
                mlmIds[k] = ids[k];
                labels[k] = Losses.IGNORE;
                if (j > 0 && j < len - 1 && r.nextInt(4) == 0) {
                    mlmIds[k] = 4;
                    labels[k] = ids[k];
                }
            }
        }
        return new Trainer.Inputs(
                n,
                m.create(pixels, new Shape(n, 3, 32, 32)),
                null,
                m.create(ids, new Shape(n, T)),
                m.create(mask, new Shape(n, T)),
                m.create(mlmIds, new Shape(n, T)),
                m.create(labels, new Shape(n, T)),
                imageIds,
                null,
                labels);
    }

    private static Trainer.Inputs distinct(NDManager m, int n) {
        int[] idx = new int[n];
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
            ids[i] = 100 + i;
        }
        return inputs(m, idx, idx, ids);
    }

    private static Map<String, Double> losses(
            Plan.StagePlan p, Trainer.Inputs in, int shards, long seed, NDManager m) {
        ParameterStore ps = new ParameterStore(m, false);
        List<ParameterStore> stores = new ArrayList<>();
        for (int i = 0; i < shards; i++) {
            stores.add(ps);
        }
        Map<String, NDArray> out =
                Objectives.compute(model, p, in, stores, new Random(seed), m, null);
        Map<String, Double> values = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : out.entrySet()) {
            values.put(e.getKey(), (double) e.getValue().getFloat());
        }
        return values;
    }

    private static void assertSameLosses(
            Map<String, Double> a, Map<String, Double> b, String what) {
        assertEquals(a.keySet(), b.keySet(), what);
        for (String k : a.keySet()) {
            assertEquals(a.get(k), b.get(k), 1e-5, what + ": " + k + " of " + a + " vs " + b);
        }
    }

    // ------------------------------------------------------------------ backward and the GC

    /** The gradients of the stage's weighted loss, optionally with a GC before backward. */
    private static Map<String, float[]> gradients(Plan.StagePlan p, boolean disturb)
            throws InterruptedException {
        try (NDManager m = Engines.newManager(null)) {
            m.getEngine().setRandomSeed(11);
            VlmoModel fresh = new VlmoModel(plan.model()).initialize(m);
            fresh.setDropPath(0);
            for (var param : fresh.namedParameters().values()) {
                param.getArray().setRequiresGradient(true);
            }
            Trainer.Inputs in = distinct(m, 6);
            List<ParameterStore> stores = List.of(new ParameterStore(m, false));
            List<java.nio.ByteBuffer> filler = new ArrayList<>();
            try (GradientCollector gc = m.getEngine().newGradientCollector()) {
                NDArray loss =
                        Objectives.compute(fresh, p, in, stores, new Random(4), m, null)
                                .get("loss");
                if (disturb) {
                    // collect, let the cleaner free what was found, refill freed memory with NaN
                    System.gc();
                    Thread.sleep(20);
                    for (int i = 0; i < 4000; i++) {
                        filler.add(java.nio.ByteBuffer.allocateDirect(4).putFloat(0, Float.NaN));
                    }
                }
                gc.backward(loss);
            }
            Map<String, float[]> out = new java.util.LinkedHashMap<>();
            fresh.namedParameters()
                    .forEach((k, v) -> out.put(k, v.getArray().getGradient().toFloatArray()));
            assertTrue(filler.size() == (disturb ? 4000 : 0));
            return out;
        }
    }

    @Test
    void aGarbageCollectionBeforeBackwardChangesNoGradient() throws Exception {
        // every objective of stage 3 with its weights (ITC, VL-ITC averaged, ITM, 0.25 x MLM):
        // a constant that autograd keeps must not live in memory the collector can free
        Plan.StagePlan p = stage(VL);
        Map<String, float[]> quiet = gradients(p, false);
        Map<String, float[]> disturbed = gradients(p, true);
        for (String name : quiet.keySet()) {
            float[] a = quiet.get(name);
            float[] b = disturbed.get(name);
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], 1e-5f + 1e-4f * Math.abs(a[i]), name + "[" + i + "]");
            }
        }
    }

    // ------------------------------------------------------------------ MLM on masked rows

    @Test
    void mlmOnTheMaskedRowsEqualsTheReferencesLossOverEveryPosition() {
        try (NDManager m = manager.newSubManager()) {
            Trainer.Inputs in = distinct(m, 6);
            ParameterStore ps = new ParameterStore(m, false);
            // the reference: logits at every text position, the loss ignoring unmasked ones
            PairEncoding pe = model.encodePair(ps, in.mlmIds(), in.mask(), in.images(), 1, false);
            NDArray all = model.mlmLogits(ps, pe.textFeats(), false);
            double want =
                    Losses.crossEntropy(
                                    all.reshape(-1, all.getShape().get(2)),
                                    in.mlmLabels().reshape(-1))
                            .getFloat();
            Map<String, Double> l =
                    losses(stage(VL.itc(false).vlItc(false).itm(ItmNegatives.NONE)), in, 1, 0, m);
            assertTrue(want > 0.1, "a real loss: " + want);
            assertEquals(want, l.get("mlm"), 1e-5);
        }
    }

    // ------------------------------------------------------------------ padding

    /** The rows of direct inputs as a collated batch whose texts are padded to {@code t}. */
    private static dev.vlmo.datasets.batch.Batch batch(Trainer.Inputs in, int t) {
        int n = in.size();
        int w = (int) in.ids().getShape().get(1);
        long[][] src = {
            in.ids().toLongArray(),
            in.mask().toLongArray(),
            in.mlmIds().toLongArray(),
            in.mlmLabels().toLongArray()
        };
        int[][] out = new int[4][n * t];
        java.util.Arrays.fill(out[3], (int) Losses.IGNORE);
        for (int k = 0; k < 4; k++) {
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < w; j++) {
                    out[k][i * t + j] = (int) src[k][i * w + j];
                }
            }
        }
        int[] imageIds = new int[n];
        for (int i = 0; i < n; i++) {
            imageIds[i] = (int) in.imageIds()[i];
        }
        return dev.vlmo.datasets.batch.Batch.builder(n)
                .images(32, in.images().toFloatArray())
                .text(t, out[0], out[1])
                .mlm(out[2], out[3])
                .imageIds(imageIds)
                .build();
    }

    @Test
    void aBatchIsPaddedToItsLongestTextAndLosesNothing() {
        try (NDManager m = manager.newSubManager()) {
            Trainer.Inputs direct = distinct(m, 6); // texts of 6 to 15 tokens padded to 16
            long[] mask = direct.mask().toLongArray();
            int longest = 0;
            for (int i = 0; i < 6; i++) {
                int len = 0;
                for (int j = 0; j < T; j++) {
                    len += (int) mask[i * T + j];
                }
                longest = Math.max(longest, len);
            }
            // collated with more padding, the step's arrays are cut to the longest text
            Trainer.Inputs cut = Trainer.Inputs.of(batch(direct, 40), 0, 6, m);
            assertEquals(new Shape(6, longest), cut.ids().getShape());
            assertEquals(new Shape(6, longest), cut.mlmLabels().getShape());
            assertEquals(6 * longest, cut.mlmLabelsHost().length);
            // rows 1 and 2 alone: cut to their own longest text
            Trainer.Inputs two = Trainer.Inputs.of(batch(direct, 40), 1, 2, m);
            int len1 = 0;
            int len2 = 0;
            for (int j = 0; j < T; j++) {
                len1 += (int) mask[T + j];
                len2 += (int) mask[2 * T + j];
            }
            assertEquals(Math.max(len1, len2), two.ids().getShape().get(1));
            assertEquals(
                    direct.ids().get("1:3, :{}", Math.max(len1, len2)).toLongArray().length,
                    two.ids().toLongArray().length);
            assertTrue(
                    java.util.Arrays.equals(
                            direct.ids().get("1:3, :{}", Math.max(len1, len2)).toLongArray(),
                            two.ids().toLongArray()));
            // every objective of stage 3 (ITC, VL-ITC, hard-negative ITM, MLM) gives the loss of
            // the texts padded to 16
            Plan.StagePlan p = stage(VL);
            assertSameLosses(
                    losses(p, direct, 1, 3, m), losses(p, cut, 1, 3, m), "cut to the longest");
            assertSameLosses(
                    losses(p, direct, 2, 3, m), losses(p, cut, 2, 3, m), "two shards, cut");
        }
    }

    // ------------------------------------------------------------------ the gather

    @Test
    void twoShardsWithoutItmComputeTheWholeBatchsLoss() {
        try (NDManager m = manager.newSubManager()) {
            Trainer.Inputs in = distinct(m, 8);
            Plan.StagePlan p = stage(VL.itm(ItmNegatives.NONE));
            Map<String, Double> one = losses(p, in, 1, 3, m);
            Map<String, Double> two = losses(p, in, 2, 3, m);
            Map<String, Double> four = losses(p, in, 4, 3, m);
            assertEquals(Set.of("loss", "itc", "mlm"), one.keySet());
            assertSameLosses(one, two, "1 vs 2 shards");
            assertSameLosses(one, four, "1 vs 4 shards");
        }
    }

    @Test
    void twoShardsWithGlobalHardNegativesComputeTheWholeBatchsLoss() {
        try (NDManager m = manager.newSubManager()) {
            Trainer.Inputs in = distinct(m, 8);
            Plan.StagePlan p = stage(VL);
            for (long seed = 0; seed < 2; seed++) {
                Map<String, Double> one = losses(p, in, 1, seed, m);
                assertEquals(Set.of("loss", "itc", "itm", "mlm"), one.keySet());
                assertSameLosses(one, losses(p, in, 2, seed, m), "hard negatives, seed " + seed);
            }
        }
    }

    @Test
    void twoShardsWithGlobalRandomNegativesComputeTheWholeBatchsLoss() {
        try (NDManager m = manager.newSubManager()) {
            Trainer.Inputs in = distinct(m, 8);
            Plan.StagePlan p = stage(VL.itm(ItmNegatives.RANDOM));
            for (long seed = 0; seed < 2; seed++) {
                assertSameLosses(
                        losses(p, in, 1, seed, m),
                        losses(p, in, 2, seed, m),
                        "random negatives, seed " + seed);
            }
        }
    }

    @Test
    void localNegativesContrastWithinEachShard() {
        try (NDManager m = manager.newSubManager()) {
            Trainer.Inputs in = distinct(m, 8);
            Plan.StagePlan global = stage(VL.itm(ItmNegatives.NONE));
            Plan.StagePlan local = stage(VL.itm(ItmNegatives.NONE).globalNegatives(false));
            Map<String, Double> one = losses(global, in, 1, 0, m);
            Map<String, Double> two = losses(local, in, 2, 0, m);
            // 4 candidates per row instead of 8: a visibly smaller contrastive loss
            assertTrue(
                    one.get("itc") - two.get("itc") > 0.2,
                    "global " + one.get("itc") + " vs local " + two.get("itc"));
            assertEquals(one.get("mlm"), two.get("mlm"), 1e-5, "MLM does not depend on negatives");
            // one shard: local and global are the same thing
            assertSameLosses(one, losses(local, in, 1, 0, m), "local on one shard");
        }
    }

    // ------------------------------------------------------------------ ITM negatives

    /** The ITM loss of explicitly given negative pairs, as the engine should compute it. */
    private static double itmLoss(Trainer.Inputs in, long[] negImage, long[] negText, NDManager m) {
        ParameterStore ps = new ParameterStore(m, false);
        NDArray ni = m.create(negImage);
        NDArray nt = m.create(negText);
        NDArray ids = NDArrays.concat(new NDList(in.ids(), in.ids(), in.ids().get(nt)), 0);
        NDArray mask = NDArrays.concat(new NDList(in.mask(), in.mask(), in.mask().get(nt)), 0);
        NDArray img = NDArrays.concat(new NDList(in.images(), in.images().get(ni), in.images()), 0);
        PairEncoding pe = model.encodePair(ps, ids, mask, img, 1, true);
        NDArray logits = model.itmLogits(ps, pe.pooled(), true);
        int n = in.size();
        long[] labels = new long[3 * n];
        for (int i = 0; i < n; i++) {
            labels[i] = 1;
        }
        return Losses.crossEntropy(logits, m.create(labels)).getFloat();
    }

    private static final Stage ITM_ONLY =
            VL.itc(false).vlItc(false).mlmProbability(0).itm(ItmNegatives.HARD);

    @Test
    void theNegativeIsNeverThePositive() {
        // two different pairs: each row's only allowed negative is the other row
        try (NDManager m = manager.newSubManager()) {
            Trainer.Inputs in = distinct(m, 2);
            double expected = itmLoss(in, new long[] {1, 0}, new long[] {1, 0}, m);
            // had a row drawn its own positive, the loss would be another: for example when both
            // texts drew image 0 and both images drew text 1
            double mixed = itmLoss(in, new long[] {0, 0}, new long[] {1, 1}, m);
            assertTrue(
                    Math.abs(expected - mixed) > 1e-3,
                    "the ITM head must tell the pairs apart for this test to mean anything");
            for (ItmNegatives kind : new ItmNegatives[] {ItmNegatives.HARD, ItmNegatives.RANDOM}) {
                Plan.StagePlan p = stage(ITM_ONLY.itm(kind));
                for (long seed = 0; seed < 5; seed++) {
                    Map<String, Double> l = losses(p, in, 1, seed, m);
                    assertEquals(Set.of("loss", "itm"), l.keySet());
                    assertEquals(expected, l.get("itm"), 1e-5, kind + " seed " + seed);
                }
            }
        }
    }

    @Test
    void otherCaptionsOfTheSameImageAreNeverNegativesWhenExcluded() {
        // rows 0, 1 show image 7 with the same caption, rows 2, 3 image 8 with another: with
        // exclusion every row's negative is a copy of the other image's pair, whatever is drawn
        try (NDManager m = manager.newSubManager()) {
            Trainer.Inputs in =
                    inputs(
                            m,
                            new int[] {0, 0, 1, 1},
                            new int[] {0, 0, 1, 1},
                            new long[] {7, 7, 8, 8});
            double expected = itmLoss(in, new long[] {2, 2, 0, 0}, new long[] {2, 2, 0, 0}, m);
            for (ItmNegatives kind : new ItmNegatives[] {ItmNegatives.HARD, ItmNegatives.RANDOM}) {
                Plan.StagePlan excluded = stage(ITM_ONLY.itm(kind).excludeSameImageNegatives(true));
                Plan.StagePlan included = stage(ITM_ONLY.itm(kind));
                Set<Double> withSameImage = new TreeSet<>();
                for (long seed = 0; seed < 4; seed++) {
                    assertEquals(
                            expected,
                            losses(excluded, in, 1, seed, m).get("itm"),
                            1e-5,
                            kind + ": a same-image caption was drawn, seed " + seed);
                    if (seed < 2) {
                        assertEquals(
                                expected,
                                losses(excluded, in, 2, seed, m).get("itm"),
                                1e-5,
                                kind + " on 2 shards, seed " + seed);
                    }
                    withSameImage.add(
                            Math.rint(losses(included, in, 1, seed, m).get("itm") * 1e4) / 1e4);
                }
                // without exclusion, the twin of the positive is a candidate and gets drawn
                assertTrue(withSameImage.size() > 1, kind + " without exclusion: " + withSameImage);
            }
        }
    }

    @Test
    void hardAndRandomNegativesDrawDifferently() {
        try (NDManager m = manager.newSubManager()) {
            Trainer.Inputs in = distinct(m, 8);
            Plan.StagePlan hard = stage(ITM_ONLY);
            Plan.StagePlan random = stage(ITM_ONLY.itm(ItmNegatives.RANDOM));
            int differ = 0;
            for (long seed = 0; seed < 3; seed++) {
                double h = losses(hard, in, 1, seed, m).get("itm");
                double r = losses(random, in, 1, seed, m).get("itm");
                assertTrue(Double.isFinite(h) && Double.isFinite(r));
                if (Math.abs(h - r) > 1e-4) {
                    differ++;
                }
            }
            assertTrue(
                    differ >= 2,
                    "hard and random negatives gave the same loss " + (3 - differ) + " of 3 times");
        }
    }

    @Test
    void theStageLossIsItcPlusItmPlusWeightedMlm() {
        try (NDManager m = manager.newSubManager()) {
            Trainer.Inputs in = distinct(m, 8);
            Map<String, Double> l = losses(stage(VL), in, 1, 0, m);
            assertEquals(l.get("itc") + l.get("itm") + 0.25 * l.get("mlm"), l.get("loss"), 1e-5);
            Map<String, Double> half = losses(stage(VL.mlmWeight(0.5)), in, 1, 0, m);
            assertEquals(
                    half.get("itc") + half.get("itm") + 0.5 * half.get("mlm"),
                    half.get("loss"),
                    1e-5);
            Map<String, Double> noVl = losses(stage(VL.vlItc(false)), in, 1, 0, m);
            assertTrue(
                    Math.abs(noVl.get("itc") - l.get("itc")) > 1e-4,
                    "the VL term is part of ITC: " + noVl.get("itc") + " vs " + l.get("itc"));
        }
    }

    @Test
    void aStepsInputsHoldTheirOwnValuesAndOnlyThePartsItsStageReads() {
        dev.vlmo.model.VlmoConfig c = dev.vlmo.model.VlmoConfig.tiny();
        dev.vlmo.datasets.batch.Batch one = StepRunner.randomBatch(c, 4, new Random(1));
        dev.vlmo.datasets.batch.Batch two = StepRunner.randomBatch(c, 4, new Random(2));
        try (NDManager m = Engines.newManager(null)) {
            Trainer.Inputs a = Trainer.Inputs.of(one, 1, 3, m);
            // the values pass through one reused buffer: a second batch must not show in the first
            Trainer.Inputs b = Trainer.Inputs.of(two, 0, 4, m);
            int per = 3 * c.imageSize() * c.imageSize();
            float[] want = java.util.Arrays.copyOfRange(one.images(), per, 4 * per);
            org.junit.jupiter.api.Assertions.assertArrayEquals(want, a.images().toFloatArray());
            org.junit.jupiter.api.Assertions.assertArrayEquals(
                    two.images(), b.images().toFloatArray());
            long[] ids = a.ids().toLongArray();
            int w = (int) a.ids().getShape().get(1);
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < w; j++) {
                    assertEquals(one.textIds()[(1 + i) * c.maxTextLen() + j], ids[i * w + j]);
                }
            }
            Trainer.Inputs vision = Trainer.Inputs.of(one, 0, 4, m, true, false);
            assertTrue(vision.ids() == null && vision.mlmIds() == null && vision.mask() == null);
            assertTrue(vision.images() != null && vision.patchMask() != null);
            Trainer.Inputs text = Trainer.Inputs.of(one, 0, 4, m, false, true);
            assertTrue(text.images() == null && text.patchMask() == null);
            assertEquals(a.mlmLabels().getShape().get(1), (long) w);
            assertTrue(text.mlmIds() != null && text.mlmLabelsHost() != null);
        }
    }
}
