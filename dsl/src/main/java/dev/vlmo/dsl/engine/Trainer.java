package dev.vlmo.dsl.engine;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.vlmo.datasets.batch.Batch;
import dev.vlmo.datasets.synthetic.SyntheticWorld;
import dev.vlmo.datasets.text.Vocabulary;
import dev.vlmo.datasets.text.WordPieceTokenizer;
import dev.vlmo.dsl.Plan;
import dev.vlmo.dsl.ProgressListener;
import dev.vlmo.dsl.Run;
import dev.vlmo.dsl.Runtime;
import dev.vlmo.dsl.Stage;
import dev.vlmo.model.Engines;
import dev.vlmo.model.VlmoModel;
import dev.vlmo.model.nn.Autocast;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Executes a plan: builds the model, runs each stage's training loop (data-parallel shards,
 * gradient accumulation, clipping, AdamW with parameter groups, warm-up and decay), writes metrics
 * and checkpoints, and resumes from the last checkpoint when asked.
 *
 * <p>Randomness is a function of (stage seed, step): the engine's generator (dropout, drop path)
 * and the negatives' generator are re-seeded at every step and the data order depends only on the
 * seed and the step, so a resumed run repeats the uninterrupted one.
 */
public final class Trainer {

    private final Plan plan;
    private final Runtime runtime;
    private final NDManager root;
    private final VlmoModel model;
    private final Shards shards;
    private final RunDirectory dir;
    private final ProgressListener progress;
    private final WordPieceTokenizer tokenizer;
    private int skipped;

    /** The running stage's precision: autocast and, for FP16, its loss scale. */
    private MixedPrecision mixed;

    /** The running stage's visual tokenizer (visual-token MIM targets), else null. */
    private VisualTokenizer visualTokenizer;

    Trainer(Plan plan, Runtime runtime, Path dirPath) {
        this.plan = plan;
        this.runtime = runtime;
        Engine engine = Engines.get(runtime.engine());
        this.shards = new Shards(engine, runtime.devices());
        this.root = engine.newBaseManager(shards.main());
        this.dir = new RunDirectory(dirPath);
        this.progress =
                runtime.isQuiet()
                        ? ProgressListener.NONE
                        : ProgressListener.createDefault(runtime.logEvery());
        this.tokenizer = tokenizer(plan);
        int seed = (int) plan.stages().get(0).stage().seed();
        engine.setRandomSeed(seed);
        this.model = new VlmoModel(plan.model()).initialize(root);
        this.mixed = new MixedPrecision(runtime.precision());
    }

    /**
     * Returns the tokenizer a plan uses: its vocabulary file, or the built-in world's.
     *
     * @param plan the plan
     * @return the tokenizer
     */
    public static WordPieceTokenizer tokenizer(Plan plan) {
        Path v = plan.runtime().isSmoke() ? null : plan.description().vocabulary();
        return new WordPieceTokenizer(
                v != null ? Vocabulary.load(v) : SyntheticWorld.lexiconVocabulary());
    }

    /**
     * Runs a plan to the end.
     *
     * @param plan the compiled description
     * @param runtime where and how
     * @return the finished run
     */
    public static Run run(Plan plan, Runtime runtime) {
        // what a resumed run continues from, found before anything is written
        RunDirectory.Checkpoint resumeFrom;
        int stagesDone;
        try {
            resumeFrom =
                    runtime.resume() && runtime.runDir() != null
                            ? new RunDirectory(runtime.runDir()).latest()
                            : null;
            stagesDone = resumeFrom == null ? 0 : RunDirectory.stagesDone(resumeFrom);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the checkpoints in " + runtime.runDir(), e);
        }
        List<String> missing = Sources.missingInputs(plan, stagesDone, resumeFrom != null);
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(
                    "the run's inputs are not all there (nothing was trained or written):\n  "
                            + String.join("\n  ", missing));
        }
        Path dirPath;
        try {
            dirPath =
                    runtime.runDir() != null
                            ? runtime.runDir()
                            : Files.createTempDirectory("vlmo-run-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a run directory", e);
        }
        Trainer t = new Trainer(plan, runtime, dirPath);
        try (RunDirectory lockHolder = t.dir) {
            t.execute(resumeFrom, stagesDone);
        } catch (IOException e) {
            t.root.close();
            throw new UncheckedIOException("run in " + dirPath + " failed: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            t.root.close();
            throw e;
        }
        return new Run(plan, t.model, t.root, dirPath, t.tokenizer);
    }

