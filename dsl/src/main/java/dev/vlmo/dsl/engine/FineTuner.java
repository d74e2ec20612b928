package dev.vlmo.dsl.engine;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.vlmo.datasets.BadInputs;
import dev.vlmo.datasets.ImageRef;
import dev.vlmo.datasets.ImageText;
import dev.vlmo.datasets.LabeledImage;
import dev.vlmo.datasets.Nlvr2Example;
import dev.vlmo.datasets.VqaExample;
import dev.vlmo.datasets.batch.Batch;
import dev.vlmo.datasets.batch.Collator;
import dev.vlmo.datasets.batch.Collators;
import dev.vlmo.datasets.batch.TextEncoder;
import dev.vlmo.datasets.image.ImageTransform;
import dev.vlmo.datasets.image.Transforms;
import dev.vlmo.datasets.synthetic.ChanceLevel;
import dev.vlmo.datasets.synthetic.SyntheticQuestion;
import dev.vlmo.datasets.synthetic.SyntheticWorld;
import dev.vlmo.datasets.text.WordPieceTokenizer;
import dev.vlmo.dsl.DataRef;
import dev.vlmo.dsl.Finetune;
import dev.vlmo.dsl.FinetuneRun;
import dev.vlmo.dsl.Runtime;
import dev.vlmo.dsl.eval.Classification;
import dev.vlmo.dsl.eval.Retrieval;
import dev.vlmo.dsl.eval.VqaAccuracy;
import dev.vlmo.dsl.infer.ClassifierHead;
import dev.vlmo.dsl.infer.Predictor;
import dev.vlmo.model.Engines;
import dev.vlmo.model.VlmoConfig;
import dev.vlmo.model.VlmoModel;
import dev.vlmo.model.checkpoint.CheckpointImporter;
import dev.vlmo.model.checkpoint.TensorData;
import dev.vlmo.model.nn.Autocast;
import dev.vlmo.model.objectives.Losses;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * Fine-tunes a pretrained model on one downstream task and evaluates it: builds the task's model
 * from the pretrained weights (resizing positions for a new image size, adding the VQA, NLVR2 or
 * classification head), trains the parameters the task uses with AdamW (the head at its learning
 * rate multiple), evaluates on held-out data, and writes metrics, predictions and the model to a
 * directory.
 *
 * <p>Randomness is a function of (seed, step), as in pretraining. With several devices a fine-tune
 * trains data-parallel as pretraining does (each device takes a share of every batch, the outputs
 * are gathered and the loss is that of the whole batch, so retrieval's contrastive loss sees every
 * candidate); evaluation and the returned predictor run on the first device.
 */
public final class FineTuner {

    private static final Pattern BLOCK = Pattern.compile("transformer\\.blocks\\.(\\d+)\\.(.*)");

    private final Finetune task;
    private final Finetune.Settings settings;
    private final Runtime runtime;
    private final Path dir;
    private final WordPieceTokenizer tokenizer;
    private final NDManager root;
    private final VlmoModel model;
    private final ClassifierHead classifier;
    private final TaskData data;
    private final Shards shards;
    private final BadInputs bad = BadInputs.skipAndCount();
    private final MixedPrecision mixed;

    private FineTuner(
            Finetune task,
            VlmoConfig pretrained,
            Map<String, TensorData> weights,
            String source,
            WordPieceTokenizer tokenizer,
            Runtime runtime,
            Path dir) {
        this.task = task;
        this.settings = task.resolve(pretrained);
        this.runtime = runtime;
        this.mixed = new MixedPrecision(runtime.precision());
        this.dir = dir;
        this.tokenizer = tokenizer;
        this.data = TaskData.open(task, settings.imageSize(), bad);
        NDManager m = null;
        Shards sh = null;
        try {
            if (settings.textLength() > pretrained.maxTextLen()) {
                throw new IllegalArgumentException(
                        "textLength "
                                + settings.textLength()
                                + " exceeds the model's maxTextLen "
                                + pretrained.maxTextLen());
            }
            VlmoConfig c = pretrained.withImageSize(settings.imageSize());
            Map<String, TensorData> sd = new LinkedHashMap<>(weights);
            if (task.task() == Finetune.Task.VQA) {
                if (c.vqaLabels() != data.answers().size()) {
                    sd.keySet().removeIf(k -> k.startsWith("vqa_classifier."));
                }
                c = c.withVqaLabels(data.answers().size());
            }
            if (task.task() == Finetune.Task.NLVR2) {
                c = c.withNlvr2(true);
            }
            Engine engine = Engines.get(runtime.engine());
            sh = new Shards(engine, runtime.devices());
            m = engine.newBaseManager(sh.main());
            engine.setRandomSeed((int) task.seed());
            this.model = new VlmoModel(c).initialize(m);
            CheckpointImporter.load(model, m, sd, source, CheckpointImporter.Options.LENIENT);
            this.classifier =
                    task.task() == Finetune.Task.CLASSIFICATION
                            ? new ClassifierHead(c.hidden(), data.classes().size()).initialize(m)
                            : null;
            this.root = m;
            this.shards = sh;
        } catch (dev.vlmo.model.checkpoint.CheckpointMismatchException e) {
            release(m);
            throw new IllegalArgumentException(
                    "the pretrained weights do not fit the "
                            + task.name()
                            + " model: "
                            + e.getMessage(),
                    e);
        } catch (RuntimeException e) {
            release(m);
            throw e;
        }
    }

