package dev.vlmo.kernel.display;

import dev.vlmo.dsl.infer.AttentionMap;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Paint;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.DefaultDrawingSupplier;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.LookupPaintScale;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import tech.tablesaw.api.NumericColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;

/**
 * Charts for training and evaluation, rendered offline by JFreeChart: line charts of training
 * curves, bar charts of scores such as recall@k, and heatmaps of similarity matrices and attention
 * maps.
 *
 * <pre>{@code
 * Charts.line(history, "step", "loss", "itc_loss")       // training curves
 * Charts.bar(Charts.ordered("R@1", 0.52, "R@5", 0.79)) // scores
 * Charts.heatmap(similarity).withTitle("image-text similarity")
 * Charts.attention(predictor.attention(image, question), 3)  // one layer's attention map
 * }</pre>
 */
public final class Charts {

    /** Default width of line and bar charts, in pixels. */
    public static final int WIDTH = 720;

    /** Default height of line and bar charts, in pixels. */
    public static final int HEIGHT = 420;

    /** Default edge of a heatmap, in pixels. */
    public static final int HEATMAP_SIZE = 560;

    /**
     * Colour steps of the heatmap scale, low to high (a perceptually ordered blue-green-yellow).
     */
    private static final Color[] SCALE = {
        new Color(68, 1, 84),
        new Color(59, 82, 139),
        new Color(33, 145, 140),
        new Color(94, 201, 98),
        new Color(253, 231, 37)
    };

    /** Number of colours the heatmap scale interpolates. */
    private static final int SCALE_STEPS = 128;

    private Charts() {}

    /**
     * A line chart with one line per y column against the x column, e.g. loss by step; missing
     * values leave gaps.
     *
     * @throws IllegalArgumentException if a column is missing or not numeric, or no y column is
     *     given
     */
    public static Chart line(Table table, String xColumn, String... yColumns) {
        Objects.requireNonNull(table, "table");
        if (yColumns == null || yColumns.length == 0) {
            throw new IllegalArgumentException(
                    "line chart needs at least one y column; numeric columns of '"
                            + table.name()
                            + "': "
                            + numericColumnNames(table));
        }
        NumericColumn<?> x = numeric(table, xColumn);
        XYSeriesCollection dataset = new XYSeriesCollection();
        for (String yName : yColumns) {
            NumericColumn<?> y = numeric(table, yName);
            XYSeries series = new XYSeries(yName, false, true);
            for (int row = 0; row < table.rowCount(); row++) {
                if (x.isMissing(row)) {
                    continue;
                }
                series.add(x.getDouble(row), y.isMissing(row) ? null : y.getDouble(row));
            }
            dataset.addSeries(series);
        }
        String title = String.join(", ", yColumns) + " by " + xColumn;
        JFreeChart chart =
                ChartFactory.createXYLineChart(
                        title,
                        xColumn,
                        yColumns.length == 1 ? yColumns[0] : "value",
                        dataset,
                        PlotOrientation.VERTICAL,
                        yColumns.length > 1,
                        true,
                        false);
        XYPlot plot = chart.getXYPlot();
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
        // fixed colours: auto-assigned ones follow the drawing order (last series first), so the
        // legend could name a line with another line's colour
        Paint[] palette = DefaultDrawingSupplier.DEFAULT_PAINT_SEQUENCE;
        for (int i = 0; i < yColumns.length; i++) {
            renderer.setSeriesStroke(i, new BasicStroke(2f));
            renderer.setSeriesPaint(i, palette[i % palette.length]);
        }
        plot.setRenderer(renderer);
        ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
        style(chart);
        return Chart.of(chart, WIDTH, HEIGHT);
    }

