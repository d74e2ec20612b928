package dev.vlmo.dsl;

import static dev.vlmo.dsl.Dsl.cpu;
import static dev.vlmo.dsl.Dsl.on;
import static dev.vlmo.dsl.Dsl.text;
import static dev.vlmo.dsl.Dsl.vision;
import static dev.vlmo.dsl.Dsl.visionLanguage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.Table;

/** Every option of a stage, a description and a runtime shows in the compiled plan. */
class OptionsPlanTest {

    private static final Stage VL = visionLanguage().data(Fixtures.WORLD).steps(8).batchSize(16);
    private static final Stage VISION = vision().data(Fixtures.WORLD).steps(8).batchSize(16);
    private static final Stage TEXT = text().data(Fixtures.WORLD).steps(8).batchSize(16);

    private static Plan.StagePlan plan(Stage s) {
        return plan(s, on(cpu()));
    }

    private static Plan.StagePlan plan(Stage s, Runtime rt) {
        return Fixtures.tiny().stage(s).compile(rt).stages().get(0);
    }

    private static Table row(Stage s) {
        return Fixtures.tiny().stage(s).describe();
    }

    @Test
    void everyStageOptionChangesTheStagesTextAndValue() {
        Map<String, UnaryOperator<Stage>> options = new LinkedHashMap<>();
        options.put("data", s -> s.data(Fixtures.WORLD.seed(5)));
        options.put("steps", s -> s.steps(9));
        options.put("epochs", s -> s.epochs(2));
        options.put("batchSize", s -> s.batchSize(8));
        options.put("learningRate", s -> s.learningRate(1e-3));
        options.put("warmup", s -> s.warmup(3));
        options.put("schedule", s -> s.schedule(Schedule.COSINE));
        options.put("weightDecay", s -> s.weightDecay(0.5));
        options.put("dropPath", s -> s.dropPath(0.05));
        options.put("gradientAccumulation", s -> s.gradientAccumulation(2));
        options.put("gradientClipping", s -> s.gradientClipping(1.0));
        options.put("checkpointEvery", s -> s.checkpointEvery(5));
        options.put("seed", s -> s.seed(42));
        options.put("betas", s -> s.betas(0.8, 0.9));
        options.put("textLength", s -> s.textLength(12));
        options.put("itc", s -> s.itc(false).vlItc(false));
        options.put("vlItc", s -> s.vlItc(false));
        options.put("itm", s -> s.itm(ItmNegatives.RANDOM));
        options.put("globalNegatives", s -> s.globalNegatives(false));
        options.put("excludeSameImageNegatives", s -> s.excludeSameImageNegatives(true));
        options.put("mlmProbability", s -> s.mlmProbability(0.3));
        options.put("mlmWeight", s -> s.mlmWeight(0.5));
        options.put("wholeWordMasking", s -> s.wholeWordMasking(false));
        options.put("trainable", s -> s.trainable("itm_score."));
        for (Map.Entry<String, UnaryOperator<Stage>> e : options.entrySet()) {
            Stage changed = e.getValue().apply(VL);
            assertNotEquals(VL.toString(), changed.toString(), e.getKey() + " does not show");
            assertNotEquals(VL, changed, e.getKey());
        }
        // vision-only options
        assertNotEquals(VISION.toString(), VISION.mimMaskRatio(0.5).toString());
        assertNotEquals(
                VISION.toString(),
                VISION.mimTarget(new MimTarget.Tokens(Path.of("dvae.pt"), 8192)).toString());
    }

