package dev.vlmo.datasets.text;

import dev.vlmo.datasets.DataException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A WordPiece vocabulary: one token per line of a {@code vocab.txt}, the line number being the id,
 * with BERT's special tokens {@code [PAD] [UNK] [CLS] [SEP] [MASK]}.
 */
public final class Vocabulary {
    /** The padding token. */
    public static final String PAD = "[PAD]";

    /** The unknown-word token. */
    public static final String UNK = "[UNK]";

    /** The sequence-start token. */
    public static final String CLS = "[CLS]";

    /** The separator token. */
    public static final String SEP = "[SEP]";

    /** The masked-token token. */
    public static final String MASK = "[MASK]";

    private final List<String> tokens;
    private final Map<String, Integer> ids;
    private final String source;
    private final int pad;
    private final int unk;
    private final int cls;
    private final int sep;
    private final int mask;

    /**
     * Creates a vocabulary from tokens in id order.
     *
     * @param tokens the tokens; must contain the five special tokens, no duplicates
     * @param source where the tokens came from, for error messages
     */
    public Vocabulary(List<String> tokens, String source) {
        this.tokens = List.copyOf(tokens);
        this.source = source;
        this.ids = new HashMap<>(tokens.size() * 2);
        for (int i = 0; i < tokens.size(); i++) {
            Integer prev = ids.putIfAbsent(tokens.get(i), i);
            if (prev != null) {
                throw new DataException(
                        "token '"
                                + tokens.get(i)
                                + "' appears twice in "
                                + source
                                + " (ids "
                                + prev
                                + " and "
                                + i
                                + "); a vocab.txt lists each token once");
            }
        }
        this.pad = special(PAD);
        this.unk = special(UNK);
        this.cls = special(CLS);
        this.sep = special(SEP);
        this.mask = special(MASK);
    }

    private int special(String token) {
        Integer id = ids.get(token);
        if (id == null) {
            throw new DataException(
                    "vocabulary "
                            + source
                            + " has no "
                            + token
                            + " token; a BERT vocab.txt needs [PAD], [UNK], [CLS], [SEP] and"
                            + " [MASK]");
        }
        return id;
    }

    /**
     * Loads a {@code vocab.txt} (UTF-8, one token per line).
     *
     * @param file the file
     * @return the vocabulary
     */
    public static Vocabulary load(Path file) {
        List<String> tokens = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                tokens.add(line.strip());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read vocabulary file " + file, e);
        }
        while (!tokens.isEmpty() && tokens.get(tokens.size() - 1).isEmpty()) {
            tokens.remove(tokens.size() - 1);
        }
        return new Vocabulary(tokens, file.toString());
    }

    /**
     * Writes the vocabulary as a {@code vocab.txt}.
     *
     * @param file the file to write
     */
    public void save(Path file) {
        try {
            Files.write(file, tokens, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write vocabulary file " + file, e);
        }
    }

    /**
     * Returns the number of tokens.
     *
     * @return the vocabulary size
     */
    public int size() {
        return tokens.size();
    }

    /**
     * Returns the id of a token.
     *
     * @param token a token
     * @return its id, or -1 if absent
     */
    public int id(String token) {
        Integer id = ids.get(token);
        return id == null ? -1 : id;
    }

    /**
     * Returns whether a token is in the vocabulary.
     *
     * @param token a token
     * @return {@code true} if present
     */
    public boolean contains(String token) {
        return ids.containsKey(token);
    }

    /**
     * Returns the token of an id.
     *
     * @param id from 0 to {@code size() - 1}
     * @return the token
     */
    public String token(int id) {
        return tokens.get(id);
    }

    /**
     * Returns all tokens in id order.
     *
     * @return an unmodifiable list
     */
    public List<String> tokens() {
        return tokens;
    }

    /**
     * Returns the id of {@code [PAD]}.
     *
     * @return the padding id (0 in BERT)
     */
    public int padId() {
        return pad;
    }

    /**
     * Returns the id of {@code [UNK]}.
     *
     * @return the unknown id
     */
    public int unkId() {
        return unk;
    }

    /**
     * Returns the id of {@code [CLS]}.
     *
     * @return the start id
     */
    public int clsId() {
        return cls;
    }

    /**
     * Returns the id of {@code [SEP]}.
     *
     * @return the separator id
     */
    public int sepId() {
        return sep;
    }

    /**
     * Returns the id of {@code [MASK]}.
     *
     * @return the mask id
     */
    public int maskId() {
        return mask;
    }

    /**
     * Returns whether an id is one of the five special tokens.
     *
     * @param id a token id
     * @return {@code true} for [PAD], [UNK], [CLS], [SEP], [MASK]
     */
    public boolean isSpecial(int id) {
        return id == pad || id == unk || id == cls || id == sep || id == mask;
    }

    @Override
    public String toString() {
        return "Vocabulary(" + tokens.size() + " tokens from " + source + ")";
    }
}
