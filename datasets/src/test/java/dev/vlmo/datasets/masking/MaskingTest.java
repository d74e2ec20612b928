package dev.vlmo.datasets.masking;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlmo.datasets.synthetic.SyntheticWorld;
import dev.vlmo.datasets.text.Encoding;
import dev.vlmo.datasets.text.Vocabulary;
import dev.vlmo.datasets.text.WordPieceTokenizer;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MaskingTest {
    private static final Vocabulary VOCAB = SyntheticWorld.lexiconVocabulary();

    @Test
    void masksFifteenPercentWithEightyTenTenAndNeverSpecialTokens() {
        MlmMasker m = new MlmMasker(VOCAB, 0.15, false);
        SplittableRandom rng = new SplittableRandom(1);
        int candidates = 0;
        int chosen = 0;
        int toMask = 0;
        int toRandom = 0;
        int kept = 0;
        for (int n = 0; n < 4000; n++) {
            int[] ids = new int[40];
            ids[0] = VOCAB.clsId();
            for (int i = 1; i < 30; i++) {
                ids[i] = 5 + rng.nextInt(VOCAB.size() - 5);
            }
            ids[30] = VOCAB.sepId();
            MaskedText t = m.mask(ids, null, rng);
            for (int i = 0; i < 40; i++) {
                if (i == 0 || i >= 30) {
                    assertEquals(MlmMasker.IGNORE, t.labels()[i], "special or padding chosen");
                    assertEquals(ids[i], t.ids()[i]);
                    continue;
                }
                candidates++;
                if (t.labels()[i] == MlmMasker.IGNORE) {
                    assertEquals(ids[i], t.ids()[i], "unchosen token changed");
                    continue;
                }
                assertEquals(ids[i], t.labels()[i]);
                chosen++;
                if (t.ids()[i] == VOCAB.maskId()) {
                    toMask++;
                } else if (t.ids()[i] == ids[i]) {
                    kept++;
                } else {
                    toRandom++;
                    assertFalse(VOCAB.isSpecial(t.ids()[i]));
                }
            }
        }
        assertEquals(0.15, chosen / (double) candidates, 0.01);
        assertEquals(0.8, toMask / (double) chosen, 0.02);
        // A random replacement can draw the original token (1 in the vocabulary size).
        assertEquals(0.1, toRandom / (double) chosen, 0.02);
        assertEquals(0.1, kept / (double) chosen, 0.02);
    }

    @Test
    void wholeWordMaskingTakesEveryPieceOfAWordAndIsSeeded() {
        java.util.List<String> tokens = new java.util.ArrayList<>(VOCAB.tokens());
        tokens.add("##xyz");
        Vocabulary v = new Vocabulary(tokens, "test");
        WordPieceTokenizer tok = new WordPieceTokenizer(v);
        Encoding e = tok.encode("crosses redxyz bluexyz circle greenxyz squares yellowxyz", 40);
        MlmMasker m = new MlmMasker(v, 0.3, true);
        int split = 0;
        for (long seed = 0; seed < 500; seed++) {
            int[] ids = e.paddedIds(40, 0);
            int[] words = Arrays.copyOf(e.wordIds(), 40);
            Arrays.fill(words, e.length(), 40, -1);
            MaskedText t = m.mask(ids, words, new SplittableRandom(seed));
            MaskedText again = m.mask(ids, words, new SplittableRandom(seed));
            assertArrayEquals(t.ids(), again.ids());
            assertArrayEquals(t.labels(), again.labels());
            assertTrue(
                    Arrays.stream(t.labels()).anyMatch(l -> l != MlmMasker.IGNORE), "at least one");
            for (int i = 1; i < e.length() - 1; i++) {
                for (int j = 1; j < e.length() - 1; j++) {
                    if (e.wordIds()[i] == e.wordIds()[j] && i != j) {
                        assertEquals(
                                t.labels()[i] == MlmMasker.IGNORE,
                                t.labels()[j] == MlmMasker.IGNORE);
                        split++;
                    }
                }
            }
        }
        assertTrue(split > 0, "the sentence must contain multi-piece words");
    }

    @Test
    void blockMasksCoverAboutFortyPercentInBlocks() {
        BlockMaskGenerator beit = BlockMaskGenerator.forRatio(14, 14, 0.4);
        double total = 0;
        for (int s = 0; s < 200; s++) {
            boolean[] mask = beit.generate(new SplittableRandom(s));
            int n = 0;
            int isolated = 0;
            for (int i = 0; i < 14; i++) {
                for (int j = 0; j < 14; j++) {
                    if (mask[i * 14 + j]) {
                        n++;
                        boolean neighbour =
                                (i > 0 && mask[(i - 1) * 14 + j])
                                        || (i < 13 && mask[(i + 1) * 14 + j])
                                        || (j > 0 && mask[i * 14 + j - 1])
                                        || (j < 13 && mask[i * 14 + j + 1]);
                        isolated += neighbour ? 0 : 1;
                    }
                }
            }
            assertTrue(n <= 78, "never more than the target: " + n);
            assertTrue(isolated < n / 4, "masks come in blocks");
            total += n;
        }
        assertEquals(0.4, total / 200 / 196, 0.05);
        assertArrayEquals(
                beit.generate(new SplittableRandom(9)), beit.generate(new SplittableRandom(9)));
        BlockMaskGenerator tiny = BlockMaskGenerator.forRatio(4, 4, 0.4);
        double tinyTotal = 0;
        for (int s = 0; s < 200; s++) {
            boolean[] mask = tiny.generate(new SplittableRandom(s));
            for (boolean b : mask) {
                tinyTotal += b ? 1 : 0;
            }
        }
        assertEquals(0.4, tinyTotal / 200 / 16, 0.08);
    }
}
