package dev.vlmo.dsl;

import java.util.Map;

/**
 * Receives training progress. The console prints it by default; the notebook kernel installs a
 * listener that draws a progress bar in place ({@link #setDefault}).
 */
public interface ProgressListener {

    /**
     * A run begins, before its first stage: where it writes, and what it resumes (if anything).
     *
     * @param runDir the run directory (checkpoints, metrics, plan)
     * @param note a line about the start: what is resumed, or why nothing is
     */
    default void runStarted(java.nio.file.Path runDir, String note) {}

    /**
     * The line a listener prints for {@link #runStarted}: {@code run directory: DIR (note)}.
     *
     * @param runDir the run directory
     * @param note what is resumed, or empty
     * @return the line
     */
    static String runLine(java.nio.file.Path runDir, String note) {
        return "run directory: " + runDir + (note.isEmpty() ? "" : " (" + note + ")");
    }

    /**
     * A stage begins.
     *
     * @param stage the stage's plan
     * @param totalSteps steps the stage will run
     * @param startStep the first step (above 0 when resuming)
     */
    void stageStarted(Plan.StagePlan stage, int totalSteps, int startStep);

    /**
     * An optimizer step finished.
     *
     * @param stage the stage's plan
     * @param step the step just finished, from 1
     * @param totalSteps steps the stage will run
     * @param losses the total loss and each objective's loss
     * @param samplesPerSecond throughput of this step
     * @param etaSeconds estimated seconds left in the stage
     */
    void step(
            Plan.StagePlan stage,
            int step,
            int totalSteps,
            Map<String, Double> losses,
            double samplesPerSecond,
            double etaSeconds);

    /**
     * A stage finished.
     *
     * @param stage the stage's plan
     * @param seconds its wall time in this invocation
     */
    void stageFinished(Plan.StagePlan stage, double seconds);

    /**
     * Sets the listener runs use when their runtime is not quiet (replacing the console's).
     *
     * @param factory makes a listener for a run; null restores the console
     */
    static void setDefault(java.util.function.Supplier<ProgressListener> factory) {
        Defaults.factory = factory;
    }

    /**
     * Returns a new default listener.
     *
     * @param logEvery print every so many steps (console)
     * @return the listener
     */
    static ProgressListener createDefault(int logEvery) {
        java.util.function.Supplier<ProgressListener> f = Defaults.factory;
        return f != null ? f.get() : new ConsoleProgress(logEvery);
    }

    /** Holds the installed default. */
    final class Defaults {
        private static volatile java.util.function.Supplier<ProgressListener> factory;

        private Defaults() {}
    }

    /** A listener that ignores everything. */
    ProgressListener NONE =
            new ProgressListener() {
                @Override
                public void stageStarted(Plan.StagePlan stage, int totalSteps, int startStep) {}

                @Override
                public void step(
                        Plan.StagePlan stage,
                        int step,
                        int totalSteps,
                        Map<String, Double> losses,
                        double samplesPerSecond,
                        double etaSeconds) {}

                @Override
                public void stageFinished(Plan.StagePlan stage, double seconds) {}
            };
}
