package dev.vlmo.dsl.engine;

import static dev.vlmo.dsl.Dsl.classification;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlmo.datasets.image.ImageTransform;
import dev.vlmo.datasets.image.RgbImage;
import dev.vlmo.datasets.image.Transforms;
import dev.vlmo.dsl.Finetune;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Which transform a fine-tune's training images get. */
class TrainTransformTest {

    /** A 48x40 image with a gradient and an off-centre block, so crops and flips show. */
    private static RgbImage picture() {
        int w = 48;
        int h = 40;
        byte[] px = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = (y * w + x) * 3;
                boolean block = x > 5 && x < 15 && y > 4 && y < 12;
                px[i] = (byte) (block ? 250 : x * 5);
                px[i + 1] = (byte) (y * 6);
                px[i + 2] = (byte) (block ? 10 : 128);
            }
        }
        return new RgbImage(w, h, px);
    }

    private static float[] apply(ImageTransform t, long seed) {
        float[] out = new float[3 * t.size() * t.size()];
        t.apply(picture(), new SplittableRandom(seed), out, 0);
        return out;
    }

    private static boolean varies(ImageTransform t) {
        float[] first = apply(t, 0);
        for (long seed = 1; seed < 8; seed++) {
            if (!Arrays.equals(first, apply(t, seed))) {
                return true;
            }
        }
        return false;
    }

    @Test
    void filesAreAugmentedByDefault() {
        assertTrue(varies(FineTuner.trainTransform(classification(), false, 32)));
    }

    @Test
    void withoutAugmentationTrainingImagesAreTheEvaluationResize() {
        Finetune off = classification().augment(false);
        ImageTransform t = FineTuner.trainTransform(off, false, 32);
        assertFalse(varies(t));
        assertArrayEquals(apply(Transforms.eval(32), 0), apply(t, 3));
        assertTrue(off.toString().contains(".augment(false)"), off.toString());
    }

    @Test
    void theBuiltInWorldIsNeverAugmented() {
        assertFalse(varies(FineTuner.trainTransform(classification(), true, 32)));
    }
}
