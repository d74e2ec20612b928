package dev.vlmo.datasets.batch;

import dev.vlmo.datasets.BadInputs;
import dev.vlmo.datasets.masking.MaskedText;
import dev.vlmo.datasets.masking.MlmMasker;
import dev.vlmo.datasets.text.Encoding;
import dev.vlmo.datasets.text.WordPieceTokenizer;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Encodes texts into rows of exactly {@code maxTextLen} ids (pad id 0), masks and, when a masker is
 * set, MLM ids and labels. Immutable: each {@code withX} returns a new encoder.
 */
public final class TextEncoder {
    private final WordPieceTokenizer tokenizer;
    private final int maxTextLen;
    private final MlmMasker masker;
    private final boolean skipOverlong;

    /**
     * Creates an encoder that truncates long texts (the reference's behaviour) and does no MLM.
     *
     * @param tokenizer the tokenizer
     * @param maxTextLen T, at least 3 (40 in VLMo pretraining)
     */
    public TextEncoder(WordPieceTokenizer tokenizer, int maxTextLen) {
        this(tokenizer, maxTextLen, null, false);
    }

    private TextEncoder(
            WordPieceTokenizer tokenizer, int maxTextLen, MlmMasker masker, boolean skipOverlong) {
        if (maxTextLen < 3 || maxTextLen > 4096) {
            throw new IllegalArgumentException(
                    "max text length must be in [3, 4096], got " + maxTextLen);
        }
        this.tokenizer = tokenizer;
        this.maxTextLen = maxTextLen;
        this.masker = masker;
        this.skipOverlong = skipOverlong;
    }

    /**
     * Returns an encoder that also produces MLM ids and labels.
     *
     * @param masker the masker, or {@code null} for none
     * @return a new encoder
     */
    public TextEncoder withMasker(MlmMasker masker) {
        return new TextEncoder(tokenizer, maxTextLen, masker, skipOverlong);
    }

    /**
     * Returns an encoder that reports texts longer than {@code maxTextLen} as bad input instead of
     * truncating them.
     *
     * @param skip whether to skip over-long texts
     * @return a new encoder
     */
    public TextEncoder withOverlongSkipped(boolean skip) {
        return new TextEncoder(tokenizer, maxTextLen, masker, skip);
    }

    /**
     * Returns T.
     *
     * @return the padded length
     */
    public int maxTextLen() {
        return maxTextLen;
    }

    /**
     * Returns the tokenizer.
     *
     * @return the tokenizer
     */
    public WordPieceTokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * Returns the masker.
     *
     * @return the masker, or {@code null}
     */
    public MlmMasker masker() {
        return masker;
    }

    /**
     * One encoded text.
     *
     * @param ids {@code [T]} padded ids
     * @param mask {@code [T]} attention mask
     * @param mlmIds {@code [T]} masked ids, or {@code null}
     * @param mlmLabels {@code [T]} labels, or {@code null}
     */
    public record Row(int[] ids, int[] mask, int[] mlmIds, int[] mlmLabels) {}

    /**
     * Encodes one text, or reports it as bad input (empty, or over-long when skipping those).
     *
     * @param text the text
     * @param where the text's source, for the report
     * @param rng the sample's random stream (for MLM)
     * @param bad where to report
     * @return the row, or {@code null} when skipped
     */
    public Row encode(String text, String where, SplittableRandom rng, BadInputs bad) {
        if (text == null || text.isBlank()) {
            bad.report("empty text", where, null);
            return null;
        }
        Encoding e = tokenizer.encode(text, maxTextLen);
        if (skipOverlong && e.length() == maxTextLen) {
            int pieces = tokenizer.countPieces(text);
            if (pieces > maxTextLen - 2) {
                bad.report(
                        "over-long text",
                        where + " (" + pieces + " word pieces, at most " + (maxTextLen - 2) + ")",
                        null);
                return null;
            }
        }
        int[] ids = e.paddedIds(maxTextLen, tokenizer.vocabulary().padId());
        int[] mask = e.attentionMask(maxTextLen);
        if (masker == null) {
            return new Row(ids, mask, null, null);
        }
        int[] words = Arrays.copyOf(e.wordIds(), maxTextLen);
        Arrays.fill(words, e.length(), maxTextLen, -1);
        MaskedText m = masker.mask(ids, words, rng);
        return new Row(ids, mask, m.ids(), m.labels());
    }
}
