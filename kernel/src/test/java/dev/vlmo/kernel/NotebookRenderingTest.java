package dev.vlmo.kernel;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlmo.kernel.display.Charts;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** How the rendering check finds a page's images in a screenshot and tells a blank one. */
class NotebookRenderingTest {

    private static BufferedImage page(BufferedImage... placed) {
        BufferedImage shot = new BufferedImage(1280, 1600, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = shot.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 1280, 1600);
        int y = 40;
        for (BufferedImage image : placed) {
            g.drawImage(image, 97, y, null);
            y += image.getHeight() + 30;
        }
        g.dispose();
        return shot;
    }

    @Test
    void aChartDrawnUnscaledIsFoundAndAnotherIsNot() {
        BufferedImage chart = Charts.bar(Charts.ordered("R@1", 0.5, "R@5", 0.8)).toImage();
        BufferedImage other = Charts.bar(Charts.ordered("R@1", 0.2, "R@5", 0.9)).toImage();
        BufferedImage shot = page(chart);
        assertTrue(NotebookRendering.contains(shot, chart));
        assertFalse(NotebookRendering.contains(shot, other));
        // a screenshot that cuts the image off does not show it
        assertFalse(NotebookRendering.contains(shot.getSubimage(0, 0, 1280, 300), chart));
    }

    @Test
    void mostlyWhiteImagesOnAWhitePageAreSearchedQuickly() {
        BufferedImage white = new BufferedImage(688, 720, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = white.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 688, 720);
        g.setColor(Color.DARK_GRAY);
        g.drawString("one line of text", 8, 17);
        g.fillRect(8, 400, 128, 128);
        g.dispose();
        BufferedImage shot = page(new BufferedImage(10, 10, BufferedImage.TYPE_INT_RGB));
        assertTimeoutPreemptively(
                Duration.ofSeconds(20), () -> assertFalse(NotebookRendering.contains(shot, white)));
        assertTimeoutPreemptively(
                Duration.ofSeconds(20),
                () -> assertTrue(NotebookRendering.contains(page(white), white)));
    }

    @Test
    void aBlankPageHasNoLuminanceSpread() {
        BufferedImage blank = page();
        assertTrue(NotebookRendering.luminanceStdDev(blank) < 1e-6);
        BufferedImage chart = Charts.bar(Charts.ordered("a", 1.0)).toImage();
        assertTrue(NotebookRendering.luminanceStdDev(page(chart)) > 5);
    }
}
