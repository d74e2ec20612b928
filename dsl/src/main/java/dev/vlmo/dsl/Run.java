package dev.vlmo.dsl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.vlmo.datasets.ImageText;
import dev.vlmo.datasets.image.ImageTransform;
import dev.vlmo.datasets.image.RgbImage;
import dev.vlmo.datasets.image.Transforms;
import dev.vlmo.datasets.synthetic.SyntheticWorld;
import dev.vlmo.datasets.text.Encoding;
import dev.vlmo.datasets.text.WordPieceTokenizer;
import dev.vlmo.dsl.eval.Matching;
import dev.vlmo.dsl.eval.Retrieval;
import dev.vlmo.model.VlmoModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
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
        try (NDManager m = manager.newSubManager()) {
            ParameterStore ps = new ParameterStore(m, false);
            NDArray img = embedImages(w, split, images, m, ps);
            NDArray txt = embedTexts(pairs, m, ps);
            float[] scores = img.matMul(txt.transpose()).toFloatArray();
            return Retrieval.recall(scores, images, pairs.size(), owner);
        }
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

    private NDArray embedImages(
            SyntheticWorld w, SyntheticWorld.Split split, int n, NDManager m, ParameterStore ps) {
        int size = plan.model().imageSize();
        ImageTransform t = Transforms.eval(size);
        NDList parts = new NDList();
        int batch = 64;
        for (int from = 0; from < n; from += batch) {
            int k = Math.min(batch, n - from);
            float[] px = new float[k * 3 * size * size];
            for (int i = 0; i < k; i++) {
                try {
                    RgbImage img = w.image(split, from + i).load();
                    t.apply(img, new SplittableRandom(0), px, i * 3 * size * size);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            NDArray x = m.create(px, new Shape(k, 3, size, size));
            parts.add(model.encodeImage(ps, x, false, false).itc());
        }
        return NDArrays.concat(parts, 0);
    }

    private NDArray embedTexts(List<ImageText> pairs, NDManager m, ParameterStore ps) {
        int len = plan.model().maxTextLen();
        for (Plan.StagePlan p : plan.stages()) {
            if (p.stage().kind() == Stage.Kind.VISION_LANGUAGE) {
                len = p.textLength();
            }
        }
        NDList parts = new NDList();
        int batch = 128;
        for (int from = 0; from < pairs.size(); from += batch) {
            int k = Math.min(batch, pairs.size() - from);
            long[] ids = new long[k * len];
            long[] mask = new long[k * len];
            for (int i = 0; i < k; i++) {
                Encoding e = tokenizer.encode(pairs.get(from + i).text(), len);
                int[] pid = e.paddedIds(len, tokenizer.vocabulary().padId());
                int[] pm = e.attentionMask(len);
                for (int j = 0; j < len; j++) {
                    ids[i * len + j] = pid[j];
                    mask[i * len + j] = pm[j];
                }
            }
            NDArray x = m.create(ids, new Shape(k, len));
            NDArray mk = m.create(mask, new Shape(k, len));
            parts.add(model.encodeText(ps, x, mk, false, false).itc());
        }
        return NDArrays.concat(parts, 0);
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
