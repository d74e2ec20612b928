package dev.vlmo.kernel.display;

import java.util.Base64;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
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
        // arrays as jshell prints them (int[3] { 1, 2, 3 }), long ones cut, not as [I@65632d18
        for (Class<?> type :
                new Class<?>[] {
                    int[].class,
                    long[].class,
                    float[].class,
                    double[].class,
                    boolean[].class,
                    byte[].class,
                    short[].class,
                    char[].class,
                    int[][].class,
                    long[][].class,
                    float[][].class,
                    double[][].class,
                    Object[].class,
                    String[].class,
                    Integer[].class,
                    Long[].class,
                    Float[].class,
                    Double[].class
                }) {
            // the base library matches registrations by the exact class
            renderer.createRegistration(type)
                    .preferring(MIMEType.TEXT_PLAIN)
                    .register(
                            (array, context) ->
                                    context.renderIfRequested(
                                            MIMEType.TEXT_PLAIN, () -> arrayText(array)));
        }
        renderer.createRegistration(Progress.class)
                .preferring(MIMEType.TEXT_HTML)
                .supporting(MIMEType.TEXT_PLAIN)
                .register(
                        (progress, context) -> {
                            context.renderIfRequested(MIMEType.TEXT_HTML, progress::html);
                            context.renderIfRequested(MIMEType.TEXT_PLAIN, progress::text);
                        });
    }

    /** The most characters of a value's text form sent to the notebook. */
    public static final int TEXT_SHOWN = 100_000;

    /**
     * Renders a value for the notebook, safely: a {@code toString()} that throws becomes a line
     * saying so (not the base library's frames), and a text form of megabytes is cut.
     *
     * @param renderer the kernel's renderer
     * @param value the value (a ready {@link DisplayData} is returned as it is)
     * @return what to display
     */
    public static DisplayData render(Renderer renderer, Object value) {
        if (value instanceof DisplayData ready) {
            return ready;
        }
        DisplayData data;
        try {
            data = renderer.render(value);
        } catch (RuntimeException e) {
            return new DisplayData(
                    "(a "
                            + value.getClass().getName()
                            + " whose text form could not be made: its toString() threw "
                            + e
                            + ")");
        }
        if (data.getData(MIMEType.TEXT_PLAIN) instanceof String text
                && text.length() > TEXT_SHOWN) {
            data.putText(
                    text.substring(0, TEXT_SHOWN)
                            + "\n... ("
                            + (text.length() - TEXT_SHOWN)
                            + " more characters not shown)");
        }
        return data;
    }

    /** The most elements of an array shown before "... N more". */
    static final int ARRAY_ELEMENTS_SHOWN = 1000;

    /** An array as jshell shows it, {@code int[3] { 1, 2, 3 }}, cut after a thousand elements. */
    static String arrayText(Object array) {
        int n = java.lang.reflect.Array.getLength(array);
        String type = array.getClass().getComponentType().getSimpleName();
        StringBuilder out = new StringBuilder(type).append('[').append(n).append("] { ");
        for (int i = 0; i < Math.min(n, ARRAY_ELEMENTS_SHOWN); i++) {
            Object v = java.lang.reflect.Array.get(array, i);
            out.append(i == 0 ? "" : ", ")
                    .append(
                            v != null && v.getClass().isArray()
                                    ? arrayText(v)
                                    : v instanceof String str ? '"' + str + '"' : v);
        }
        if (n > ARRAY_ELEMENTS_SHOWN) {
            out.append(", ... ").append(n - ARRAY_ELEMENTS_SHOWN).append(" more");
        }
        return out.append(n == 0 ? "}" : " }").toString(); // empty: "int[0] { }"
    }

    private static String base64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }
}
