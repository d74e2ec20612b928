package dev.vlmo.dsl;

import static dev.vlmo.dsl.Dsl.text;
import static dev.vlmo.dsl.Dsl.vision;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
