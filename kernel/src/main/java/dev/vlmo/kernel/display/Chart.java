package dev.vlmo.kernel.display;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.title.TextTitle;

/**
 * A chart and the pixel size it renders at; a notebook shows it as a PNG image. Made by {@link
 * Charts}; {@link #jfreeChart()} gives the JFreeChart for further styling.
 */
public final class Chart {

    /** Largest width or height accepted, in pixels. */
    public static final int MAX_SIZE = 8192;

    private final JFreeChart chart;
    private final int width;
    private final int height;

    private Chart(JFreeChart chart, int width, int height) {
        this.chart = Objects.requireNonNull(chart, "chart");
        this.width = checkSize("width", width);
        this.height = checkSize("height", height);
    }

    /** Wraps a JFreeChart to render at the given size in pixels. */
    public static Chart of(JFreeChart chart, int width, int height) {
        return new Chart(chart, width, height);
    }

    private static int checkSize(String what, int pixels) {
        if (pixels < 16 || pixels > MAX_SIZE) {
            throw new IllegalArgumentException(
                    "chart " + what + " must be within 16.." + MAX_SIZE + " pixels, got " + pixels);
        }
        return pixels;
    }

    /** The same chart rendered at another size. */
    public Chart withSize(int width, int height) {
        return new Chart(chart, width, height);
    }

    /** A copy of this chart with another title (this chart keeps its own). */
    public Chart withTitle(String title) {
        Objects.requireNonNull(title, "title");
        try {
            JFreeChart copy = (JFreeChart) chart.clone();
            copy.setTitle(
                    new TextTitle(
                            title,
                            chart.getTitle() == null
                                    ? JFreeChart.DEFAULT_TITLE_FONT
                                    : chart.getTitle().getFont()));
            return new Chart(copy, width, height);
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("this chart cannot be copied: " + e.getMessage(), e);
        }
    }

    /** The title, or an empty string when the chart has none. */
    public String title() {
        return chart.getTitle() == null ? "" : chart.getTitle().getText();
    }

    /** The width in pixels. */
    public int width() {
        return width;
    }

    /** The height in pixels. */
    public int height() {
        return height;
    }

    /** The underlying JFreeChart; changes to it show in later renderings. */
    public JFreeChart jfreeChart() {
        return chart;
    }

    /** Renders the chart into an image of {@link #width()} by {@link #height()} pixels. */
    public BufferedImage toImage() {
        return chart.createBufferedImage(width, height);
    }

    /** Renders the chart as PNG bytes. */
    public byte[] toPng() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ChartUtils.writeChartAsPNG(out, chart, width, height);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode the chart '" + title() + "' as PNG", e);
        }
        return out.toByteArray();
    }

    /** Writes the chart as a PNG file (creating parent directories) and returns the file. */
    public Path savePng(Path file) {
        Objects.requireNonNull(file, "file");
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.write(file, toPng());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the chart to " + file, e);
        }
        return file;
    }

    /** A one-line description: title and size. */
    @Override
    public String toString() {
        return "Chart["
                + (title().isEmpty() ? "untitled" : "'" + title() + "'")
                + ", "
                + width
                + "x"
                + height
                + "]";
    }
}