    /**
     * A bar chart of the value columns per category (one bar group per row), e.g. recall@k per
     * model.
     *
     * @throws IllegalArgumentException if a column is missing, a value column is not numeric, or no
     *     value column is given
     */
    public static Chart bar(Table table, String categoryColumn, String... valueColumns) {
        Objects.requireNonNull(table, "table");
        if (valueColumns == null || valueColumns.length == 0) {
            throw new IllegalArgumentException(
                    "bar chart needs at least one value column; numeric columns of '"
                            + table.name()
                            + "': "
                            + numericColumnNames(table));
        }
        Column<?> categories = column(table, categoryColumn);
        DefaultCategoryDataset dataset = new DefaultCategoryDataset();
        for (String valueName : valueColumns) {
            NumericColumn<?> values = numeric(table, valueName);
            for (int row = 0; row < table.rowCount(); row++) {
                dataset.addValue(
                        values.isMissing(row) ? null : values.getDouble(row),
                        valueName,
                        categories.getString(row));
            }
        }
        String title = String.join(", ", valueColumns) + " by " + categoryColumn;
        return barChart(
                title,
                categoryColumn,
                valueColumns.length == 1 ? valueColumns[0] : "value",
                dataset,
                valueColumns.length > 1);
    }

    /**
     * A bar chart of named values in the map's iteration order, e.g. {@code R@1, R@5, R@10}.
     *
     * @throws IllegalArgumentException if the map is empty or holds a null value
     */
    public static Chart bar(Map<String, ? extends Number> values) {
        Objects.requireNonNull(values, "values");
        if (values.isEmpty()) {
            throw new IllegalArgumentException(
                    "bar chart needs at least one value, got an empty map");
        }
        DefaultCategoryDataset dataset = new DefaultCategoryDataset();
        for (Map.Entry<String, ? extends Number> e : values.entrySet()) {
            if (e.getValue() == null) {
                throw new IllegalArgumentException(
                        "bar chart value for '" + e.getKey() + "' is null");
            }
            dataset.addValue(e.getValue().doubleValue(), "value", e.getKey());
        }
        return barChart("", "", "value", dataset, false);
    }

    private static Chart barChart(
            String title,
            String categoryLabel,
            String valueLabel,
            DefaultCategoryDataset dataset,
            boolean legend) {
        JFreeChart chart =
                ChartFactory.createBarChart(
                        title,
                        categoryLabel,
                        valueLabel,
                        dataset,
                        PlotOrientation.VERTICAL,
                        legend,
                        true,
                        false);
        CategoryPlot plot = chart.getCategoryPlot();
        BarRenderer renderer = (BarRenderer) plot.getRenderer();
        renderer.setDefaultItemLabelGenerator(
                new StandardCategoryItemLabelGenerator("{2}", new DecimalFormat("0.###")));
        renderer.setDefaultItemLabelsVisible(true);
        renderer.setShadowVisible(false);
        renderer.setBarPainter(new org.jfree.chart.renderer.category.StandardBarPainter());
        renderer.setItemMargin(0.05);
        style(chart);
        return Chart.of(chart, WIDTH, HEIGHT);
    }

    /** A heatmap of a matrix (row 0 at the top), e.g. a similarity matrix or an attention map. */
    public static Chart heatmap(double[][] matrix) {
        return heatmap(matrix, null, null);
    }

    /** A heatmap of a float matrix (row 0 at the top). */
    public static Chart heatmap(float[][] matrix) {
        Objects.requireNonNull(matrix, "matrix");
        return heatmap(toDouble(matrix), null, null);
    }

