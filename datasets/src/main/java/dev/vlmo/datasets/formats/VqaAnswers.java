package dev.vlmo.datasets.formats;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The VQA answer vocabulary and the official VQA answer normalisation (punctuation, periods, number
 * words to digits, articles, contractions), as the reference uses it to build its labels.
 */
public final class VqaAnswers {
    /** VQA's threshold: answers seen at least this often form the vocabulary (3129 answers). */
    public static final int DEFAULT_MIN_COUNT = 9;

    private static final Map<String, String> CONTRACTIONS = new HashMap<>();
    private static final Map<String, String> NUMBERS = new HashMap<>();
    private static final List<String> ARTICLES = List.of("a", "an", "the");
    private static final Pattern PERIOD_STRIP = Pattern.compile("(?!<=\\d)(\\.)(?!\\d)");
    private static final Pattern COMMA_STRIP = Pattern.compile("(\\d)(,)(\\d)");
    private static final String[] PUNCT = {
        ";", "/", "[", "]", "\"", "{", "}", "(", ")", "=", "+", "\\", "_", "-", ">", "<", "@", "`",
        ",", "?", "!"
    };

    static {
        String[] pairs = {
            "aint ain't",
            "arent aren't",
            "cant can't",
            "couldve could've",
            "couldnt couldn't",
            "couldn'tve couldn't've",
            "couldnt've couldn't've",
            "didnt didn't",
            "doesnt doesn't",
            "dont don't",
            "hadnt hadn't",
            "hadnt've hadn't've",
            "hadn'tve hadn't've",
            "hasnt hasn't",
            "havent haven't",
            "hed he'd",
            "hed've he'd've",
            "he'dve he'd've",
            "hes he's",
            "howd how'd",
            "howll how'll",
            "hows how's",
            "Id've I'd've",
            "I'dve I'd've",
            "Im I'm",
            "Ive I've",
            "isnt isn't",
            "itd it'd",
            "itd've it'd've",
            "it'dve it'd've",
            "itll it'll",
            "let's let's",
            "maam ma'am",
            "mightnt mightn't",
            "mightnt've mightn't've",
            "mightn'tve mightn't've",
            "mightve might've",
            "mustnt mustn't",
            "mustve must've",
            "neednt needn't",
            "notve not've",
            "oclock o'clock",
            "oughtnt oughtn't",
            "ow's'at 'ow's'at",
            "'ows'at 'ow's'at",
            "'ow'sat 'ow's'at",
            "shant shan't",
            "shed've she'd've",
            "she'dve she'd've",
            "she's she's",
            "shouldve should've",
            "shouldnt shouldn't",
            "shouldnt've shouldn't've",
            "shouldn'tve shouldn't've",
            "somebody'd somebodyd",
            "somebodyd've somebody'd've",
            "somebody'dve somebody'd've",
            "somebodyll somebody'll",
            "somebodys somebody's",
            "someoned someone'd",
            "someoned've someone'd've",
            "someone'dve someone'd've",
            "someonell someone'll",
            "someones someone's",
            "somethingd something'd",
            "somethingd've something'd've",
            "something'dve something'd've",
            "somethingll something'll",
            "thats that's",
            "thered there'd",
            "thered've there'd've",
            "there'dve there'd've",
            "therere there're",
            "theres there's",
            "theyd they'd",
            "theyd've they'd've",
            "they'dve they'd've",
            "theyll they'll",
            "theyre they're",
            "theyve they've",
            "twas 'twas",
            "wasnt wasn't",
            "wed've we'd've",
            "we'dve we'd've",
            "weve we've",
            "werent weren't",
            "whatll what'll",
            "whatre what're",
            "whats what's",
            "whatve what've",
            "whens when's",
            "whered where'd",
            "wheres where's",
            "whereve where've",
            "whod who'd",
            "whod've who'd've",
            "who'dve who'd've",
            "wholl who'll",
            "whos who's",
            "whove who've",
            "whyll why'll",
            "whyre why're",
            "whys why's",
            "wont won't",
            "wouldve would've",
            "wouldnt wouldn't",
            "wouldnt've wouldn't've",
            "wouldn'tve wouldn't've",
            "yall y'all",
            "yall'll y'all'll",
            "y'allll y'all'll",
            "yall'd've y'all'd've",
            "y'alld've y'all'd've",
            "y'all'dve y'all'd've",
            "youd you'd",
            "youd've you'd've",
            "you'dve you'd've",
            "youll you'll",
            "youre you're",
            "youve you've"
        };
        for (String p : pairs) {
            int sp = p.indexOf(' ');
            CONTRACTIONS.put(p.substring(0, sp), p.substring(sp + 1));
        }
        String[] nums = {
            "none", "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
            "ten"
        };
        NUMBERS.put("none", "0");
        for (int i = 1; i < nums.length; i++) {
            NUMBERS.put(nums[i], Integer.toString(i - 1));
        }
    }

