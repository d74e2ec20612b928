package dev.vlmo.dsl;

import ai.djl.ndarray.NDManager;
import dev.vlmo.datasets.ImageText;
import dev.vlmo.datasets.synthetic.SyntheticWorld;
import dev.vlmo.datasets.text.WordPieceTokenizer;
import dev.vlmo.dsl.eval.Matching;
import dev.vlmo.dsl.eval.Retrieval;
import dev.vlmo.model.VlmoModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * A finished (or resumed and finished) run: the trained model, its metrics and its files. Close it
 * to release the model's native memory.
 */
public final class Run implements AutoCloseable {

    private final Plan plan;
    private final VlmoModel model;
    private final NDManager manager;
    private final Path dir;
    private final WordPieceTokenizer tokenizer;

    /**
     * Wraps the result of a run.
     *
     * @param plan the plan that ran
     * @param model the trained model
     * @param manager the manager owning the model's arrays
     * @param dir the run directory
     * @param tokenizer the tokenizer the run used
     */
    public Run(
            Plan plan, VlmoModel model, NDManager manager, Path dir, WordPieceTokenizer tokenizer) {
        this.plan = plan;
        this.model = model;
        this.manager = manager;
        this.dir = dir;
        this.tokenizer = tokenizer;
    }

    /**
     * Returns the trained model.
     *
     * @return the model
     */
    public VlmoModel model() {
        return model;
    }

    /**
     * Returns the plan that ran.
     *
     * @return the plan
     */
    public Plan plan() {
        return plan;
    }

    /**
     * Returns the run directory (plan, metrics, checkpoints).
     *
     * @return the directory
     */
    public Path runDir() {
        return dir;
    }

    /**
     * Returns the tokenizer the run used.
     *
     * @return the tokenizer
     */
    public WordPieceTokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * Returns the metrics of every step: stage, kind, step, total and per-objective losses,
     * learning rate, samples/s, seconds.
     *
     * @return the table
     */
    public Table metrics() {
        return Table.read()
                .csv(
                        tech.tablesaw.io.csv.CsvReadOptions.builder(
                                        dir.resolve("metrics.csv").toFile())
                                .tableName("metrics")
                                .build());
    }

    /**
     * Zero-shot image-text retrieval with the dual encoder on a split of the built-in world.
     *
     * @param world the world (as given to the stages)
     * @param split which scenes: {@code VAL} or {@code TEST} are held out from training
     * @return recall at 1, 5, 10 in both directions
     */
    public Retrieval.Recall retrieval(DataRef.BuiltIn world, SyntheticWorld.Split split) {
        int size = plan.model().imageSize();
        SyntheticWorld w = world.world(size);
        List<ImageText> pairs = w.captions(split);
        int images = w.scenes(split).size();
        int[] owner = new int[pairs.size()];
        for (int t = 0; t < pairs.size(); t++) {
            owner[t] = pairs.get(t).imageId();
        }
        List<dev.vlmo.datasets.ImageRef> refs = new java.util.ArrayList<>();
        for (int i = 0; i < images; i++) {
            refs.add(w.image(split, i));
        }
        List<String> texts = new java.util.ArrayList<>();
        for (ImageText p : pairs) {
            texts.add(p.text());
        }
        dev.vlmo.dsl.infer.Predictor p = predictor().batchSize(64);
        float[][] iv = p.embedImages(refs);
        float[][] tv = p.embedTexts(texts);
        float[] scores = Retrieval.similarity(iv, tv);
        return Retrieval.recall(scores, images, pairs.size(), owner);
    }

    /**
     * Held-out image-text matching with the ITM head on a split of the built-in world (see {@link
     * Matching}): accuracy, and how often a positive outscores a random and a hard negative.
     *
     * @param world the world (as given to the stages)
     * @param split which scenes: {@code VAL} or {@code TEST} are held out from training
     * @return the numbers
     */
    public Matching.Result matching(DataRef.BuiltIn world, SyntheticWorld.Split split) {
        int len = plan.model().maxTextLen();
        for (Plan.StagePlan p : plan.stages()) {
            if (p.stage().kind() == Stage.Kind.VISION_LANGUAGE) {
                len = p.textLength();
            }
        }
        return Matching.evaluate(
                model, tokenizer, world.world(plan.model().imageSize()), split, len, manager, 0);
    }