    @Test
    void stageOptionsShowInTheCompiledPlan() {
        Plan.StagePlan base = plan(VL);
        assertEquals(2e-4, base.learningRate(), "tiny uses the base learning rate");
        assertEquals(1e-3, plan(VL.learningRate(1e-3)).learningRate());
        assertEquals(0.0, base.dropPath(), "tiny's preset drop path");
        assertEquals(0.05, plan(VL.dropPath(0.05)).dropPath());
        assertEquals(32, base.textLength(), "tiny's maxTextLen");
        assertEquals(12, plan(VL.textLength(12)).textLength());
        assertEquals(16, base.microBatch());
        assertEquals(1, base.shards());
        assertEquals(8, plan(VL.gradientAccumulation(2)).microBatch());
        assertEquals(4, plan(VL.gradientAccumulation(2), on(cpu(), cpu())).microBatch());
        assertEquals(2, plan(VL, on(cpu(), cpu())).shards());
        assertEquals(8, plan(VL.steps(8)).steps());
        assertEquals(0, plan(VL.epochs(2)).steps(), "a stage by epochs has no fixed steps");
        // warm-up: a fraction of the steps below 1, steps from 1 on
        assertEquals(2500, base.warmupSteps(200_000), "the reference's 2500 warm-up steps");
        assertEquals(8, base.warmupSteps(8), "warm-up is cut to the stage's length");
        assertEquals(2, plan(VL.warmup(0.25)).warmupSteps(8));
        assertEquals(3, plan(VL.warmup(3)).warmupSteps(8));
        assertEquals(0, plan(VL.warmup(0)).warmupSteps(8));
        // presets decide the vision-language learning rate
        assertEquals(
                1e-4, Vlmo.basePlus().stage(VL).compile(on(cpu())).stages().get(0).learningRate());
        assertEquals(
                5e-5, Vlmo.large().stage(VL).compile(on(cpu())).stages().get(0).learningRate());
    }

    @Test
    void stageOptionsShowInTheDescribeTable() {
        Table base = row(VL);
        assertEquals("8 steps", base.stringColumn("length").get(0));
        assertEquals("2 epochs", row(VL.epochs(2)).stringColumn("length").get(0));
        assertEquals(8, row(VL.batchSize(8)).intColumn("batch").get(0));
        assertEquals(1e-3, row(VL.learningRate(1e-3)).doubleColumn("learning rate").get(0));
        assertEquals("2500 warm-up steps, linear", base.stringColumn("schedule").get(0));
        assertEquals(
                "25.0% warm-up, cosine",
                row(VL.warmup(0.25).schedule(Schedule.COSINE)).stringColumn("schedule").get(0));
        assertEquals(
                "1.3% warm-up, cosine",
                row(VISION).stringColumn("schedule").get(0), "the reference's BEiT schedule");
        assertTrue(
                row(VL.data(Fixtures.WORLD.seed(5)))
                        .stringColumn("data")
                        .get(0)
                        .contains("seed 5"));

        String objectives = base.stringColumn("objectives").get(0);
        assertEquals("ITC + VL-ITC, ITM (hard, global), MLM 0.15 whole-word x0.25", objectives);
        assertEquals(
                "ITC, ITM (hard, global), MLM 0.15 whole-word x0.25", objectives(VL.vlItc(false)));
        assertEquals(
                "ITM (hard, global), MLM 0.15 whole-word x0.25",
                objectives(VL.itc(false).vlItc(false)));
        assertEquals(
                "ITC + VL-ITC, ITM (random, global), MLM 0.15 whole-word x0.25",
                objectives(VL.itm(ItmNegatives.RANDOM)));
        assertEquals(
                "ITC + VL-ITC, MLM 0.15 whole-word x0.25", objectives(VL.itm(ItmNegatives.NONE)));
        assertEquals(
                "ITC + VL-ITC, ITM (hard, local), MLM 0.15 whole-word x0.25",
                objectives(VL.globalNegatives(false)));
        assertEquals(
                "ITC + VL-ITC, ITM (hard, global, same image excluded), MLM 0.15 whole-word x0.25",
                objectives(VL.excludeSameImageNegatives(true)));
        assertEquals(
                "ITC + VL-ITC, ITM (hard, global), MLM 0.30 whole-word x0.25",
                objectives(VL.mlmProbability(0.3)));
        assertEquals(
                "ITC + VL-ITC, ITM (hard, global), MLM 0.15 whole-word x0.5",
                objectives(VL.mlmWeight(0.5)));
        assertEquals(
                "ITC + VL-ITC, ITM (hard, global), MLM 0.15 x0.25",
                objectives(VL.wholeWordMasking(false)));
        assertEquals("ITC + VL-ITC, ITM (hard, global)", objectives(VL.mlmProbability(0)));
        assertEquals("MLM 0.15 whole-word", objectives(TEXT));
        assertEquals("MIM 40% (normalised pixels)", objectives(VISION));
        assertEquals("MIM 50% (normalised pixels)", objectives(VISION.mimMaskRatio(0.5)));
    }

    private static String objectives(Stage s) {
        return row(s).stringColumn("objectives").get(0);
    }

