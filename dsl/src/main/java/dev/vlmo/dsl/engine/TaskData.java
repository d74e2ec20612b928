package dev.vlmo.dsl.engine;

import dev.vlmo.datasets.BadInputs;
import dev.vlmo.datasets.ImageRef;
import dev.vlmo.datasets.ImageText;
import dev.vlmo.datasets.LabeledImage;
import dev.vlmo.datasets.Nlvr2Example;
import dev.vlmo.datasets.VqaExample;
import dev.vlmo.datasets.formats.ImageFolder;
import dev.vlmo.datasets.synthetic.ChanceLevel;
import dev.vlmo.datasets.synthetic.SyntheticWorld;
import dev.vlmo.dsl.DataRef;
import dev.vlmo.dsl.Finetune;
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
 */
record TaskData(
        Finetune.Task task,
        List<?> train,
        List<?> eval,
        List<ImageRef> evalImages,
        List<String> answers,
        List<String> classes,
        Map<String, Double> baselines,
        boolean synthetic) {

    static TaskData open(Finetune f, int imageSize, BadInputs bad) {
        DataRef d = f.data();
        DataRef e = f.evalData();
        if (d instanceof DataRef.BuiltIn b && (e == null || e.equals(d))) {
            return builtIn(f.task(), b.world(imageSize));
        }
        return switch (f.task()) {
            case RETRIEVAL -> retrieval(f, bad);
            case CLASSIFICATION -> classification(f);
            default ->
                    throw new IllegalArgumentException(
                            f.name()
                                    + "() fine-tunes on the built-in world in this version; "
                                    + d.describe()
                                    + " is not readable as "
                                    + f.task().dslName()
                                    + " data (use builtIn(), or read the data with"
                                    + " dev.vlmo.datasets.formats and serve it through the"
                                    + " Predictor)");
        };
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
                ChanceLevel c = levels.get("nlvr2");
                base.put("uniform chance", c.uniform());
                base.put("majority label", c.majority());
                yield new TaskData(task, w.nlvr2(tr), w.nlvr2(te), null, null, null, base, true);
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

    private static TaskData retrieval(Finetune f, BadInputs bad) {
        if (!(f.data() instanceof DataRef.Karpathy k)) {
            throw new IllegalArgumentException(
                    "retrieval() reads coco(...), flickr30k(...) or builtIn(), not "
                            + f.data().describe());
        }
        DataRef.Karpathy ek = k;
        if (f.evalData() != null) {
            if (!(f.evalData() instanceof DataRef.Karpathy x)) {
                throw new IllegalArgumentException(
                        "retrieval() evaluates on coco(...) or flickr30k(...), not "
                                + f.evalData().describe());
            }
            ek = x;
        }
        List<ImageText> train = Sources.karpathy(k, Sources.TRAIN_SPLITS, bad);
        List<ImageText> test = Sources.karpathy(ek, Set.of("test"), bad);
        List<ImageRef> images = new ArrayList<>();
        for (ImageText t : test) {
            while (images.size() <= t.imageId()) {
                images.add(null);
            }
            images.set(t.imageId(), t.image());
        }
        Map<String, Double> base = new LinkedHashMap<>();
        base.put("chance R@1", 1.0 / images.size());
        return new TaskData(f.task(), train, test, images, null, null, base, false);
    }

    private static TaskData classification(Finetune f) {
        if (!(f.data() instanceof DataRef.ImageFolder tf)) {
            throw new IllegalArgumentException(
                    f.name()
                            + "() reads imageFolder(...) or builtIn(), not "
                            + f.data().describe());
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