    /**
     * Opens the run directory and runs the stages, continuing from {@code resumeFrom} (null for a
     * fresh start) after the {@code stagesDone} stages it finished.
     */
    private void execute(RunDirectory.Checkpoint resumeFrom, int stagesDone) throws IOException {
        dir.open(plan, runtime.resume());
        for (Path half : dir.removeUnfinishedCheckpoints()) {
            System.err.println("removed a checkpoint a crash left half-written: " + half);
        }
        progress.runStarted(
                dir.dir(),
                resumeFrom != null
                        ? "resuming from its checkpoint of stage "
                                + resumeFrom.stage()
                                + " step "
                                + resumeFrom.step()
                        : runtime.resume()
                                ? "resume(true), but it holds no checkpoint yet: starting fresh"
                                : "");
        if (resumeFrom != null) {
            resumeLoad(
                    resumeFrom, () -> model.load(resumeFrom.dir().resolve("model.params"), root));
            dir.truncateMetrics(resumeFrom.stage(), resumeFrom.step());
        } else {
            dir.truncateMetrics(0, 0);
            Path start = plan.description().startFrom();
            if (start != null) {
                // ours or the reference's, leniently: a run that had other heads (a stage-1 run's
                // MIM head, a fine-tune's classifier) still starts this description's model
                var report =
                        dev.vlmo.model.checkpoint.CheckpointImporter.load(
                                model,
                                root,
                                start,
                                dev.vlmo.model.checkpoint.CheckpointImporter.Options.LENIENT);
                if (!report.complete() || !report.adapted().isEmpty()) {
                    System.err.println("started from " + report.summary());
                }
            }
        }
        for (Plan.StagePlan p : plan.stages()) {
            int start = 0;
            AdamW opt = new AdamW(p.stage().beta1(), p.stage().beta2(), 1e-8);
            // each stage scales its loss afresh, as each of the reference's stages is its own run
            mixed = new MixedPrecision(runtime.precision());
            if (p.index() <= stagesDone) {
                continue;
            }
            if (resumeFrom != null && p.index() == resumeFrom.stage()) {
                start = resumeFrom.step();
                resumeLoad(
                        resumeFrom,
                        () -> opt.load(resumeFrom.dir().resolve("optimizer.bin"), root));
                mixed.load(RunDirectory.state(resumeFrom));
            }
            runStage(p, start, opt);
        }
    }

    /** Reads part of a checkpoint being resumed; a damaged file is named with what to do. */
    private static void resumeLoad(RunDirectory.Checkpoint c, IoAction read) throws IOException {
        try {
            read.run();
        } catch (IOException e) {
            throw new IOException(
                    e.getMessage()
                            + "; delete its folder "
                            + c.dir()
                            + " and resume: the run continues from the latest checkpoint left",
                    e);
        }
    }

    @FunctionalInterface
    private interface IoAction {
        void run() throws IOException;
    }

