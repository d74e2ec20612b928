package dev.vlmo.datasets.synthetic;

import dev.vlmo.datasets.DataException;
import dev.vlmo.datasets.ImageRef;
import dev.vlmo.datasets.ImageText;
import dev.vlmo.datasets.LabeledImage;
import dev.vlmo.datasets.Nlvr2Example;
import dev.vlmo.datasets.Seeds;
import dev.vlmo.datasets.VqaExample;
import dev.vlmo.datasets.image.RgbImage;
import dev.vlmo.datasets.text.BasicTokenizer;
import dev.vlmo.datasets.text.Vocabulary;
import dev.vlmo.datasets.text.VocabularyBuilder;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The built-in synthetic world: a seeded generator of scenes of coloured shapes, rendered at any
 * resolution, with captions, VQA questions, NLVR2-style pair statements, an image-only set and a
 * text-only corpus, split into train, validation and test sets that never share a scene.
 *
 * <p>Everything is a pure function of the builder's settings: two worlds built with the same
 * settings are equal sample for sample, on any machine. The grammar and the chance level of each
 * task are described in {@code datasets/README.md}; {@link #chanceLevels(Split)} measures them.
 */
public final class SyntheticWorld {

    /** The three disjoint splits. */
    public enum Split {
        /** Training scenes. */
        TRAIN,
        /** Validation scenes. */
        VAL,
        /** Test scenes. */
        TEST
    }

    private static final int STREAM_SCENES = 1;
    private static final int STREAM_CAPTIONS = 2;
    private static final int STREAM_QUESTIONS = 3;
    private static final int STREAM_PAIRS = 4;
    private static final int STREAM_CORPUS = 5;
    private static final int STREAM_SPLIT = 6;

    private final Builder settings;
    private final Map<Split, List<Scene>> scenes = new EnumMap<>(Split.class);
    private final Map<Split, List<ImageText>> captions = new EnumMap<>(Split.class);
    private final Map<Split, List<VqaExample>> vqa = new EnumMap<>(Split.class);
    private final Map<Split, List<SyntheticQuestion>> questions = new EnumMap<>(Split.class);
    private final Map<Split, List<Nlvr2Example>> nlvr2 = new EnumMap<>(Split.class);
    private final Map<Split, List<String>> corpus = new EnumMap<>(Split.class);
    private final List<String> answers;
    private final Map<String, Integer> answerIndex = new HashMap<>();
    private Vocabulary vocabulary;

    private SyntheticWorld(Builder b) {
        this.settings = b.copy();
        List<String> a = new ArrayList<>(List.of("yes", "no"));
        for (int i = 0; i <= b.maxObjects; i++) {
            a.add(Integer.toString(i));
        }
        for (Colour c : Colour.values()) {
            a.add(c.word());
        }
        for (Shape s : Shape.values()) {
            a.add(s.word());
        }
        for (Cell c : Cell.values()) {
            a.add(c.words());
        }
        this.answers = List.copyOf(a);
        for (int i = 0; i < answers.size(); i++) {
            answerIndex.put(answers.get(i), i);
        }
        generateScenes();
    }

    /**
     * Returns a builder with the default settings (seed 0; 2000/200/200 scenes; 1 to 3 objects).
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the default world.
     *
     * @return {@code builder().build()}
     */
    public static SyntheticWorld defaults() {
        return builder().build();
    }

    /**
     * Returns the seed.
     *
     * @return the seed the world was built with
     */
    public long seed() {
        return settings.seed;
    }

    /**
     * Returns the side in pixels at which {@link ImageRef#load()} renders scenes.
     *
     * @return the render size
     */
    public int renderSize() {
        return settings.renderSize;
    }

    /**
     * Returns the scenes of a split; index {@code i} is the image id of scene {@code i}.
     *
     * @param split the split
     * @return the scenes, distinct by {@link Scene#signature()} across all splits
     */
    public List<Scene> scenes(Split split) {
        return scenes.get(split);
    }

    /**
     * Renders a scene at a given resolution.
     *
     * @param scene the scene
     * @param size the side in pixels
     * @return the image
     */
    public BufferedImage render(Scene scene, int size) {
        return SceneRenderer.render(scene, size);
    }

    /**
     * Returns a lazily rendered image of a scene at {@link #renderSize()}.
     *
     * @param split the split
     * @param sceneIndex the scene index within the split
     * @return an image reference named {@code synthetic:split/index}
     */
    public ImageRef image(Split split, int sceneIndex) {
        Scene scene = scenes(split).get(sceneIndex);
        String name = "synthetic:" + split.name().toLowerCase() + "/" + sceneIndex;
        int size = settings.renderSize;
        return new ImageRef() {
            @Override
            public RgbImage load() {
                return RgbImage.of(SceneRenderer.render(scene, size));
            }

            @Override
            public String name() {
                return name;
            }
        };
    }

    /**
     * Returns the captions of one scene.
     *
     * @param split the split
     * @param sceneIndex the scene index
     * @return up to {@code captionsPerScene} distinct captions
     */
    public List<String> captionsOf(Split split, int sceneIndex) {
        Scene s = scenes(split).get(sceneIndex);
        return Grammar.captions(
                s,
                Seeds.random(settings.seed, STREAM_CAPTIONS, split.ordinal(), sceneIndex),
                settings.captionsPerScene);
    }

    /**
     * Returns the image-text pairs of a split, one per caption, with the scene index as image id.
     *
     * @param split the split
     * @return the pairs, grouped by scene
     */
    public synchronized List<ImageText> captions(Split split) {
        return captions.computeIfAbsent(
                split,
                sp -> {
                    List<ImageText> out = new ArrayList<>();
                    for (int i = 0; i < scenes(sp).size(); i++) {
                        ImageRef ref = image(sp, i);
                        for (String c : captionsOf(sp, i)) {
                            out.add(new ImageText(ref, c, i));
                        }
                    }
                    return Collections.unmodifiableList(out);
                });
    }

    /**
     * Returns the answer vocabulary: yes, no, the counts 0 to maxObjects, colours, shapes, cells.
     *
     * @return the answers, in label order
     */
    public List<String> answers() {
        return answers;
    }

    /**
     * Returns the generated questions of a split (parallel to {@link #vqa(Split)}).
     *
     * @param split the split
     * @return the questions with answers and types
     */
    public synchronized List<SyntheticQuestion> questions(Split split) {
        vqa(split);
        return questions.get(split);
    }

    /**
     * Returns the VQA examples of a split: {@code questionsPerScene} per scene, one answer each
     * (score 1.0), question ids numbered within the split.
     *
     * @param split the split
     * @return the examples
     */
    public synchronized List<VqaExample> vqa(Split split) {
        return vqa.computeIfAbsent(
                split,
                sp -> {
                    List<VqaExample> out = new ArrayList<>();
                    List<SyntheticQuestion> qs = new ArrayList<>();
                    for (int i = 0; i < scenes(sp).size(); i++) {
                        ImageRef ref = image(sp, i);
                        SplittableRandom rng =
                                Seeds.random(settings.seed, STREAM_QUESTIONS, sp.ordinal(), i);
                        for (SyntheticQuestion q :
                                Grammar.questions(
                                        scenes(sp).get(i), rng, settings.questionsPerScene)) {
                            out.add(
                                    new VqaExample(
                                            ref,
                                            q.question(),
                                            List.of(q.answer()),
                                            new int[] {answerIndex.get(q.answer())},
                                            new float[] {1f},
                                            out.size(),
                                            i));
                            qs.add(q);
                        }
                    }
                    questions.put(sp, Collections.unmodifiableList(qs));
                    return Collections.unmodifiableList(out);
                });
    }

    /**
     * Returns NLVR2-style examples: pairs of distinct scenes of the split with a statement, half
     * true and half false.
     *
     * @param split the split
     * @return {@code pairsPerScene * scenes} examples
     */
    public synchronized List<Nlvr2Example> nlvr2(Split split) {
        return nlvr2.computeIfAbsent(
                split,
                sp -> {
                    List<Scene> sc = scenes(sp);
                    if (sc.size() < 2) {
                        throw new DataException(
                                "NLVR2 pairs need at least 2 scenes in split "
                                        + sp
                                        + "; ask for more scenes");
                    }
                    int n = settings.pairsPerScene * sc.size();
                    List<Nlvr2Example> out = new ArrayList<>(n);
                    for (int k = 0; k < n; k++) {
                        SplittableRandom rng =
                                Seeds.random(settings.seed, STREAM_PAIRS, sp.ordinal(), k);
                        int a = rng.nextInt(sc.size());
                        int b = rng.nextInt(sc.size() - 1);
                        if (b >= a) {
                            b++;
                        }
                        boolean want = (k % 2) == 0;
                        SyntheticStatement st = Grammar.statement(sc.get(a), sc.get(b), rng, want);
                        out.add(
                                new Nlvr2Example(
                                        image(sp, a),
                                        image(sp, b),
                                        st.text(),
                                        st.label(),
                                        sp.name().toLowerCase() + "-" + k + "-" + a + "-" + b));
                    }
                    return Collections.unmodifiableList(out);
                });
    }

    /**
     * Returns the image-only set: every scene of the split labelled by its object count minus
     * {@code minObjects}.
     *
     * @param split the split
     * @return one labelled image per scene
     */
    public List<LabeledImage> images(Split split) {
        List<LabeledImage> out = new ArrayList<>();
        for (int i = 0; i < scenes(split).size(); i++) {
            out.add(
                    new LabeledImage(
                            image(split, i), scenes(split).get(i).count() - settings.minObjects));
        }
        return out;
    }

    /**
     * Returns the number of classes of {@link #images(Split)}.
     *
     * @return {@code maxObjects - minObjects + 1}
     */
    public int imageClasses() {
        return settings.maxObjects - settings.minObjects + 1;
    }

    /**
     * Returns the text-only corpus of a split: one caption for each of {@code corpusSentences}
     * fresh scenes that belong to the split (never rendered, never shared with another split).
     *
     * @param split the split
     * @return the sentences
     */
    public synchronized List<String> textCorpus(Split split) {
        return corpus.computeIfAbsent(
                split,
                sp -> {
                    int n =
                            settings.corpusSentences
                                    * sizeOf(sp)
                                    / Math.max(1, sizeOf(Split.TRAIN));
                    n = Math.max(n, sp == Split.TRAIN ? settings.corpusSentences : 1);
                    SplittableRandom rng = Seeds.random(settings.seed, STREAM_CORPUS, sp.ordinal());
                    List<String> out = new ArrayList<>(n);
                    int guard = 0;
                    while (out.size() < n && guard++ < n * 50) {
                        Scene s = randomScene(rng);
                        if (splitOf(s.signature()) == sp) {
                            out.add(Grammar.caption(s, rng));
                        }
                    }
                    return Collections.unmodifiableList(out);
                });
    }

    /**
     * Returns a WordPiece vocabulary covering every word the grammar can produce, built from the
     * lexicon and a large fixed sample of generated text, with BERT's special tokens first.
     *
     * @return the vocabulary ({@code [PAD]=0, [UNK]=1, [CLS]=2, [SEP]=3, [MASK]=4})
     */
    public synchronized Vocabulary vocabulary() {
        if (vocabulary == null) {
            vocabulary = lexiconVocabulary();
        }
        return vocabulary;
    }

    /**
     * Returns the vocabulary every synthetic world shares (it does not depend on the seed).
     *
     * @return the shared vocabulary
     */
    public static Vocabulary lexiconVocabulary() {
        VocabularyBuilder vb = new VocabularyBuilder(new BasicTokenizer(true));
        for (Colour c : Colour.values()) {
            vb.add(c.word());
        }
        for (Shape s : Shape.values()) {
            vb.add(s.word() + " " + s.plural());
        }
        for (Size s : Size.values()) {
            vb.add(s.word());
        }
        for (Cell c : Cell.values()) {
            vb.add(c.words() + " corner middle side");
        }
        vb.add(String.join(" ", Grammar.NUMBER_WORDS));
        vb.add("0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 yes no");
        SplittableRandom rng = new SplittableRandom(12345);
        for (int i = 0; i < 3000; i++) {
            Scene a = randomScene(rng, 1, 4);
            Scene b = randomScene(rng, 1, 4);
            vb.add(Grammar.caption(a, rng));
            for (QuestionType t : QuestionType.values()) {
                SyntheticQuestion q = Grammar.question(a, t, rng);
                if (q != null) {
                    vb.add(q.question());
                }
            }
            vb.add(Grammar.statement(a, b, rng, rng.nextBoolean()).text());
        }
        return vb.build(0, true);
    }

    /**
     * Measures the chance level of every task on a split: VQA per question type and overall, NLVR2,
     * image classification and retrieval.
     *
     * @param split the split
     * @return one row per task
     */
    public List<ChanceLevel> chanceLevels(Split split) {
        List<ChanceLevel> out = new ArrayList<>();
        List<SyntheticQuestion> qs = questions(split);
        Map<QuestionType, Map<String, Integer>> byType = new EnumMap<>(QuestionType.class);
        for (SyntheticQuestion q : qs) {
            byType.computeIfAbsent(q.type(), t -> new HashMap<>())
                    .merge(q.answer(), 1, Integer::sum);
        }
        int majoritySum = 0;
        for (QuestionType t : QuestionType.values()) {
            Map<String, Integer> counts = byType.getOrDefault(t, Map.of());
            int n = counts.values().stream().mapToInt(Integer::intValue).sum();
            int max = counts.values().stream().mapToInt(Integer::intValue).max().orElse(0);
            int classes = classesOf(t);
            majoritySum += max;
            out.add(
                    new ChanceLevel(
                            "vqa/" + t.name().toLowerCase(),
                            n,
                            classes,
                            1.0 / classes,
                            n == 0 ? 0 : (double) max / n));
        }
        double uniformAll = 0;
        for (SyntheticQuestion q : qs) {
            uniformAll += 1.0 / classesOf(q.type());
        }
        out.add(
                new ChanceLevel(
                        "vqa/all",
                        qs.size(),
                        answers.size(),
                        qs.isEmpty() ? 0 : uniformAll / qs.size(),
                        qs.isEmpty() ? 0 : (double) majoritySum / qs.size()));
        // pairs need two scenes: a split of one has no NLVR2 level (nlvr2(split) says why)
        if (scenes(split).size() >= 2) {
            List<Nlvr2Example> pairs = nlvr2(split);
            long trues = pairs.stream().filter(Nlvr2Example::label).count();
            out.add(
                    new ChanceLevel(
                            "nlvr2",
                            pairs.size(),
                            2,
                            0.5,
                            Math.max(trues, pairs.size() - trues) / (double) pairs.size()));
        }
        Map<Integer, Integer> classCounts = new HashMap<>();
        for (Scene s : scenes(split)) {
            classCounts.merge(s.count(), 1, Integer::sum);
        }
        int n = scenes(split).size();
        out.add(
                new ChanceLevel(
                        "image/count-class",
                        n,
                        imageClasses(),
                        1.0 / imageClasses(),
                        classCounts.values().stream().mapToInt(Integer::intValue).max().orElse(0)
                                / (double) n));
        int caps = captions(split).size();
        out.add(new ChanceLevel("retrieval/ir@1", caps, n, 1.0 / n, 1.0 / n));
        double perImage = caps / (double) n;
        out.add(new ChanceLevel("retrieval/tr@1", n, caps, perImage / caps, perImage / caps));
        return out;
    }

    private int classesOf(QuestionType t) {
        return switch (t) {
            case COLOR -> Colour.values().length;
            case SHAPE -> Shape.values().length;
            case COUNT -> settings.maxObjects + 1;
            case POSITION -> Cell.values().length;
            case YES_NO -> 2;
        };
    }

    // ---------------------------------------------------------------- generation

    private int sizeOf(Split s) {
        return switch (s) {
            case TRAIN -> settings.train;
            case VAL -> settings.val;
            case TEST -> settings.test;
        };
    }

    private Split splitOf(String signature) {
        int total = settings.train + settings.val + settings.test;
        double u =
                (Seeds.mix(settings.seed, STREAM_SPLIT, signature.hashCode()) >>> 11) * 0x1.0p-53;
        if (u < settings.test / (double) total) {
            return Split.TEST;
        }
        if (u < (settings.test + settings.val) / (double) total) {
            return Split.VAL;
        }
        return Split.TRAIN;
    }

    private void generateScenes() {
        Map<Split, List<Scene>> lists = new EnumMap<>(Split.class);
        for (Split s : Split.values()) {
            lists.put(s, new ArrayList<>());
        }
        Set<String> seen = new HashSet<>();
        SplittableRandom rng = Seeds.random(settings.seed, STREAM_SCENES);
        int total = settings.train + settings.val + settings.test;
        long guard = 200L * total + 10_000;
        int filled = 0;
        for (long attempt = 0; attempt < guard && filled < total; attempt++) {
            Scene s = randomScene(rng);
            String sig = s.signature();
            if (!seen.add(sig)) {
                continue;
            }
            Split sp = splitOf(sig);
            List<Scene> list = lists.get(sp);
            if (list.size() < sizeOf(sp)) {
                list.add(s);
                filled++;
            }
        }
        if (filled < total) {
            throw new DataException(
                    "could only draw "
                            + filled
                            + " distinct scenes of the "
                            + total
                            + " asked for with "
                            + settings.minObjects
                            + " to "
                            + settings.maxObjects
                            + " objects; ask for fewer scenes or allow more objects per scene");
        }
        for (Split s : Split.values()) {
            scenes.put(s, Collections.unmodifiableList(lists.get(s)));
        }
    }

    private Scene randomScene(SplittableRandom rng) {
        return randomScene(rng, settings.minObjects, settings.maxObjects);
    }

    static Scene randomScene(SplittableRandom rng, int minObjects, int maxObjects) {
        int k = minObjects + rng.nextInt(maxObjects - minObjects + 1);
        List<Cell> cells = new ArrayList<>(List.of(Cell.values()));
        for (int i = cells.size() - 1; i > 0; i--) {
            Collections.swap(cells, i, rng.nextInt(i + 1));
        }
        List<Cell> chosen = new ArrayList<>(cells.subList(0, k));
        chosen.sort(null);
        List<SceneObject> objs = new ArrayList<>();
        for (Cell c : chosen) {
            Shape shape = Shape.values()[rng.nextInt(Shape.values().length)];
            Colour colour = Colour.values()[rng.nextInt(Colour.values().length)];
            Size size = Size.values()[rng.nextInt(Size.values().length)];
            double slack = (1.0 / 6 - size.radius()) * 0.8;
            double cx = (c.col() + 0.5) / 3 + (rng.nextDouble() * 2 - 1) * slack;
            double cy = (c.row() + 0.5) / 3 + (rng.nextDouble() * 2 - 1) * slack;
            int base = colour.rgb();
            int r = jitter((base >> 16) & 0xFF, rng);
            int g = jitter((base >> 8) & 0xFF, rng);
            int b = jitter(base & 0xFF, rng);
            objs.add(new SceneObject(shape, colour, size, c, cx, cy, (r << 16) | (g << 8) | b));
        }
        int grey = 20 + rng.nextInt(45);
        int bg =
                (clamp(grey + rng.nextInt(11) - 5) << 16)
                        | (clamp(grey + rng.nextInt(11) - 5) << 8)
                        | clamp(grey + rng.nextInt(11) - 5);
        return new Scene(objs, bg);
    }

    private static int jitter(int v, SplittableRandom rng) {
        return clamp(v + rng.nextInt(37) - 18);
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }

    /** Settings of a synthetic world; every setter checks its argument. */
    public static final class Builder {
        private long seed = 0;
        private int train = 2000;
        private int val = 200;
        private int test = 200;
        private int minObjects = 1;
        private int maxObjects = 3;
        private int captionsPerScene = 5;
        private int questionsPerScene = 3;
        private int pairsPerScene = 2;
        private int corpusSentences = 10_000;
        private int renderSize = 64;

        private Builder() {}

        private Builder copy() {
            Builder b = new Builder();
            b.seed = seed;
            b.train = train;
            b.val = val;
            b.test = test;
            b.minObjects = minObjects;
            b.maxObjects = maxObjects;
            b.captionsPerScene = captionsPerScene;
            b.questionsPerScene = questionsPerScene;
            b.pairsPerScene = pairsPerScene;
            b.corpusSentences = corpusSentences;
            b.renderSize = renderSize;
            return b;
        }

        /**
         * Sets the seed.
         *
         * @param seed any value
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets the number of scenes of each split.
         *
         * @param train training scenes, at least 1
         * @param val validation scenes, at least 0
         * @param test test scenes, at least 0
         * @return this builder
         */
        public Builder scenes(int train, int val, int test) {
            check("train scenes", train, 1, 1_000_000);
            check("val scenes", val, 0, 1_000_000);
            check("test scenes", test, 0, 1_000_000);
            this.train = train;
            this.val = val;
            this.test = test;
            return this;
        }

        /**
         * Sets the range of the number of objects per scene.
         *
         * @param min at least 1
         * @param max from {@code min} to 9
         * @return this builder
         */
        public Builder objects(int min, int max) {
            check("min objects", min, 1, 9);
            check("max objects", max, min, 9);
            this.minObjects = min;
            this.maxObjects = max;
            return this;
        }

        /**
         * Sets the number of captions per scene.
         *
         * @param n from 1 to 20
         * @return this builder
         */
        public Builder captionsPerScene(int n) {
            check("captions per scene", n, 1, 20);
            this.captionsPerScene = n;
            return this;
        }

        /**
         * Sets the number of VQA questions per scene.
         *
         * @param n from 1 to 20
         * @return this builder
         */
        public Builder questionsPerScene(int n) {
            check("questions per scene", n, 1, 20);
            this.questionsPerScene = n;
            return this;
        }

        /**
         * Sets the number of NLVR2 pairs per scene.
         *
         * @param n from 1 to 20
         * @return this builder
         */
        public Builder pairsPerScene(int n) {
            check("pairs per scene", n, 1, 20);
            this.pairsPerScene = n;
            return this;
        }

        /**
         * Sets the size of the training text corpus (other splits scale with their scene count).
         *
         * @param n from 1 to 10,000,000
         * @return this builder
         */
        public Builder corpusSentences(int n) {
            check("corpus sentences", n, 1, 10_000_000);
            this.corpusSentences = n;
            return this;
        }

        /**
         * Sets the side in pixels at which images are rendered.
         *
         * @param size from 8 to 4096
         * @return this builder
         */
        public Builder renderSize(int size) {
            check("render size", size, 8, 4096);
            this.renderSize = size;
            return this;
        }

        /**
         * Generates the world's scenes (texts are generated on first use).
         *
         * @return the world
         */
        public SyntheticWorld build() {
            return new SyntheticWorld(this);
        }

        private static void check(String what, int value, int min, int max) {
            if (value < min || value > max) {
                throw new IllegalArgumentException(
                        what + " must be in [" + min + ", " + max + "], got " + value);
            }
        }
    }

    /**
     * Returns the settings as name-value pairs.
     *
     * @return the settings in a stable order
     */
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seed", settings.seed);
        m.put("scenes", settings.train + "/" + settings.val + "/" + settings.test);
        m.put("objects", settings.minObjects + ".." + settings.maxObjects);
        m.put("captionsPerScene", settings.captionsPerScene);
        m.put("questionsPerScene", settings.questionsPerScene);
        m.put("pairsPerScene", settings.pairsPerScene);
        m.put("corpusSentences", settings.corpusSentences);
        m.put("renderSize", settings.renderSize);
        return m;
    }
}
