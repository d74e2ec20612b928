package dev.vlmo.kernel.display;

import static dev.vlmo.dsl.Dsl.builtIn;
import static dev.vlmo.dsl.Dsl.cpu;
import static dev.vlmo.dsl.Dsl.on;
import static dev.vlmo.dsl.Dsl.text;
import static dev.vlmo.dsl.Dsl.vision;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlmo.dsl.Plan;
import dev.vlmo.dsl.ProgressListener;
import dev.vlmo.dsl.Vlmo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.dflib.jjava.jupyter.kernel.DisplayStream;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;
import org.junit.jupiter.api.Test;

class TrainingProgressTest {

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

    private static final Plan PLAN =
            Vlmo.tiny()
                    .stage(vision().data(builtIn()).steps(3))
                    .stage(text().data(builtIn()).steps(5))
                    .compile(on(cpu()));

    private static Map<String, Double> losses(double loss) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loss", loss);
        m.put("mim", loss);
        return m;
    }

    private static String plain(DisplayData data) {
        return String.valueOf(data.getData(MIMEType.TEXT_PLAIN));
    }

    @Test
    void oneBarPerStageUpdatedInPlaceWithLossesAndThroughput() {
        RecordingDisplay display = new RecordingDisplay();
        AtomicLong clock = new AtomicLong();
        TrainingProgress listener =
                new TrainingProgress(
                        (label, total) ->
                                Progress.start(
                                        label,
                                        total,
                                        new Progress.NotebookSink(display),
                                        () -> {
                                            return clock.addAndGet(1_000_000_000L);
                                        }));
        Plan.StagePlan first = PLAN.stages().get(0);
        Plan.StagePlan second = PLAN.stages().get(1);
        listener.stageStarted(first, 3, 0);
        for (int s = 1; s <= 3; s++) {
            listener.step(first, s, 3, losses(2.0 / s), 12.5, 3 - s);
        }
        listener.stageFinished(first, 3);
        listener.stageStarted(second, 5, 2); // resumed after step 2
        listener.step(second, 3, 5, losses(0.5), 10, 2);

        assertEquals(2, display.displayed.size(), "one output per stage");
        assertTrue(plain(display.displayed.get(0)).startsWith("stage 1 vision ["));
        String firstId = display.displayed.get(0).getDisplayId();
        DisplayData lastOfFirst =
                display.updated.stream()
                        .filter(d -> d.getDisplayId().equals(firstId))
                        .reduce((a, b) -> b)
                        .orElseThrow();
        String done = plain(lastOfFirst);
        assertTrue(done.contains("3/3 100%"), done);
        assertTrue(done.contains("loss=0.6667") && done.contains("samples/s=12.50"), done);
        assertTrue(
                String.valueOf(lastOfFirst.getData(MIMEType.TEXT_HTML))
                        .contains("<progress value=\"3\" max=\"3\""));

        assertTrue(plain(display.displayed.get(1)).contains("stage 2 text"));
        String secondId = display.displayed.get(1).getDisplayId();
        String resumedAt =
                plain(
                        display.updated.stream()
                                .filter(d -> d.getDisplayId().equals(secondId))
                                .findFirst()
                                .orElseThrow());
        assertTrue(resumedAt.contains("2/5"), "resumed after step 2: " + resumedAt);
        String resumed = plain(display.updated.get(display.updated.size() - 1));
        assertTrue(resumed.contains("3/5") && resumed.contains("loss=0.5000"), resumed);
    }

    @Test
    void theDslCreatesItAsDefaultOnceInstalled() {
        try {
            ProgressListener.setDefault(TrainingProgress::new);
            assertTrue(ProgressListener.createDefault(10) instanceof TrainingProgress);
        } finally {
            ProgressListener.setDefault(null);
        }
        assertTrue(!(ProgressListener.createDefault(10) instanceof TrainingProgress));
    }
}
