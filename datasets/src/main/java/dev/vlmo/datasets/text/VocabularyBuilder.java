package dev.vlmo.datasets.text;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Builds a small WordPiece vocabulary from a corpus: the five special tokens in BERT's order, then
 * whole words by descending frequency, then single characters and their {@code ##} continuations so
 * that no word of the corpus's alphabet becomes {@code [UNK]}.
 */
public final class VocabularyBuilder {
    private final BasicTokenizer basic;
    private final Map<String, Integer> counts = new HashMap<>();

    /**
     * Creates a builder that splits text with a basic tokenizer.
     *
     * @param basic the basic tokenizer (lower-casing for an uncased vocabulary)
     */
    public VocabularyBuilder(BasicTokenizer basic) {
        this.basic = basic;
    }

    /**
     * Counts the words of a text.
     *
     * @param text any text
     * @return this builder
     */
    public VocabularyBuilder add(String text) {
        for (String w : basic.tokenize(text)) {
            counts.merge(w, 1, Integer::sum);
        }
        return this;
    }

    /**
     * Counts the words of many texts.
     *
     * @param texts the texts
     * @return this builder
     */
    public VocabularyBuilder addAll(Iterable<String> texts) {
        for (String t : texts) {
            add(t);
        }
        return this;
    }

    /**
     * Builds the vocabulary.
     *
     * @param minCount words seen fewer times are left to character pieces (0 keeps all)
     * @param characters whether to add every character (and its {@code ##} form) of the counted
     *     words plus ASCII letters, digits and punctuation
     * @return {@code [PAD]=0, [UNK]=1, [CLS]=2, [SEP]=3, [MASK]=4}, then words, then characters
     */
    public Vocabulary build(int minCount, boolean characters) {
        List<String> tokens =
                new ArrayList<>(
                        List.of(
                                Vocabulary.PAD,
                                Vocabulary.UNK,
                                Vocabulary.CLS,
                                Vocabulary.SEP,
                                Vocabulary.MASK));
        List<Map.Entry<String, Integer>> entries = new ArrayList<>(counts.entrySet());
        entries.sort(
                (a, b) ->
                        a.getValue().equals(b.getValue())
                                ? a.getKey().compareTo(b.getKey())
                                : Integer.compare(b.getValue(), a.getValue()));
        java.util.Set<String> present = new java.util.HashSet<>(tokens);
        for (Map.Entry<String, Integer> e : entries) {
            if (e.getValue() >= minCount && present.add(e.getKey())) {
                tokens.add(e.getKey());
            }
        }
        if (characters) {
            TreeSet<Integer> chars = new TreeSet<>();
            for (int c = 33; c < 127; c++) {
                chars.add(c);
            }
            for (String w : counts.keySet()) {
                w.codePoints().forEach(chars::add);
            }
            for (int c : chars) {
                String s = new String(Character.toChars(c));
                if (basic.lowercase() && !s.equals(basic.normalize(s))) {
                    continue;
                }
                if (present.add(s)) {
                    tokens.add(s);
                }
            }
            for (int c : chars) {
                String s = "##" + new String(Character.toChars(c));
                if (basic.lowercase() && Character.isUpperCase(c)) {
                    continue;
                }
                if (present.add(s)) {
                    tokens.add(s);
                }
            }
        }
        return new Vocabulary(tokens, "a vocabulary built from " + counts.size() + " words");
    }
}
