package dev.vlmo.dsl.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.vlmo.datasets.ImageRef;
import dev.vlmo.datasets.image.ImageTransform;
import dev.vlmo.datasets.image.RgbImage;
import dev.vlmo.datasets.image.Transforms;
import dev.vlmo.datasets.text.Encoding;
import dev.vlmo.datasets.text.WordPieceTokenizer;
import dev.vlmo.model.AttentionRecording;
import dev.vlmo.model.Engines;
import dev.vlmo.model.VlmoConfig;
import dev.vlmo.model.VlmoModel;
import dev.vlmo.model.checkpoint.CheckpointImporter;
import dev.vlmo.model.checkpoint.LoadReport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Serves a trained or imported VLMo: embeds images and texts in batches (the dual encoder), builds
 * and searches an index, and answers, matches, judges and classifies with the fusion encoder and
 * the heads. Inputs are processed as the reference evaluates them (eval resize, normalisation,
 * texts padded to the text length). An unreadable image fails with its name; nothing is skipped
 * silently. Close it to release the model's native memory when the predictor owns the model.
 */
public final class Predictor implements AutoCloseable {

    /** Images or texts per forward pass. */
    public static final int DEFAULT_BATCH = 32;

    private final VlmoModel model;
    private final NDManager manager;
    private final boolean ownsManager;
    private final WordPieceTokenizer tokenizer;
    private final int textLength;
    private final List<String> answers;
    private final ClassifierHead classifier;
    private final List<String> classes;
    private final ImageTransform transform;
    private int batch = DEFAULT_BATCH;

    /**
     * Wraps a model.
     *
     * @param model the model (initialised)
     * @param manager the manager owning the model's arrays
     * @param ownsManager whether {@link #close()} closes that manager
     * @param tokenizer the tokenizer the model was trained with
     * @param textLength tokens per text, at most the model's {@code maxTextLen}
     * @param answers the VQA answer vocabulary in label order, or null without a VQA head
     * @param classifier the image classification head, or null
     * @param classes the class names in label order, or null
     */
    public Predictor(
            VlmoModel model,
            NDManager manager,
            boolean ownsManager,
            WordPieceTokenizer tokenizer,
            int textLength,
            List<String> answers,
            ClassifierHead classifier,
            List<String> classes) {
        this.model = Objects.requireNonNull(model, "model");
        this.manager = Objects.requireNonNull(manager, "manager");
        this.ownsManager = ownsManager;
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        if (textLength < 3 || textLength > model.config().maxTextLen()) {
            throw new IllegalArgumentException(
                    "textLength must be in [3, "
                            + model.config().maxTextLen()
                            + "] for this model, got "
                            + textLength);
        }
        this.textLength = textLength;
        this.answers = answers == null ? null : List.copyOf(answers);
        if (answers != null && answers.size() != model.config().vqaLabels()) {
            throw new IllegalArgumentException(
                    answers.size()
                            + " answers given for a VQA head of "
                            + model.config().vqaLabels()
                            + " labels");
        }
        this.classifier = classifier;
        this.classes = classes == null ? null : List.copyOf(classes);
        this.transform = Transforms.eval(model.config().imageSize());
    }