    private void runStage(Plan.StagePlan p, int start, AdamW opt) throws IOException {
        Stage s = p.stage();
        Trainables tr = prepare(p);
        Map<String, Parameter> train = tr.parameters();
        Map<String, Double> decays = tr.decays();
        try (StageData data = StageData.open(p, plan.model(), tokenizer);
                VisualTokenizer tokens = visualTokenizer(s)) {
            visualTokenizer = tokens;
            int total = s.steps() > 0 ? s.steps() : s.epochs() * data.batchesPerEpoch();
            if (s.warmup() > total && !runtime.isSmoke() && start == 0) {
                System.err.printf(
                        Locale.ROOT,
                        "stage %d: warm-up of %.0f steps in a stage of %d: the learning rate rises"
                                + " for the whole stage and never reaches %.3g; give warmup(n)"
                                + " below the stage's steps, or a fraction such as warmup(0.1)%n",
                        p.index(),
                        s.warmup(),
                        total,
                        p.learningRate());
            }
            LearningRate lr =
                    new LearningRate(p.learningRate(), p.warmupSteps(total), total, s.schedule());
            progress.stageStarted(p, total, start);
            long stageStart = System.nanoTime();
            for (int step = start; step < total; step++) {
                long t0 = System.nanoTime();
                Batch batch = data.batch(step);
                double rate = lr.at(step);
                Map<String, Double> losses = step(p, batch, step, train, decays, opt, rate);
                double secs = (System.nanoTime() - t0) / 1e9;
                double sps = batch.size() / secs;
                double eta = secs * (total - step - 1);
                dir.appendMetrics(row(p, step + 1, losses, rate, sps, secs));
                progress.step(p, step + 1, total, losses, sps, eta);
                boolean last = step + 1 == total;
                int every = s.checkpointEvery();
                if (last || every > 0 && (step + 1) % every == 0) {
                    dir.save(p.index(), step + 1, last, model, opt, mixed);
                    dir.prune(p.index(), s.keepCheckpoints());
                }
            }
            if (data.badInputs().total() > 0) {
                System.err.println(
                        "stage "
                                + p.index()
                                + " skipped bad inputs: "
                                + data.badInputs().summary());
            }
            progress.stageFinished(p, (System.nanoTime() - stageStart) / 1e9);
        } finally {
            visualTokenizer = null;
        }
    }

    /** Loads the stage's visual tokenizer when it predicts visual tokens, else returns null. */
    private VisualTokenizer visualTokenizer(Stage s) throws IOException {
        if (s.mimTarget() instanceof dev.vlmo.dsl.MimTarget.Tokens t) {
            if (!Engines.DEFAULT.equals(root.getEngine().getEngineName())) {
                throw new IllegalStateException(
                        "visual-token targets run a TorchScript tokenizer and need the PyTorch"
                                + " engine; this run uses "
                                + root.getEngine().getEngineName());
            }
            return VisualTokenizer.load(t.tokenizer(), t.vocabulary(), root.getDevice());
        }
        return null;
    }

    /**
     * The parameters a stage trains, with their weight decay.
     *
     * @param parameters trainable parameters by name
     * @param decays weight decay by name (0 for none)
     */
    record Trainables(Map<String, Parameter> parameters, Map<String, Double> decays) {}

