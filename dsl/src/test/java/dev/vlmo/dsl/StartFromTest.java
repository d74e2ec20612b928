package dev.vlmo.dsl;

import static dev.vlmo.dsl.Dsl.text;
import static dev.vlmo.dsl.Dsl.vision;
import static dev.vlmo.dsl.Dsl.visionLanguage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlmo.dsl.infer.Predictor;
import dev.vlmo.model.VlmoConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A description can start from a checkpoint; a stage's MIM target is honoured. */
class StartFromTest {

    private static final Stage TEXT =
            text().data(Fixtures.WORLD).batchSize(8).learningRate(1e-2).warmup(0);

    @Test
    void theFirstStageStartsFromTheGivenCheckpoint(@TempDir Path dir) {
        Path first = dir.resolve("first");
        Map<String, float[]> trained;
        try (Run r = Fixtures.tiny().stage(TEXT.steps(2)).run(Fixtures.quiet(first))) {
            trained = Fixtures.snapshot(r.model());
        }
        Path ckpt = first.resolve("checkpoints/stage-1-step-2/model.params");
        // the second run trains only the MLM head: everything else must be the checkpoint's
        try (Run r =
                Fixtures.tiny()
                        .startFrom(ckpt)
                        .stage(TEXT.steps(1).trainable("mlm_score."))
                        .run(Fixtures.quiet(dir.resolve("second")))) {
            Map<String, float[]> now = Fixtures.snapshot(r.model());
            for (String n :
                    new String[] {
                        "text_embeddings.word_embeddings.weight",
                        "transformer.blocks.0.mlp_text.fc1.weight",
                        "relative_position_bias_table"
                    }) {
                assertArrayEquals(trained.get(n), now.get(n), n + " is not the checkpoint's");
            }
        }
    }

    @Test
    void aVisionLanguageRunStartsFromAStageOneCheckpointThatHasTheMimHead(@TempDir Path dir)
            throws Exception {
        // stagewise pretraining split over runs: stages 1 and 2 in one, stage 3 in another. The
        // first run's files hold the MIM head, which a description without a vision stage lacks.
        Path first = dir.resolve("unimodal");
        Map<String, float[]> trained;
        try (Run r =
                Fixtures.tiny()
                        .stage(vision().data(Fixtures.WORLD).steps(2).batchSize(8).warmup(0))
                        .run(Fixtures.quiet(first))) {
            trained = Fixtures.snapshot(r.model());
        }
        assertTrue(trained.containsKey("mim_head.weight"), "the first run had no MIM head");
        Path ckpt = first.resolve("checkpoints/stage-1-step-2/model.params");
        VlmoConfig pairModel;
        try (Run r =
                Fixtures.tiny()
                        .startFrom(ckpt)
                        .stage(
                                visionLanguage()
                                        .data(Fixtures.WORLD)
                                        .steps(1)
                                        .batchSize(8)
                                        .trainable("itm_score."))
                        .run(Fixtures.quiet(dir.resolve("pairs")))) {
            pairModel = r.plan().model();
            Map<String, float[]> now = Fixtures.snapshot(r.model());
            assertFalse(now.containsKey("mim_head.weight"));
            int compared = 0;
            for (String n : now.keySet()) {
                if (!n.startsWith("itm_score.")) {
                    assertArrayEquals(trained.get(n), now.get(n), n + " is not the checkpoint's");
                    compared++;
                }
            }
            assertEquals(
                    trained.size() - 3 - 2,
                    compared,
                    "all but the MIM head and mask token and the ITM head");
        }
        // and the inference API reads the same file with the pair model's configuration
        try (Predictor p =
                Predictor.load(
                        ckpt,
                        pairModel,
                        new dev.vlmo.datasets.text.WordPieceTokenizer(
                                dev.vlmo.datasets.synthetic.SyntheticWorld.lexiconVocabulary()),
                        null)) {
            Map<String, float[]> loaded = Fixtures.snapshot(p.model());
            assertArrayEquals(
                    trained.get("transformer.blocks.0.attn.qkv.weight"),
                    loaded.get("transformer.blocks.0.attn.qkv.weight"));
        }
    }

    @Test
    void aFileOfAnotherModelIsRefusedNamingIt(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("model.params");
        Files.write(bad, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        Vlmo v = Fixtures.tiny().startFrom(bad).stage(TEXT.steps(1));
        RuntimeException e =
                assertThrows(
                        RuntimeException.class,
                        () -> v.run(Fixtures.quiet(dir.resolve("r"))).close());
        String m = String.valueOf(e.getMessage());
        assertTrue(m.contains(bad.toString()) && m.contains("does not hold parameters"), m);
    }

    @Test
    void aVisualTokenTargetNamesItsTokenizer(@TempDir Path dir) {
        Path tokenizer = dir.resolve("missing-dvae.pt");
        Vlmo v =
                Fixtures.tiny()
                        .stage(
                                vision().data(Fixtures.WORLD)
                                        .steps(1)
                                        .batchSize(8)
                                        .mimTarget(new MimTarget.Tokens(tokenizer, 64)));
        RuntimeException e =
                assertThrows(
                        RuntimeException.class,
                        () -> v.run(Fixtures.quiet(dir.resolve("run"))).close());
        String m = String.valueOf(e.getMessage());
        assertTrue(m.contains("missing-dvae.pt"), "the failure does not name the tokenizer: " + e);
    }
}
