package dev.vlmo.dsl;

import static dev.vlmo.dsl.Dsl.text;
import static dev.vlmo.dsl.Dsl.vision;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The text stage moves only the reference's trainable parameters. */
class FrozenParametersTest {

    @Test
    void theTextStageLeavesEveryFrozenParameterBitIdentical(@TempDir Path dir) {
        Vlmo v =
                Fixtures.tiny()
                        .stage(
                                vision().data(Fixtures.WORLD)
                                        .steps(2)
                                        .batchSize(8)
                                        .learningRate(1e-3)
                                        .warmup(0))
                        .stage(
                                text().data(Fixtures.WORLD)
                                        .steps(3)
                                        .batchSize(8)
                                        .learningRate(1e-3)
                                        .warmup(0));
        try (Run r = v.run(Fixtures.quiet(dir))) {
            Plan plan = r.plan();
            Map<String, float[]> afterVision =
                    Fixtures.loadCheckpoint(plan, dir.resolve("checkpoints/stage-1-step-2"));
            Map<String, float[]> afterText =
                    Fixtures.loadCheckpoint(plan, dir.resolve("checkpoints/stage-2-step-3"));
            Map<String, float[]> end = Fixtures.snapshot(r.model());
            assertEquals(
                    0.0,
                    Fixtures.maxDifference(afterText, end),
                    "the last checkpoint is the model");

            Set<String> trainable = plan.stages().get(1).trainable();
            List<String> moved = Fixtures.changed(afterVision, afterText);
            List<String> frozenMoved = new ArrayList<>();
            for (String n : moved) {
                if (!trainable.contains(n)) {
                    frozenMoved.add(n);
                }
            }
            assertEquals(List.of(), frozenMoved, "frozen parameters moved in the text stage");
            List<String> stuck = new ArrayList<>();
            for (String n : trainable) {
                // BERT's position embeddings exist in relative-position presets but are not used
                if (!moved.contains(n) && !n.equals("text_embeddings.position_embeddings.weight")) {
                    stuck.add(n);
                }
            }
            assertEquals(List.of(), stuck, "trainable parameters that did not move");
            // the frozen set is the reference's: attention, norm1, layer scales, vision expert
            for (String n :
                    new String[] {
                        "transformer.blocks.0.attn.qkv.weight",
                        "transformer.blocks.1.attn.q_bias",
                        "transformer.blocks.0.norm1.weight",
                        "transformer.blocks.1.gamma_1",
                        "transformer.blocks.0.gamma_2",
                        "transformer.blocks.0.mlp_imag.fc1.weight",
                        "transformer.blocks.1.norm2_imag.bias",
                        "transformer.patch_embed.proj.weight",
                        "mim_head.weight"
                    }) {
                assertTrue(!trainable.contains(n), n + " is trainable in the text stage");
                assertArrayEquals(afterVision.get(n), afterText.get(n), n);
            }
            assertTrue(moved.contains("transformer.blocks.0.mlp_text.fc1.weight"), "" + moved);
            assertTrue(moved.contains("relative_position_bias_table"), "" + moved);
        }
    }
}
