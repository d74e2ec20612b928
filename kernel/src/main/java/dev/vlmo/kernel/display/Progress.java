package dev.vlmo.kernel.display;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.LongSupplier;
import org.dflib.jjava.jupyter.kernel.DisplayStream;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;

/**
 * A progress bar for long loops such as training: in a notebook it is one output that updates in
 * place (Jupyter {@code update_display_data}); on a console it redraws one line, and in a log it
 * prints a line every tenth of the way.
 *
 * <pre>{@code
 * try (Progress p = Progress.start("pretrain", steps)) {
 *     for (...) { ...; p.step(1, Map.of("loss", loss)); }
 * }
 * }</pre>
 */
public final class Progress implements AutoCloseable {

    /** Width of the text bar in characters. */
    private static final int BAR_WIDTH = 30;

    /** Where a progress bar is shown. */
    interface Sink {
        /** Least time between two updates, in nanoseconds. */
        long minIntervalNanos();

        /** Shows the current state; {@code last} is true once, when the bar closes. */
        void show(Progress progress, boolean last);
    }

    private final String label;
    private final long total;
    private final Sink sink;
    private final LongSupplier clock;
    private final long startNanos;
    private final Map<String, Double> metrics = new LinkedHashMap<>();
    private long done;
    private long lastShownNanos;
    private boolean shown;
    private boolean closed;

    private Progress(String label, long total, Sink sink, LongSupplier clock) {
        this.label = Objects.requireNonNull(label, "label");
        if (total < 1) {
            throw new IllegalArgumentException(
                    "progress total must be >= 1, got " + total + " for '" + label + "'");
        }
        this.total = total;
        this.sink = Objects.requireNonNull(sink, "sink");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.startNanos = clock.getAsLong();
    }

    /**
     * Starts a progress bar of {@code total} steps: in the running notebook cell if there is one,
     * else on standard error.
     */
    public static Progress start(String label, long total) {
        Sink sink =
                NotebookDisplay.activeDisplay()
                        .<Sink>map(NotebookSink::new)
                        .orElseGet(() -> new ConsoleSink(System.err, System.console() != null));
        Progress progress = new Progress(label, total, sink, System::nanoTime);
        progress.show(false);
        return progress;
    }

    /** Starts a progress bar on the given sink and clock (nanoseconds). */
    static Progress start(String label, long total, Sink sink, LongSupplier clock) {
        Progress progress = new Progress(label, total, sink, clock);
        progress.show(false);
        return progress;
    }

    /** Advances by {@code n} steps. */
    public Progress step(long n) {
        return step(n, Map.of());
    }

    /**
     * Advances by {@code n} steps and records the latest metric values (e.g. {@code loss}); the
     * display updates at most a few times a second.
     *
     * @throws IllegalArgumentException if {@code n} is negative
     * @throws IllegalStateException if the bar is closed
     */
    public synchronized Progress step(long n, Map<String, Double> metrics) {
        if (n < 0) {
            throw new IllegalArgumentException("progress step must be >= 0, got " + n);
        }
        if (closed) {
            throw new IllegalStateException("progress '" + label + "' is closed");
        }
        Objects.requireNonNull(metrics, "metrics");
        done += n;
        this.metrics.putAll(metrics);
        long now = clock.getAsLong();
        if (!shown || now - lastShownNanos >= sink.minIntervalNanos() || done >= total) {
            show(false);
        }
        return this;
    }

    /** Shows the final state; later steps are refused. Closing twice does nothing. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            show(true);
        }
    }

    private void show(boolean last) {
        lastShownNanos = clock.getAsLong();
        shown = true;
        sink.show(this, last);
    }

    /** The label shown before the bar. */
    public String label() {
        return label;
    }

    /** The number of steps of the whole loop. */
    public long total() {
        return total;
    }

    /** The steps done so far. */
    public synchronized long done() {
        return done;
    }

    /** Whether {@link #close()} was called. */
    public synchronized boolean isClosed() {
        return closed;
    }

