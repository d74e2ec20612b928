package dev.vlmo.kernel.display;

import dev.vlmo.dsl.Plan;
import dev.vlmo.dsl.ProgressListener;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * Shows a DSL run's training as {@link Progress} bars, one per stage, with the latest losses and
 * throughput: in place in a notebook, on standard error elsewhere. The kernel installs it as the
 * DSL's default listener ({@link ProgressListener#setDefault}).
 */
public final class TrainingProgress implements ProgressListener {

    private final BiFunction<String, Long, Progress> opener;
    private Progress bar;
    private int shownStep;

    /** Creates a listener whose bars go to the running notebook cell, or to standard error. */
    public TrainingProgress() {
        this(Progress::start);
    }

    /** Creates a listener that opens its bars with the given function (label, total steps). */
    TrainingProgress(BiFunction<String, Long, Progress> opener) {
        this.opener = Objects.requireNonNull(opener, "opener");
    }

    /** The label of a stage's bar, such as {@code stage 3 visionLanguage}. */
    static String label(Plan.StagePlan stage) {
        return "stage " + stage.index() + " " + stage.stage().kind().dslName();
    }

    @Override
    public void runStarted(java.nio.file.Path runDir, String note) {
        System.out.println(ProgressListener.runLine(runDir, note));
    }

    @Override
    public synchronized void stageStarted(Plan.StagePlan stage, int totalSteps, int startStep) {
        closeBar();
        bar = opener.apply(label(stage), (long) Math.max(1, totalSteps));
        shownStep = 0;
        if (startStep > 0) {
            bar.step(startStep);
            shownStep = startStep;
        }
    }

    @Override
    public synchronized void step(
            Plan.StagePlan stage,
            int step,
            int totalSteps,
            Map<String, Double> losses,
            double samplesPerSecond,
            double etaSeconds) {
        if (bar == null || bar.isClosed()) {
            stageStarted(stage, totalSteps, Math.max(0, step - 1));
        }
        Map<String, Double> metrics = new LinkedHashMap<>(losses);
        metrics.put("samples/s", samplesPerSecond);
        bar.step(Math.max(0, step - shownStep), metrics);
        shownStep = Math.max(shownStep, step);
    }

    @Override
    public synchronized void stageFinished(Plan.StagePlan stage, double seconds) {
        closeBar();
    }

    private void closeBar() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