    /** Frees what a constructor that failed part way had made: the model's arrays and files. */
    private void release(NDManager m) {
        if (m != null) {
            m.close();
        }
        data.close();
    }

    /**
     * Fine-tunes and evaluates.
     *
     * @param task the task
     * @param pretrained the pretrained model's configuration
     * @param weights its weights by reference key
     * @param source where the weights come from, for messages
     * @param tokenizer the tokenizer of pretraining
     * @param runtime where and how
     * @param dir the directory to write (created)
     * @return the fine-tuned model with its evaluation
     */
    public static FinetuneRun run(
            Finetune task,
            VlmoConfig pretrained,
            Map<String, TensorData> weights,
            String source,
            WordPieceTokenizer tokenizer,
            Runtime runtime,
            Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
        FineTuner t;
        try {
            t = new FineTuner(task, pretrained, weights, source, tokenizer, runtime, dir);
        } catch (RuntimeException e) {
            // refused before training: leave no empty folder to number the next one after
            try (var left = Files.list(dir)) {
                if (left.findAny().isEmpty()) {
                    Files.delete(dir);
                }
            } catch (IOException ignored) {
                // the folder stays; the refusal is what matters
            }
            throw e;
        }
        try {
            Table metrics = t.train();
            // written before the evaluation, so a failing evaluation loses no trained weights
            t.model.save(dir.resolve("model.params"));
            Files.writeString(dir.resolve("finetune.txt"), t.describe() + "\n");
            Predictor.writeHeads(dir, t.data.answers(), t.classifier, t.data.classes());
            Predictor p =
                    new Predictor(
                            t.model,
                            t.root,
                            true,
                            tokenizer,
                            t.settings.textLength(),
                            t.data.answers(),
                            t.classifier,
                            t.data.classes());
            Table eval = t.evaluate(p);
            if (Files.exists(dir.resolve(CHECKPOINT))) {
                RunDirectory.deleteTree(dir.resolve(CHECKPOINT)); // the fine-tune is complete
            }
            if (t.bad.total() > 0) {
                System.err.println(task.name() + " skipped bad inputs: " + t.bad.summary());
            }
            return new FinetuneRun(task, t.settings, p, metrics, eval, dir);
        } catch (IOException e) {
            t.root.close();
            throw new UncheckedIOException(task.name() + " in " + dir + " failed", e);
        } catch (RuntimeException e) {
            t.root.close();
            throw e;
        } finally {
            t.data.close(); // the samples' files; the fine-tuned model needs none of them
        }
    }

    // ------------------------------------------------------------------ training