    /** The latest value of each metric, in the order they first appeared. */
    public synchronized Map<String, Double> metrics() {
        return Map.copyOf(metrics);
    }

    /** The fraction done, within 0..1. */
    public synchronized double fraction() {
        return Math.min(1.0, done / (double) total);
    }

    /** The state as one line: label, bar, count, percent, metrics, rate and time left. */
    public synchronized String text() {
        int filled = (int) Math.round(fraction() * BAR_WIDTH);
        StringBuilder line = new StringBuilder();
        line.append(label).append(" [");
        line.append("#".repeat(filled)).append(".".repeat(BAR_WIDTH - filled)).append("] ");
        line.append(summary());
        return line.toString();
    }

    /** The state as HTML: a {@code <progress>} element and the same summary as {@link #text()}. */
    public synchronized String html() {
        return "<div class=\"vlmo-progress\" style=\"font-family:monospace\"><b>"
                + TableRendering.escape(label)
                + "</b> <progress value=\""
                + Math.min(done, total)
                + "\" max=\""
                + total
                + "\" style=\"width:40%;vertical-align:middle\"></progress> "
                + TableRendering.escape(summary())
                + "</div>";
    }

    private String summary() {
        StringBuilder s = new StringBuilder();
        s.append(done).append('/').append(total);
        s.append(String.format(Locale.ROOT, " %3d%%", Math.round(fraction() * 100)));
        for (Map.Entry<String, Double> metric : metrics.entrySet()) {
            s.append("  ").append(metric.getKey()).append('=').append(format(metric.getValue()));
        }
        double seconds = (clock.getAsLong() - startNanos) / 1e9;
        s.append("  ").append(duration(seconds));
        if (seconds > 0 && done > 0) {
            double rate = done / seconds;
            s.append(String.format(Locale.ROOT, "  %.3g it/s", rate));
            if (done < total && !closed) {
                s.append("  ").append(duration((total - done) / rate)).append(" left");
            }
        }
        if (closed && done < total) {
            s.append("  (stopped)");
        }
        return s.toString();
    }

    private static String format(Double value) {
        if (value == null || value.isNaN()) {
            return "nan";
        }
        double v = value;
        if (v == Math.rint(v) && Math.abs(v) < 1e9) {
            return String.valueOf((long) v);
        }
        return String.format(Locale.ROOT, "%.4g", v);
    }

    private static String duration(double seconds) {
        long s = Math.max(0, Math.round(seconds));
        return s >= 3600
                ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    /** The text line. */
    @Override
    public String toString() {
        return text();
    }

    /** One notebook output updated in place through its display id. */
    static final class NotebookSink implements Sink {
        private final DisplayStream display;
        private final String displayId = "vlmo-progress-" + UUID.randomUUID();
        private boolean displayed;

        NotebookSink(DisplayStream display) {
            this.display = display;
        }

        @Override
        public long minIntervalNanos() {
            return 200_000_000L;
        }

        @Override
        public void show(Progress progress, boolean last) {
            DisplayData data = new DisplayData(progress.text());
            data.putHTML(progress.html());
            if (!displayed) {
                data.setDisplayId(displayId);
                display.display(data);
                displayed = true;
            } else {
                display.updateDisplay(displayId, data);
            }
        }
    }

    /** A console line redrawn with carriage returns, or log lines every tenth of the way. */
    static final class ConsoleSink implements Sink {
        private final PrintStream out;
        private final boolean interactive;
        private long lastTenth = -1;

        ConsoleSink(PrintStream out, boolean interactive) {
            this.out = out;
            this.interactive = interactive;
        }

        @Override
        public long minIntervalNanos() {
            return interactive ? 100_000_000L : 0L;
        }

        @Override
        public void show(Progress progress, boolean last) {
            if (interactive) {
                out.print("\r" + progress.text() + (last ? "\n" : ""));
                out.flush();
                return;
            }
            long tenth = (long) Math.floor(progress.fraction() * 10);
            if (last || tenth > lastTenth) {
                lastTenth = tenth;
                out.println(progress.text());
                out.flush();
            }
        }
    }
}
