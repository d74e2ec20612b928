package dev.vlmo.datasets.masking;

import dev.vlmo.datasets.text.Vocabulary;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * BERT's masked language modelling: each token (or, with whole-word masking, each word) is chosen
 * with probability 0.15; a chosen token becomes {@code [MASK]} with probability 0.8, a random
 * non-special token with probability 0.1, and stays unchanged otherwise. Labels hold the original
 * id at chosen positions and -100 elsewhere. {@code [PAD]}, {@code [CLS]} and {@code [SEP]} are
 * never chosen. When no position is chosen but some could be, one is chosen at random so that every
 * sequence contributes to the loss.
 */
public final class MlmMasker {
    /** The label of positions that carry no loss (PyTorch's {@code ignore_index}). */
    public static final int IGNORE = -100;

    private final Vocabulary vocab;
    private final double probability;
    private final boolean wholeWord;

    /**
     * Creates BERT's masker with probability 0.15 and whole-word masking as VLMo uses it.
     *
     * @param vocab the vocabulary (for the special and random ids)
     */
    public MlmMasker(Vocabulary vocab) {
        this(vocab, 0.15, true);
    }

    /**
     * Creates a masker.
     *
     * @param vocab the vocabulary
     * @param probability the chance a token or word is chosen, in (0, 1]
     * @param wholeWord whether all pieces of a word are chosen together
     */
    public MlmMasker(Vocabulary vocab, double probability, boolean wholeWord) {
        if (!(probability > 0 && probability <= 1)) {
            throw new IllegalArgumentException(
                    "MLM probability must be in (0, 1], got " + probability);
        }
        this.vocab = vocab;
        this.probability = probability;
        this.wholeWord = wholeWord;
    }

    /**
     * Returns the probability a token or word is chosen.
     *
     * @return the probability
     */
    public double probability() {
        return probability;
    }

    /**
     * Returns whether words are masked whole.
     *
     * @return the whole-word flag
     */
    public boolean wholeWord() {
        return wholeWord;
    }

    /**
     * Masks one sequence.
     *
     * @param ids the token ids (may include padding)
     * @param wordIds the word of each position (see {@link dev.vlmo.datasets.text.Encoding}), -1 or
     *     beyond the array for special and padding positions; may be {@code null} for token-level
     *     masking
     * @param rng the random stream of this sample
     * @return the masked ids and labels, each of {@code ids.length}
     */
    public MaskedText mask(int[] ids, int[] wordIds, SplittableRandom rng) {
        Map<Integer, List<Integer>> units = new LinkedHashMap<>();
        for (int i = 0; i < ids.length; i++) {
            int id = ids[i];
            if (id == vocab.padId() || id == vocab.clsId() || id == vocab.sepId()) {
                continue;
            }
            int unit = i;
            if (wholeWord && wordIds != null && i < wordIds.length && wordIds[i] >= 0) {
                unit = -1 - wordIds[i];
            }
            units.computeIfAbsent(unit, k -> new ArrayList<>()).add(i);
        }
        int[] out = ids.clone();
        int[] labels = new int[ids.length];
        java.util.Arrays.fill(labels, IGNORE);
        List<List<Integer>> all = new ArrayList<>(units.values());
        List<List<Integer>> chosen = new ArrayList<>();
        for (List<Integer> u : all) {
            if (rng.nextDouble() < probability) {
                chosen.add(u);
            }
        }
        if (chosen.isEmpty() && !all.isEmpty()) {
            chosen.add(all.get(rng.nextInt(all.size())));
        }
        for (List<Integer> u : chosen) {
            for (int i : u) {
                labels[i] = ids[i];
                double r = rng.nextDouble();
                if (r < 0.8) {
                    out[i] = vocab.maskId();
                } else if (r < 0.9) {
                    out[i] = randomToken(rng);
                }
            }
        }
        return new MaskedText(out, labels);
    }

    private int randomToken(SplittableRandom rng) {
        int v = vocab.size();
        for (int tries = 0; tries < 100; tries++) {
            int id = rng.nextInt(v);
            if (!vocab.isSpecial(id)) {
                return id;
            }
        }
        return vocab.maskId();
    }
}
