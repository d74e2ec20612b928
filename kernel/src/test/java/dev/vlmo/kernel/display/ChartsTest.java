package dev.vlmo.kernel.display;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

class ChartsTest {

    private static final byte[] PNG_SIGNATURE = {
        (byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'
    };

    private static Table history() {
        return Table.create(
                "history",
                IntColumn.create("step", 0, 10, 20, 30),
                DoubleColumn.create("loss", 4.0, 3.1, Double.NaN, 2.2),
                DoubleColumn.create("itc_loss", 2.0, 1.6, 1.3, 1.1),
                StringColumn.create("stage", "v", "v", "t", "t"));
    }

    private static BufferedImage decode(byte[] png) throws Exception {
        assertArrayEquals(PNG_SIGNATURE, Arrays.copyOf(png, 8), "PNG signature");
        return ImageIO.read(new ByteArrayInputStream(png));
    }

    @Test
    void eachLineHasTheColourTheLegendGivesIt() {
        Table t =
                Table.create(
                        "two lines",
                        IntColumn.create("step", 1, 2, 3),
                        DoubleColumn.create("high", 10.0, 10.0, 10.0),
                        DoubleColumn.create("low", 0.0, 0.0, 0.0),
                        DoubleColumn.create("lower", -1.0, -1.0, -1.0),
                        DoubleColumn.create("lowest", -2.0, -2.0, -2.0));
        BufferedImage image = Charts.line(t, "step", "high", "low", "lower", "lowest").toImage();
        // the legend (bottom strip) lists "high" first: its leftmost coloured pixel
        int legendHigh = -1;
        for (int x = 0; x < image.getWidth() && legendHigh < 0; x++) {
            for (int y = image.getHeight() - 25; y < image.getHeight(); y++) {
                int rgb = image.getRGB(x, y) & 0xFFFFFF;
                int r = rgb >> 16;
                int g = (rgb >> 8) & 0xFF;
                int b = rgb & 0xFF;
                if (Math.max(r, Math.max(g, b)) - Math.min(r, Math.min(g, b)) > 100) {
                    legendHigh = rgb;
                    break;
                }
            }
        }
        assertTrue(legendHigh >= 0, "a coloured legend entry");
        // the upper third of the plot holds only the "high" line
        int sameColour = 0;
        for (int y = 40; y < image.getHeight() / 3; y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                sameColour += (image.getRGB(x, y) & 0xFFFFFF) == legendHigh ? 1 : 0;
            }
        }
        assertTrue(sameColour > 50, "the high line has its legend colour: " + sameColour);
    }

    @Test
    void lineChartRendersAPngOfTheGivenSize() throws Exception {
        Chart chart = Charts.line(history(), "step", "loss", "itc_loss").withSize(400, 250);
        BufferedImage image = decode(chart.toPng());
        assertEquals(400, image.getWidth());
        assertEquals(250, image.getHeight());
        assertEquals("loss, itc_loss by step", chart.title());
        assertEquals(2, chart.jfreeChart().getXYPlot().getDataset().getSeriesCount());
    }

    @Test
    void lineChartDrawsSomethingBesidesTheBackground() {
        BufferedImage image = Charts.line(history(), "step", "loss").toImage();
        long distinct =
                Arrays.stream(
                                image.getRGB(
                                        0,
                                        0,
                                        image.getWidth(),
                                        image.getHeight(),
                                        null,
                                        0,
                                        image.getWidth()))
                        .distinct()
                        .count();
        assertTrue(distinct > 10, "expected axes, text and a line, got " + distinct + " colours");
    }

    @Test
    void barChartFromAMapKeepsItsOrder() throws Exception {
        Chart chart = Charts.bar(Charts.ordered("R@1", 0.42, "R@5", 0.71, "R@10", 0.8));
        var dataset = chart.jfreeChart().getCategoryPlot().getDataset();
        assertEquals(List.of("R@1", "R@5", "R@10"), dataset.getColumnKeys());
        BufferedImage image = decode(chart.toPng());
        assertEquals(Charts.WIDTH, image.getWidth());
        assertEquals(Charts.HEIGHT, image.getHeight());
    }

    @Test
    void barChartFromATableGroupsByCategory() {
        Table scores =
                Table.create(
                        "scores",
                        StringColumn.create("model", "tiny", "base"),
                        DoubleColumn.create("ir_r1", 0.3, 0.6),
                        DoubleColumn.create("tr_r1", 0.35, 0.7));
        var dataset =
                Charts.bar(scores, "model", "ir_r1", "tr_r1")
                        .jfreeChart()
                        .getCategoryPlot()
                        .getDataset();
        assertEquals(2, dataset.getRowCount());
        assertEquals(0.7, dataset.getValue("tr_r1", "base").doubleValue(), 1e-12);
    }

    @Test
    void heatmapRendersThePaletteAtTheGivenSize() throws Exception {
        double[][] similarity = new double[8][8];
        for (int i = 0; i < 8; i++) {
            for (int j = 0; j < 8; j++) {
                similarity[i][j] = i == j ? 1.0 : 0.1 * ((i + j) % 3);
            }
        }
        Chart chart =
                Charts.heatmap(similarity, null, List.of("a", "b", "c", "d", "e", "f", "g", "h"))
                        .withSize(300, 280);
        BufferedImage image = decode(chart.toPng());
        assertEquals(300, image.getWidth());
        assertEquals(280, image.getHeight());
        assertNotEquals(0, image.getRGB(100, 100) & 0xffffff, "the plot area is coloured");
    }

    @Test
    void floatHeatmapMatchesDoubleHeatmap() {
        Chart chart = Charts.heatmap(new float[][] {{0f, 1f}, {1f, 0f}});
        assertEquals(Charts.HEATMAP_SIZE, chart.height());
    }

    @Test
    void savePngWritesTheFile(@TempDir Path dir) throws Exception {
        Path file = Charts.line(history(), "step", "loss").savePng(dir.resolve("out/loss.png"));
        assertEquals(Charts.WIDTH, ImageIO.read(file.toFile()).getWidth());
        assertTrue(Files.size(file) > 100);
    }

    @Test
    void withTitleLeavesTheOriginalUnchanged() {
        Chart original = Charts.line(history(), "step", "loss");
        Chart renamed = original.withTitle("pretraining loss");
        assertEquals("pretraining loss", renamed.title());
        assertEquals("loss by step", original.title());
    }

    @Test
    void badInputsAreNamed() {
        IllegalArgumentException missing =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Charts.line(history(), "step", "los"));
        assertTrue(missing.getMessage().contains("'los'"), missing.getMessage());
        assertTrue(
                missing.getMessage().contains("itc_loss"),
                "lists the columns: " + missing.getMessage());

        IllegalArgumentException notNumeric =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Charts.line(history(), "step", "stage"));
        assertTrue(notNumeric.getMessage().contains("'stage'"), notNumeric.getMessage());

        IllegalArgumentException ragged =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Charts.heatmap(new double[][] {{1, 2}, {3}}));
        assertTrue(ragged.getMessage().contains("row 1 has 1"), ragged.getMessage());

        IllegalArgumentException labels =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Charts.heatmap(new double[][] {{1, 2}}, List.of("a", "b"), null));
        assertTrue(labels.getMessage().contains("2 row labels"), labels.getMessage());

        IllegalArgumentException size =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Charts.line(history(), "step", "loss").withSize(0, 100));
        assertTrue(size.getMessage().contains("width"), size.getMessage());
    }
}
