package dev.vlmo.datasets.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Agreement with the HuggingFace tokenizers library (through DJL's binding, offline) on a varied
 * generated corpus: both tokenizers load the same vocab.txt.
 */
class HuggingFaceAgreementTest {
    private static final String[] WORDS = {
        "the",
        "a",
        "red",
        "circle",
        "running",
        "unaffable",
        "tokenizer",
        "vision",
        "language",
        "transformer",
        "Multiway",
        "expert",
        "don't",
        "it's",
        "e-mail",
        "U.S.A.",
        "naïve",
        "café",
        "Ångström",
        "résumé",
        "ÉCOLE",
        "Straße",
        "Σίσυφος",
        "Москва",
        "İstanbul",
        "façade",
        "coöperate",
        "日本語",
        "中文分词",
        "한국어",
        "ｆｕｌｌｗｉｄｔｈ",
        "😀",
        "★",
        "→",
        "©",
        "™",
        "“quoted”",
        "‘single’",
        "—",
        "…",
        "¿qué?",
        "¡hola!",
        "3.14",
        "1,000",
        "42",
        "2024-01-01",
        "$5",
        "50%",
        "#tag",
        "@user",
        "a/b",
        "C++",
        "x^2",
        "<html>",
        "~tilde",
        "under_score",
        "`tick`",
        "pipe|line",
        "[MASKED]",
        "(paren)",
        "{brace}",
        "semi;colon",
        "q?",
        "ex!",
        "Ｔｏｋｙｏ",
        "ﬁne",
        "Ⅻ",
        "①",
        "x²",
        "µm",
        "Ω",
        "ß",
        "ĳ",
        "œuvre",
        "Đà",
        "Nẵng"
    };

    static List<String> corpus(int n, long seed) {
        Random r = new Random(seed);
        List<String> out = new ArrayList<>(n);
        String[] spaces = {" ", " ", " ", "  ", "\t", "\n", "\u00A0", "\u3000", "\r\n", "\u2009"};
        String[] junk = {"\u0000", "\u200B", "\u0007", "\uFEFF", "\u00AD", "\u0301", "\u0085"};
        for (int i = 0; i < n; i++) {
            int len = 1 + r.nextInt(14);
            StringBuilder sb = new StringBuilder();
            for (int w = 0; w < len; w++) {
                if (w > 0) {
                    sb.append(spaces[r.nextInt(spaces.length)]);
                }
                int kind = r.nextInt(10);
                if (kind < 5) {
                    sb.append(WORDS[r.nextInt(WORDS.length)]);
                } else if (kind == 5) {
                    sb.append(r.nextInt(100000));
                } else if (kind == 6) {
                    sb.append(randomWord(r, 1 + r.nextInt(r.nextInt(10) == 0 ? 150 : 12)));
                } else if (kind == 7) {
                    for (int k = 0; k < 1 + r.nextInt(4); k++) {
                        sb.appendCodePoint(0x4E00 + r.nextInt(0x5000));
                    }
                } else if (kind == 8) {
                    sb.append(randomWord(r, 3))
                            .append(junk[r.nextInt(junk.length)])
                            .append(randomWord(r, 2));
                } else {
                    sb.append(WORDS[r.nextInt(WORDS.length)].toUpperCase())
                            .append(",.!?;:'\"".charAt(r.nextInt(8)));
                }
            }
            out.add(sb.toString());
        }
        return out;
    }

    private static String randomWord(Random r, int len) {
        String letters = "abcdefghijklmnopqrstuvwxyzéèüñçABCDEFGHZ0123456789";
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < len; i++) {
            sb.append(letters.charAt(r.nextInt(letters.length())));
        }
        return sb.toString();
    }

    /** Writes a BertWordPiece tokenizer.json over a vocabulary. */
    static Path writeTokenizerJson(Path dir, Vocabulary v) throws Exception {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("version", "1.0");
        json.put("truncation", null);
        json.put("padding", null);
        json.put("added_tokens", List.of());
        json.put(
                "normalizer",
                Map.of(
                        "type", "BertNormalizer",
                        "clean_text", true,
                        "handle_chinese_chars", true,
                        "lowercase", true));
        json.put("pre_tokenizer", Map.of("type", "BertPreTokenizer"));
        Map<String, Object> cls =
                Map.of("id", "[CLS]", "ids", List.of(v.clsId()), "tokens", List.of("[CLS]"));
        Map<String, Object> sep =
                Map.of("id", "[SEP]", "ids", List.of(v.sepId()), "tokens", List.of("[SEP]"));
        json.put(
                "post_processor",
                Map.of(
                        "type",
                        "TemplateProcessing",
                        "single",
                        List.of(
                                Map.of("SpecialToken", Map.of("id", "[CLS]", "type_id", 0)),
                                Map.of("Sequence", Map.of("id", "A", "type_id", 0)),
                                Map.of("SpecialToken", Map.of("id", "[SEP]", "type_id", 0))),
                        "pair",
                        List.of(
                                Map.of("SpecialToken", Map.of("id", "[CLS]", "type_id", 0)),
                                Map.of("Sequence", Map.of("id", "A", "type_id", 0)),
                                Map.of("SpecialToken", Map.of("id", "[SEP]", "type_id", 0)),
                                Map.of("Sequence", Map.of("id", "B", "type_id", 1)),
                                Map.of("SpecialToken", Map.of("id", "[SEP]", "type_id", 1))),
                        "special_tokens",
                        Map.of("[CLS]", cls, "[SEP]", sep)));
        json.put("decoder", Map.of("type", "WordPiece", "prefix", "##", "cleanup", true));
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int i = 0; i < v.size(); i++) {
            vocab.put(v.token(i), i);
        }
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "WordPiece");
        model.put("unk_token", "[UNK]");
        model.put("continuing_subword_prefix", "##");
        model.put("max_input_chars_per_word", 100);
        model.put("vocab", vocab);
        json.put("model", model);
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(
                file, new ObjectMapper().writeValueAsString(json), StandardCharsets.UTF_8);
        return file;
    }

    @Test
    void agreesTokenForTokenOnTwelveThousandSentences(@TempDir Path dir) throws Exception {
        List<String> sentences = corpus(12_000, 2024);
        // Vocabulary from the first half (plus sub-word pieces), so the second half has unseen
        // words that must be split into pieces or become [UNK] the same way in both.
        VocabularyBuilder vb = new VocabularyBuilder(new BasicTokenizer(true));
        vb.addAll(sentences.subList(0, 6000));
        vb.addAll(List.of("un aff able runn ing ed er tion token izer trans former"));
        Vocabulary built = vb.build(2, true);
        List<String> tokens = new ArrayList<>(built.tokens());
        for (String p :
                List.of(
                        "##aff",
                        "##able",
                        "##ing",
                        "##ed",
                        "##er",
                        "##tion",
                        "##izer",
                        "##former",
                        "##s")) {
            if (!tokens.contains(p)) {
                tokens.add(p);
            }
        }
        Path vocabFile = dir.resolve("vocab.txt");
        Files.write(vocabFile, tokens, StandardCharsets.UTF_8);
        WordPieceTokenizer ours = WordPieceTokenizer.fromVocabFile(vocabFile);
        Path json = writeTokenizerJson(dir, ours.vocabulary());

        int unk = 0;
        int pieces = 0;
        try (HuggingFaceTokenizer hf =
                        HuggingFaceTokenizer.builder()
                                .optTokenizerPath(json)
                                .optAddSpecialTokens(true)
                                .optTruncation(false)
                                .build();
                HuggingFaceTokenizer hf16 =
                        HuggingFaceTokenizer.builder()
                                .optTokenizerPath(json)
                                .optAddSpecialTokens(true)
                                .optTruncation(true)
                                .optMaxLength(16)
                                .build()) {
            for (String s : sentences) {
                Encoding e = ours.encode(s, 100_000);
                ai.djl.huggingface.tokenizers.Encoding h = hf.encode(s);
                assertEquals(
                        Arrays.asList(h.getTokens()),
                        Arrays.asList(e.tokens()),
                        () -> "sentence: " + s.replace("\n", "\\n"));
                long[] ids = Arrays.stream(e.ids()).asLongStream().toArray();
                assertTrue(Arrays.equals(h.getIds(), ids), () -> "ids of: " + s);
                Encoding cut = ours.encode(s, 16);
                assertEquals(
                        Arrays.asList(hf16.encode(s).getTokens()),
                        Arrays.asList(cut.tokens()),
                        () -> "truncated: " + s);
                for (String t : e.tokens()) {
                    unk += t.equals("[UNK]") ? 1 : 0;
                    pieces += t.startsWith("##") ? 1 : 0;
                }
            }
        }
        // The corpus must exercise the hard paths, or agreement proves little.
        assertTrue(unk > 500, "only " + unk + " [UNK] tokens");
        assertTrue(pieces > 5000, "only " + pieces + " continuation pieces");
    }
}
