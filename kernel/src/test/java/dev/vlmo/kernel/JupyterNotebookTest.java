package dev.vlmo.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs a notebook through Jupyter's own client ({@code jupyter nbconvert --execute}) with the
 * kernel installed by {@link KernelInstaller}; skipped when {@code jupyter} is not on the PATH
 * (Debian: {@code apt-get install jupyter-nbconvert python3-nbclient jupyter-client}).
 */
class JupyterNotebookTest {

    private static final String KERNEL_NAME = "vlmo-java-test";

    private static boolean onPath(String program) {
        String path = System.getenv("PATH");
        return path != null
                && Arrays.stream(path.split(File.pathSeparator))
                        .anyMatch(dir -> Files.isExecutable(Path.of(dir, program)));
    }

    private static String kernelClasspath() {
        String classes = System.getProperty("vlmo.kernel.classes");
        String lib = System.getProperty("vlmo.kernel.lib");
        if (classes != null && lib != null && Files.isDirectory(Path.of(lib))) {
            return classes + File.pathSeparator + lib + File.separator + "*";
        }
        return System.getProperty("java.class.path");
    }

    private static Map<String, Object> codeCell(String source) {
        Map<String, Object> cell = new LinkedHashMap<>();
        cell.put("cell_type", "code");
        cell.put("id", "cell-" + Integer.toHexString(source.hashCode()));
        cell.put("execution_count", null);
        cell.put("metadata", Map.of());
        cell.put("outputs", List.of());
        cell.put("source", source);
        return cell;
    }

    private static String notebook(List<Map<String, Object>> cells) {
        Map<String, Object> nb = new LinkedHashMap<>();
        nb.put("cells", cells);
        nb.put(
                "metadata",
                Map.of(
                        "kernelspec",
                        Map.of(
                                "name",
                                KERNEL_NAME,
                                "display_name",
                                "VLMo (Java)",
                                "language",
                                "java"),
                        "language_info",
                        Map.of("name", "java")));
        nb.put("nbformat", 4);
        nb.put("nbformat_minor", 5);
        return new GsonBuilder().serializeNulls().create().toJson(nb);
    }

    private static String joined(JsonElement textOrLines) {
        if (textOrLines == null) {
            return "";
        }
        if (textOrLines.isJsonArray()) {
            StringBuilder out = new StringBuilder();
            textOrLines.getAsJsonArray().forEach(e -> out.append(e.getAsString()));
            return out.toString();
        }
        return textOrLines.getAsString();
    }

    private static List<JsonObject> outputs(JsonObject notebook, int cell) {
        List<JsonObject> out = new ArrayList<>();
        notebook.getAsJsonArray("cells")
                .get(cell)
                .getAsJsonObject()
                .getAsJsonArray("outputs")
                .forEach(o -> out.add(o.getAsJsonObject()));
        return out;
    }

    private static String data(List<JsonObject> outputs, String type, String mime) {
        StringBuilder out = new StringBuilder();
        for (JsonObject o : outputs) {
            if (o.get("output_type").getAsString().equals(type) && o.has("data")) {
                out.append(joined(o.getAsJsonObject("data").get(mime)));
            }
        }
        return out.toString();
    }

    private static String stdout(List<JsonObject> outputs) {
        StringBuilder out = new StringBuilder();
        for (JsonObject o : outputs) {
            if (o.get("output_type").getAsString().equals("stream")
                    && o.get("name").getAsString().equals("stdout")) {
                out.append(joined(o.get("text")));
            }
        }
        return out.toString();
    }