    /**
     * A heatmap with row and column labels (e.g. captions and image ids); either list may be null
     * for numeric axes.
     *
     * @throws IllegalArgumentException if the matrix is empty or ragged, or a label list's size
     *     differs from the matrix
     */
    public static Chart heatmap(
            double[][] matrix, List<String> rowLabels, List<String> columnLabels) {
        Objects.requireNonNull(matrix, "matrix");
        if (matrix.length == 0 || matrix[0] == null || matrix[0].length == 0) {
            throw new IllegalArgumentException("heatmap needs a non-empty matrix");
        }
        int rows = matrix.length;
        int columns = matrix[0].length;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        int cells = rows * columns;
        double[] xs = new double[cells];
        double[] ys = new double[cells];
        double[] zs = new double[cells];
        for (int r = 0; r < rows; r++) {
            if (matrix[r] == null || matrix[r].length != columns) {
                throw new IllegalArgumentException(
                        "heatmap matrix must be rectangular: row 0 has "
                                + columns
                                + " columns, row "
                                + r
                                + " has "
                                + (matrix[r] == null ? "none" : matrix[r].length));
            }
            for (int c = 0; c < columns; c++) {
                int i = r * columns + c;
                xs[i] = c;
                ys[i] = r;
                zs[i] = matrix[r][c];
                if (Double.isFinite(zs[i])) {
                    min = Math.min(min, zs[i]);
                    max = Math.max(max, zs[i]);
                }
            }
        }
        if (min > max) {
            throw new IllegalArgumentException("heatmap matrix has no finite value");
        }
        checkLabels("row", rowLabels, rows);
        checkLabels("column", columnLabels, columns);
        DefaultXYZDataset dataset = new DefaultXYZDataset();
        dataset.addSeries("values", new double[][] {xs, ys, zs});

        ValueAxis xAxis = axis("column", columnLabels, columns);
        if (columnLabels != null && columns > 8) {
            xAxis.setVerticalTickLabels(true); // many labels side by side would overlap
        }
        ValueAxis yAxis = axis("row", rowLabels, rows);
        yAxis.setInverted(true);
        XYBlockRenderer renderer = new XYBlockRenderer();
        PaintScale scale = scale(min, max == min ? min + 1 : max);
        renderer.setPaintScale(scale);
        XYPlot plot = new XYPlot(dataset, xAxis, yAxis, renderer);
        plot.setBackgroundPaint(Color.LIGHT_GRAY);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        plot.setAxisOffset(RectangleInsets.ZERO_INSETS);
        JFreeChart chart = new JFreeChart("", JFreeChart.DEFAULT_TITLE_FONT, plot, false);
        NumberAxis legendAxis = new NumberAxis();
        legendAxis.setRange(min, max == min ? min + 1 : max);
        PaintScaleLegend legend = new PaintScaleLegend(scale, legendAxis);
        legend.setPosition(RectangleEdge.RIGHT);
        legend.setMargin(new RectangleInsets(8, 8, 8, 8));
        legend.setStripWidth(14);
        chart.addSubtitle(legend);
        style(chart);
        return Chart.of(chart, HEATMAP_SIZE + 80, HEATMAP_SIZE);
    }

    /**
     * A layer's attention map (mean over heads) over every token of the pair: query rows, key
     * columns, labelled with the text's word pieces, {@code [IMG]} and the patches.
     *
     * @param map the attention of one pair, from {@code Predictor.attention}
     * @param layer 0 for the bottom layer
     * @return the heatmap, titled with the layer
     */
    public static Chart attention(AttentionMap map, int layer) {
        Objects.requireNonNull(map, "map");
        return heatmap(toDouble(map.weights(layer)), map.tokens(), map.tokens())
                .withTitle(
                        "attention in layer "
                                + layer
                                + " (mean of "
                                + map.heads()
                                + " heads; rows attend to columns)");
    }

    /**
     * How each text token attends to the image's patches in a layer (mean over heads): the
     * cross-modal block of {@link #attention(AttentionMap, int)}.
     *
     * @param map the attention of one pair
     * @param layer 0 for the bottom layer
     * @return the heatmap, text tokens as rows, patches as columns
     */
    public static Chart textToImage(AttentionMap map, int layer) {
        Objects.requireNonNull(map, "map");
        List<String> tokens = map.tokens();
        int text = map.textTokens();
        return heatmap(
                        toDouble(map.textToImage(layer)),
                        tokens.subList(0, text),
                        tokens.subList(text + 1, tokens.size()))
                .withTitle("text-to-image attention in layer " + layer);
    }

