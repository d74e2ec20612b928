package dev.vlmo.kernel.display;

import dev.vlmo.dsl.FinetuneRun;
import dev.vlmo.dsl.Run;
import dev.vlmo.dsl.Vlmo;
import java.util.ArrayList;
import java.util.List;
import org.dflib.jjava.jupyter.kernel.display.Renderer;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;
import tech.tablesaw.api.Table;

/**
 * Registers renderers for the DSL's values: a {@link Vlmo} description shows as its {@code
 * describe()} table, a finished {@link Run} as the last metrics of each of its stages.
 */
public final class DslRenderers {

    private DslRenderers() {}

    /** Registers the DSL renderers with the given renderer. */
    public static void registerAll(Renderer renderer) {
        renderer.createRegistration(Vlmo.class)
                .preferring(MIMEType.TEXT_HTML)
                .supporting(MIMEType.TEXT_PLAIN)
                .register(
                        (vlmo, context) -> {
                            context.renderIfRequested(MIMEType.TEXT_HTML, () -> html(vlmo));
                            context.renderIfRequested(MIMEType.TEXT_PLAIN, vlmo::toString);
                        });
        renderer.createRegistration(Run.class)
                .preferring(MIMEType.TEXT_HTML)
                .supporting(MIMEType.TEXT_PLAIN)
                .register(
                        (run, context) -> {
                            context.renderIfRequested(
                                    MIMEType.TEXT_HTML,
                                    () ->
                                            "<div>"
                                                    + TableRendering.escape(run.toString())
                                                    + "</div>"
                                                    + TableRendering.html(lastSteps(run)));
                            context.renderIfRequested(
                                    MIMEType.TEXT_PLAIN,
                                    () -> run + "\n" + lastSteps(run).printAll());
                        });
        renderer.createRegistration(FinetuneRun.class)
                .preferring(MIMEType.TEXT_HTML)
                .supporting(MIMEType.TEXT_PLAIN)
                .register(
                        (ft, context) -> {
                            context.renderIfRequested(
                                    MIMEType.TEXT_HTML,
                                    () ->
                                            "<div>"
                                                    + TableRendering.escape(ft.toString())
                                                    + "</div>"
                                                    + TableRendering.html(ft.evaluation()));
                            context.renderIfRequested(
                                    MIMEType.TEXT_PLAIN,
                                    () -> ft + "\n" + ft.evaluation().printAll());
                        });
    }

    /**
     * The description's plan as HTML; when it cannot be compiled (say, a vocabulary file is
     * missing) its text and the reason instead.
     */
    static String html(Vlmo vlmo) {
        try {
            return TableRendering.html(vlmo.describe());
        } catch (RuntimeException e) {
            return "<pre>"
                    + TableRendering.escape(vlmo.toString())
                    + "</pre><div>cannot describe the plan: "
                    + TableRendering.escape(String.valueOf(e.getMessage()))
                    + "</div>";
        }
    }

    /**
     * The last recorded step of each stage of a run (the metrics table's rows where the stage
     * changes next), or the empty metrics table of a run that recorded none.
     */
    public static Table lastSteps(Run run) {
        Table metrics = run.metrics();
        if (metrics.rowCount() == 0 || !metrics.columnNames().contains("stage")) {
            return metrics.setName("last step of each stage");
        }
        List<Integer> rows = new ArrayList<>();
        for (int r = 0; r < metrics.rowCount(); r++) {
            boolean last =
                    r == metrics.rowCount() - 1
                            || !metrics.getString(r, "stage")
                                    .equals(metrics.getString(r + 1, "stage"));
            if (last) {
                rows.add(r);
            }
        }
        return metrics.rows(rows.stream().mapToInt(Integer::intValue).toArray())
                .setName("last step of each stage");
    }
}