    @Test
    void notebookExecutesHeadlessWithTheKernel(@TempDir Path dir) throws Exception {
        assumeTrue(onPath("jupyter"), "jupyter is not on the PATH");

        Path share = dir.resolve("share");
        Path spec =
                KernelInstaller.run(
                        List.of(
                                "--data-dir",
                                share.toString(),
                                "--name",
                                KERNEL_NAME,
                                "--classpath",
                                kernelClasspath(),
                                "--jvm-opt",
                                "-XX:TieredStopAtLevel=1"));
        assertTrue(Files.isRegularFile(spec));

        List<Map<String, Object>> cells =
                List.of(
                        codeCell(
                                "Table scores = Table.create(\"scores\",\n"
                                        + "    StringColumn.create(\"model\", \"tiny\", \"base\"),\n"
                                        + "    DoubleColumn.create(\"r_at_1\", 0.25, 0.5));\n"
                                        + "scores"),
                        codeCell(
                                "System.out.println(\"hello from vlmo \" + (6 * 7));\n"
                                        + "System.out.println(\"opt-out \""
                                        + " + System.getProperty(\"OPT_OUT_TRACKING\")"
                                        + " + \" \" + System.getProperty(\"ai.djl.offline\")"
                                        + " + \" \" + System.getenv(\"OPT_OUT_TRACKING\"));"),
                        codeCell(
                                "try (Progress p = Progress.start(\"train\", 5)) {\n"
                                        + "    for (int i = 0; i < 5; i++) {\n"
                                        + "        p.step(1, Map.of(\"loss\", 1.0 / (i + 1)));\n"
                                        + "    }\n"
                                        + "}"),
                        codeCell(
                                "display(scores);\n"
                                        + "Charts.bar(Charts.ordered(\"R@1\", 0.5, \"R@5\", 0.8)).withSize(240, 160)"),
                        codeCell("int[] xs = new int[2];\nxs[5] = 1;"));
        Path input = dir.resolve("smoke.ipynb");
        Files.writeString(input, notebook(cells), StandardCharsets.UTF_8);

        ProcessBuilder builder =
                new ProcessBuilder(
                                "jupyter",
                                "nbconvert",
                                "--to",
                                "notebook",
                                "--execute",
                                "--allow-errors",
                                "--ExecutePreprocessor.kernel_name=" + KERNEL_NAME,
                                "--ExecutePreprocessor.timeout=120",
                                "--ExecutePreprocessor.startup_timeout=120",
                                "--output",
                                "executed.ipynb",
                                "--output-dir",
                                dir.toString(),
                                input.toString())
                        .redirectErrorStream(true)
                        .redirectOutput(dir.resolve("nbconvert.log").toFile());
        Map<String, String> env = builder.environment();
        env.put("JUPYTER_PATH", share.toString());
        env.put("JUPYTER_DATA_DIR", dir.resolve("data").toString());
        env.put("JUPYTER_RUNTIME_DIR", dir.resolve("runtime").toString());
        env.put("JUPYTER_CONFIG_DIR", dir.resolve("config").toString());
        env.put("IPYTHONDIR", dir.resolve("ipython").toString());
        Process process = builder.start();
        if (!process.waitFor(240, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail(
                    "nbconvert did not finish in 240 s:\n"
                            + Files.readString(dir.resolve("nbconvert.log")));
        }
        String log = Files.readString(dir.resolve("nbconvert.log"));
        assertEquals(0, process.exitValue(), "nbconvert failed:\n" + log);

        JsonObject executed =
                JsonParser.parseString(Files.readString(dir.resolve("executed.ipynb")))
                        .getAsJsonObject();
        for (int cell = 0; cell < 4; cell++) {
            for (JsonObject o : outputs(executed, cell)) {
                assertTrue(
                        !o.get("output_type").getAsString().equals("error"),
                        "cell " + cell + " failed: " + o);
            }
        }

        String html = data(outputs(executed, 0), "execute_result", "text/html");
        assertTrue(html.contains("<th title=\"STRING\">model</th>"), html);
        assertTrue(html.contains("<td>tiny</td>") && html.contains("<td>base</td>"), html);
        assertTrue(html.contains(">0.25</td>"), html);

        String printed = stdout(outputs(executed, 1));
        assertTrue(printed.contains("hello from vlmo 42"), printed);
        assertTrue(printed.contains("opt-out true true true"), printed);

        List<JsonObject> progress = outputs(executed, 2);
        assertEquals(1, progress.size(), "one progress output, updated in place: " + progress);
        String bar = data(progress, "display_data", "text/plain");
        assertTrue(bar.contains("5/5 100%") && bar.contains("loss=0.2000"), bar);
        assertTrue(data(progress, "display_data", "text/html").contains("<progress value=\"5\""));

        // display(...) shows a value mid-cell as the cell's last expression would be shown
        String shown = data(outputs(executed, 3), "display_data", "text/html");
        assertTrue(shown.contains("<td>tiny</td>"), shown);
        String png = data(outputs(executed, 3), "execute_result", "image/png").replace("\n", "");
        BufferedImage chart =
                ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(png)));
        assertEquals(240, chart.getWidth());
        assertEquals(160, chart.getHeight());

        JsonObject error = outputs(executed, 4).get(0);
        assertEquals("error", error.get("output_type").getAsString());
        JsonArray traceback = error.getAsJsonArray("traceback");
        String trace = joined(traceback);
        assertTrue(trace.contains("java.lang.ArrayIndexOutOfBoundsException"), trace);
        assertTrue(trace.contains("at line 2"), trace);
        assertTrue(traceback.size() < 8, "a short error, not a stack trace: " + trace);
    }
}
