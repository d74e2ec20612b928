package dev.vlmo.kernel.display;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.vlmo.datasets.synthetic.SyntheticWorld;
import dev.vlmo.datasets.text.WordPieceTokenizer;
import dev.vlmo.dsl.Dsl;
import dev.vlmo.dsl.infer.AttentionMap;
import dev.vlmo.dsl.infer.Predictor;
import dev.vlmo.model.Engines;
import dev.vlmo.model.VlmoConfig;
import dev.vlmo.model.VlmoModel;
import java.awt.Color;
import java.awt.image.BufferedImage;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.XYPlot;
import org.junit.jupiter.api.Test;

/** Attention maps drawn as heatmaps and over the image. */
class AttentionChartsTest {

    private static BufferedImage grey(int size) {
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                image.setRGB(x, y, 0x808080);
            }
        }
        return image;
    }

    /** Yellow has much more red than blue; the scale's low end (dark violet) has less. */
    private static int yellowness(int rgb) {
        return ((rgb >> 16) & 0xFF) - (rgb & 0xFF);
    }

    @Test
    void overlayIsHottestWhereTheGridIs() {
        float[][] grid = new float[4][4];
        grid[0][3] = 1f; // top right
        BufferedImage out = Charts.overlay(grey(32), grid, 128);
        assertEquals(128, out.getWidth());
        assertEquals(128, out.getHeight());
        int topRight = out.getRGB(120, 8);
        int bottomLeft = out.getRGB(8, 120);
        assertTrue(
                yellowness(topRight) > yellowness(bottomLeft) + 100,
                "top right "
                        + new Color(topRight)
                        + " should be far hotter than bottom left "
                        + new Color(bottomLeft));
        // the picture shows through: a grey image under the coldest colour is not that colour
        Color cold = new Color(bottomLeft);
        assertTrue(cold.getGreen() > 30, "image blended in: " + cold);
    }

    @Test
    void overlayRejectsBadGrids() {
        BufferedImage img = grey(8);
        var ragged =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Charts.overlay(img, new float[][] {{1, 2}, {3}}, 64));
        assertTrue(ragged.getMessage().contains("row 1 has 1"), ragged.getMessage());
        var empty =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Charts.overlay(img, new float[0][0], 64));
        assertTrue(empty.getMessage().contains("non-empty"), empty.getMessage());
        var nan =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Charts.overlay(img, new float[][] {{Float.NaN}}, 64));
        assertTrue(nan.getMessage().contains("no finite"), nan.getMessage());
        assertThrows(
                IllegalArgumentException.class, () -> Charts.overlay(img, new float[][] {{1}}, 0));
    }

    @Test
    void attentionChartsLabelTheTokens() {
        SyntheticWorld world = Dsl.builtIn().scenes(8, 4).world(32);
        WordPieceTokenizer tok = new WordPieceTokenizer(world.vocabulary());
        try (NDManager m = Engines.newManager(null)) {
            m.getEngine().setRandomSeed(2);
            VlmoModel model =
                    new VlmoModel(VlmoConfig.tiny().withVocabSize(tok.vocabulary().size()));
            model.initialize(m);
            Predictor p = new Predictor(model, m, false, tok, 16, null, null, null);
            AttentionMap map =
                    p.attention(world.image(SyntheticWorld.Split.TEST, 0), "a red circle");
            Chart all = Charts.attention(map, 1);
            assertTrue(all.title().contains("layer 1"), all.title());
            XYPlot plot = (XYPlot) all.jfreeChart().getPlot();
            SymbolAxis columns = (SymbolAxis) plot.getDomainAxis();
            assertEquals(map.tokens().size(), columns.getSymbols().length);
            assertEquals("[CLS]", columns.getSymbols()[0]);
            assertEquals("[IMG]", columns.getSymbols()[map.textTokens()]);
            assertTrue(columns.isVerticalTickLabels(), "many column labels are turned upright");
            Chart cross = Charts.textToImage(map, 0);
            SymbolAxis rows = (SymbolAxis) ((XYPlot) cross.jfreeChart().getPlot()).getRangeAxis();
            assertEquals(map.textTokens(), rows.getSymbols().length);
            BufferedImage drawn = cross.toImage();
            assertEquals(cross.width(), drawn.getWidth());
            BufferedImage over =
                    Charts.overlay(
                            world.render(world.scenes(SyntheticWorld.Split.TEST).get(0), 64),
                            map.imageGrid(1, "red"),
                            96);
            assertEquals(96, over.getWidth());
        }
    }
}
