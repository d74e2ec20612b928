package dev.vlmo.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * Exports an executed notebook to HTML ({@code jupyter nbconvert --to html}), checks that its
 * tables and PNG images are in the page, and renders the page with headless Chromium into a
 * screenshot that must show those images pixel for pixel.
 */
final class NotebookRendering {

    /** Width of the browser window, and so of the screenshot. */
    static final int WIDTH = 1280;

    /** Height of the browser window: the first part of the page that the screenshot shows. */
    static final int HEIGHT = 3200;

    private static final Pattern PNG =
            Pattern.compile("<img[^>]*\\bsrc=\"data:image/png;base64,\\s*([A-Za-z0-9+/=\\s]+)\"");

    /** What a rendering produced. */
    record Rendered(
            Path html, Path screenshot, int tables, List<BufferedImage> images, int shown) {}

    private NotebookRendering() {}

    /** The Chromium executable on the PATH, if any. */
    static Optional<Path> chromium() {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .filter(d -> !d.isEmpty())
                .flatMap(d -> Stream.of(Path.of(d, "chromium"), Path.of(d, "chromium-browser")))
                .filter(Files::isExecutable)
                .findFirst();
    }

    /** Whether this is a CI run ({@code CI=true}), where nothing may be skipped. */
    static boolean ci() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /**
     * Exports {@code executed} to HTML beside it, screenshots the page with {@code chromium}, and
     * checks both.
     *
     * @param executed an executed notebook
     * @param env the Jupyter environment of the run that executed it
     * @param chromium the browser
     * @param minTables how many HTML tables the page must hold at least
     * @param minImages how many PNG images the page must hold at least
     * @return the files and what was found
     */
    static Rendered render(
            Path executed, Map<String, String> env, Path chromium, int minTables, int minImages)
            throws Exception {
        Path dir = executed.getParent();
        String stem = executed.getFileName().toString().replaceFirst("\\.ipynb$", "");
        Path html = dir.resolve(stem + ".html");
        run(
                List.of(
                        "jupyter",
                        "nbconvert",
                        "--to",
                        "html",
                        "--output-dir",
                        dir.toString(),
                        "--output",
                        stem,
                        executed.toString()),
                env,
                dir.resolve(stem + ".html.log"),
                120);
        assertTrue(Files.isRegularFile(html), "nbconvert wrote no " + html);
        String page = Files.readString(html);

        int tables = count(page, "<table");
        assertTrue(
                tables >= minTables,
                html + " has " + tables + " tables, expected at least " + minTables);
        List<BufferedImage> images = new ArrayList<>();
        Matcher m = PNG.matcher(page);
        while (m.find()) {
            byte[] bytes = Base64.getMimeDecoder().decode(m.group(1));
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
            assertNotNull(image, "an <img> of " + html + " is no readable PNG");
            images.add(image);
        }
        assertTrue(
                images.size() >= minImages,
                html + " has " + images.size() + " PNG images, expected at least " + minImages);

        Path screenshot = dir.resolve(stem + ".png");
        Files.deleteIfExists(screenshot);
        Path profile = Files.createTempDirectory("vlmo-chromium-");
        run(
                List.of(
                        chromium.toString(),
                        "--headless",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--hide-scrollbars",
                        "--force-device-scale-factor=1",
                        "--force-color-profile=srgb",
                        "--user-data-dir=" + profile,
                        "--window-size=" + WIDTH + "," + HEIGHT,
                        "--screenshot=" + screenshot,
                        html.toUri().toString()),
                Map.of(),
                dir.resolve(stem + ".chromium.log"),
                180);
        assertTrue(Files.isRegularFile(screenshot), "chromium wrote no " + screenshot);
        BufferedImage shot = ImageIO.read(screenshot.toFile());
        assertNotNull(shot, screenshot + " is no readable PNG");
        assertEquals(WIDTH, shot.getWidth(), "screenshot width");
        assertEquals(HEIGHT, shot.getHeight(), "screenshot height");
        double sd = luminanceStdDev(shot);
        assertTrue(sd > 20, "screenshot " + screenshot + " is blank (luminance sd " + sd + ")");

        int shown = 0;
        for (BufferedImage image : images) {
            if (contains(shot, image)) {
                shown++;
            }
        }
        return new Rendered(html, screenshot, tables, images, shown);
    }

    private static void run(List<String> command, Map<String, String> env, Path log, int seconds)
            throws IOException, InterruptedException {
        ProcessBuilder b =
                new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        b.environment().putAll(env);
        Process p = b.start();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(
                    command.get(0)
                            + " did not finish in "
                            + seconds
                            + " s:\n"
                            + Files.readString(log));
        }
        assertEquals(0, p.exitValue(), String.join(" ", command) + "\n" + Files.readString(log));
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + what.length())) {
            n++;
        }
        return n;
    }

    static double luminanceStdDev(BufferedImage image) {
        double sum = 0;
        double squares = 0;
        long n = (long) image.getWidth() * image.getHeight();
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y);
                double l =
                        0.299 * (rgb >> 16 & 0xff)
                                + 0.587 * (rgb >> 8 & 0xff)
                                + 0.114 * (rgb & 0xff);
                sum += l;
                squares += l * l;
            }
        }
        double mean = sum / n;
        return Math.sqrt(Math.max(0, squares / n - mean * mean));
    }

    /**
     * Whether {@code image} appears unscaled in {@code shot}: its most varied row is searched, then
     * the whole image is compared at each place found (1% of pixels may be off for colour
     * rounding). An image without such a row (nearly one colour) cannot be located and counts as
     * not shown.
     */
    static boolean contains(BufferedImage shot, BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        if (w > shot.getWidth() || h > shot.getHeight()) {
            return false;
        }
        int[] s = shot.getRGB(0, 0, shot.getWidth(), shot.getHeight(), null, 0, shot.getWidth());
        int[] p = image.getRGB(0, 0, w, h, null, 0, w);
        int sw = shot.getWidth();
        int key = 0;
        int most = -1;
        for (int y = 0; y < h; y++) {
            int changes = 0;
            for (int x = 1; x < w; x++) {
                if (!close(p[y * w + x], p[y * w + x - 1])) {
                    changes++;
                }
            }
            if (changes > most) {
                most = changes;
                key = y;
            }
        }
        if (most < 8) {
            return false;
        }
        // the first pixel of the key row that differs from its left neighbour anchors the search
        int anchor = 1;
        while (close(p[key * w + anchor], p[key * w + anchor - 1])) {
            anchor++;
        }
        for (int y = key; y <= shot.getHeight() - (h - key); y++) {
            for (int x = 0; x <= sw - w; x++) {
                int row = y * sw + x;
                if (!close(s[row + anchor], p[key * w + anchor])
                        || !close(s[row + anchor - 1], p[key * w + anchor - 1])) {
                    continue;
                }
                int j = 0;
                while (j < w && close(s[row + j], p[key * w + j])) {
                    j++;
                }
                if (j == w && matches(s, sw, x, y - key, p, w, h)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean matches(int[] s, int sw, int x0, int y0, int[] p, int w, int h) {
        long allowed = (long) w * h / 100;
        long off = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if (!close(s[(y0 + y) * sw + x0 + x], p[y * w + x]) && ++off > allowed) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean close(int a, int b) {
        return Math.abs((a >> 16 & 0xff) - (b >> 16 & 0xff)) <= 6
                && Math.abs((a >> 8 & 0xff) - (b >> 8 & 0xff)) <= 6
                && Math.abs((a & 0xff) - (b & 0xff)) <= 6;
    }
}