    /** Sets the stage's drop path, freezes what it does not train and returns what it trains. */
    Trainables prepare(Plan.StagePlan p) {
        model.setDropPath(p.dropPath());
        Map<String, Parameter> train = new LinkedHashMap<>();
        Map<String, Double> decays = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            boolean t = p.trainable().contains(e.getKey());
            e.getValue().freeze(!t);
            if (t) {
                train.put(e.getKey(), e.getValue());
                decays.put(
                        e.getKey(),
                        decays(e.getKey(), e.getValue()) ? p.stage().weightDecay() : 0.0);
            }
        }
        return new Trainables(train, decays);
    }

    /** The model being trained. */
    VlmoModel model() {
        return model;
    }

    /** The manager that owns the model's parameters. */
    NDManager root() {
        return root;
    }

    /** Norms, biases, layer scales, tokens, tables and logit scales get no weight decay. */
    static boolean decays(String name, Parameter p) {
        if (p.getShape().dimension() < 2) {
            return false; // biases, norm weights, layer scales, logit scales
        }
        return !name.endsWith("cls_token")
                && !name.endsWith("pos_embed")
                && !name.endsWith("mim_mask_token")
                && !name.equals("relative_position_bias_table")
                && !name.contains("position_embeddings")
                && !name.contains("token_type_embeddings");
    }

    private static String row(
            Plan.StagePlan p, int step, Map<String, Double> l, double lr, double sps, double secs) {
        return String.format(
                Locale.ROOT,
                "%d,%s,%d,%.6f,%s,%s,%s,%s,%s,%.6g,%.3f,%.4f",
                p.index(),
                p.stage().kind().dslName(),
                step,
                l.get("loss"),
                opt(l.get("itc")),
                opt(l.get("itm")),
                opt(l.get("mlm")),
                opt(l.get("mim")),
                opt(l.get("grad_norm")),
                lr,
                sps,
                secs);
    }

    private static String opt(Double v) {
        return v == null ? "" : String.format(Locale.ROOT, "%.6f", v);
    }

    // ------------------------------------------------------------------ one step

    Map<String, Double> step(
            Plan.StagePlan p,
            Batch batch,
            int step,
            Map<String, Parameter> train,
            Map<String, Double> decays,
            AdamW opt,
            double rate) {
        Stage s = p.stage();
        long seed = s.seed() * 1_000_003L + p.index() * 7919L + step;
        root.getEngine().setRandomSeed((int) (seed ^ (seed >>> 32)));
        Random random = new Random(seed);
        int accum = s.gradientAccumulation();
        int micro = batch.size() / accum;
        Map<String, Double> sums = new LinkedHashMap<>();
        Map<String, NDArray> acc = new LinkedHashMap<>();
        double lossScale = mixed.scale();
        try (NDManager sm = root.newSubManager()) {
            for (int a = 0; a < accum; a++) {
                Inputs in =
                        Inputs.of(
                                batch,
                                a * micro,
                                micro,
                                sm,
                                s.kind() != Stage.Kind.TEXT,
                                s.kind() != Stage.Kind.VISION);
                Map<String, NDArray> parts;
                List<ParameterStore> stores = shards.stores(sm);
                // half copies of the weights live as long as this micro-batch's backward pass
                try (NDManager casts = sm.newSubManager();
                        GradientCollector gc = root.getEngine().newGradientCollector()) {
                    try (Autocast ac = mixed.open(casts)) {
                        parts =
                                Objectives.compute(
                                        model, p, in, stores, random, sm, visualTokenizer);
                    }
                    gc.backward(mixed.backwardLoss(parts.get("loss"), accum));
                }
                for (Map.Entry<String, NDArray> e : parts.entrySet()) {
                    sums.merge(e.getKey(), (double) e.getValue().getFloat() / accum, Double::sum);
                }
                if (accum > 1) {
                    for (Map.Entry<String, Parameter> e : train.entrySet()) {
                        NDArray g = grad(e.getValue(), sm);
                        NDArray buf = acc.get(e.getKey());
                        if (buf == null) {
                            acc.put(e.getKey(), g.duplicate());
                        } else {
                            buf.addi(g);
                        }
                        zero(g);
                    }
                }
            }
            Map<String, NDArray> grads = new LinkedHashMap<>();
            for (Map.Entry<String, Parameter> e : train.entrySet()) {
                grads.put(e.getKey(), accum > 1 ? acc.get(e.getKey()) : grad(e.getValue(), sm));
            }
            double norm =
                    update(
                            train,
                            grads,
                            decays,
                            Map.of(),
                            opt,
                            rate,
                            s.gradientClipping(),
                            lossScale,
                            sm);
            sums.put("grad_norm", norm);
            String scaled = mixed.after(Double.isFinite(norm));
            if (!Double.isFinite(norm)) {
                skipped++;
                System.err.printf(
                        Locale.ROOT,
                        "stage %d step %d: gradient norm is %s; the update was skipped (%d so"
                                + " far); %s%n",
                        p.index(),
                        step + 1,
                        norm,
                        skipped,
                        scaled != null
                                ? scaled
                                : "consider gradientClipping or a lower learningRate");
            }
        }
        return sums;
    }

    /**
     * One AdamW update of the trained parameters with their gradients clipped to a global norm,
     * then every parameter's gradient cleared. A step whose gradients overflowed is skipped, as
     * fp16 loss scaling does in the reference, rather than written into the weights and the
     * optimizer's moments; the caller sees it in the returned norm.
     *
     * @param train the trained parameters by name
     * @param grads the gradients to apply, by the same names
     * @param decays weight decay per name
     * @param scales learning-rate multiplier per name (1 when absent)
     * @param clip the largest global norm (0 or less: no clipping)
     * @param lossScale the factor the loss was multiplied by (fp16 loss scaling; else 1): divided
     *     out of the gradients before clipping and the update
     * @return the global norm of the unscaled gradients; not finite when the update was skipped
     */
    static double update(
            Map<String, Parameter> train,
            Map<String, NDArray> grads,
            Map<String, Double> decays,
            Map<String, Double> scales,
            AdamW opt,
            double rate,
            double clip,
            double lossScale,
            NDManager sm) {
        if (opt.bind(train, decays, scales)) {
            double norm;
            try (AdamW.GroupedStep update = opt.groupedStep(grads, sm)) {
                norm = update.norm() / lossScale;
                if (Double.isFinite(norm)) {
                    update.apply(rate, clipScale(clip, norm) / lossScale);
                }
            }
            for (NDArray g : grads.values()) {
                // the parameters' gradients (or, with accumulation, the buffers: the parameters'
                // own were cleared after each micro-batch)
                zero(g);
            }
            return norm;
        }
        double norm = AdamW.globalNorm(grads.values()) / lossScale;
        boolean cleared = false;
        if (Double.isFinite(norm)) {
            Map<String, NDArray> params = new LinkedHashMap<>();
            for (Map.Entry<String, Parameter> e : train.entrySet()) {
                params.put(e.getKey(), e.getValue().getArray());
            }
            cleared =
                    opt.update(
                            params, grads, decays, scales, rate, clipScale(clip, norm) / lossScale);
        }
        if (!cleared) { // a skipped step, or an engine whose update leaves the gradients alone
            for (Parameter p : train.values()) {
                zero(grad(p, sm));
            }
        }
        return norm;
    }

    /** Clears a gradient in place; assignment, so NaN or infinite entries are cleared too. */
    static void zero(NDArray g) {
        g.set(new NDIndex("..."), 0f);
    }

    static NDArray grad(Parameter p, NDManager sm) {
        NDArray g = p.getArray().getGradient();
        g.attach(sm);
        return g;
    }

    /**
     * The factor that clips gradients to a global norm as {@code torch.nn.utils.clip_grad_norm_}
     * does: {@code max / (norm + 1e-6)} when the norm exceeds {@code max}, else 1.
     *
     * @param max the largest norm allowed (0 or less: no clipping)
     * @param norm the gradients' global norm
     * @return the factor for the optimizer's gradient scale
     */
    static double clipScale(double max, double norm) {
        return max > 0 && norm > max ? max / (norm + 1e-6) : 1.0;
    }

    /**
     * The arrays of one micro-batch, with host copies of the patch mask and the MLM labels: the
     * losses find the masked positions there, so no step waits to copy them back from a GPU.
     *
     * @param patchMaskHost {@code patchMask}'s values, row-major (null without it)
     * @param mlmLabelsHost {@code mlmLabels}' values, row-major (null without them)
     */
    record Inputs(
            int size,
            NDArray images,
            NDArray patchMask,
            NDArray ids,
            NDArray mask,
            NDArray mlmIds,
            NDArray mlmLabels,
            long[] imageIds,
            float[] patchMaskHost,
            long[] mlmLabelsHost) {

        Inputs {
            checkHostCopy(
                    "patch mask", patchMask, patchMaskHost == null ? -1 : patchMaskHost.length);
            checkHostCopy(
                    "MLM labels", mlmLabels, mlmLabelsHost == null ? -1 : mlmLabelsHost.length);
        }

        private static void checkHostCopy(String what, NDArray array, int length) {
            if (array != null && length != array.size()) {
                throw new IllegalArgumentException(
                        "host copy of the "
                                + what
                                + " has "
                                + (length < 0 ? "no" : Integer.toString(length))
                                + " values for an array of shape "
                                + array.getShape());
            }
        }

        static Inputs of(Batch b, int from, int n, NDManager m) {
            return of(b, from, n, m, true, true);
        }

        /**
         * Rows [from, from + n) of a batch as arrays, with only the parts a stage reads: a vision
         * stage leaves a batch's texts alone, a text stage its images.
         *
         * @param withImages whether to make the images and the patch mask
         * @param withTexts whether to make the texts, their masks and the MLM inputs
         */
        static Inputs of(
                Batch b, int from, int n, NDManager m, boolean withImages, boolean withTexts) {
            NDArray images = null;
            NDArray patchMask = null;
            float[] patchMaskHost = null;
            if (withImages && b.images() != null) {
                int s = b.imageSize();
                images = Engines.owned(m, b.images(), from * 3 * s * s, new Shape(n, 3, s, s));
            }
            if (withImages && b.patchMasks() != null) {
                int np = b.numPatches();
                float[] pm = new float[n * np];
                boolean[] src = b.patchMasks();
                for (int i = 0; i < n * np; i++) {
                    pm[i] = src[from * np + i] ? 1f : 0f;
                }
                patchMask = Engines.owned(m, pm, 0, new Shape(n, np));
                patchMaskHost = pm;
            }
            NDArray ids = null;
            NDArray mask = null;
            NDArray mlmIds = null;
            NDArray mlmLabels = null;
            long[] mlmLabelsHost = null;
            if (withTexts && b.textIds() != null) {
                int t = b.textLen();
                // padding to the longest text of these rows: the columns after it are padding in
                // every row, which changes no output (the model masks padded keys) and only costs
                int w = longestText(b.textMasks(), from, n, t);
                ids = ints(m, b.textIds(), from, n, t, w);
                mask = ints(m, b.textMasks(), from, n, t, w);
                if (b.mlmIds() != null) {
                    mlmIds = ints(m, b.mlmIds(), from, n, t, w);
                    mlmLabelsHost = longs(b.mlmLabels(), from, n, t, w);
                    mlmLabels = Engines.owned(m, mlmLabelsHost, new Shape(n, w));
                }
            }
            long[] imageIds = null;
            if (b.imageIds() != null) {
                imageIds = new long[n];
                for (int i = 0; i < n; i++) {
                    imageIds[i] = b.imageIds()[from + i];
                }
            }
            return new Inputs(
                    n,
                    images,
                    patchMask,
                    ids,
                    mask,
                    mlmIds,
                    mlmLabels,
                    imageIds,
                    patchMaskHost,
                    mlmLabelsHost);
        }

        /**
         * The length of the longest text among rows [from, from + n) of a (B, t) mask: one past the
         * last real token of any of them (at least 1).
         */
        static int longestText(int[] mask, int from, int n, int t) {
            int w = 1;
            for (int r = from; r < from + n; r++) {
                for (int j = t - 1; j >= w; j--) {
                    if (mask[r * t + j] != 0) {
                        w = j + 1;
                        break;
                    }
                }
            }
            return w;
        }

        private static NDArray ints(NDManager m, int[] src, int from, int n, int t, int w) {
            return Engines.owned(m, longs(src, from, n, t, w), new Shape(n, w));
        }

        /** The first {@code w} columns of rows [from, from + n) of a (B, t) array. */
        private static long[] longs(int[] src, int from, int n, int t, int w) {
            long[] out = new long[n * w];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < w; j++) {
                    out[i * w + j] = src[(from + i) * t + j];
                }
            }
            return out;
        }

        Inputs rows(int from, int n, NDManager m) {
            NDIndex idx = new NDIndex("{}:{}", from, from + n);
            long[] ids =
                    imageIds == null
                            ? null
                            : java.util.Arrays.copyOfRange(imageIds, from, from + n);
            return new Inputs(
                    n,
                    images == null ? null : images.get(idx),
                    patchMask == null ? null : patchMask.get(idx),
                    this.ids == null ? null : this.ids.get(idx),
                    mask == null ? null : mask.get(idx),
                    mlmIds == null ? null : mlmIds.get(idx),
                    mlmLabels == null ? null : mlmLabels.get(idx),
                    ids,
                    slice(patchMaskHost, from, n),
                    slice(mlmLabelsHost, from, n));
        }

        /** Rows [from, from + n) of a row-major host copy of {@code size} rows. */
        private float[] slice(float[] a, int from, int n) {
            int w = a == null ? 0 : a.length / size;
            return a == null ? null : java.util.Arrays.copyOfRange(a, from * w, (from + n) * w);
        }

        private long[] slice(long[] a, int from, int n) {
            int w = a == null ? 0 : a.length / size;
            return a == null ? null : java.util.Arrays.copyOfRange(a, from * w, (from + n) * w);
        }
    }
}
