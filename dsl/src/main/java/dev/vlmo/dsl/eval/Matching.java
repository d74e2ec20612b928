package dev.vlmo.dsl.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.vlmo.datasets.ImageText;
import dev.vlmo.datasets.image.ImageTransform;
import dev.vlmo.datasets.image.Transforms;
import dev.vlmo.datasets.synthetic.SyntheticWorld;
import dev.vlmo.datasets.text.Encoding;
import dev.vlmo.datasets.text.WordPieceTokenizer;
import dev.vlmo.model.VlmoModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * Held-out image-text matching with the ITM head (fusion encoder) on the built-in world: for each
 * image of a split, its first caption as the positive, a caption of a random other image as an easy
 * negative and a caption of the other image the dual encoder finds most similar as a hard negative.
 *
 * <p>The hard negative is taken by the dual encoder's argmax, so a few "hub" captions can be the
 * hard negative of many images: its ranking is noisier and can be far from 0.5 even for an
 * untrained head; the random-negative ranking (10 per image) is the unbiased one.
 *
 * <p>Besides accuracy (argmax of the head over all pairs, where always answering "no match" scores
 * 2/3), it reports ranking accuracies: the fraction of images whose positive gets a higher match
 * score ({@code logit[1] - logit[0]}) than its negative. A head that learned only the label prior
 * scores 0.5 there, whatever its bias, so these say whether ITM learned to match.
 */
public final class Matching {

    /** Random negatives per image in the ranking accuracy (fewer would make it noisy). */
    static final int RANDOM_NEGATIVES = 10;

    private Matching() {}

    /**
     * The held-out ITM numbers.
     *
     * @param images images (and positives) evaluated
     * @param accuracy argmax accuracy over positives, random and hard negatives (chance 2/3 by
     *     always answering "no match")
     * @param randomRanking fraction of (image, random negative) pairs, 10 per image, where the
     *     positive outscores the negative
     * @param hardRanking fraction of images whose positive outscores the hard negative
     */
    public record Result(int images, double accuracy, double randomRanking, double hardRanking) {}

    /**
     * Evaluates a model.
     *
     * @param model the model (ITC projections and ITM head used)
     * @param tokenizer its tokenizer
     * @param world the built-in world at the model's image size
     * @param split a held-out split
     * @param textLen the text length used in pair mode
     * @param manager a manager for the work arrays (closed by the caller)
     * @param seed seed of the random negatives
     * @return the numbers
     */
    public static Result evaluate(
            VlmoModel model,
            WordPieceTokenizer tokenizer,
            SyntheticWorld world,
            SyntheticWorld.Split split,
            int textLen,
            NDManager manager,
            long seed) {
        int n = world.scenes(split).size();
        if (n < 2) {
            throw new IllegalArgumentException("matching needs at least 2 images, got " + n);
        }
        List<ImageText> pairs = world.captions(split);
        String[] caption = new String[n];
        for (ImageText p : pairs) {
            if (caption[p.imageId()] == null) {
                caption[p.imageId()] = p.text();
            }
        }
        int size = model.config().imageSize();
        ImageTransform t = Transforms.eval(size);
        int px = 3 * size * size;
        float[] pixels = new float[n * px];
        for (int i = 0; i < n; i++) {
            try {
                t.apply(world.image(split, i).load(), new SplittableRandom(0), pixels, i * px);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        long[] ids = new long[n * textLen];
        long[] mask = new long[n * textLen];
        for (int i = 0; i < n; i++) {
            Encoding e = tokenizer.encode(caption[i], textLen);
            int[] pid = e.paddedIds(textLen, tokenizer.vocabulary().padId());
            int[] pm = e.attentionMask(textLen);
            for (int j = 0; j < textLen; j++) {
                ids[i * textLen + j] = pid[j];
                mask[i * textLen + j] = pm[j];
            }
        }
        try (NDManager m = manager.newSubManager()) {
            ParameterStore ps = new ParameterStore(m, false);
            NDArray img = m.create(pixels, new Shape(n, 3, size, size));
            NDArray txt = m.create(ids, new Shape(n, textLen));
            NDArray msk = m.create(mask, new Shape(n, textLen));
            // hard negative: the other image's caption the dual encoder ranks highest for image i
            NDArray ie = model.embedImages(ps, img);
            NDArray te = model.embedTexts(ps, txt, msk);
            float[] sim = ie.matMul(te.transpose()).toFloatArray();
            int[] hard = new int[n];
            int[][] easy = new int[RANDOM_NEGATIVES][n];
            Random r = new Random(seed);
            for (int i = 0; i < n; i++) {
                int best = -1;
                for (int j = 0; j < n; j++) {
                    if (j != i && (best < 0 || sim[i * n + j] > sim[i * n + best])) {
                        best = j;
                    }
                }
                hard[i] = best;
                for (int[] e : easy) {
                    int k = r.nextInt(n - 1);
                    e[i] = k >= i ? k + 1 : k;
                }
            }
            float[] pos = scores(model, ps, m, txt, msk, img, identity(n));
            float[] hrd = scores(model, ps, m, txt, msk, img, hard);
            int correct = 0;
            int rankRandom = 0;
            int rankHard = 0;
            for (int j = 0; j < easy.length; j++) {
                float[] rnd = scores(model, ps, m, txt, msk, img, easy[j]);
                for (int i = 0; i < n; i++) {
                    rankRandom += pos[i] > rnd[i] ? 1 : 0;
                    if (j == 0) {
                        correct += (pos[i] > 0 ? 1 : 0) + (rnd[i] <= 0 ? 1 : 0);
                        correct += hrd[i] <= 0 ? 1 : 0;
                        rankHard += pos[i] > hrd[i] ? 1 : 0;
                    }
                }
            }
            return new Result(
                    n,
                    correct / (3.0 * n),
                    rankRandom / ((double) n * easy.length),
                    rankHard / (double) n);
        }
    }

    private static int[] identity(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    /** Match score (logit 1 - logit 0) of image i with the caption of image textOf[i]. */
    private static float[] scores(
            VlmoModel model,
            ParameterStore ps,
            NDManager m,
            NDArray txt,
            NDArray msk,
            NDArray img,
            int[] textOf) {
        long[] idx = new long[textOf.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = textOf[i];
        }
        NDArray sel = m.create(idx);
        NDArray logits =
                model.itmLogits(ps, model.poolPairs(ps, txt.get(sel), msk.get(sel), img, 1), false);
        float[] l = logits.toFloatArray();
        float[] out = new float[textOf.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = l[2 * i + 1] - l[2 * i];
        }
        return out;
    }
}
