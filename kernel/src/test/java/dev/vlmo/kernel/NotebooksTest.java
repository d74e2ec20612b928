package dev.vlmo.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Executes the repository's notebooks headless with this kernel ({@code jupyter nbconvert --to
 * notebook --execute}, which fails on any cell error) and checks that their tables, progress bars
 * and charts appear. Skipped only when {@code jupyter} is not on the PATH.
 */
class NotebooksTest {

    /** The kernelspec name the notebooks' metadata names. */
    private static final String KERNEL = "vlmo-java";

    @TempDir static Path jupyter;

    @BeforeAll
    static void installKernel() throws Exception {
        assumeTrue(
                Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                        .anyMatch(d -> Files.isExecutable(Path.of(d, "jupyter"))),
                "jupyter is not on the PATH");
        KernelInstaller.run(
                List.of(
                        "--data-dir",
                        jupyter.resolve("share").toString(),
                        "--name",
                        KERNEL,
                        "--classpath",
                        System.getProperty("vlmo.kernel.classes")
                                + File.pathSeparator
                                + System.getProperty("vlmo.kernel.lib")
                                + File.separator
                                + "*",
                        "--jvm-opt",
                        "-Xss4m"));
    }

    /** Executes a notebook of {@code notebooks/} into a temporary copy and returns its cells. */
    private static List<JsonObject> execute(String name, Path dir) throws Exception {
        Path source = Path.of(System.getProperty("vlmo.notebooks", "../notebooks"), name);
        assertTrue(Files.isRegularFile(source), "missing notebook " + source);
        Path log = dir.resolve(name + ".log");
        ProcessBuilder b =
                new ProcessBuilder(
                                "jupyter",
                                "nbconvert",
                                "--to",
                                "notebook",
                                "--execute",
                                "--ExecutePreprocessor.timeout=300",
                                "--ExecutePreprocessor.startup_timeout=120",
                                "--output-dir",
                                dir.toString(),
                                "--output",
                                name,
                                source.toString())
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile());
        Map<String, String> env = b.environment();
        env.put("JUPYTER_PATH", jupyter.resolve("share").toString());
        env.put("JUPYTER_DATA_DIR", jupyter.resolve("data").toString());
        env.put("JUPYTER_RUNTIME_DIR", dir.resolve("runtime").toString());
        env.put("JUPYTER_CONFIG_DIR", dir.resolve("config").toString());
        env.put("IPYTHONDIR", dir.resolve("ipython").toString());
        Process p = b.start();
        if (!p.waitFor(400, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(name + " did not finish in 400 s:\n" + Files.readString(log));
        }
        assertEquals(0, p.exitValue(), name + " failed:\n" + Files.readString(log));
        JsonArray cells =
                JsonParser.parseString(Files.readString(dir.resolve(name)))
                        .getAsJsonObject()
                        .getAsJsonArray("cells");
        List<JsonObject> code = new ArrayList<>();
        for (JsonElement c : cells) {
            if (c.getAsJsonObject().get("cell_type").getAsString().equals("code")) {
                code.add(c.getAsJsonObject());
            }
        }
        return code;
    }

    /** Everything of one MIME type that a cell displayed or returned. */
    private static String shown(JsonObject cell, String mime) {
        StringBuilder out = new StringBuilder();
        for (JsonElement o : cell.getAsJsonArray("outputs")) {
            JsonObject data = o.getAsJsonObject().getAsJsonObject("data");
            JsonElement value = data == null ? null : data.get(mime);
            if (value != null && value.isJsonArray()) {
                value.getAsJsonArray().forEach(e -> out.append(e.getAsString()));
            } else if (value != null) {
                out.append(value.getAsString());
            }
        }
        return out.toString();
    }

    private static String outputTypes(JsonObject cell) {
        List<String> types = new ArrayList<>();
        cell.getAsJsonArray("outputs")
                .forEach(o -> types.add(o.getAsJsonObject().get("output_type").getAsString()));
        return types.stream().collect(Collectors.joining(","));
    }

    private static BufferedImage png(JsonObject cell) throws Exception {
        String base64 = shown(cell, "image/png").replace("\n", "");
        assertTrue(!base64.isEmpty(), "no image in " + cell);
        return ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(base64)));
    }

    @Test
    void quickstartTrainsAndShowsPlanProgressMetricsCurveAndRetrieval(@TempDir Path dir)
            throws Exception {
        List<JsonObject> cells = execute("quickstart.ipynb", dir);
        assertEquals(7, cells.size(), "code cells");

        String plan = shown(cells.get(0), "text/html");
        assertTrue(plan.contains(">objectives</th>") && plan.contains("visionLanguage"), plan);

        JsonObject runCell = cells.get(1);
        assertTrue(outputTypes(runCell).startsWith("display_data,display_data,display_data"));
        String bars = shown(runCell, "text/plain");
        assertTrue(
                bars.contains("stage 1 vision") && bars.contains("stage 3 visionLanguage"), bars);
        assertTrue(bars.contains("8/8 100%") && bars.contains("loss="), bars);
        assertTrue(shown(runCell, "text/html").contains("last step of each stage"));

        String metrics = shown(cells.get(2), "text/html");
        assertTrue(metrics.contains(">samples_per_s</th>") && metrics.contains(">itc</th>"));

        BufferedImage curve = png(cells.get(3));
        assertEquals(720, curve.getWidth());

        String recall = shown(cells.get(4), "text/html");
        assertTrue(recall.contains("zero-shot retrieval") && recall.contains(">R@1</th>"), recall);
        assertTrue(recall.contains("<td>image retrieval</td>"), recall);
        assertTrue(png(cells.get(5)).getHeight() > 0);
    }

    @Test
    void architectureShowsPresetsParametersRoutingAndThePositionTable(@TempDir Path dir)
            throws Exception {
        List<JsonObject> cells = execute("architecture.ipynb", dir);

        String presets = shown(cells.get(0), "text/html");
        assertTrue(presets.contains("<td>basePlus</td>") && presets.contains(">175430496</td>"));

        String parameters = shown(cells.get(1), "text/html");
        assertTrue(parameters.contains("VLMo-Base parameters"), parameters);
        assertTrue(parameters.contains(">parameters</th>"), parameters);

        assertTrue(shown(cells.get(2), "text/plain").isEmpty());
        String routing = outputsText(cells.get(2));
        assertTrue(routing.contains("VL start index 10"), routing);

        assertEquals("[1126, 144]", shown(cells.get(3), "text/plain"));
        BufferedImage heatmap = png(cells.get(4));
        assertEquals(480, heatmap.getWidth());
        assertEquals(440, heatmap.getHeight());
    }

    private static String outputsText(JsonObject cell) {
        StringBuilder out = new StringBuilder();
        for (JsonElement o : cell.getAsJsonArray("outputs")) {
            JsonElement text = o.getAsJsonObject().get("text");
            if (text != null && text.isJsonArray()) {
                text.getAsJsonArray().forEach(e -> out.append(e.getAsString()));
            } else if (text != null) {
                out.append(text.getAsString());
            }
        }
        return out.toString();
    }
}
