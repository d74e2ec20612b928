package dev.vlmo.datasets.text;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;

/**
 * BERT's basic tokenizer, as the HuggingFace tokenizers library implements it: removes control
 * characters, maps whitespace to spaces, isolates CJK ideographs, strips accents and lower-cases
 * (when lower-casing), then splits on whitespace and isolates every punctuation character.
 */
public final class BasicTokenizer {
    private final boolean lowercase;

    /**
     * Creates a basic tokenizer.
     *
     * @param lowercase whether to strip accents and lower-case (BERT uncased: {@code true})
     */
    public BasicTokenizer(boolean lowercase) {
        this.lowercase = lowercase;
    }

    /**
     * Returns whether this tokenizer lower-cases and strips accents.
     *
     * @return the lower-case flag
     */
    public boolean lowercase() {
        return lowercase;
    }

    /**
     * Normalises text the way BERT's normaliser does.
     *
     * @param text any text
     * @return the cleaned, CJK-padded, accent-stripped, lower-cased text
     */
    public String normalize(String text) {
        StringBuilder sb = new StringBuilder(text.length() + 8);
        text.codePoints()
                .forEach(
                        cp -> {
                            if (cp == 0 || cp == 0xFFFD || isControl(cp)) {
                                return;
                            }
                            if (isWhitespace(cp)) {
                                sb.append(' ');
                            } else if (isChinese(cp)) {
                                sb.append(' ').appendCodePoint(cp).append(' ');
                            } else {
                                sb.appendCodePoint(cp);
                            }
                        });
        String s = sb.toString();
        if (!lowercase) {
            return s;
        }
        String nfd = Normalizer.normalize(s, Normalizer.Form.NFD);
        StringBuilder out = new StringBuilder(nfd.length());
        nfd.codePoints()
                .forEach(
                        cp -> {
                            if (Character.getType(cp) == Character.NON_SPACING_MARK) {
                                return;
                            }
                            if (cp == 0x130) {
                                out.append("i\u0307");
                            } else {
                                out.appendCodePoint(Character.toLowerCase(cp));
                            }
                        });
        return out.toString();
    }

    /**
     * Splits text into basic tokens (words and single punctuation characters).
     *
     * @param text any text
     * @return the tokens, in order
     */
    public List<String> tokenize(String text) {
        String s = normalize(text);
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        int i = 0;
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (isWhitespace(cp)) {
                flush(cur, out);
            } else if (isPunctuation(cp)) {
                flush(cur, out);
                out.add(new String(Character.toChars(cp)));
            } else {
                cur.appendCodePoint(cp);
            }
        }
        flush(cur, out);
        return out;
    }

    private static void flush(StringBuilder cur, List<String> out) {
        if (cur.length() > 0) {
            out.add(cur.toString());
            cur.setLength(0);
        }
    }

    /**
     * Returns whether a code point is removed as a control character (Unicode "Other" categories
     * except tab, newline and carriage return).
     *
     * @param cp a code point
     * @return {@code true} if removed
     */
    public static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') {
            return false;
        }
        int t = Character.getType(cp);
        return t == Character.CONTROL
                || t == Character.FORMAT
                || t == Character.SURROGATE
                || t == Character.PRIVATE_USE
                || t == Character.UNASSIGNED;
    }

    /**
     * Returns whether a code point is whitespace (the Unicode White_Space property).
     *
     * @param cp a code point
     * @return {@code true} for spaces, tabs, line breaks and Unicode space separators
     */
    public static boolean isWhitespace(int cp) {
        if ((cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0) {
            return true;
        }
        if (cp < 0x1680) {
            return false;
        }
        return cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A)
                || cp == 0x2028
                || cp == 0x2029
                || cp == 0x202F
                || cp == 0x205F
                || cp == 0x3000;
    }

    /**
     * Returns whether a code point is punctuation for BERT: ASCII punctuation (including symbols
     * such as {@code $+<=>^`|~}) or a Unicode punctuation category.
     *
     * @param cp a code point
     * @return {@code true} if it becomes a token of its own
     */
    public static boolean isPunctuation(int cp) {
        if ((cp >= 33 && cp <= 47)
                || (cp >= 58 && cp <= 64)
                || (cp >= 91 && cp <= 96)
                || (cp >= 123 && cp <= 126)) {
            return true;
        }
        int t = Character.getType(cp);
        return t == Character.CONNECTOR_PUNCTUATION
                || t == Character.DASH_PUNCTUATION
                || t == Character.START_PUNCTUATION
                || t == Character.END_PUNCTUATION
                || t == Character.INITIAL_QUOTE_PUNCTUATION
                || t == Character.FINAL_QUOTE_PUNCTUATION
                || t == Character.OTHER_PUNCTUATION;
    }

    /**
     * Returns whether a code point is a CJK ideograph, which BERT treats as a word of its own.
     *
     * @param cp a code point
     * @return {@code true} inside the CJK Unified Ideographs blocks and their extensions
     */
    public static boolean isChinese(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF)
                || (cp >= 0x3400 && cp <= 0x4DBF)
                || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F)
                || (cp >= 0x2B740 && cp <= 0x2B81F)
                || (cp >= 0x2B820 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF)
                || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
