package dev.vlmo.dsl.engine;

import static dev.vlmo.dsl.Dsl.vision;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.vlmo.dsl.Fixtures;
import dev.vlmo.dsl.MimTarget;
import dev.vlmo.dsl.Run;
import dev.vlmo.model.Engines;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Masked image modelling on visual tokens: a TorchScript tokenizer (written by {@code
 * tests/reference/make_visual_tokenizer.py}) whose rule the test recomputes: a patch's token has
 * bit c set when channel c's mean over the patch is positive.
 */
class VisualTokensTest {

    static Path tokenizer() throws URISyntaxException {
        return Path.of(VisualTokensTest.class.getResource("/visual-tokenizer-sign8-p8.pt").toURI());
    }

    @Test
    void theTokenizerRunsThroughDjlAndGivesTheTokensOfItsRule() throws Exception {
        int b = 3;
        int s = 32;
        int p = 8;
        int g = s / p;
        float[] px = new float[b * 3 * s * s];
        Random r = new Random(1);
        for (int i = 0; i < px.length; i++) {
            px[i] = (float) r.nextGaussian() + (r.nextBoolean() ? 0.3f : -0.3f);
        }
        try (NDManager m = Engines.newManager(null);
                VisualTokenizer tok = VisualTokenizer.load(tokenizer(), 8, Device.cpu())) {
            NDArray ids = tok.tokens(m.create(px, new Shape(b, 3, s, s)), g * g);
            assertEquals(new Shape(b, g * g), ids.getShape());
            long[] got = ids.toLongArray();
            for (int i = 0; i < b; i++) {
                for (int pr = 0; pr < g; pr++) {
                    for (int pc = 0; pc < g; pc++) {
                        int want = 0;
                        for (int c = 0; c < 3; c++) {
                            double sum = 0;
                            for (int y = 0; y < p; y++) {
                                for (int x = 0; x < p; x++) {
                                    sum += px[((i * 3 + c) * s + pr * p + y) * s + pc * p + x];
                                }
                            }
                            if (sum > 0) {
                                want |= 1 << c;
                            }
                        }
                        assertEquals(want, got[i * g * g + pr * g + pc], "image " + i);
                    }
                }
            }
            // a model with other patches: the tokenizer's output no longer fits, and says so
            var e =
                    assertThrows(
                            IllegalStateException.class,
                            () -> tok.tokens(m.create(px, new Shape(b, 3, s, s)), 4));
            assertTrue(e.getMessage().contains("one token per patch: (3, 4)"), e.getMessage());
        }
    }

    @Test
    void aVisionStageLearnsToPredictTheTokensOfMaskedPatches(@TempDir Path dir) throws Exception {
        var stage =
                vision().data(Fixtures.WORLD)
                        .steps(40)
                        .batchSize(16)
                        .learningRate(2e-3)
                        .warmup(2)
                        .mimTarget(new MimTarget.Tokens(tokenizer(), 8));
        try (Run run = Fixtures.tiny().stage(stage).run(Fixtures.quiet(dir))) {
            double[] mim = Fixtures.column(run.metrics(), "mim");
            assertEquals(40, mim.length);
            // an untrained head over 8 tokens starts near ln 8 = 2.08 (cross-entropy, not MSE)
            assertEquals(Math.log(8), mim[0], 0.3, "first loss");
            double early = (mim[0] + mim[1] + mim[2]) / 3;
            double late = (mim[37] + mim[38] + mim[39]) / 3;
            assertTrue(late < early - 0.3, "the MIM loss falls: " + early + " -> " + late);
            assertEquals(8, run.plan().model().mimTargets(), "the head predicts 8 tokens");
        }
    }

    @Test
    void aTokenOutsideTheVocabularyOrAMissingTokenizerIsNamed(@TempDir Path dir) throws Exception {
        var small =
                vision().data(Fixtures.WORLD)
                        .steps(2)
                        .batchSize(8)
                        .mimTarget(new MimTarget.Tokens(tokenizer(), 4));
        var e =
                assertThrows(
                        IllegalStateException.class,
                        () -> Fixtures.tiny().stage(small).run(Fixtures.quiet(dir.resolve("a"))));
        assertTrue(e.getMessage().contains("outside the vocabulary of 4"), e.getMessage());

        Path missing = dir.resolve("no-tokenizer.pt");
        var none = vision().data(Fixtures.WORLD).mimTarget(new MimTarget.Tokens(missing, 8));
        var c =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                Fixtures.tiny()
                                        .stage(none)
                                        .compile(Fixtures.quiet(dir.resolve("b"))));
        assertTrue(c.getMessage().contains(missing.toAbsolutePath().toString()), c.getMessage());
        assertTrue(!Files.exists(missing));
    }
}