    /** The parameters a task trains, by name (the model's plus the classifier's). */
    private Map<String, Parameter> trainable() {
        Map<String, Parameter> all = new LinkedHashMap<>(model.namedParameters());
        if (classifier != null) {
            for (Map.Entry<String, Parameter> e : classifier.namedParameters().entrySet()) {
                all.put(ClassifierHead.PREFIX + e.getKey(), e.getValue());
            }
        }
        Map<String, Parameter> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : all.entrySet()) {
            boolean t = trains(e.getKey());
            e.getValue().freeze(!t);
            if (t) {
                out.put(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    /** Whether the task's forward pass uses (and so trains) a parameter. */
    boolean trains(String name) {
        Finetune.Task t = task.task();
        if (name.startsWith(ClassifierHead.PREFIX)) {
            return true;
        }
        if (task.linearProbe()) {
            return false;
        }
        if (name.startsWith("mlm_score")
                || name.startsWith("itm_score")
                || name.startsWith("mim")
                || name.startsWith("itc_vl_")
                || name.equals("logit_vl_scale")) {
            return false;
        }
        boolean pair = t == Finetune.Task.VQA || t == Finetune.Task.NLVR2;
        if (name.startsWith("vqa_classifier")) {
            return t == Finetune.Task.VQA;
        }
        if (name.startsWith("nlvr2_classifier")) {
            return t == Finetune.Task.NLVR2;
        }
        if (name.startsWith("pooler")) {
            return pair;
        }
        if (name.startsWith("itc_") || name.equals("logit_scale")) {
            return t == Finetune.Task.RETRIEVAL;
        }
        if (name.startsWith("text_embeddings")) {
            return t != Finetune.Task.CLASSIFICATION;
        }
        Matcher m = BLOCK.matcher(name);
        if (m.matches()) {
            int layer = Integer.parseInt(m.group(1));
            String rest = m.group(2);
            boolean vl = rest.startsWith("mlp_vl") || rest.startsWith("norm2_vl");
            boolean text = rest.startsWith("mlp_text") || rest.startsWith("norm2_text");
            boolean imag = rest.startsWith("mlp_imag") || rest.startsWith("norm2_imag");
            boolean fused = layer >= model.config().layers() - model.config().vlLayers();
            if (pair) {
                return fused ? !(text || imag) : !vl;
            }
            if (vl) {
                return false;
            }
            return t == Finetune.Task.CLASSIFICATION ? !text : true;
        }
        return true;
    }

    private Table train() throws IOException {
        Map<String, Parameter> train = trainable();
        if (train.isEmpty()) {
            throw new IllegalStateException(task.name() + " has no parameter to train");
        }
        Map<String, Double> decays = new LinkedHashMap<>();
        Map<String, Double> scales = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : train.entrySet()) {
            String n = e.getKey();
            decays.put(n, Trainer.decays(n, e.getValue()) ? settings.weightDecay() : 0.0);
            if (n.startsWith("vqa_classifier")
                    || n.startsWith("nlvr2_classifier")
                    || n.startsWith(ClassifierHead.PREFIX)) {
                scales.put(n, settings.headLrMultiplier());
            }
        }
        model.setDropPath(settings.dropPath());
        List<?> samples = data.train();
        if (samples.isEmpty()) {
            throw new IllegalArgumentException(task.name() + ": no training sample");
        }
        int batch = Math.min(settings.batchSize(), samples.size());
        int k = shards.count();
        if (batch < k) {
            throw new IllegalArgumentException(
                    task.name()
                            + ": "
                            + (samples.size() < k
                                    ? samples.size()
                                            + " training sample(s) cannot fill "
                                            + k
                                            + " devices; add data or train on fewer devices"
                                    : "a batch of "
                                            + batch
                                            + " cannot be split across "
                                            + k
                                            + " devices; use a batch size of at least "
                                            + k));
        }
        int total =
                settings.steps() > 0
                        ? settings.steps()
                        : settings.epochs() * ((samples.size() + batch - 1) / batch);
        LearningRate lr =
                new LearningRate(
                        settings.learningRate(),
                        settings.warmupSteps(total),
                        total,
                        dev.vlmo.dsl.Schedule.LINEAR);
        AdamW opt = new AdamW(0.9, 0.98, 1e-8);
        Collator<Object> collator = collator(true);
        Path metrics = dir.resolve("metrics.csv");
        List<Double> losses = new ArrayList<>();
        List<Double> rates = new ArrayList<>();
        int logEvery = Math.max(1, runtime.logEvery());
        int first = restore(train, opt, metrics, losses, rates);
        if (first > 0 && !runtime.isQuiet()) {
            System.out.printf(
                    Locale.ROOT,
                    "%s resumes after step %d of %d (%s)%n",
                    task.name(),
                    first,
                    total,
                    dir.resolve(CHECKPOINT));
        }
        long start = System.nanoTime();
        // a fresh fine-tune starts the file, a resumed one appends to the rows restore kept
        try (BufferedWriter w =
                first == 0
                        ? Files.newBufferedWriter(metrics, StandardCharsets.UTF_8)
                        : Files.newBufferedWriter(
                                metrics, StandardCharsets.UTF_8, StandardOpenOption.APPEND)) {
            if (first == 0) {
                w.write(METRICS_HEADER + "\n");
            }
            for (int step = first; step < total; step++) {
                long t0 = System.nanoTime();
                List<Object> rows = rows(samples, batch, step);
                Batch b =
                        collator.collate(
                                rows, new SplittableRandom(task.seed() * 7919 + step), bad);
                if (b.size() < shards.count()) {
                    // bad images left too few rows for the devices: skipped, as an empty batch is
                    if (b.size() > 0) {
                        System.err.printf(
                                Locale.ROOT,
                                "%s step %d: %d row(s) left after bad inputs for %d devices;"
                                        + " the step was skipped%n",
                                task.name(),
                                step + 1,
                                b.size(),
                                shards.count());
                    }
                    continue;
                }
                double rate = lr.at(step);
                double loss = step(b, step, train, decays, scales, opt, rate);
                double secs = (System.nanoTime() - t0) / 1e9;
                losses.add(loss);
                rates.add(rate);
                w.write(
                        String.format(
                                Locale.ROOT,
                                "%d,%.6f,%.6g,%.3f,%.4f%n",
                                step + 1,
                                loss,
                                rate,
                                b.size() / secs,
                                secs));
                w.flush(); // a crash keeps every finished step
                if (!runtime.isQuiet() && ((step + 1) % logEvery == 0 || step + 1 == total)) {
                    double el = (System.nanoTime() - start) / 1e9;
                    System.out.printf(
                            Locale.ROOT,
                            "%s step %d/%d  loss %.4f  lr %.2e  %.1f samples/s  eta %.0f s%n",
                            task.name(),
                            step + 1,
                            total,
                            loss,
                            rate,
                            b.size() / secs,
                            el / (step + 1 - first) * (total - step - 1));
                }
                int every = task.checkpointEvery();
                if (every > 0 && (step + 1) % every == 0 && step + 1 < total) {
                    checkpoint(step + 1, train, opt);
                }
                java.util.function.ObjIntConsumer<NDManager> hook = afterStep;
                if (hook != null) {
                    hook.accept(root, step + 1);
                }
            }
        }
        Table t = Table.create(task.name() + " fine-tuning");
        double[] steps = new double[losses.size()];
        for (int i = 0; i < steps.length; i++) {
            steps[i] = i + 1;
        }
        t.addColumns(
                DoubleColumn.create("step", steps),
                DoubleColumn.create("loss", losses),
                DoubleColumn.create("lr", rates));
        return t;
    }

    /**
     * Called after each finished step with the manager that owns the model and the optimizer state
     * (tests use it to stop a fine-tune part way and to count what it holds).
     */
    static volatile java.util.function.ObjIntConsumer<NDManager> afterStep;

    /** The folder of a fine-tune's checkpoint, inside its directory. */
    static final String CHECKPOINT = "checkpoint";

    private static final String METRICS_HEADER = "step,loss,lr,samples_per_s,seconds";

    /**
     * Returns whether a fine-tune directory holds a fine-tune that stopped part way: a checkpoint
     * and no evaluation yet.
     *
     * @param dir a {@code finetune-NAME[-N]} directory
     * @return true if {@link #run} would continue it from its checkpoint
     */
    public static boolean stoppedPartWay(Path dir) {
        return Files.isRegularFile(dir.resolve(CHECKPOINT).resolve(RunDirectory.STATE))
                && !Files.exists(dir.resolve("evaluation.csv"));
    }

    /**
     * Writes the trained parameters, the optimizer's state and the step to {@code checkpoint/},
     * through a temporary folder renamed into place (a crash never leaves half a checkpoint).
     * Frozen parameters are not written: they are the pretrained weights the fine-tune starts from.
     * Batches, augmentation and dropout are functions of the step, so nothing else is needed to
     * continue exactly.
     */
    private void checkpoint(int step, Map<String, Parameter> train, AdamW opt) throws IOException {
        Path tmp = Files.createTempDirectory(dir, CHECKPOINT + ".tmp");
        NDList params = new NDList();
        for (Map.Entry<String, Parameter> e : train.entrySet()) {
            NDArray a = e.getValue().getArray().stopGradient();
            a.setName(e.getKey());
            params.add(a);
        }
        try (OutputStream os =
                new BufferedOutputStream(Files.newOutputStream(tmp.resolve("params.bin")))) {
            params.encode(os);
        } finally {
            params.close();
        }
        opt.save(tmp.resolve("optimizer.bin"));
        java.util.Properties state = new java.util.Properties();
        state.setProperty("step", Integer.toString(step));
        state.setProperty("task", describeOnOneLine());
        mixed.save(state);
        RunDirectory.writeState(tmp, state, "VLMo fine-tune state");
        Path target = dir.resolve(CHECKPOINT);
        if (Files.exists(target)) {
            RunDirectory.deleteTree(target);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Continues from {@code checkpoint/} when there is one: loads the trained parameters and the
     * optimizer's state, keeps the metrics rows up to the checkpoint's step and returns that step
     * (0 without a checkpoint: a fresh start, and an empty metrics file).
     */
    private int restore(
            Map<String, Parameter> train,
            AdamW opt,
            Path metrics,
            List<Double> losses,
            List<Double> rates)
            throws IOException {
        Path ckpt = dir.resolve(CHECKPOINT);
        if (!Files.isRegularFile(ckpt.resolve(RunDirectory.STATE))) {
            return 0;
        }
        java.util.Properties p = RunDirectory.readState(ckpt);
        String then = p.getProperty("task", "");
        String now = describeOnOneLine();
        if (!then.equals(now)) {
            throw new IllegalArgumentException(
                    "cannot resume "
                            + dir
                            + ": its checkpoint is of another fine-tune.\n  then: "
                            + then
                            + "\n  now:  "
                            + now
                            + "\nresume with the settings it was started with, or delete "
                            + ckpt
                            + " to start this fine-tune afresh (the pretrained run is not"
                            + " touched)");
        }
        int step = Integer.parseInt(p.getProperty("step"));
        mixed.load(p);
        try (InputStream is =
                        new BufferedInputStream(Files.newInputStream(ckpt.resolve("params.bin")));
                NDManager m = root.newSubManager()) {
            NDList saved = NDList.decode(m, is);
            Map<String, NDArray> byName = new LinkedHashMap<>();
            for (NDArray a : saved) {
                byName.put(a.getName(), a);
            }
            for (Map.Entry<String, Parameter> e : train.entrySet()) {
                NDArray a = byName.get(e.getKey());
                NDArray mine = e.getValue().getArray();
                if (a == null || !a.getShape().equals(mine.getShape())) {
                    throw new IOException(
                            ckpt
                                    + " has no parameter "
                                    + e.getKey()
                                    + " of shape "
                                    + mine.getShape()
                                    + (a == null ? "" : " (it holds " + a.getShape() + ")"));
                }
                mine.set(new NDIndex("..."), a);
            }
        }
        opt.load(ckpt.resolve("optimizer.bin"), root);
        List<String> keep = new ArrayList<>();
        List<String> rows =
                Files.exists(metrics)
                        ? Files.readAllLines(metrics, StandardCharsets.UTF_8)
                        : List.of(METRICS_HEADER);
        for (String line : rows) {
            String[] f = line.split(",");
            if (line.startsWith("step,")) {
                keep.add(line);
            } else if (f.length >= 3 && Integer.parseInt(f[0]) <= step) {
                keep.add(line);
                losses.add(Double.parseDouble(f[1]));
                rates.add(Double.parseDouble(f[2]));
            }
        }
        Files.write(metrics, keep, StandardCharsets.UTF_8);
        return step;
    }

    /** The task and its resolved settings, as {@code finetune.txt} holds them. */
    private String describe() {
        return task + "\n" + settings;
    }

    /** {@link #describe()} as one line, for a properties file. */
    private String describeOnOneLine() {
        return describe().replace("\n", " | ");
    }

    /** The samples of one step: a seeded permutation per epoch, walked in order. */
    private static List<Object> rows(List<?> samples, int batch, int step) {
        int n = samples.size();
        List<Object> out = new ArrayList<>(batch);
        long from = (long) step * batch;
        int[] perm = null;
        long permEpoch = -1;
        for (long p = from; p < from + batch; p++) {
            long epoch = p / n;
            if (epoch != permEpoch) {
                perm = permutation(n, epoch);
                permEpoch = epoch;
            }
            out.add(samples.get(perm[(int) (p % n)]));
        }
        return out;
    }

    private static int[] permutation(int n, long epoch) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        SplittableRandom r = new SplittableRandom(0x5eed_f00dL + epoch);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int x = p[i];
            p[i] = p[j];
            p[j] = x;
        }
        return p;
    }

    /**
     * The transform of a task's training images: the reference's augmentation, or the evaluation
     * resize for the built-in world (flips would turn left into right) and when the task turns
     * augmentation off.
     */
    static ImageTransform trainTransform(Finetune task, boolean synthetic, int size) {
        return !synthetic && task.augment() ? Transforms.train(size) : Transforms.eval(size);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private Collator<Object> collator(boolean training) {
        int size = settings.imageSize();
        ImageTransform tf =
                training ? trainTransform(task, data.synthetic(), size) : Transforms.eval(size);
        TextEncoder text = new TextEncoder(tokenizer, settings.textLength());
        Collator c =
                switch (task.task()) {
                    case VQA -> Collators.vqa(text, tf, data.answers().size());
                    case NLVR2 -> Collators.nlvr2(text, tf);
                    case RETRIEVAL -> Collators.imageText(text, tf);
                    case CLASSIFICATION -> Collators.images(tf, null);
                };
        return (Collator<Object>) c;
    }

    private double step(
            Batch b,
            int step,
            Map<String, Parameter> train,
            Map<String, Double> decays,
            Map<String, Double> scales,
            AdamW opt,
            double rate) {
        long seed = task.seed() * 1_000_003L + step;
        root.getEngine().setRandomSeed((int) (seed ^ (seed >>> 32)));
        double lossScale = mixed.scale();
        try (NDManager sm = root.newSubManager()) {
            Trainer.Inputs in = Trainer.Inputs.of(b, 0, b.size(), sm);
            List<ParameterStore> stores = shards.stores(sm);
            double value;
            try (GradientCollector gc = root.getEngine().newGradientCollector()) {
                NDArray loss;
                try (Autocast ac = mixed.open(sm)) {
                    loss = loss(b, in, stores, sm);
                }
                value = loss.getFloat();
                gc.backward(mixed.backwardLoss(loss, 1));
            }
            Map<String, NDArray> grads = new LinkedHashMap<>();
            for (Map.Entry<String, Parameter> e : train.entrySet()) {
                grads.put(e.getKey(), Trainer.grad(e.getValue(), sm));
            }
            double norm =
                    Trainer.update(
                            train,
                            grads,
                            decays,
                            scales,
                            opt,
                            rate,
                            settings.gradientClipping(),
                            lossScale,
                            sm);
            String scaled = mixed.after(Double.isFinite(norm));
            if (!Double.isFinite(norm)) {
                System.err.printf(
                        Locale.ROOT,
                        "%s step %d: gradient norm is %s; the update was skipped%s%n",
                        task.name(),
                        step + 1,
                        norm,
                        scaled != null ? "; " + scaled : "");
            }
            return value;
        }
    }

    /**
     * The task's loss over the whole batch: each shard's forward pass runs with its device's
     * parameters, and the outputs the loss needs are gathered on the first device.
     */
    private NDArray loss(Batch b, Trainer.Inputs in, List<ParameterStore> stores, NDManager sm) {
        List<Trainer.Inputs> parts = Shards.split(in, stores);
        List<NDArray> out = new ArrayList<>();
        return switch (task.task()) {
            case VQA -> {
                NDArray targets =
                        Engines.owned(
                                sm.create(b.vqaTargets(), new Shape(b.size(), b.numAnswers())));
                for (int i = 0; i < parts.size(); i++) {
                    Trainer.Inputs x = parts.get(i);
                    ParameterStore ps = stores.get(i);
                    NDArray pooled = model.poolPairs(ps, x.ids(), x.mask(), x.images(), 1, true);
                    out.add(model.vqaLogits(ps, pooled, true));
                }
                yield Losses.softBinaryCrossEntropy(Shards.gather(out, sm), targets);
            }
            case NLVR2 -> {
                int s = b.imageSize();
                List<NDArray> second =
                        Shards.split(
                                Engines.owned(sm.create(b.images2(), new Shape(b.size(), 3, s, s))),
                                stores);
                for (int i = 0; i < parts.size(); i++) {
                    Trainer.Inputs x = parts.get(i);
                    ParameterStore ps = stores.get(i);
                    NDArray a = model.poolPairs(ps, x.ids(), x.mask(), x.images(), 1, true);
                    NDArray c = model.poolPairs(ps, x.ids(), x.mask(), second.get(i), 2, true);
                    out.add(model.nlvr2Logits(ps, a, c, true));
                }
                yield Losses.crossEntropy(Shards.gather(out, sm), labels(b, sm));
            }
            case RETRIEVAL -> {
                List<NDArray> txt = new ArrayList<>();
                for (int i = 0; i < parts.size(); i++) {
                    Trainer.Inputs x = parts.get(i);
                    ParameterStore ps = stores.get(i);
                    out.add(model.encodeImageCls(ps, x.images(), false, true).itc());
                    txt.add(model.encodeTextCls(ps, x.ids(), x.mask(), false, true).itc());
                }
                NDArray img = Shards.gather(out, sm);
                NDArray scale = model.logitScale(stores.get(0), img, false, true);
                yield Losses.contrastive(img, Shards.gather(txt, sm), scale).loss();
            }
            case CLASSIFICATION -> {
                for (int i = 0; i < parts.size(); i++) {
                    Trainer.Inputs x = parts.get(i);
                    ParameterStore ps = stores.get(i);
                    NDArray hidden = model.encodeImage(ps, x.images(), false, true).hidden();
                    out.add(classifier.forward(ps, hidden, true));
                }
                yield Losses.crossEntropy(Shards.gather(out, sm), labels(b, sm));
            }
        };
    }

    private static NDArray labels(Batch b, NDManager sm) {
        long[] l = new long[b.size()];
        for (int i = 0; i < l.length; i++) {
            l[i] = b.labels()[i];
        }
        return Engines.owned(sm.create(l, new Shape(l.length)));
    }

    // ------------------------------------------------------------------ evaluation

    private Table evaluate(Predictor p) throws IOException {
        model.setDropPath(0);
        Map<String, Double> results = new LinkedHashMap<>();
        switch (task.task()) {
            case VQA -> evalVqa(p, results);
            case NLVR2 -> evalNlvr2(p, results);
            case RETRIEVAL -> evalRetrieval(p, results);
            case CLASSIFICATION -> evalClassification(p, results);
        }
        Table t = Table.create(task.name() + " on held-out data (" + data.eval().size() + ")");
        StringColumn kind = StringColumn.create("kind");
        StringColumn metric = StringColumn.create("metric");
        DoubleColumn value = DoubleColumn.create("value %");
        for (Map.Entry<String, Double> e : results.entrySet()) {
            kind.append("fine-tuned");
            metric.append(e.getKey());
            value.append(Math.round(e.getValue() * 1000) / 10.0);
        }
        for (Map.Entry<String, Double> e : data.baselines().entrySet()) {
            kind.append("baseline");
            metric.append(e.getKey());
            value.append(Math.round(e.getValue() * 1000) / 10.0);
        }
        t.addColumns(kind, metric, value);
        t.write().csv(dir.resolve("evaluation.csv").toFile());
        return t;
    }

    @SuppressWarnings("unchecked")
    private void evalVqa(Predictor p, Map<String, Double> out) throws IOException {
        List<VqaExample> ex = (List<VqaExample>) data.eval();
        List<ImageRef> images = new ArrayList<>();
        List<String> questions = new ArrayList<>();
        for (VqaExample e : ex) {
            images.add(e.image());
            questions.add(e.question());
        }
        float[][] logits = p.vqaLogits(images, questions);
        double[] scores = new double[ex.size()];
        double score = 0;
        double official = 0;
        int withAnswers = 0;
        ObjectMapper json = new ObjectMapper();
        ArrayNode submission = json.createArrayNode();
        try (BufferedWriter w =
                Files.newBufferedWriter(dir.resolve("predictions.csv"), StandardCharsets.UTF_8)) {
            w.write("question_id,predicted,vqa_score\n");
            for (int i = 0; i < ex.size(); i++) {
                VqaExample e = ex.get(i);
                int best = Predictor.argmax(logits[i]);
                String answer = data.answers().get(best);
                double s = VqaAccuracy.score(best, e.labels(), e.scores());
                scores[i] = s;
                score += s;
                if (!e.answers().isEmpty()) {
                    official += VqaAccuracy.official(answer, e.answers());
                    withAnswers++;
                }
                w.write(e.questionId() + "," + csv(answer) + "," + s + "\n");
                submission.addObject().put("question_id", e.questionId()).put("answer", answer);
            }
        }
        json.writerWithDefaultPrettyPrinter()
                .writeValue(dir.resolve("vqa_submission.json").toFile(), submission);
        if (data.synthetic() && task.data() instanceof DataRef.BuiltIn b) {
            byQuestionType(b, scores);
        }
        out.put("VQA score (reference)", score / ex.size());
        if (withAnswers > 0) {
            out.put("VQA accuracy (official)", official / withAnswers);
        }
    }

    /**
     * Writes {@code evaluation-by-type.csv} for the built-in world: the score of each question type
     * (colour, shape, count, position, yes/no) with its uniform and majority baselines, in %.
     */
    private void byQuestionType(DataRef.BuiltIn b, double[] scores) throws IOException {
        SyntheticWorld world = b.world(settings.imageSize());
        SyntheticWorld.Split split = SyntheticWorld.Split.TEST;
        List<SyntheticQuestion> questions = world.questions(split);
        if (questions.size() != scores.length) {
            return; // not the split the examples came from
        }
        Map<String, double[]> sums = new LinkedHashMap<>();
        for (int i = 0; i < scores.length; i++) {
            String type = questions.get(i).type().name().toLowerCase(Locale.ROOT);
            double[] v = sums.computeIfAbsent(type, k -> new double[2]);
            v[0] += scores[i];
            v[1]++;
        }
        Map<String, ChanceLevel> levels = new HashMap<>();
        for (var c : world.chanceLevels(split)) {
            levels.put(c.task(), c);
        }
        Table t = Table.create(task.name() + " by question type (%)");
        StringColumn type = StringColumn.create("question type");
        IntColumn count = IntColumn.create("questions");
        DoubleColumn tuned = DoubleColumn.create("fine-tuned");
        DoubleColumn uniform = DoubleColumn.create("uniform chance");
        DoubleColumn majority = DoubleColumn.create("majority answer");
        for (Map.Entry<String, double[]> e : sums.entrySet()) {
            var level = levels.get("vqa/" + e.getKey());
            type.append(e.getKey());
            count.append((int) e.getValue()[1]);
            tuned.append(Math.round(e.getValue()[0] / e.getValue()[1] * 1000) / 10.0);
            uniform.append(level == null ? Double.NaN : Math.round(level.uniform() * 1000) / 10.0);
            majority.append(
                    level == null ? Double.NaN : Math.round(level.majority() * 1000) / 10.0);
        }
        t.addColumns(type, count, tuned, uniform, majority);
        t.write().csv(dir.resolve("evaluation-by-type.csv").toFile());
    }

    @SuppressWarnings("unchecked")
    private void evalNlvr2(Predictor p, Map<String, Double> out) throws IOException {
        List<Nlvr2Example> ex = (List<Nlvr2Example>) data.eval();
        List<ImageRef> left = new ArrayList<>();
        List<ImageRef> right = new ArrayList<>();
        List<String> statements = new ArrayList<>();
        for (Nlvr2Example e : ex) {
            left.add(e.left());
            right.add(e.right());
            statements.add(e.statement());
        }
        float[] prob = p.judge(left, right, statements);
        int hits = 0;
        try (BufferedWriter w =
                Files.newBufferedWriter(dir.resolve("predictions.csv"), StandardCharsets.UTF_8)) {
            w.write("identifier,prob_true,label\n");
            for (int i = 0; i < ex.size(); i++) {
                boolean pred = prob[i] > 0.5f;
                hits += pred == ex.get(i).label() ? 1 : 0;
                w.write(
                        csv(ex.get(i).identifier())
                                + ","
                                + prob[i]
                                + ","
                                + ex.get(i).label()
                                + "\n");
            }
        }
        out.put("NLVR2 accuracy", (double) hits / ex.size());
    }

    @SuppressWarnings("unchecked")
    private void evalRetrieval(Predictor p, Map<String, Double> out) throws IOException {
        List<ImageText> caps = (List<ImageText>) data.eval();
        List<ImageRef> images = data.evalImages();
        List<String> texts = new ArrayList<>();
        int[] owner = new int[caps.size()];
        for (int i = 0; i < caps.size(); i++) {
            texts.add(caps.get(i).text());
            owner[i] = caps.get(i).imageId();
        }
        float[][] iv = p.embedImages(images);
        float[][] tv = p.embedTexts(texts);
        float[] scores = Retrieval.similarity(iv, tv);
        Retrieval.Recall r = Retrieval.recall(scores, iv.length, tv.length, owner);
        put(out, "", r);
        if (task.rerankTop() > 0) {
            Retrieval.Recall rr =
                    Retrieval.rerank(
                            scores,
                            iv.length,
                            tv.length,
                            owner,
                            task.rerankTop(),
                            (qi, qt) -> {
                                List<ImageRef> a = new ArrayList<>();
                                List<String> b = new ArrayList<>();
                                for (int q = 0; q < qi.length; q++) {
                                    a.add(images.get(qi[q]));
                                    b.add(texts.get(qt[q]));
                                }
                                return p.match(a, b);
                            });
            // a k beyond the candidates re-ranks them all: say that, not the k asked for
            put(
                    out,
                    task.rerankTop() >= Math.max(iv.length, tv.length)
                            ? " (ITM re-ranked, every candidate)"
                            : " (ITM re-ranked top " + task.rerankTop() + ")",
                    rr);
        }
        try (BufferedWriter w =
                Files.newBufferedWriter(dir.resolve("predictions.csv"), StandardCharsets.UTF_8)) {
            w.write("text_index,image,best_image,score\n");
            for (int t = 0; t < tv.length; t++) {
                int best = 0;
                for (int i = 1; i < iv.length; i++) {
                    if (scores[i * tv.length + t] > scores[best * tv.length + t]) {
                        best = i;
                    }
                }
                w.write(
                        t
                                + ","
                                + owner[t]
                                + ","
                                + best
                                + ","
                                + scores[best * tv.length + t]
                                + "\n");
            }
        }
    }

    private static void put(Map<String, Double> out, String suffix, Retrieval.Recall r) {
        out.put("TR@1" + suffix, r.textR1());
        out.put("TR@5" + suffix, r.textR5());
        out.put("TR@10" + suffix, r.textR10());
        out.put("IR@1" + suffix, r.imageR1());
        out.put("IR@5" + suffix, r.imageR5());
        out.put("IR@10" + suffix, r.imageR10());
    }

    @SuppressWarnings("unchecked")
    private void evalClassification(Predictor p, Map<String, Double> out) throws IOException {
        List<LabeledImage> ex = (List<LabeledImage>) data.eval();
        List<ImageRef> images = new ArrayList<>();
        int[] labels = new int[ex.size()];
        for (int i = 0; i < ex.size(); i++) {
            images.add(ex.get(i).image());
            labels[i] = ex.get(i).label();
        }
        float[][] logits = p.classLogits(images);
        out.put("top-1 accuracy", Classification.topK(logits, labels, 1));
        if (data.classes().size() > 5) {
            out.put("top-5 accuracy", Classification.topK(logits, labels, 5));
        }
        try (BufferedWriter w =
                Files.newBufferedWriter(dir.resolve("predictions.csv"), StandardCharsets.UTF_8)) {
            w.write("image,predicted,label\n");
            for (int i = 0; i < ex.size(); i++) {
                w.write(
                        csv(images.get(i).name())
                                + ","
                                + data.classes().get(Predictor.argmax(logits[i]))
                                + ","
                                + data.classes().get(labels[i])
                                + "\n");
            }
        }
    }

    private static String csv(String s) {
        return s.contains(",") || s.contains("\"") ? '"' + s.replace("\"", "\"\"") + '"' : s;
    }
}