    /**
     * Loads a checkpoint for inference: a reference {@code .pt} file (official or exported) or a
     * model file in DJL's format written by a run ({@code model.params}).
     *
     * @param checkpoint the file
     * @param config the model's configuration (for a {@code .pt} file, positions and heads are
     *     adapted to it as the reference's loader does)
     * @param tokenizer the tokenizer (BERT uncased for official checkpoints)
     * @param answers the VQA answers in label order when the checkpoint has a VQA head, or null
     * @return a predictor owning its model
     * @throws IOException if the file cannot be read
     */
    public static Predictor load(
            Path checkpoint, VlmoConfig config, WordPieceTokenizer tokenizer, List<String> answers)
            throws IOException {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(tokenizer, "tokenizer");
        if (!Files.isRegularFile(checkpoint)) {
            throw new IOException(
                    "no checkpoint at "
                            + checkpoint.toAbsolutePath()
                            + "; give a reference .pt file or a run's model.params");
        }
        if (tokenizer.vocabulary().size() != config.vocabSize()) {
            throw new IllegalArgumentException(
                    "the tokenizer's vocabulary has "
                            + tokenizer.vocabulary().size()
                            + " entries but the model's embeddings "
                            + config.vocabSize()
                            + ": give the vocabulary the checkpoint was trained with (BERT's"
                            + " uncased vocabulary for the official checkpoints)");
        }
        // what a fine-tune wrote beside its model.params: the answers, the classifier
        Path dir = checkpoint.toAbsolutePath().getParent();
        if (answers == null && Files.isRegularFile(dir.resolve(ANSWERS))) {
            answers = Files.readAllLines(dir.resolve(ANSWERS), StandardCharsets.UTF_8);
        }
        NDManager m = Engines.newManager(null);
        try {
            VlmoModel model = new VlmoModel(config).initialize(m);
            // leniently: a pretraining run's file may hold its MIM head, which inference leaves out
            LoadReport r =
                    CheckpointImporter.load(
                            model, m, checkpoint, CheckpointImporter.Options.LENIENT);
            for (String head : new String[] {"vqa_classifier.", "nlvr2_classifier."}) {
                if (r.unexpected().stream().anyMatch(k -> k.startsWith(head))) {
                    throw new IllegalArgumentException(
                            checkpoint
                                    + " has a "
                                    + (head.startsWith("vqa") ? "VQA" : "NLVR2")
                                    + " head that this configuration lacks: build it with "
                                    + (head.startsWith("vqa")
                                            ? "withVqaLabels(number of answers)"
                                            : "withNlvr2(true)")
                                    + ", as the fine-tune did");
                }
            }
            if (!r.adapted().isEmpty()) {
                System.err.println(
                        "loaded "
                                + checkpoint.getFileName()
                                + " adapted to this configuration: "
                                + String.join(", ", r.adapted()));
            }
            if (!r.missing().isEmpty()) {
                throw new IOException(
                        checkpoint
                                + " has no weights for "
                                + r.missing().size()
                                + " parameters of this "
                                + config.name()
                                + " model (e.g. "
                                + r.missing().get(0)
                                + "): give the configuration it was trained with");
            }
            ClassifierHead head = null;
            List<String> classes = null;
            if (Files.isRegularFile(dir.resolve(CLASSIFIER))
                    && Files.isRegularFile(dir.resolve(CLASSES))) {
                classes = Files.readAllLines(dir.resolve(CLASSES), StandardCharsets.UTF_8);
                head = new ClassifierHead(config.hidden(), classes.size()).initialize(m);
                try {
                    head.readParameters(dir.resolve(CLASSIFIER), m);
                } catch (ai.djl.MalformedModelException | java.io.EOFException e) {
                    throw new IOException(
                            dir.resolve(CLASSIFIER)
                                    + " does not hold a classifier of "
                                    + classes.size()
                                    + " classes (those of "
                                    + CLASSES
                                    + ") for width "
                                    + config.hidden()
                                    + ": "
                                    + e,
                            e);
                }
            }
            return new Predictor(
                    model, m, true, tokenizer, config.maxTextLen(), answers, head, classes);
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** The VQA answers in label order, one per line, beside a fine-tune's model.params. */
    public static final String ANSWERS = "answers.txt";

    /** The image classifier's parameters beside a fine-tune's model.params. */
    public static final String CLASSIFIER = "classifier.params";

    /** The class names in label order, one per line, beside a fine-tune's model.params. */
    public static final String CLASSES = "classes.txt";

    /**
     * Writes what a fine-tune's heads need besides {@code model.params}, so that {@link #load}
     * restores them: the VQA answers, or the image classifier with its class names.
     *
     * @param dir the fine-tune's directory
     * @param answers the answers in label order, or null
     * @param classifier the classifier, or null
     * @param classes the class names in label order, or null
     * @throws IOException if a file cannot be written
     */
    public static void writeHeads(
            Path dir, List<String> answers, ClassifierHead classifier, List<String> classes)
            throws IOException {
        if (answers != null && !answers.isEmpty()) {
            Files.write(dir.resolve(ANSWERS), answers, StandardCharsets.UTF_8);
        }
        if (classifier != null && classes != null) {
            Files.write(dir.resolve(CLASSES), classes, StandardCharsets.UTF_8);
            classifier.save(dir.resolve(CLASSIFIER));
        }
    }

    /**
     * Returns a predictor that runs {@code n} images or texts per forward pass (memory grows with
     * it; lower it when a batch does not fit).
     *
     * @param n positive
     * @return this predictor
     */
    public Predictor batchSize(int n) {
        if (n <= 0) {
            throw new IllegalArgumentException("batchSize must be positive, got " + n);
        }
        this.batch = n;
        return this;
    }

    /**
     * Returns the model.
     *
     * @return the model
     */
    public VlmoModel model() {
        return model;
    }

    /**
     * Returns the VQA answer vocabulary, or null.
     *
     * @return answers in label order
     */
    public List<String> answers() {
        return answers;
    }

    // ------------------------------------------------------------------ dual encoder

    /**
     * Embeds images with the vision side of the dual encoder.
     *
     * @param images the images
     * @return one L2-normalised vector per image
     */
    public float[][] embedImages(List<? extends ImageRef> images) {
        float[][] out = new float[images.size()][];
        batches(
                images.size(),
                (from, k, m, ps) -> {
                    NDArray x = pixels(images.subList(from, from + k), m);
                    rows(model.embedImages(ps, x), out, from);
                });
        return out;
    }

    /**
     * Embeds texts with the language side of the dual encoder.
     *
     * @param texts the texts
     * @return one L2-normalised vector per text
     */
    public float[][] embedTexts(List<String> texts) {
        float[][] out = new float[texts.size()][];
        batches(
                texts.size(),
                (from, k, m, ps) -> {
                    NDArray[] t = text(texts.subList(from, from + k), m);
                    rows(model.embedTexts(ps, t[0], t[1]), out, from);
                });
        return out;
    }

    /**
     * Embeds images and keeps them for search by text (text to image retrieval).
     *
     * @param images the images to index
     * @return the index
     */
    public Index indexImages(List<? extends ImageRef> images) {
        List<String> names = new ArrayList<>();
        for (ImageRef r : images) {
            names.add(r.name());
        }
        return new Index(this, Index.Kind.IMAGES, names, embedImages(images));
    }

    /**
     * Embeds texts and keeps them for search by image (image to text retrieval).
     *
     * @param texts the texts to index
     * @return the index
     */
    public Index indexTexts(List<String> texts) {
        return new Index(this, Index.Kind.TEXTS, texts, embedTexts(texts));
    }

    // ------------------------------------------------------------------ fusion encoder and heads

    /**
     * Scores whether each image matches its text with the ITM head.
     *
     * @param images the images
     * @param texts the texts, one per image
     * @return the probability of a match for each pair
     */
    public float[] match(List<? extends ImageRef> images, List<String> texts) {
        sameSize(images.size(), texts.size(), "images", "texts");
        float[] out = new float[images.size()];
        batches(
                images.size(),
                (from, k, m, ps) -> {
                    NDArray x = pixels(images.subList(from, from + k), m);
                    NDArray[] t = text(texts.subList(from, from + k), m);
                    NDArray pooled = model.poolPairs(ps, t[0], t[1], x, 1);
                    positive(model.itmLogits(ps, pooled, false), out, from);
                });
        return out;
    }

    /**
     * Scores one image-text pair with the ITM head.
     *
     * @param image the image
     * @param text the text
     * @return the probability that they match
     */
    public double match(ImageRef image, String text) {
        return match(one(image, "image"), one(text, "text"))[0];
    }

    /**
     * Records the fusion encoder's attention on one image-text pair (a question, a caption), every
     * layer and head, for attention maps. The text is encoded as the other fusion passes encode it
     * and its padding is left out of the map.
     *
     * @param image the image
     * @param text the text
     * @return the attention map
     */
    public AttentionMap attention(ImageRef image, String text) {
        Objects.requireNonNull(text, "text");
        VlmoConfig c = model.config();
        int layers = c.layers();
        int heads = c.heads();
        Encoding enc = tokenizer.encode(text, textLength);
        int real = enc.length();
        int grid = c.gridSize();
        int imageTokens = c.imageTokens();
        int n = textLength + imageTokens;
        int kept = real + imageTokens;
        int[] keep = new int[kept];
        for (int i = 0; i < kept; i++) {
            keep[i] = i < real ? i : textLength + (i - real);
        }
        float[][][][] w = new float[layers][heads][kept][kept];
        try (NDManager m = manager.newSubManager()) {
            ParameterStore ps = new ParameterStore(m, false);
            NDArray x = pixels(one(image, "image"), m);
            NDArray[] t = text(one(text, "text"), m);
            try (AttentionRecording rec = model.recordAttention(m)) {
                model.encodePair(ps, t[0], t[1], x, 1, false);
                for (AttentionRecording.LayerMap map : rec.maps()) {
                    float[] v = map.probabilities().toFloatArray(); // (1, H, N, N)
                    for (int h = 0; h < heads; h++) {
                        for (int q = 0; q < kept; q++) {
                            int row = (h * n + keep[q]) * n;
                            for (int k = 0; k < kept; k++) {
                                w[map.layer()][h][q][k] = v[row + keep[k]];
                            }
                        }
                    }
                }
            }
        }
        List<String> labels = new ArrayList<>(List.of(enc.tokens()).subList(0, real));
        labels.add("[IMG]");
        for (int r = 0; r < grid; r++) {
            for (int col = 0; col < grid; col++) {
                labels.add("r" + r + "c" + col);
            }
        }
        return new AttentionMap(labels, real, grid, w);
    }

    /**
     * Scores every VQA answer for each question about its image.
     *
     * @param images the images
     * @param questions the questions, one per image
     * @return (n, answers) logits
     */
    public float[][] vqaLogits(List<? extends ImageRef> images, List<String> questions) {
        if (answers == null && model.config().vqaLabels() == 0) {
            throw new IllegalStateException(
                    "this model has no VQA head: fine-tune it with vqa() or load a VQA checkpoint");
        }
        sameSize(images.size(), questions.size(), "images", "questions");
        float[][] out = new float[images.size()][];
        batches(
                images.size(),
                (from, k, m, ps) -> {
                    NDArray x = pixels(images.subList(from, from + k), m);
                    NDArray[] t = text(questions.subList(from, from + k), m);
                    NDArray pooled = model.poolPairs(ps, t[0], t[1], x, 1);
                    rows(model.vqaLogits(ps, pooled, false), out, from);
                });
        return out;
    }

    /**
     * Answers a question about an image.
     *
     * @param image the image
     * @param question the question
     * @return the best answer and its sigmoid score
     */
    public Answer answer(ImageRef image, String question) {
        if (model.config().vqaLabels() == 0) {
            throw new IllegalStateException(
                    "this model has no VQA head: fine-tune it with vqa() or load a VQA checkpoint");
        }
        if (answers == null) {
            throw new IllegalStateException(
                    "this predictor has no answer vocabulary: give the answers in label order");
        }
        float[] logits = vqaLogits(one(image, "image"), one(question, "question"))[0];
        int best = argmax(logits);
        return new Answer(answers.get(best), best, 1 / (1 + Math.exp(-logits[best])));
    }

    /**
     * Judges NLVR2 statements about pairs of images.
     *
     * @param left the first images (token type 1)
     * @param right the second images (token type 2)
     * @param statements the statements
     * @return the probability that each statement is true
     */
    public float[] judge(
            List<? extends ImageRef> left,
            List<? extends ImageRef> right,
            List<String> statements) {
        if (model.config().tokenTypes() < 3) {
            throw new IllegalStateException(
                    "this model has no NLVR2 head: fine-tune it with nlvr2() or load an NLVR2"
                            + " checkpoint");
        }
        sameSize(left.size(), right.size(), "left images", "right images");
        sameSize(left.size(), statements.size(), "images", "statements");
        float[] out = new float[left.size()];
        batches(
                left.size(),
                (from, k, m, ps) -> {
                    NDArray[] t = text(statements.subList(from, from + k), m);
                    NDArray a = pixels(left.subList(from, from + k), m);
                    NDArray b = pixels(right.subList(from, from + k), m);
                    NDArray pa = model.poolPairs(ps, t[0], t[1], a, 1);
                    NDArray pb = model.poolPairs(ps, t[0], t[1], b, 2);
                    positive(model.nlvr2Logits(ps, pa, pb, false), out, from);
                });
        return out;
    }

    /**
     * Judges one NLVR2 statement.
     *
     * @param left the first image
     * @param right the second image
     * @param statement the statement
     * @return the probability that it is true
     */
    public double judge(ImageRef left, ImageRef right, String statement) {
        return judge(
                one(left, "left image"), one(right, "right image"), one(statement, "statement"))[0];
    }

    /**
     * Scores the classes of images with the vision expert and the classification head.
     *
     * @param images the images
     * @return (n, classes) logits
     */
    public float[][] classLogits(List<? extends ImageRef> images) {
        if (classifier == null) {
            throw new IllegalStateException(
                    "this predictor has no classification head: fine-tune with classification()"
                            + " or linearProbe()");
        }
        float[][] out = new float[images.size()][];
        batches(
                images.size(),
                (from, k, m, ps) -> {
                    NDArray x = pixels(images.subList(from, from + k), m);
                    NDArray hidden = model.encodeImage(ps, x, false, false).hidden();
                    rows(classifier.forward(ps, hidden, false), out, from);
                });
        return out;
    }

    /**
     * Classifies an image.
     *
     * @param image the image
     * @return the best class (its name when the predictor knows the names) and its probability
     */
    public Answer classify(ImageRef image) {
        float[] logits = classLogits(one(image, "image"))[0];
        int best = argmax(logits);
        double z = 0;
        for (float l : logits) {
            z += Math.exp(l - logits[best]);
        }
        String name = classes == null ? Integer.toString(best) : classes.get(best);
        return new Answer(name, best, 1 / z);
    }

    // ------------------------------------------------------------------ helpers

    /**
     * An answer or class and its score.
     *
     * @param text the answer or class name
     * @param label its index
     * @param score its probability
     */
    public record Answer(String text, int label, double score) {}

    /** One forward pass over rows {@code from .. from + k - 1}, in a step-scoped manager. */
    @FunctionalInterface
    private interface Pass {
        void run(int from, int k, NDManager m, ParameterStore ps);
    }

    /** Runs a pass per batch of {@code n} rows, freeing each batch's arrays when it is done. */
    private void batches(int n, Pass pass) {
        for (int from = 0; from < n; from += batch) {
            try (NDManager m = manager.newSubManager()) {
                pass.run(from, Math.min(batch, n - from), m, new ParameterStore(m, false));
            }
        }
    }

    NDArray pixels(List<? extends ImageRef> images, NDManager m) {
        int s = transform.size();
        int per = 3 * s * s;
        float[] px = new float[images.size() * per];
        for (int i = 0; i < images.size(); i++) {
            ImageRef ref = images.get(i);
            RgbImage img;
            try {
                img = ref.load();
            } catch (IOException e) {
                throw new UncheckedIOException(
                        "cannot read image " + ref.name() + ": " + e.getMessage(), e);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(
                        "cannot read image " + ref.name() + ": " + e.getMessage(), e);
            }
            transform.apply(img, new SplittableRandom(0), px, i * per);
        }
        return Engines.owned(m.create(px, new Shape(images.size(), 3, s, s)));
    }

    NDArray[] text(List<String> texts, NDManager m) {
        int len = textLength;
        long[] ids = new long[texts.size() * len];
        long[] mask = new long[texts.size() * len];
        int pad = tokenizer.vocabulary().padId();
        for (int i = 0; i < texts.size(); i++) {
            String t = Objects.requireNonNull(texts.get(i), "text " + i + " is null");
            Encoding e = tokenizer.encode(t, len);
            int[] pid = e.paddedIds(len, pad);
            int[] pm = e.attentionMask(len);
            for (int j = 0; j < len; j++) {
                ids[i * len + j] = pid[j];
                mask[i * len + j] = pm[j];
            }
        }
        return new NDArray[] {
            Engines.owned(m.create(ids, new Shape(texts.size(), len))),
            Engines.owned(m.create(mask, new Shape(texts.size(), len)))
        };
    }

    /** Writes the softmax probability of class 1 of each row of (k, 2) logits from {@code from}. */
    private static void positive(NDArray logits, float[] out, int from) {
        float[] prob = logits.softmax(-1).toFloatArray();
        for (int i = 0; i < prob.length / 2; i++) {
            out[from + i] = prob[i * 2 + 1];
        }
    }

    private static void rows(NDArray a, float[][] out, int from) {
        int n = (int) a.getShape().get(0);
        int d = (int) a.getShape().get(1);
        float[] flat = a.toFloatArray();
        for (int i = 0; i < n; i++) {
            out[from + i] = java.util.Arrays.copyOfRange(flat, i * d, (i + 1) * d);
        }
    }

    /**
     * Returns the index of the largest value (the first of ties).
     *
     * @param v the values, at least one
     * @return its index
     */
    public static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    private static void sameSize(int a, int b, String what, String other) {
        if (a != b) {
            throw new IllegalArgumentException(
                    what + " (" + a + ") and " + other + " (" + b + ") must be as many");
        }
    }

    @Override
    public void close() {
        if (ownsManager) {
            manager.close();
        }
    }

    /** A one-element list of an argument that must not be null. */
    private static <T> List<T> one(T value, String what) {
        if (value == null) {
            throw new IllegalArgumentException(what + " is null");
        }
        return List.of(value);
    }
}
