package dev.vlmo.datasets.text;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * BERT's WordPiece tokenizer: the basic tokenizer followed by greedy longest-match-first word
 * pieces ({@code ##} marks a continuation); a word longer than 100 characters, or one that cannot
 * be covered by pieces, becomes {@code [UNK]}.
 *
 * <p>Agrees token for token with the HuggingFace tokenizers library's {@code BertWordPiece}
 * pipeline (BERT normaliser, BERT pre-tokenizer, WordPiece, {@code [CLS] $A [SEP]}).
 */
public final class WordPieceTokenizer {
    /** BERT's limit on the characters of one word. */
    public static final int MAX_INPUT_CHARS_PER_WORD = 100;

    private final Vocabulary vocab;
    private final BasicTokenizer basic;

    /**
     * Creates an uncased tokenizer over a vocabulary.
     *
     * @param vocab the vocabulary
     */
    public WordPieceTokenizer(Vocabulary vocab) {
        this(vocab, true);
    }

    /**
     * Creates a tokenizer over a vocabulary.
     *
     * @param vocab the vocabulary
     * @param lowercase whether to lower-case and strip accents
     */
    public WordPieceTokenizer(Vocabulary vocab, boolean lowercase) {
        this.vocab = vocab;
        this.basic = new BasicTokenizer(lowercase);
    }

    /**
     * Loads an uncased tokenizer from a {@code vocab.txt}.
     *
     * @param vocabFile the vocabulary file
     * @return the tokenizer
     */
    public static WordPieceTokenizer fromVocabFile(Path vocabFile) {
        return new WordPieceTokenizer(Vocabulary.load(vocabFile));
    }

    /**
     * Returns the vocabulary.
     *
     * @return the vocabulary
     */
    public Vocabulary vocabulary() {
        return vocab;
    }

    /**
     * Splits text into word pieces, without special tokens.
     *
     * @param text any text
     * @return the pieces
     */
    public List<String> tokenize(String text) {
        List<String> out = new ArrayList<>();
        for (String word : basic.tokenize(text)) {
            wordPieces(word, out);
        }
        return out;
    }

    /**
     * Encodes text as {@code [CLS] pieces [SEP]}, keeping at most {@code maxLen} tokens (pieces
     * beyond {@code maxLen - 2} are dropped).
     *
     * @param text any text
     * @param maxLen the maximum length including the two special tokens, at least 2
     * @return the encoding with word groups
     */
    public Encoding encode(String text, int maxLen) {
        if (maxLen < 2) {
            throw new IllegalArgumentException(
                    "maxLen must be at least 2 to hold [CLS] and [SEP], got " + maxLen);
        }
        List<String> pieces = new ArrayList<>();
        List<Integer> words = new ArrayList<>();
        int w = 0;
        for (String word : basic.tokenize(text)) {
            int before = pieces.size();
            wordPieces(word, pieces);
            for (int i = before; i < pieces.size(); i++) {
                words.add(w);
            }
            w++;
            if (pieces.size() >= maxLen - 2) {
                break;
            }
        }
        int n = Math.min(pieces.size(), maxLen - 2);
        int[] ids = new int[n + 2];
        String[] tokens = new String[n + 2];
        int[] wordIds = new int[n + 2];
        ids[0] = vocab.clsId();
        tokens[0] = Vocabulary.CLS;
        wordIds[0] = -1;
        for (int i = 0; i < n; i++) {
            tokens[i + 1] = pieces.get(i);
            ids[i + 1] = vocab.id(pieces.get(i));
            wordIds[i + 1] = words.get(i);
        }
        ids[n + 1] = vocab.sepId();
        tokens[n + 1] = Vocabulary.SEP;
        wordIds[n + 1] = -1;
        return new Encoding(ids, tokens, wordIds);
    }

    /**
     * Returns the number of pieces a text has before truncation (without special tokens).
     *
     * @param text any text
     * @return the piece count
     */
    public int countPieces(String text) {
        return tokenize(text).size();
    }

    private void wordPieces(String word, List<String> out) {
        int chars = word.codePointCount(0, word.length());
        if (chars > MAX_INPUT_CHARS_PER_WORD) {
            out.add(Vocabulary.UNK);
            return;
        }
        int before = out.size();
        int start = 0;
        int len = word.length();
        while (start < len) {
            int end = len;
            String found = null;
            while (start < end) {
                String sub = word.substring(start, end);
                if (start > 0) {
                    sub = "##" + sub;
                }
                if (vocab.contains(sub)) {
                    found = sub;
                    break;
                }
                end = word.offsetByCodePoints(end, -1);
            }
            if (found == null) {
                while (out.size() > before) {
                    out.remove(out.size() - 1);
                }
                out.add(Vocabulary.UNK);
                return;
            }
            out.add(found);
            start = end;
        }
    }
}
