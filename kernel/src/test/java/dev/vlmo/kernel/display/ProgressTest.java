package dev.vlmo.kernel.display;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.dflib.jjava.jupyter.kernel.DisplayStream;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;
import org.junit.jupiter.api.Test;

class ProgressTest {

    /** Records what a notebook would receive. */
    private static final class RecordingDisplay extends DisplayStream {
        final List<DisplayData> displayed = new ArrayList<>();
        final List<DisplayData> updated = new ArrayList<>();

        @Override
        public void display(DisplayData data) {
            displayed.add(data);
        }

        @Override
        public void updateDisplay(String id, DisplayData data) {
            data.setDisplayId(id);
            updated.add(data);
        }
    }

    private static final long MS = 1_000_000L;

    @Test
    void notebookShowsOneOutputAndUpdatesItInPlace() {
        RecordingDisplay display = new RecordingDisplay();
        AtomicLong clock = new AtomicLong();
        Progress progress =
                Progress.start("pretrain", 100, new Progress.NotebookSink(display), clock::get);
        for (int i = 0; i < 100; i++) {
            clock.addAndGet(50 * MS);
            progress.step(1, Map.of("loss", 2.0 - i / 100.0));
        }
        progress.close();

        assertEquals(1, display.displayed.size(), "one output");
        String id = display.displayed.get(0).getDisplayId();
        assertTrue(id.startsWith("vlmo-progress-"), id);
        assertTrue(display.updated.stream().allMatch(d -> id.equals(d.getDisplayId())));
        // 5 s of steps, at most one update per 200 ms, plus the last step and the close
        assertTrue(display.updated.size() <= 27, "throttled: " + display.updated.size());
        assertTrue(display.updated.size() >= 20, "kept updating: " + display.updated.size());
        DisplayData last = display.updated.get(display.updated.size() - 1);
        String text = String.valueOf(last.getData(MIMEType.TEXT_PLAIN));
        assertTrue(text.contains("100/100 100%"), text);
        assertTrue(text.contains("loss=1.010"), text);
        String html = String.valueOf(last.getData(MIMEType.TEXT_HTML));
        assertTrue(html.contains("<progress value=\"100\" max=\"100\""), html);
    }

    @Test
    void textShowsBarCountMetricsRateAndTimeLeft() {
        AtomicLong clock = new AtomicLong();
        List<String> shown = new ArrayList<>();
        Progress.Sink sink =
                new Progress.Sink() {
                    @Override
                    public long minIntervalNanos() {
                        return 0;
                    }

                    @Override
                    public void show(Progress p, boolean last) {
                        shown.add(p.text());
                    }
                };
        Progress progress = Progress.start("fine-tune", 40, sink, clock::get);
        clock.addAndGet(10_000 * MS);
        progress.step(10, Map.of("loss", 0.123456, "acc", 0.5));
        String text = progress.text();
        assertTrue(text.startsWith("fine-tune [########......................] 10/40  25%"), text);
        assertTrue(text.contains("loss=0.1235"), text);
        assertTrue(text.contains("acc=0.5000"), text);
        assertTrue(text.contains("1.00 it/s"), text);
        assertTrue(text.contains("0:30 left"), text);
        progress.close();
        assertTrue(shown.get(shown.size() - 1).contains("(stopped)"), shown.toString());
    }

    @Test
    void logOutputPrintsEveryTenthAndTheEnd() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        AtomicLong clock = new AtomicLong();
        try (Progress progress =
                Progress.start("eval", 1000, new Progress.ConsoleSink(out, false), clock::get)) {
            for (int i = 0; i < 1000; i++) {
                clock.addAndGet(MS);
                progress.step(1);
            }
        }
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(12, lines.size(), "start, ten tenths, close: " + lines);
        assertTrue(lines.get(11).contains("1000/1000 100%"), lines.get(11));
    }

    @Test
    void consoleRedrawsOneLine() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        AtomicLong clock = new AtomicLong();
        Progress progress =
                Progress.start("run", 3, new Progress.ConsoleSink(out, true), clock::get);
        clock.addAndGet(200 * MS);
        progress.step(3);
        progress.close();
        String written = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(written.startsWith("\rrun ["), written);
        assertEquals(1, written.chars().filter(c -> c == '\n').count(), "one line, redrawn");
        assertTrue(written.chars().filter(c -> c == '\r').count() >= 2, written);
        assertTrue(written.endsWith("\n"));
    }

    @Test
    void badUseIsRefusedWithTheValue() {
        IllegalArgumentException total =
                assertThrows(IllegalArgumentException.class, () -> Progress.start("x", 0));
        assertTrue(total.getMessage().contains("got 0"), total.getMessage());

        Progress progress =
                Progress.start(
                        "x",
                        5,
                        new Progress.ConsoleSink(
                                new PrintStream(
                                        new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                                false),
                        System::nanoTime);
        IllegalArgumentException negative =
                assertThrows(IllegalArgumentException.class, () -> progress.step(-2));
        assertTrue(negative.getMessage().contains("-2"), negative.getMessage());
        progress.close();
        assertTrue(progress.isClosed());
        IllegalStateException closed =
                assertThrows(IllegalStateException.class, () -> progress.step(1));
        assertTrue(closed.getMessage().contains("'x'"), closed.getMessage());
    }

    @Test
    void outsideANotebookStartUsesTheConsole() {
        assertFalse(NotebookDisplay.activeDisplay().isPresent());
        PrintStream saved = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try (Progress progress = Progress.start("console", 2)) {
            progress.step(2);
        } finally {
            System.setErr(saved);
        }
        assertTrue(bytes.toString(StandardCharsets.UTF_8).contains("console ["), bytes.toString());
    }
}
