package dev.vlmo.datasets.text;

import java.util.Arrays;

/**
 * A tokenised text: {@code [CLS] pieces [SEP]} without padding.
 *
 * @param ids the token ids
 * @param tokens the token strings
 * @param wordIds for each position the index of the word it belongs to (pieces of one word share
 *     it), or -1 for {@code [CLS]} and {@code [SEP]}
 */
public record Encoding(int[] ids, String[] tokens, int[] wordIds) {

    /**
     * Returns the number of tokens including {@code [CLS]} and {@code [SEP]}.
     *
     * @return the length
     */
    public int length() {
        return ids.length;
    }

    /**
     * Returns the ids padded (or cut) to a length.
     *
     * @param length the target length
     * @param padId the padding id
     * @return a new array of exactly {@code length} ids
     */
    public int[] paddedIds(int length, int padId) {
        int[] out = Arrays.copyOf(ids, length);
        if (length > ids.length) {
            Arrays.fill(out, ids.length, length, padId);
        }
        return out;
    }

    /**
     * Returns the attention mask padded to a length: 1 for real tokens, 0 for padding.
     *
     * @param length the target length
     * @return a new array of exactly {@code length} entries
     */
    public int[] attentionMask(int length) {
        int[] out = new int[length];
        Arrays.fill(out, 0, Math.min(length, ids.length), 1);
        return out;
    }

    @Override
    public String toString() {
        return "Encoding" + Arrays.toString(tokens);
    }
}