    /**
     * Draws an image with a patch grid's weights laid over it as a translucent heat layer (the
     * heatmap's colours, scaled from the grid's smallest to its largest value, interpolated between
     * patch centres), e.g. where a question's word looks: {@code Charts.overlay(image,
     * map.imageGrid(layer, "red"), 256)}.
     *
     * @param image the picture, any size (it is scaled to {@code size})
     * @param grid (rows, columns) weights, row 0 at the top of the image
     * @param size the side of the square result in pixels
     * @return a new image
     * @throws IllegalArgumentException if the grid is empty, ragged or has no finite value
     */
    public static BufferedImage overlay(BufferedImage image, float[][] grid, int size) {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(grid, "grid");
        if (size < 1 || size > Chart.MAX_SIZE) {
            throw new IllegalArgumentException(
                    "overlay size must be in [1, " + Chart.MAX_SIZE + "], got " + size);
        }
        double[][] g = toDouble(grid);
        if (g.length == 0 || g[0].length == 0) {
            throw new IllegalArgumentException("overlay needs a non-empty grid");
        }
        int rows = g.length;
        int columns = g[0].length;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (int r = 0; r < rows; r++) {
            if (g[r].length != columns) {
                throw new IllegalArgumentException(
                        "overlay grid must be rectangular: row 0 has "
                                + columns
                                + " columns, row "
                                + r
                                + " has "
                                + g[r].length);
            }
            for (double v : g[r]) {
                if (Double.isFinite(v)) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
        }
        if (min > max) {
            throw new IllegalArgumentException("overlay grid has no finite value");
        }
        double range = max > min ? max - min : 1;
        BufferedImage out = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D graphics = out.createGraphics();
        graphics.setRenderingHint(
                RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        graphics.drawImage(image, 0, 0, size, size, null);
        graphics.dispose();
        double alpha = 0.55;
        for (int y = 0; y < size; y++) {
            // the pixel's position in grid coordinates, patch centres at whole numbers
            double gy = Math.max(0, Math.min(rows - 1, (y + 0.5) * rows / size - 0.5));
            int y0 = (int) Math.floor(gy);
            int y1 = Math.min(rows - 1, y0 + 1);
            double fy = gy - y0;
            for (int x = 0; x < size; x++) {
                double gx = Math.max(0, Math.min(columns - 1, (x + 0.5) * columns / size - 0.5));
                int x0 = (int) Math.floor(gx);
                int x1 = Math.min(columns - 1, x0 + 1);
                double fx = gx - x0;
                double v =
                        (1 - fy) * ((1 - fx) * finite(g[y0][x0], min) + fx * finite(g[y0][x1], min))
                                + fy
                                        * ((1 - fx) * finite(g[y1][x0], min)
                                                + fx * finite(g[y1][x1], min));
                Color heat = (Color) interpolate(Math.max(0, Math.min(1, (v - min) / range)));
                int rgb = out.getRGB(x, y);
                int red = blend((rgb >> 16) & 0xFF, heat.getRed(), alpha);
                int green = blend((rgb >> 8) & 0xFF, heat.getGreen(), alpha);
                int blue = blend(rgb & 0xFF, heat.getBlue(), alpha);
                out.setRGB(x, y, (red << 16) | (green << 8) | blue);
            }
        }
        return out;
    }

    private static double finite(double v, double fallback) {
        return Double.isFinite(v) ? v : fallback;
    }

    private static int blend(int base, int top, double alpha) {
        return (int) Math.round(base * (1 - alpha) + top * alpha);
    }

    private static double[][] toDouble(float[][] matrix) {
        double[][] copy = new double[matrix.length][];
        for (int r = 0; r < matrix.length; r++) {
            if (matrix[r] == null) {
                throw new IllegalArgumentException("row " + r + " is null");
            }
            copy[r] = new double[matrix[r].length];
            for (int c = 0; c < matrix[r].length; c++) {
                copy[r][c] = matrix[r][c];
            }
        }
        return copy;
    }

    private static void checkLabels(String what, List<String> labels, int expected) {
        if (labels != null && labels.size() != expected) {
            throw new IllegalArgumentException(
                    "heatmap has "
                            + expected
                            + " "
                            + what
                            + "s but "
                            + labels.size()
                            + " "
                            + what
                            + " labels");
        }
    }

    private static ValueAxis axis(String name, List<String> labels, int count) {
        ValueAxis axis;
        if (labels != null) {
            axis = new SymbolAxis(null, labels.toArray(String[]::new));
        } else {
            NumberAxis numbers = new NumberAxis(name);
            numbers.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
            axis = numbers;
        }
        axis.setRange(-0.5, count - 0.5);
        axis.setLowerMargin(0);
        axis.setUpperMargin(0);
        return axis;
    }

    private static PaintScale scale(double low, double high) {
        LookupPaintScale scale = new LookupPaintScale(low, high, Color.LIGHT_GRAY);
        for (int i = 0; i < SCALE_STEPS; i++) {
            double t = i / (double) (SCALE_STEPS - 1);
            scale.add(low + t * (high - low), interpolate(t));
        }
        return scale;
    }

    private static Paint interpolate(double t) {
        double position = t * (SCALE.length - 1);
        int i = Math.min(SCALE.length - 2, (int) Math.floor(position));
        double f = position - i;
        Color a = SCALE[i];
        Color b = SCALE[i + 1];
        return new Color(
                (int) Math.round(a.getRed() + f * (b.getRed() - a.getRed())),
                (int) Math.round(a.getGreen() + f * (b.getGreen() - a.getGreen())),
                (int) Math.round(a.getBlue() + f * (b.getBlue() - a.getBlue())));
    }

    private static void style(JFreeChart chart) {
        chart.setBackgroundPaint(Color.WHITE);
        chart.setAntiAlias(true);
        chart.setTextAntiAlias(true);
        if (chart.getPlot() instanceof XYPlot xy
                && xy.getRenderer() instanceof XYLineAndShapeRenderer) {
            xy.setBackgroundPaint(Color.WHITE);
            xy.setDomainGridlinePaint(new Color(220, 220, 220));
            xy.setRangeGridlinePaint(new Color(220, 220, 220));
        } else if (chart.getPlot() instanceof CategoryPlot category) {
            category.setBackgroundPaint(Color.WHITE);
            category.setRangeGridlinePaint(new Color(220, 220, 220));
        }
    }

    private static Column<?> column(Table table, String name) {
        Objects.requireNonNull(name, "column name");
        if (!table.containsColumn(name)) {
            throw new IllegalArgumentException(
                    "table '"
                            + table.name()
                            + "' has no column '"
                            + name
                            + "'; its columns: "
                            + table.columnNames());
        }
        return table.column(name);
    }

    private static NumericColumn<?> numeric(Table table, String name) {
        Column<?> column = column(table, name);
        if (!(column instanceof NumericColumn<?> numeric)) {
            throw new IllegalArgumentException(
                    "column '"
                            + name
                            + "' of table '"
                            + table.name()
                            + "' is "
                            + column.type().name()
                            + ", not numeric; numeric columns: "
                            + numericColumnNames(table));
        }
        return numeric;
    }

    private static List<String> numericColumnNames(Table table) {
        List<String> names = new ArrayList<>();
        for (Column<?> c : table.columns()) {
            if (c instanceof NumericColumn<?>) {
                names.add(c.name());
            }
        }
        return names;
    }

    /** Keeps the insertion order of the given values, for {@link #bar(Map)} with literal pairs. */
    public static Map<String, Double> ordered(Object... namesAndValues) {
        if (namesAndValues.length % 2 != 0) {
            throw new IllegalArgumentException(
                    "ordered expects name, value pairs; got "
                            + namesAndValues.length
                            + " arguments");
        }
        Map<String, Double> map = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            if (!(namesAndValues[i + 1] instanceof Number number)) {
                throw new IllegalArgumentException(
                        "value for '"
                                + namesAndValues[i]
                                + "' must be a number, got "
                                + namesAndValues[i + 1]);
            }
            map.put(String.valueOf(namesAndValues[i]), number.doubleValue());
        }
        return map;
    }
}
