package dev.vlmo.datasets.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlmo.datasets.DataException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WordPieceTokenizerTest {
    static final List<String> VOCAB =
            List.of(
                    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "un", "##aff", "##able",
                    "runn", "##ing", "run", ",", ".", "!", "cafe", "中", "国", "a", "##b", "##c",
                    "hello", "world", "'", "s");

    static WordPieceTokenizer tok() {
        return new WordPieceTokenizer(new Vocabulary(VOCAB, "test"));
    }

    @Test
    void basicTokenizerCleansLowercasesStripsAccentsAndSplitsPunctuation() {
        BasicTokenizer b = new BasicTokenizer(true);
        assertEquals(List.of("hello", ",", "world", "!"), b.tokenize("  HeLLo,World! "));
        assertEquals(List.of("cafe", "naive", "angstrom"), b.tokenize("Café naïve Ångström"));
        assertEquals(List.of("中", "国", "ab"), b.tokenize("中国ab"));
        assertEquals(List.of("ab", "cd"), b.tokenize("a\u0000b\u200B\tc\u0007d"));
        assertEquals(List.of("a", "$", "5", "%", "x", "~"), b.tokenize("a$5%x~"));
        assertEquals(List.of("x", "y"), b.tokenize("x\u00A0y"));
        assertEquals(
                List.of("HeLLo", ",", "Café"), new BasicTokenizer(false).tokenize("HeLLo,Café"));
    }

    @Test
    void greedyLongestMatchWordPieces() {
        WordPieceTokenizer t = tok();
        assertEquals(
                List.of("un", "##aff", "##able", "runn", "##ing"), t.tokenize("unaffable running"));
        assertEquals(List.of("[UNK]"), t.tokenize("unaffablex"));
        assertEquals(List.of("a", "##b", "##c", "##b"), t.tokenize("abcb"));
        assertEquals(List.of("[UNK]"), t.tokenize("a" + "b".repeat(100)));
        assertEquals(List.of("a", "##b", "##b"), t.tokenize("abb"));
    }

    @Test
    void wordsOverOneHundredCharactersAreUnknown() {
        WordPieceTokenizer t = tok();
        assertEquals(
                WordPieceTokenizer.MAX_INPUT_CHARS_PER_WORD,
                t.tokenize("a" + "b".repeat(99)).size());
        assertEquals(List.of("[UNK]"), t.tokenize("a" + "b".repeat(100)));
    }

    @Test
    void encodeAddsSpecialTokensTruncatesAndGroupsWords() {
        WordPieceTokenizer t = tok();
        Encoding e = t.encode("The unaffable run, hello!", 40);
        assertArrayEquals(
                new String[] {
                    "[CLS]", "the", "un", "##aff", "##able", "run", ",", "hello", "!", "[SEP]"
                },
                e.tokens());
        assertArrayEquals(new int[] {-1, 0, 1, 1, 1, 2, 3, 4, 5, -1}, e.wordIds());
        assertEquals(2, e.ids()[0]);
        assertEquals(3, e.ids()[e.length() - 1]);
        Encoding cut = t.encode("The unaffable run, hello!", 5);
        assertArrayEquals(new String[] {"[CLS]", "the", "un", "##aff", "[SEP]"}, cut.tokens());
        assertArrayEquals(new int[] {2, 5, 6, 7, 3, 0, 0}, cut.paddedIds(7, 0));
        assertArrayEquals(new int[] {1, 1, 1, 1, 1, 0, 0}, cut.attentionMask(7));
        assertThrows(IllegalArgumentException.class, () -> t.encode("x", 1));
    }

    @Test
    void vocabularyFilesLoadAndBadOnesNameTheProblem(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("vocab.txt");
        Files.write(f, VOCAB);
        WordPieceTokenizer t = WordPieceTokenizer.fromVocabFile(f);
        assertEquals(VOCAB.size(), t.vocabulary().size());
        assertEquals(4, t.vocabulary().maskId());
        Path bad = dir.resolve("bad.txt");
        Files.write(bad, List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello"));
        DataException e = assertThrows(DataException.class, () -> Vocabulary.load(bad));
        assertTrue(
                e.getMessage().contains("[MASK]") && e.getMessage().contains("bad.txt"),
                e.getMessage());
        Path dup = dir.resolve("dup.txt");
        Files.write(dup, List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "a"));
        assertTrue(
                assertThrows(DataException.class, () -> Vocabulary.load(dup))
                        .getMessage()
                        .contains("'a' appears twice"));
    }

    @Test
    void builtVocabularyPutsSpecialTokensFirstAndCoversItsCorpus() {
        VocabularyBuilder vb = new VocabularyBuilder(new BasicTokenizer(true));
        vb.addAll(List.of("the red circle", "the blue square", "The Red Cross!"));
        Vocabulary v = vb.build(2, true);
        assertEquals(
                List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "red"),
                v.tokens().subList(0, 7));
        WordPieceTokenizer t = new WordPieceTokenizer(v);
        assertEquals(List.of("c", "##i", "##r", "##c", "##l", "##e"), t.tokenize("circle"));
        assertTrue(t.tokenize("the unseen zebra!").stream().noneMatch(p -> p.equals("[UNK]")));
    }
}