    private final List<String> answers;
    private final Map<String, Integer> index = new HashMap<>();

    /**
     * Creates a vocabulary from answers in label order.
     *
     * @param answers the answers
     */
    public VqaAnswers(List<String> answers) {
        this.answers = List.copyOf(answers);
        for (int i = 0; i < answers.size(); i++) {
            index.putIfAbsent(answers.get(i), i);
        }
    }

    /**
     * Builds the vocabulary from the normalised most-common answer of every question: answers seen
     * at least {@code minCount} times, in order of first appearance (as the reference does).
     *
     * @param majorityAnswers the {@code multiple_choice_answer} of every train and val question
     * @param minCount the threshold (9 in VQA)
     * @return the vocabulary
     */
    public static VqaAnswers build(Iterable<String> majorityAnswers, int minCount) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (String a : majorityAnswers) {
            counts.merge(normalize(a), 1, Integer::sum);
        }
        List<String> kept = new ArrayList<>();
        counts.forEach(
                (a, c) -> {
                    if (c >= minCount) {
                        kept.add(a);
                    }
                });
        return new VqaAnswers(kept);
    }

    /**
     * Normalises an answer as the official VQA evaluation does.
     *
     * @param answer a raw answer
     * @return the normalised answer, e.g. {@code "Two dogs!"} to {@code "2 dogs"}
     */
    public static String normalize(String answer) {
        String token = answer;
        String out = token;
        boolean commaBetweenDigits = COMMA_STRIP.matcher(token).find();
        for (String p : PUNCT) {
            if (token.contains(p + " ") || token.contains(" " + p) || commaBetweenDigits) {
                out = out.replace(p, "");
            } else {
                out = out.replace(p, " ");
            }
        }
        token = PERIOD_STRIP.matcher(out).replaceAll("");
        List<String> words = new ArrayList<>();
        for (String w : token.toLowerCase(java.util.Locale.ROOT).trim().split("\\s+")) {
            if (w.isEmpty()) {
                continue;
            }
            w = NUMBERS.getOrDefault(w, w);
            if (!ARTICLES.contains(w)) {
                words.add(CONTRACTIONS.getOrDefault(w, w));
            }
        }
        return String.join(" ", words).replace(",", "");
    }

    /**
     * Returns the soft score of an answer given by {@code count} of the ten annotators.
     *
     * @param count how many annotators gave it
     * @return 0, 0.3, 0.6, 0.9 or 1.0
     */
    public static float score(int count) {
        return switch (count) {
            case 0 -> 0f;
            case 1 -> 0.3f;
            case 2 -> 0.6f;
            case 3 -> 0.9f;
            default -> 1f;
        };
    }

    /**
     * Returns the number of answers.
     *
     * @return the vocabulary size (3129 for VQA v2 with threshold 9)
     */
    public int size() {
        return answers.size();
    }

    /**
     * Returns the answers in label order.
     *
     * @return the answers
     */
    public List<String> answers() {
        return answers;
    }

    /**
     * Returns the label of an answer.
     *
     * @param answer a normalised answer
     * @return its label, or -1 when it is not in the vocabulary
     */
    public int label(String answer) {
        return index.getOrDefault(answer, -1);
    }
}