    private static Path tokenizer() {
        try {
            return Path.of(
                    OptionsPlanTest.class.getResource("/visual-tokenizer-sign8-p8.pt").toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theMimTargetSizesTheMimHead() throws Exception {
        Plan pixels = Fixtures.tiny().stage(VISION).compile(on(cpu()));
        assertEquals(3 * 8 * 8, pixels.model().mimTargets(), "a value per pixel of an 8x8 patch");
        Plan tokens =
                Fixtures.tiny()
                        .stage(VISION.mimTarget(new MimTarget.Tokens(tokenizer(), 8192)))
                        .compile(on(cpu()));
        assertEquals(8192, tokens.model().mimTargets());
        assertTrue(
                tokens.describe().stringColumn("objectives").get(0).contains("8192 visual tokens"));
        assertEquals(
                0,
                Fixtures.tiny().stage(VL).compile(on(cpu())).model().mimTargets(),
                "no MIM head without a vision stage");
    }

    @Test
    void sharedFfnIsTrainedWithTheVisionSideFrozenInTheTextStageAndTrainedInVl() {
        Plan p =
                Fixtures.tiny()
                        .model(c -> c.withSharedFfn(true))
                        .stage(VISION)
                        .stage(TEXT)
                        .stage(VL)
                        .compile(on(cpu()));
        assertTrue(p.model().sharedFfn());
        String fc1 = "transformer.blocks.0.mlp.fc1.weight";
        String norm2 = "transformer.blocks.1.norm2.weight";
        for (String n : new String[] {fc1, norm2}) {
            assertTrue(p.stages().get(0).trainable().contains(n), "vision stage freezes " + n);
            // the one FFN is what images use: stage 2 leaves it as it leaves the vision expert
            assertFalse(p.stages().get(1).trainable().contains(n), "text stage trains " + n);
            assertTrue(p.stages().get(2).trainable().contains(n), "VL stage freezes " + n);
        }
        Plan multiway = Fixtures.tiny().stage(VISION).stage(TEXT).stage(VL).compile(on(cpu()));
        long expert =
                multiway.model().hidden() * multiway.model().mlpHidden() * 2L
                        + multiway.model().mlpHidden()
                        + 3L * multiway.model().hidden();
        long sharedTotal = p.stages().get(2).trainableCount() + p.stages().get(2).frozenCount();
        long multiwayTotal =
                multiway.stages().get(2).trainableCount() + multiway.stages().get(2).frozenCount();
        assertEquals(
                (multiway.model().layers() + multiway.model().vlLayers()) * expert,
                multiwayTotal - sharedTotal);
    }

    @Test
    void defaultFreezeListsAreTheReferences() {
        Plan p = Fixtures.tiny().stage(VISION).stage(TEXT).stage(VL).compile(on(cpu()));
        Set<String> vision = p.stages().get(0).trainable();
        Set<String> text = p.stages().get(1).trainable();
        Set<String> vl = p.stages().get(2).trainable();
        for (String n : vision) {
            assertFalse(
                    n.contains("mlp_text")
                            || n.contains("norm2_text")
                            || n.contains("mlp_vl")
                            || n.contains("text_embeddings")
                            || n.startsWith("itc_")
                            || n.startsWith("itm_")
                            || n.startsWith("mlm_"),
                    "vision stage trains " + n);
        }
        assertTrue(vision.contains("transformer.blocks.0.attn.qkv.weight"));
        assertTrue(vision.contains("transformer.blocks.1.mlp_imag.fc1.weight"));
        assertTrue(vision.contains("transformer.blocks.0.gamma_1"));
        assertTrue(vision.contains("mim_head.weight"));
        String[] textPrefixes = {
            "text_embeddings.",
            "token_type_embeddings.",
            "mlm_score.",
            "relative_position_bias_table",
            "transformer.norm."
        };
        for (String n : text) {
            boolean ok = n.matches("transformer\\.blocks\\.\\d+\\.(mlp_text|norm2_text)\\..*");
            for (String prefix : textPrefixes) {
                ok |= n.startsWith(prefix);
            }
            assertTrue(ok, "text stage trains " + n + ", outside the reference's list");
        }
        for (String n :
                new String[] {
                    "text_embeddings.word_embeddings.weight",
                    "token_type_embeddings.weight",
                    "transformer.blocks.0.mlp_text.fc1.weight",
                    "transformer.blocks.1.norm2_text.bias",
                    "mlm_score.decoder.weight",
                    "relative_position_bias_table",
                    "transformer.norm.weight"
                }) {
            assertTrue(text.contains(n), "text stage freezes " + n);
        }
        assertEquals(
                p.stages().get(0).trainableCount() + p.stages().get(0).frozenCount(),
                p.stages().get(2).trainableCount() + p.stages().get(2).frozenCount(),
                "every stage counts the same model");
        for (String n :
                new String[] {
                    "transformer.blocks.1.mlp_vl.fc1.weight",
                    "itc_vl_image_proj.fc.weight",
                    "itm_score.fc.weight",
                    "logit_scale",
                    "logit_vl_scale",
                    "pooler.dense.weight",
                    "transformer.blocks.0.attn.qkv.weight"
                }) {
            assertTrue(vl.contains(n), "vision-language stage freezes " + n);
        }
        assertFalse(vl.contains("mim_head.weight"), "the MIM head only learns in stage 1");
    }

    @Test
    void trainablePatternsReplaceTheFreezeList() {
        Plan.StagePlan p = plan(VL.trainable("transformer.blocks.*.mlp_text."));
        assertEquals(
                Set.of(
                        "transformer.blocks.0.mlp_text.fc1.weight",
                        "transformer.blocks.0.mlp_text.fc1.bias",
                        "transformer.blocks.0.mlp_text.fc2.weight",
                        "transformer.blocks.0.mlp_text.fc2.bias",
                        "transformer.blocks.1.mlp_text.fc1.weight",
                        "transformer.blocks.1.mlp_text.fc1.bias",
                        "transformer.blocks.1.mlp_text.fc2.weight",
                        "transformer.blocks.1.mlp_text.fc2.bias"),
                p.trainable());
        // D=32, MLP 128: two layers of fc1 (32x128 + 128) and fc2 (128x32 + 32)
        assertEquals(2 * (32 * 128 + 128 + 128 * 32 + 32), p.trainableCount());
        assertEquals(Set.of("logit_scale"), plan(VL.trainable("logit_scale")).trainable());
        Plan.StagePlan all = plan(VL);
        assertEquals(
                all.trainableCount() + all.frozenCount(), p.trainableCount() + p.frozenCount());
    }

    @Test
    void modelAndRuntimeOptionsShowInThePlan() {
        Plan small = Fixtures.tiny().stage(VL).compile(on(cpu()));
        Plan wider = Fixtures.tiny().model(c -> c.withHidden(48)).stage(VL).compile(on(cpu()));
        assertEquals(48, wider.model().hidden());
        assertTrue(wider.describe().name().contains("D=48"), wider.describe().name());
        assertTrue(wider.stages().get(0).trainableCount() > small.stages().get(0).trainableCount());
        assertEquals(240, small.model().vocabSize(), "the built-in world's vocabulary");
        assertTrue(small.describe().name().contains("built-in world"));

        Runtime rt = on(cpu()).engine("MXNet").runDir(Path.of("runs/a")).resume(true);
        assertEquals(
                "on(cpu()).engine(MXNet).precision(FP32).runDir(runs/a).resume(true)",
                rt.toString());
        assertEquals(3, on(cpu()).logEvery(3).logEvery());
        assertEquals(Precision.BF16, on(Dsl.gpu(0)).precision(Precision.BF16).precision());
        String start = Fixtures.tiny().startFrom(Path.of("vlmo_base.pt")).toString();
        assertTrue(start.contains(".startFrom(vlmo_base.pt)"), start);
    }

    @Test
    void smokeModeShrinksAnyPresetAndItsStages() {
        Plan smoke =
                Vlmo.base()
                        .stage(visionLanguage().data(Dsl.coco("/nowhere")))
                        .compile(on(cpu()).smoke());
        // smoke mode: the model shrinks to tiny's size, stages to 2 steps on the built-in world
        assertEquals(64, smoke.model().hidden());
        assertEquals(2, smoke.stages().get(0).steps());
        assertEquals(4, smoke.stages().get(0).stage().batchSize());
        assertTrue(smoke.stages().get(0).stage().data().get(0) instanceof DataRef.BuiltIn);

        // the reference's presets have 12 or 16 heads, which do not divide tiny's hidden size
        for (Vlmo preset : new Vlmo[] {Vlmo.small(), Vlmo.basePlus(), Vlmo.large()}) {
            Plan p = preset.stage(visionLanguage().data(Fixtures.WORLD)).compile(on(cpu()).smoke());
            assertEquals(64, p.model().hidden(), preset.config().name());
            assertEquals(preset.config().name(), p.model().name());
        }
    }
}
