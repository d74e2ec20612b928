package dev.vlmo.kernel.display;

import java.util.Base64;
import org.dflib.jjava.jupyter.kernel.display.Renderer;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;
import org.jfree.chart.JFreeChart;
import tech.tablesaw.api.Table;

/**
 * Registers this module's renderers with a jjava-jupyter {@link Renderer}: Tablesaw tables as HTML
 * and text, {@link Chart}s and JFreeCharts as PNG, progress bars as HTML and text.
 */
public final class Renderers {

    private Renderers() {}

    /** Registers every renderer of this module with the given renderer. */
    public static void registerAll(Renderer renderer) {
        renderer.createRegistration(Table.class)
                .preferring(MIMEType.TEXT_HTML)
                .supporting(MIMEType.TEXT_PLAIN)
                .register(
                        (table, context) -> {
                            context.renderIfRequested(
                                    MIMEType.TEXT_HTML, () -> TableRendering.html(table));
                            context.renderIfRequested(
                                    MIMEType.TEXT_PLAIN, () -> TableRendering.text(table));
                        });
        renderer.createRegistration(Chart.class)
                .preferring(MIMEType.IMAGE_PNG)
                .supporting(MIMEType.TEXT_PLAIN)
                .register(
                        (chart, context) -> {
                            context.renderIfRequested(
                                    MIMEType.IMAGE_PNG, () -> base64(chart.toPng()));
                            context.renderIfRequested(MIMEType.TEXT_PLAIN, chart::toString);
                        });
        renderer.createRegistration(JFreeChart.class)
                .preferring(MIMEType.IMAGE_PNG)
                .register(
                        (chart, context) ->
                                context.renderIfRequested(
                                        MIMEType.IMAGE_PNG,
                                        () ->
                                                base64(
                                                        Chart.of(chart, Charts.WIDTH, Charts.HEIGHT)
                                                                .toPng())));
        renderer.createRegistration(Progress.class)
                .preferring(MIMEType.TEXT_HTML)
                .supporting(MIMEType.TEXT_PLAIN)
                .register(
                        (progress, context) -> {
                            context.renderIfRequested(MIMEType.TEXT_HTML, progress::html);
                            context.renderIfRequested(MIMEType.TEXT_PLAIN, progress::text);
                        });
    }

    private static String base64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }
}
