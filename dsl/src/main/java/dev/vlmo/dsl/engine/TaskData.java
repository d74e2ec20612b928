package dev.vlmo.dsl.engine;

import dev.vlmo.datasets.BadInputs;
import dev.vlmo.datasets.Dataset;
import dev.vlmo.datasets.ImageRef;
import dev.vlmo.datasets.ImageText;
import dev.vlmo.datasets.LabeledImage;
import dev.vlmo.datasets.Nlvr2Example;
import dev.vlmo.datasets.VqaExample;
import dev.vlmo.datasets.formats.ArrowTable;
import dev.vlmo.datasets.formats.ImageFolder;
import dev.vlmo.datasets.formats.Nlvr2;
import dev.vlmo.datasets.formats.VqaAnswers;
import dev.vlmo.datasets.formats.VqaV2;
import dev.vlmo.datasets.synthetic.ChanceLevel;
import dev.vlmo.datasets.synthetic.SyntheticWorld;
import dev.vlmo.dsl.DataRef;
import dev.vlmo.dsl.Finetune;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The training and evaluation samples of a fine-tuning task, with what evaluation needs: the answer
 * vocabulary, class names, the retrieval candidates and the baselines to beat.
 *
 * @param task the task
 * @param train training samples ({@link VqaExample}, {@link Nlvr2Example}, {@link ImageText} or
 *     {@link LabeledImage})
 * @param eval evaluation samples of the same type (for retrieval, the captions)
 * @param evalImages for retrieval, the candidate images (caption {@code imageId}s index them)
 * @param answers the VQA answers in label order, or null
 * @param classes the class names in label order, or null
 * @param baselines name to value in [0, 1] (uniform chance and majority class), in table order
 * @param synthetic whether the samples are the built-in world's (no augmentation then: flips would
 *     swap left and right)
 * @param open files the samples read from while the task runs (Arrow tables), closed by {@link
 *     #close()}
 */
record TaskData(
        Finetune.Task task,
        List<?> train,
        List<?> eval,
        List<ImageRef> evalImages,
        List<String> answers,
        List<String> classes,
        Map<String, Double> baselines,
        boolean synthetic,
        List<AutoCloseable> open)
        implements AutoCloseable {

    TaskData(
            Finetune.Task task,
            List<?> train,
            List<?> eval,
            List<ImageRef> evalImages,
            List<String> answers,
            List<String> classes,
            Map<String, Double> baselines,
            boolean synthetic) {
        this(
                task,
                train,
                eval,
                evalImages,
                answers,
                classes,
                baselines,
                synthetic,
                new ArrayList<>());
    }

    static TaskData open(Finetune f, int imageSize, BadInputs bad) {
        DataRef d = f.data();
        DataRef e = f.evalData();
        if (d instanceof DataRef.BuiltIn b && (e == null || e.equals(d))) {
            return builtIn(f.task(), b.world(imageSize));
        }
        if (d instanceof DataRef.BuiltIn && e != null) {
            throw new IllegalArgumentException(
                    f.name()
                            + " trains on the built-in world, which is evaluated on its own"
                            + " held-out scenes: remove evalData("
                            + e.describe()
                            + "), or give data(...) of the same kind as that evaluation data");
        }
        List<AutoCloseable> open = new ArrayList<>();
        try {
            TaskData t =
                    switch (f.task()) {
                        case RETRIEVAL -> retrieval(f, bad, open);
                        case CLASSIFICATION -> classification(f);
                        case VQA -> vqa(f, bad, open);
                        case NLVR2 -> nlvr2(f, bad, open);
                    };
            if (t.eval().isEmpty()) {
                // found now, not after training
                throw new IllegalArgumentException(
                        f.name()
                                + ": the evaluation data ("
                                + (e != null
                                        ? e.describe()
                                        : "the held-out split of " + d.describe())
                                + ") holds no example to score; give evalData(...) with examples");
            }
            return t;
        } catch (RuntimeException x) {
            Sources.closeAll(open);
            throw x;
        }
    }

    /** Closes the files the samples read from; the samples cannot be read after. */
    @Override
    public void close() {
        Sources.closeAll(open);
    }

    private static TaskData builtIn(Finetune.Task task, SyntheticWorld w) {
        SyntheticWorld.Split tr = SyntheticWorld.Split.TRAIN;
        SyntheticWorld.Split te = SyntheticWorld.Split.TEST;
        Map<String, ChanceLevel> levels = new HashMap<>();
        for (ChanceLevel c : w.chanceLevels(te)) {
            levels.put(c.task(), c);
        }
        Map<String, Double> base = new LinkedHashMap<>();
        return switch (task) {
            case VQA -> {
                ChanceLevel c = levels.get("vqa/all");
                base.put("uniform chance (per question type)", c.uniform());
                base.put("majority answer per question type", c.majority());
                yield new TaskData(task, w.vqa(tr), w.vqa(te), null, w.answers(), null, base, true);
            }
            case NLVR2 -> {
                List<?> train = w.nlvr2(tr);
                List<?> test = w.nlvr2(te); // says so when the split is too small for pairs
                ChanceLevel c = levels.get("nlvr2");
                base.put("uniform chance", c.uniform());
                base.put("majority label", c.majority());
                yield new TaskData(task, train, test, null, null, null, base, true);
            }
            case RETRIEVAL -> {
                List<ImageRef> images = new ArrayList<>();
                for (int i = 0; i < w.scenes(te).size(); i++) {
                    images.add(w.image(te, i));
                }
                base.put("chance R@1", 1.0 / images.size());
                yield new TaskData(
                        task, w.captions(tr), w.captions(te), images, null, null, base, true);
            }
            case CLASSIFICATION -> {
                ChanceLevel c = levels.get("image/count-class");
                List<String> names = new ArrayList<>();
                for (int i = 0; i < w.imageClasses(); i++) {
                    names.add("class " + i);
                }
                base.put("uniform chance", c.uniform());
                base.put("majority class", c.majority());
                yield new TaskData(task, w.images(tr), w.images(te), null, null, names, base, true);
            }
        };
    }

    private static TaskData vqa(Finetune f, BadInputs bad, List<AutoCloseable> open) {
        if (f.data() instanceof DataRef.Arrow a && a.content() == DataRef.Content.VQA) {
            return arrowVqa(f, a, bad, open);
        }
        if (!(f.data() instanceof DataRef.VqaV2 v)) {
            throw new IllegalArgumentException(
                    "vqa() reads vqaV2(...), arrowVqa(...) or builtIn(), not "
                            + f.data().describe());
        }
        if (f.evalData() != null && !f.evalData().equals(v)) {
            throw new IllegalArgumentException(
                    "vqa() on "
                            + v.describe()
                            + " evaluates on its val2014 split; evalData("
                            + f.evalData().describe()
                            + ") is not supported");
        }
        Path root = v.root();
        Path trainQ = need(root, "v2_OpenEnded_mscoco_train2014_questions.json");
        Path trainA = need(root, "v2_mscoco_train2014_annotations.json");
        Path valQ = need(root, "v2_OpenEnded_mscoco_val2014_questions.json");
        Path valA = need(root, "v2_mscoco_val2014_annotations.json");
        VqaAnswers answers = VqaV2.buildAnswers(List.of(trainA, valA), v.minAnswerCount());
        if (answers.size() < 2) {
            throw new IllegalArgumentException(
                    v.describe()
                            + ": only "
                            + answers.size()
                            + " answer(s) occur at least "
                            + v.minAnswerCount()
                            + " times; lower it with vqaV2(...).minAnswerCount(n)");
        }
        List<VqaExample> train =
                VqaV2.read(
                        trainQ,
                        trainA,
                        VqaV2.cocoImages(root.resolve("train2014"), "COCO_train2014_"),
                        answers,
                        bad);
        List<VqaExample> eval =
                VqaV2.read(
                        valQ,
                        valA,
                        VqaV2.cocoImages(root.resolve("val2014"), "COCO_val2014_"),
                        answers,
                        bad);
        if (train.isEmpty() || eval.isEmpty()) {
            throw new IllegalArgumentException(
                    v.describe() + " gives no usable question: " + bad.summary());
        }
        Map<String, Double> base = new LinkedHashMap<>();
        base.put("uniform chance", 1.0 / answers.size());
        base.put("majority answer (of training)", majorityScore(train, eval));
        return new TaskData(f.task(), train, eval, null, answers.answers(), null, base, false);
    }

    /**
     * VQA from the reference's Arrow files. The files hold answer labels, not the vocabulary: it is
     * rebuilt from the (label, answer) pairs of the training and evaluation questions, and a label
     * given two different answers is an error naming both.
     */
    private static TaskData arrowVqa(
            Finetune f, DataRef.Arrow a, BadInputs bad, List<AutoCloseable> open) {
        if (!(f.evalData() instanceof DataRef.Arrow e && e.content() == DataRef.Content.VQA)) {
            throw new IllegalArgumentException(
                    "vqa() on "
                            + a.describe()
                            + " needs questions with answers to evaluate on: add"
                            + " .evalData(arrowVqa(\"vqav2_val.arrow\")) (the reference's"
                            + " validation file, or any file with answers)");
        }
        // no vocabulary bounds the labels here: the files' own (label, answer) pairs make it
        List<VqaExample> train = new ArrayList<>();
        for (ArrowTable t : Sources.arrowTables(a, "arrowVqa", bad, open)) {
            addAll(train, t.vqa(Integer.MAX_VALUE, bad));
        }
        List<VqaExample> eval = new ArrayList<>();
        for (ArrowTable t : Sources.arrowTables(e, "arrowVqa", bad, open)) {
            addAll(eval, t.vqa(Integer.MAX_VALUE, bad));
        }
        java.util.TreeMap<Integer, String> vocab = new java.util.TreeMap<>();
        int size = 0;
        for (List<VqaExample> split : List.of(train, eval)) {
            for (VqaExample q : split) {
                for (int k = 0; k < q.labels().length; k++) {
                    size = Math.max(size, q.labels()[k] + 1);
                    if (k >= q.answers().size()) {
                        continue; // a label without its answer text: named "answer #label" below
                    }
                    String answer = q.answers().get(k);
                    String before = vocab.putIfAbsent(q.labels()[k], answer);
                    if (before != null && !before.equals(answer)) {
                        throw new IllegalArgumentException(
                                "answer label "
                                        + q.labels()[k]
                                        + " stands for '"
                                        + before
                                        + "' and for '"
                                        + answer
                                        + "' (question "
                                        + q.questionId()
                                        + ", \""
                                        + q.question()
                                        + "\"); the files must come from one answer vocabulary");
                    }
                }
            }
        }
        if (vocab.size() < 2) {
            throw new IllegalArgumentException(
                    a.describe()
                            + " and "
                            + e.describe()
                            + " name "
                            + vocab.size()
                            + " answer(s); VQA needs at least 2");
        }
        List<String> answers = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            answers.add(vocab.getOrDefault(i, "answer #" + i));
        }
        if (train.isEmpty() || eval.isEmpty()) {
            throw new IllegalArgumentException(
                    a.describe() + " gives no usable question: " + bad.summary());
        }
        Map<String, Double> base = new LinkedHashMap<>();
        base.put("uniform chance", 1.0 / answers.size());
        base.put("majority answer (of training)", majorityScore(train, eval));
        return new TaskData(f.task(), train, eval, null, answers, null, base, false, open);
    }

    /** Reads every sample of a view into a list (images stay unread: they load lazily). */
    private static <T> void addAll(List<T> into, Dataset<T> d) {
        for (int i = 0; i < d.size(); i++) {
            into.add(d.get(i));
        }
    }

    /** The reference score of always answering training's most frequent first label. */
    private static double majorityScore(List<VqaExample> train, List<VqaExample> eval) {
        Map<Integer, Integer> counts = new HashMap<>();
        for (VqaExample e : train) {
            if (e.labels().length > 0) {
                counts.merge(e.labels()[0], 1, Integer::sum);
            }
        }
        int best = -1;
        int most = -1;
        for (Map.Entry<Integer, Integer> c : counts.entrySet()) {
            if (c.getValue() > most) {
                most = c.getValue();
                best = c.getKey();
            }
        }
        double sum = 0;
        for (VqaExample e : eval) {
            for (int i = 0; i < e.labels().length; i++) {
                if (e.labels()[i] == best) {
                    sum += e.scores()[i];
                }
            }
        }
        return sum / eval.size();
    }

    private static TaskData nlvr2(Finetune f, BadInputs bad, List<AutoCloseable> open) {
        List<Nlvr2Example> train;
        List<Nlvr2Example> eval;
        if (f.data() instanceof DataRef.Arrow a && a.content() == DataRef.Content.NLVR2) {
            if (!(f.evalData() instanceof DataRef.Arrow e
                    && e.content() == DataRef.Content.NLVR2)) {
                throw new IllegalArgumentException(
                        "nlvr2() on "
                                + a.describe()
                                + " needs statements to evaluate on: add"
                                + " .evalData(arrowNlvr2(\"nlvr2_dev.arrow\"))");
            }
            train = new ArrayList<>();
            for (ArrowTable t : Sources.arrowTables(a, "arrowNlvr2", bad, open)) {
                addAll(train, t.nlvr2(bad));
            }
            eval = new ArrayList<>();
            for (ArrowTable t : Sources.arrowTables(e, "arrowNlvr2", bad, open)) {
                addAll(eval, t.nlvr2(bad));
            }
            if (train.isEmpty() || eval.isEmpty()) {
                throw new IllegalArgumentException(
                        a.describe() + " gives no usable statement: " + bad.summary());
            }
        } else if (f.data() instanceof DataRef.Nlvr2Files n) {
            Path root = n.root();
            train = Nlvr2.read(need(root, "train.json"), root, bad);
            eval = Nlvr2.read(need(root, "dev.json"), root, bad);
            if (train.isEmpty() || eval.isEmpty()) {
                throw new IllegalArgumentException(
                        n.describe() + " gives no usable example: " + bad.summary());
            }
        } else {
            throw new IllegalArgumentException(
                    "nlvr2() reads nlvr2Files(...), arrowNlvr2(...) or builtIn(), not "
                            + f.data().describe());
        }
        long trues = train.stream().filter(Nlvr2Example::label).count();
        boolean majority = trues * 2 >= train.size();
        long hits = eval.stream().filter(e -> e.label() == majority).count();
        Map<String, Double> base = new LinkedHashMap<>();
        base.put("uniform chance", 0.5);
        base.put("majority label (of training)", (double) hits / eval.size());
        return new TaskData(f.task(), train, eval, null, null, null, base, false, open);
    }

    private static Path need(Path root, String name) {
        Path p = root.resolve(name);
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException(
                    "missing " + p.toAbsolutePath() + "; put the official file there");
        }
        return p;
    }

    /**
     * Retrieval trains on the captions of {@code coco(...)}/{@code flickr30k(...)} (Karpathy train
     * and restval) or of the reference's caption tables ({@code arrowPairs(...)}), and ranks the
     * held-out pairs: the Karpathy test split, or {@code evalData(...)}.
     */
    private static TaskData retrieval(Finetune f, BadInputs bad, List<AutoCloseable> open) {
        DataRef e = f.evalData() != null ? f.evalData() : f.data();
        if (e instanceof DataRef.Arrow && f.evalData() == null) {
            throw new IllegalArgumentException(
                    "retrieval() on "
                            + f.data().describe()
                            + " needs held-out pairs to rank: add"
                            + " .evalData(arrowPairs(\"coco_caption_karpathy_test.arrow\"))");
        }
        if (e instanceof DataRef.BuiltIn && f.evalData() != null) {
            throw new IllegalArgumentException(
                    "retrieval() evaluates on coco(...), flickr30k(...) or arrowPairs(...), not "
                            + e.describe()
                            + " (the built-in world is evaluated on its own test split when it is"
                            + " also the training data)");
        }
        List<ImageText> train = pairs(f.data(), f, Sources.TRAIN_SPLITS, bad, open);
        // the candidates: each image once, numbered in the order its first caption comes
        List<ImageText> test = new ArrayList<>();
        List<ImageRef> images = new ArrayList<>();
        Map<Integer, Integer> index = new HashMap<>();
        for (ImageText t : pairs(e, f, Set.of("test"), bad, open)) {
            Integer i = index.get(t.imageId());
            if (i == null) {
                i = images.size();
                index.put(t.imageId(), i);
                images.add(t.image());
            }
            test.add(new ImageText(t.image(), t.text(), i));
        }
        if (images.isEmpty()) {
            throw new IllegalArgumentException(e.describe() + " holds no pair to rank");
        }
        Map<String, Double> base = new LinkedHashMap<>();
        base.put("chance R@1", 1.0 / images.size());
        return new TaskData(f.task(), train, test, images, null, null, base, false, open);
    }

    /** The image-text pairs of a Karpathy dataset's splits or of all rows of caption tables. */
    private static List<ImageText> pairs(
            DataRef r, Finetune f, Set<String> splits, BadInputs bad, List<AutoCloseable> open) {
        if (r instanceof DataRef.Karpathy k) {
            return Sources.karpathy(k, splits, bad);
        }
        if (r instanceof DataRef.Arrow a && a.content() == DataRef.Content.PAIRS) {
            List<ImageText> out = new ArrayList<>();
            addAll(out, Sources.pairs(a, 0, bad, open).dataset()); // image ids unique across files
            return out;
        }
        if (r instanceof DataRef.BuiltIn) {
            throw new IllegalArgumentException(
                    f.name()
                            + "() on the built-in world trains and evaluates on its own splits:"
                            + " drop evalData(...), or train on coco(...), flickr30k(...) or"
                            + " arrowPairs(...) to evaluate on "
                            + (f.evalData() != null ? f.evalData().describe() : "other data"));
        }
        throw new IllegalArgumentException(
                f.name()
                        + "() reads coco(...), flickr30k(...), arrowPairs(...) or builtIn(), not "
                        + r.describe()
                        + (r instanceof DataRef.WebDataset
                                ? " (shards are read as a stream, and fine-tuning samples its"
                                        + " batches at random: write them to Arrow caption"
                                        + " tables, or pretrain on them)"
                                : ""));
    }

    private static TaskData classification(Finetune f) {
        if (!(f.data() instanceof DataRef.ImageFolder tf)) {
            throw new IllegalArgumentException(
                    f.name()
                            + "() reads imageFolder(...) or builtIn(), not "
                            + f.data().describe());
        }
        String missing = Sources.missing(tf);
        if (missing != null) {
            throw new IllegalArgumentException(f.name() + "(): " + missing);
        }
        if (!(f.evalData() instanceof DataRef.ImageFolder ef)) {
            throw new IllegalArgumentException(
                    f.name()
                            + "() on "
                            + tf.describe()
                            + " needs held-out images: add .evalData(imageFolder(\"val/\")) with"
                            + " the same class folders");
        }
        ImageFolder train = ImageFolder.read(tf.root());
        ImageFolder eval = ImageFolder.read(ef.root());
        if (!train.classes().equals(eval.classes())) {
            throw new IllegalArgumentException(
                    "the class folders differ: "
                            + tf.root()
                            + " has "
                            + train.classes()
                            + ", "
                            + ef.root()
                            + " has "
                            + eval.classes());
        }
        int[] counts = new int[train.classes().size()];
        for (LabeledImage i : train.images()) {
            counts[i.label()]++;
        }
        int majority = 0;
        for (int c = 1; c < counts.length; c++) {
            if (counts[c] > counts[majority]) {
                majority = c;
            }
        }
        int hits = 0;
        for (LabeledImage i : eval.images()) {
            hits += i.label() == majority ? 1 : 0;
        }
        Map<String, Double> base = new LinkedHashMap<>();
        base.put("uniform chance", 1.0 / counts.length);
        base.put("majority class (of training)", (double) hits / eval.images().size());
        return new TaskData(
                f.task(), train.images(), eval.images(), null, null, train.classes(), base, false);
    }
}
