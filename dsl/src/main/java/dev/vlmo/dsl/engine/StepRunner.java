package dev.vlmo.dsl.engine;

import dev.vlmo.datasets.batch.Batch;
import dev.vlmo.dsl.Plan;
import dev.vlmo.dsl.Runtime;
import dev.vlmo.model.VlmoModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * One stage's training step run outside the training loop on batches the caller gives: the same
 * forward pass, objectives, backward pass, clipping and AdamW update as {@code run}, without data
 * loading, metrics or checkpoints. Benchmarks and profilers time this.
 */
public final class StepRunner implements AutoCloseable {

    private final Trainer trainer;
    private final Plan.StagePlan stage;
    private final Trainer.Trainables trainables;
    private final AdamW optimizer;
    private final Path dir;
    private int steps;

    private StepRunner(Plan plan, int stageIndex, Runtime runtime) {
        if (stageIndex < 0 || stageIndex >= plan.stages().size()) {
            throw new IllegalArgumentException(
                    "stageIndex must be in [0, "
                            + plan.stages().size()
                            + ") for this plan, got "
                            + stageIndex);
        }
        try {
            this.dir = Files.createTempDirectory("vlmo-step-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a scratch directory", e);
        }
        this.trainer = new Trainer(plan, runtime, dir);
        this.stage = plan.stages().get(stageIndex);
        this.trainables = trainer.prepare(stage);
        this.optimizer = new AdamW(stage.stage().beta1(), stage.stage().beta2(), 1e-8);
    }

    /**
     * Builds the plan's model (initialised as {@code run} does) and prepares one of its stages.
     *
     * @param plan the compiled plan
     * @param stageIndex which stage, from 0
     * @return the runner; close it to free the model
     */
    public static StepRunner open(Plan plan, int stageIndex) {
        return new StepRunner(plan, stageIndex, plan.runtime());
    }

    /**
     * Returns the model being trained.
     *
     * @return the model
     */
    public VlmoModel model() {
        return trainer.model();
    }

    /**
     * Returns whether the stage applies weight decay to a parameter.
     *
     * @param name the parameter's name
     * @return true if it is trained with weight decay
     */
    public boolean decays(String name) {
        return trainables.decays().getOrDefault(name, 0.0) > 0;
    }

    /**
     * Runs one training step on a batch at the stage's peak learning rate.
     *
     * @param batch the batch, in the layout the stage's collator writes
     * @return the losses of the step (and {@code grad_norm})
     */
    public Map<String, Double> step(Batch batch) {
        Map<String, Double> out =
                trainer.step(
                        stage,
                        batch,
                        steps,
                        trainables.parameters(),
                        trainables.decays(),
                        optimizer,
                        stage.learningRate());
        steps++;
        return out;
    }

    /**
     * Random inputs in the layout the stages' collators write, for benchmarks and tests: pixels in
     * [-1, 1], texts of {@code Nt/2} to {@code Nt} tokens padded to {@code Nt} (the first one
     * {@code Nt} long, so that a step, which pads to the longest text, runs at {@code Nt}), 15% of
     * the real tokens after [CLS] masked for MLM, 40% of the patches masked for MIM, image ids
     * 0..b-1.
     *
     * @param c the model's configuration (image size, text length, vocabulary)
     * @param b the batch size
     * @param r the source of randomness
     * @return the batch
     */
    public static Batch randomBatch(dev.vlmo.model.VlmoConfig c, int b, java.util.Random r) {
        int s = c.imageSize();
        int t = c.maxTextLen();
        float[] px = new float[b * 3 * s * s];
        for (int i = 0; i < px.length; i++) {
            px[i] = r.nextFloat() * 2 - 1;
        }
        int[] ids = new int[b * t];
        int[] masks = new int[b * t];
        int[] mlmIds = new int[b * t];
        int[] labels = new int[b * t];
        for (int i = 0; i < b; i++) {
            int len = t / 2 + r.nextInt(t - t / 2 + 1);
            if (i == 0) {
                // one full-length text: training pads a batch to its longest text, so every text
                // pass runs at T, the length a side that pads to maxTextLen runs at
                len = t;
            }
            for (int j = 0; j < t; j++) {
                int k = i * t + j;
                boolean real = j < len;
                ids[k] = j == 0 ? 2 : real ? 5 + r.nextInt(c.vocabSize() - 5) : 0;
                masks[k] = real ? 1 : 0;
                boolean picked = real && j > 0 && r.nextDouble() < 0.15;
                labels[k] = picked ? ids[k] : -100;
                mlmIds[k] = picked ? 4 : ids[k];
            }
        }
        int g = s / c.patchSize();
        boolean[] patchMasks = new boolean[b * g * g];
        for (int i = 0; i < patchMasks.length; i++) {
            patchMasks[i] = r.nextDouble() < 0.4;
        }
        int[] imageIds = new int[b];
        for (int i = 0; i < b; i++) {
            imageIds[i] = i;
        }
        return Batch.builder(b)
                .images(s, px)
                .text(t, ids, masks)
                .mlm(mlmIds, labels)
                .imageIds(imageIds)
                .patchMasks(g * g, patchMasks)
                .build();
    }

    /** The manager that owns the model, its gradients and the optimizer state (for tests). */
    ai.djl.ndarray.NDManager root() {
        return trainer.root();
    }

    @Override
    public void close() {
        trainer.root().close();
        try {
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // a leftover empty scratch directory is harmless
        }
    }
}