    /**
     * Zero-shot retrieval on the built-in world's test split as a table.
     *
     * @param world the world
     * @return one row per direction with R@1, R@5, R@10 and the chance level of R@1
     */
    public Table retrievalTable(DataRef.BuiltIn world) {
        Retrieval.Recall r = retrieval(world, SyntheticWorld.Split.TEST);
        int images = world.evalScenes();
        Table t = Table.create("zero-shot retrieval, built-in world test split");
        StringColumn dir = StringColumn.create("direction", "text retrieval", "image retrieval");
        // text retrieval hits when any caption of the image ranks high: chance is
        // captions-per-image over all captions, which is 1 / images, as for image retrieval
        double chance = 100.0 / images;
        t.addColumns(
                dir,
                DoubleColumn.create("R@1", pct(r.textR1()), pct(r.imageR1())),
                DoubleColumn.create("R@5", pct(r.textR5()), pct(r.imageR5())),
                DoubleColumn.create("R@10", pct(r.textR10()), pct(r.imageR10())),
                DoubleColumn.create("chance R@1", chance, chance));
        return t;
    }

    private static double pct(double v) {
        return Math.round(v * 1000) / 10.0;
    }

    /**
     * Returns the inference API over this run's model (embeddings, index and search, ITM match
     * scores); it shares the model, so it stays usable until the run is closed.
     *
     * @return a predictor
     */
    public dev.vlmo.dsl.infer.Predictor predictor() {
        int len = plan.model().maxTextLen();
        for (Plan.StagePlan p : plan.stages()) {
            if (p.stage().kind() == Stage.Kind.VISION_LANGUAGE) {
                len = p.textLength();
            }
        }
        return new dev.vlmo.dsl.infer.Predictor(
                model, manager, false, tokenizer, len, null, null, null);
    }

    /**
     * Fine-tunes a copy of this run's model on one downstream task and evaluates it; the run's own
     * model is unchanged, so several fine-tunes branch from the same pretrained weights.
     *
     * @param task the task, e.g. {@code vqa().steps(300)}
     * @return the fine-tuned model with its evaluation (close it when done)
     */
    public FinetuneRun finetune(Finetune task) {
        java.util.Objects.requireNonNull(task, "task");
        Runtime rt = plan.runtime();
        Finetune t = rt.isSmoke() ? task.smoke(plan.model().imageSize()) : task;
        return dev.vlmo.dsl.engine.FineTuner.run(
                t,
                plan.model(),
                dev.vlmo.model.checkpoint.CheckpointExporter.stateDict(model),
                "the pretrained run in " + dir,
                tokenizer,
                rt,
                finetuneDir(dir, t, rt.resume()));
    }

    /**
     * The directory of a fine-tune under a run directory (or a temporary one): a fresh {@code
     * finetune-NAME[-N]}, or, when resuming, the newest one of the task that holds a checkpoint and
     * no evaluation (a fine-tune that stopped part way; the fine-tune checks it is the same task).
     */
    static Path finetuneDir(Path parent, Finetune task, boolean resume) {
        try {
            Path base = parent != null ? parent : java.nio.file.Files.createTempDirectory("vlmo-");
            Path d = base.resolve("finetune-" + task.name());
            Path last = null;
            for (int i = 2; java.nio.file.Files.exists(d); i++) {
                last = d;
                d = base.resolve("finetune-" + task.name() + "-" + i);
            }
            if (resume && last != null && dev.vlmo.dsl.engine.FineTuner.stoppedPartWay(last)) {
                return last;
            }
            return d;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a directory for " + task.name(), e);
        }
    }

    @Override
    public void close() {
        manager.close();
    }

    @Override
    public String toString() {
        return "Run(" + plan.model().name() + ", " + plan.stages().size() + " stages, " + dir + ")";
    }
}
