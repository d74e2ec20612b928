package dev.vlmo.dsl;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;

/** Prints a progress line every so many steps: step, losses, samples/s and time left. */
public final class ConsoleProgress implements ProgressListener {

    private final int every;
    private final PrintStream out;

    /**
     * Creates a console listener on standard output.
     *
     * @param every print every so many steps (and always the last)
     */
    public ConsoleProgress(int every) {
        this(every, System.out);
    }

    /**
     * Creates a console listener.
     *
     * @param every print every so many steps (and always the last)
     * @param out where to print
     */
    public ConsoleProgress(int every, PrintStream out) {
        this.every = every;
        this.out = out;
    }

    @Override
    public void runStarted(java.nio.file.Path runDir, String note) {
        out.println(ProgressListener.runLine(runDir, note));
    }

    @Override
    public void stageStarted(Plan.StagePlan stage, int totalSteps, int startStep) {
        out.printf(
                Locale.ROOT,
                "stage %d %s: %d steps of %d samples, %s%s%n",
                stage.index(),
                stage.stage().kind().dslName(),
                totalSteps,
                stage.stage().batchSize(),
                stage.stage().objectives(),
                startStep > 0 ? " (resuming after step " + startStep + ")" : "");
    }

    @Override
    public void step(
            Plan.StagePlan stage,
            int step,
            int totalSteps,
            Map<String, Double> losses,
            double samplesPerSecond,
            double etaSeconds) {
        if (step % every != 0 && step != totalSteps) {
            return;
        }
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Double> e : losses.entrySet()) {
            if (!e.getKey().equals("loss")) {
                sb.append(String.format(Locale.ROOT, " %s %.3f", e.getKey(), e.getValue()));
            }
        }
        out.printf(
                Locale.ROOT,
                "  step %d/%d  loss %.4f (%s)  %.1f samples/s  ETA %s%n",
                step,
                totalSteps,
                losses.get("loss"),
                sb.toString().trim(),
                samplesPerSecond,
                duration(etaSeconds));
    }

    @Override
    public void stageFinished(Plan.StagePlan stage, double seconds) {
        out.printf(
                Locale.ROOT,
                "stage %d %s done in %s%n",
                stage.index(),
                stage.stage().kind().dslName(),
                duration(seconds));
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600
                ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
