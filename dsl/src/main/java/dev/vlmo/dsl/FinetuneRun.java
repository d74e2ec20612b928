package dev.vlmo.dsl;

import dev.vlmo.dsl.infer.Predictor;
import dev.vlmo.model.VlmoModel;
import java.nio.file.Path;
import tech.tablesaw.api.Table;

/**
 * A finished fine-tune: the task, its settings, the fine-tuned model behind a {@link Predictor},
 * the training curve and the evaluation on held-out data. Its directory holds {@code metrics.csv},
 * {@code evaluation.csv}, {@code predictions.csv} (and for VQA a submission file {@code
 * vqa_submission.json} in the challenge's format) and {@code model.params}. Close it to release the
 * model's native memory.
 */
public final class FinetuneRun implements AutoCloseable {

    private final Finetune task;
    private final Finetune.Settings settings;
    private final Predictor predictor;
    private final Table metrics;
    private final Table evaluation;
    private final Path dir;

    /**
     * Wraps the result of a fine-tune.
     *
     * @param task the task as described
     * @param settings the settings it ran with, defaults filled in
     * @param predictor the fine-tuned model for inference
     * @param metrics loss and learning rate per step
     * @param evaluation metrics on held-out data with the baselines to beat
     * @param dir the directory of its files
     */
    public FinetuneRun(
            Finetune task,
            Finetune.Settings settings,
            Predictor predictor,
            Table metrics,
            Table evaluation,
            Path dir) {
        this.task = task;
        this.settings = settings;
        this.predictor = predictor;
        this.metrics = metrics;
        this.evaluation = evaluation;
        this.dir = dir;
    }

    /**
     * Returns the task as described.
     *
     * @return the task
     */
    public Finetune task() {
        return task;
    }

    /**
     * Returns the settings the fine-tune ran with.
     *
     * @return the settings
     */
    public Finetune.Settings settings() {
        return settings;
    }

    /**
     * Returns the fine-tuned model for inference (answer, judge, match, classify, search).
     *
     * @return the predictor
     */
    public Predictor predictor() {
        return predictor;
    }

    /**
     * Returns the fine-tuned model.
     *
     * @return the model
     */
    public VlmoModel model() {
        return predictor.model();
    }

    /**
     * Returns the loss and learning rate of every step.
     *
     * @return the table
     */
    public Table metrics() {
        return metrics;
    }

    /**
     * Returns the evaluation on held-out data: the task's metrics, then the chance and majority
     * baselines, in percent.
     *
     * @return the table
     */
    public Table evaluation() {
        return evaluation;
    }

    /**
     * Returns the value of one evaluation metric, in percent.
     *
     * @param metric its name as in {@link #evaluation()}
     * @return the value
     */
    public double metric(String metric) {
        for (int r = 0; r < evaluation.rowCount(); r++) {
            if (evaluation.stringColumn("metric").get(r).equals(metric)) {
                return evaluation.doubleColumn("value %").get(r);
            }
        }
        throw new IllegalArgumentException(
                "no metric '"
                        + metric
                        + "'; the evaluation has "
                        + evaluation.stringColumn("metric").asList());
    }

    /**
     * Returns VQA's score per question type with each type's uniform and majority baselines, in
     * percent, when the task is VQA on the built-in world (whose questions have types).
     *
     * @return the table ({@code evaluation-by-type.csv} of the fine-tune's directory)
     * @throws IllegalStateException if this fine-tune has no such breakdown
     */
    public Table byQuestionType() {
        Path file = dir.resolve("evaluation-by-type.csv");
        if (!java.nio.file.Files.isRegularFile(file)) {
            throw new IllegalStateException(
                    "no breakdown by question type: it exists for vqa() on the built-in world");
        }
        try {
            return Table.read()
                    .csv(
                            tech.tablesaw.io.csv.CsvReadOptions.builder(file.toFile())
                                    .tableName("VQA by question type (%)")
                                    .build());
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Returns the directory of this fine-tune's files.
     *
     * @return the directory
     */
    public Path runDir() {
        return dir;
    }

    @Override
    public void close() {
        predictor.close();
    }

    @Override
    public String toString() {
        return "FinetuneRun(" + task.name() + ", " + dir + ")";
    }
}
