package dev.vlmo.kernel.display;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Base64;
import java.util.ServiceLoader;
import javax.imageio.ImageIO;
import org.dflib.jjava.jupyter.Extension;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.Renderer;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.Table;

class RenderersTest {

    @Test
    void extensionIsDiscoverableByTheBaseLibrary() {
        assertTrue(
                ServiceLoader.load(Extension.class).stream()
                        .anyMatch(p -> p.type() == VlmoDisplayExtension.class),
                "META-INF/services lists the extension");
    }

    @Test
    void tableRendersAsHtmlWithTextFallback() {
        Renderer renderer = new Renderer();
        Renderers.registerAll(renderer);
        DisplayData data = renderer.render(Table.create("t", IntColumn.create("epoch", 1, 2)));
        String html = String.valueOf(data.getData(MIMEType.TEXT_HTML));
        assertTrue(html.contains(">epoch</th>"), html);
        assertTrue(String.valueOf(data.getData(MIMEType.TEXT_PLAIN)).contains("epoch"));
    }

    @Test
    void chartRendersAsPngOfItsSize() throws Exception {
        Renderer renderer = new Renderer();
        Renderers.registerAll(renderer);
        Chart chart = Charts.bar(Charts.ordered("R@1", 0.5)).withSize(320, 240);
        DisplayData data = renderer.render(chart);
        byte[] png = Base64.getDecoder().decode(String.valueOf(data.getData(MIMEType.IMAGE_PNG)));
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        assertEquals(320, image.getWidth());
        assertEquals(240, image.getHeight());
        assertEquals(chart.toString(), data.getData(MIMEType.TEXT_PLAIN));
    }

    @Test
    void arraysRenderAsJshellShowsThemAndLongOnesAreCut() {
        Renderer renderer = new Renderer();
        Renderers.registerAll(renderer);
        assertEquals(
                "int[3] { 1, 2, 3 }",
                renderer.render(new int[] {1, 2, 3}).getData(MIMEType.TEXT_PLAIN));
        assertEquals(
                "float[2] { 0.5, 1.0 }",
                renderer.render(new float[] {0.5f, 1f}).getData(MIMEType.TEXT_PLAIN));
        assertEquals(
                "String[2] { \"a\", null }",
                renderer.render(new String[] {"a", null}).getData(MIMEType.TEXT_PLAIN));
        assertEquals(
                "int[][2] { int[1] { 1 }, int[0] { } }",
                renderer.render(new int[][] {{1}, {}}).getData(MIMEType.TEXT_PLAIN));
        String big = String.valueOf(renderer.render(new long[5000]).getData(MIMEType.TEXT_PLAIN));
        assertTrue(big.startsWith("long[5000] { 0, 0,") && big.endsWith(", ... 4000 more }"), big);
    }

    @Test
    void rawJFreeChartRendersAtTheDefaultSize() throws Exception {
        Renderer renderer = new Renderer();
        Renderers.registerAll(renderer);
        DisplayData data = renderer.render(Charts.bar(Charts.ordered("a", 1)).jfreeChart());
        byte[] png = Base64.getDecoder().decode(String.valueOf(data.getData(MIMEType.IMAGE_PNG)));
        assertEquals(Charts.WIDTH, ImageIO.read(new ByteArrayInputStream(png)).getWidth());
    }
}
