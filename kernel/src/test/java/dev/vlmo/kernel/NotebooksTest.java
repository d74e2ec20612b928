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
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Executes the repository's notebooks headless with this kernel ({@code jupyter nbconvert --to
 * notebook --execute}, which fails on any cell error) and checks that their tables, progress bars
 * and charts appear; then exports each executed notebook to HTML and renders it with headless
 * Chromium. Skipped only when {@code jupyter} is not on the PATH; the rendering is skipped only
 * when {@code chromium} is not on the PATH outside CI ({@code CI=true}).
 *
 * <p>Notebooks run with {@code VLMO_SMOKE=1}, so those that train through {@code
 * runtime(on(cpu()))} cut their stages to a few steps. The executed notebooks, their HTML and the
 * screenshots are left in {@code target/notebooks/} ({@code vlmo.notebook.output}).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NotebooksTest {

    /** The kernelspec name the notebooks' metadata names. */
    private static final String KERNEL = "vlmo-java";

    /** The notebooks the rendering test expects executed, with its minimum tables and images. */
    private static final Map<String, int[]> PAGES =
            Map.of(
                    "quickstart.ipynb", new int[] {4, 2},
                    "architecture.ipynb", new int[] {3, 1},
                    "retrieval.ipynb", new int[] {4, 4},
                    "checkpoints.ipynb", new int[] {6, 0},
                    "finetuning.ipynb", new int[] {5, 5});

    /** Executed notebooks by name, for the rendering test. */
    private static final Map<String, Path> EXECUTED = new ConcurrentHashMap<>();

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

    /** Where executed notebooks, their HTML and screenshots go. */
    private static Path output() throws Exception {
        Path dir = Path.of(System.getProperty("vlmo.notebook.output", "target/notebooks"));
        Files.createDirectories(dir);
        return dir.toAbsolutePath();
    }

    /** The environment of Jupyter's processes: the test's kernelspec and private directories. */
    private static Map<String, String> jupyterEnv(Path dir) {
        return Map.of(
                "JUPYTER_PATH",
                jupyter.resolve("share").toString(),
                "JUPYTER_DATA_DIR",
                jupyter.resolve("data").toString(),
                "JUPYTER_RUNTIME_DIR",
                dir.resolve("runtime").toString(),
                "JUPYTER_CONFIG_DIR",
                dir.resolve("config").toString(),
                "IPYTHONDIR",
                dir.resolve("ipython").toString(),
                Recipes.SMOKE_ENV,
                "1");
    }

    /** Executes a notebook of {@code notebooks/} into {@link #output()} and returns its cells. */
    private static List<JsonObject> execute(String name) throws Exception {
        Path dir = output();
        Path source = Path.of(System.getProperty("vlmo.notebooks", "../notebooks"), name);
        assertTrue(Files.isRegularFile(source), "missing notebook " + source);
        Files.deleteIfExists(dir.resolve(name));
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
        b.environment().putAll(jupyterEnv(dir));
        long start = System.nanoTime();
        Process p = b.start();
        if (!p.waitFor(400, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(name + " did not finish in 400 s:\n" + Files.readString(log));
        }
        assertEquals(0, p.exitValue(), name + " failed:\n" + Files.readString(log));
        System.out.printf(
                Locale.ROOT, "%s executed in %.1f s%n", name, (System.nanoTime() - start) / 1e9);
        EXECUTED.put(name, dir.resolve(name));
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

    /**
     * A cell's outputs without its standard-error streams: what those hold depends on the machine
     * (an engine's warning, such as MklOnAmd's where MKL's vendor check is unanswered).
     */
    private static List<JsonObject> outputs(JsonObject cell) {
        List<JsonObject> out = new ArrayList<>();
        for (JsonElement e : cell.getAsJsonArray("outputs")) {
            JsonObject o = e.getAsJsonObject();
            boolean stderr =
                    o.get("output_type").getAsString().equals("stream")
                            && o.has("name")
                            && o.get("name").getAsString().equals("stderr");
            if (!stderr) {
                out.add(o);
            }
        }
        return out;
    }

    private static String outputTypes(JsonObject cell) {
        return outputs(cell).stream()
                .map(o -> o.get("output_type").getAsString())
                .collect(Collectors.joining(","));
    }

    private static BufferedImage png(JsonObject cell) throws Exception {
        String base64 = shown(cell, "image/png").replace("\n", "");
        assertTrue(!base64.isEmpty(), "no image in " + cell);
        return ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(base64)));
    }

    @Test
    @Order(1)
    void quickstartTrainsAndShowsPlanProgressMetricsCurveAndRetrieval() throws Exception {
        List<JsonObject> cells = execute("quickstart.ipynb");
        assertEquals(7, cells.size(), "code cells");

        String plan = shown(cells.get(0), "text/html");
        assertTrue(plan.contains(">objectives</th>") && plan.contains("visionLanguage"), plan);

        JsonObject runCell = cells.get(1);
        // the run directory first (a stream), then one progress bar per stage
        assertTrue(
                outputTypes(runCell).startsWith("stream,display_data,display_data,display_data"),
                outputTypes(runCell));
        String dirLine = outputs(runCell).get(0).toString();
        assertTrue(dirLine.contains("run directory: "), dirLine);
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
    @Order(2)
    void architectureShowsPresetsParametersRoutingAndThePositionTable() throws Exception {
        List<JsonObject> cells = execute("architecture.ipynb");

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

    @Test
    @Order(3)
    void retrievalShowsRecallChartSimilarityAndImageQueries() throws Exception {
        List<JsonObject> cells = execute("retrieval.ipynb");
        assertEquals(9, cells.size(), "code cells");

        String plan = shown(cells.get(0), "text/html");
        assertTrue(plan.contains(">objectives</th>") && plan.contains("visionLanguage"), plan);
        String bars = shown(cells.get(1), "text/plain");
        assertTrue(bars.contains("stage 3 visionLanguage") && bars.contains("100%"), bars);

        String recall = shown(cells.get(2), "text/html");
        assertTrue(recall.contains("zero-shot retrieval") && recall.contains(">R@10</th>"), recall);
        assertTrue(recall.contains("<td>image retrieval</td>"), recall);

        BufferedImage curve = png(cells.get(3));
        assertEquals(720, curve.getWidth());
        assertEquals(420, curve.getHeight());
        assertTrue(NotebookRendering.luminanceStdDev(curve) > 10, "blank recall chart");
        BufferedImage heatmap = png(cells.get(4));
        assertEquals(720, heatmap.getWidth());
        assertEquals(560, heatmap.getHeight());
        assertTrue(NotebookRendering.luminanceStdDev(heatmap) > 10, "blank heatmap");

        // four queries, five images each: 8 + 5 * (128 + 8) wide, 4 * (24 + 128 + 28) high
        BufferedImage queries = png(cells.get(5));
        assertEquals(688, queries.getWidth());
        assertEquals(720, queries.getHeight());
        assertTrue(NotebookRendering.luminanceStdDev(queries) > 10, "blank query results");

        String hits = shown(cells.get(6), "text/html");
        assertTrue(hits.contains("top 5 images for &quot;a red circle&quot;"), hits);
        assertTrue(hits.contains(">caption of the image</th>"), hits);
        List<List<String>> ranked = rows(hits);
        assertEquals(5, ranked.size(), hits);
        for (int r = 0; r < 5; r++) {
            assertEquals(String.valueOf(r + 1), ranked.get(r).get(0), "rank column");
        }
        BufferedImage free = png(cells.get(7));
        assertEquals(688, free.getWidth());
        assertEquals(180, free.getHeight());
        assertTrue(outputsText(cells.get(8)).isEmpty());
    }

    @Test
    @Order(4)
    void checkpointsWriteAndLoadInEveryModeWithEqualOutputs() throws Exception {
        List<JsonObject> cells = execute("checkpoints.ipynb");
        assertEquals(10, cells.size(), "code cells");

        String wrote = outputsText(cells.get(0));
        assertTrue(wrote.contains("wrote vlmo_tiny_patch8_32.pt") && wrote.contains(" parameters"));
        assertTrue(shown(cells.get(0), "text/plain").isEmpty(), "no value after the message");

        String keys = shown(cells.get(1), "text/html");
        assertTrue(keys.contains(">reference key</th>"), keys);
        assertTrue(keys.contains("<td>relative_position_bias_table</td>"), keys);
        assertTrue(keys.contains("<td>derived buffer</td>"), keys);

        // a fresh model differs everywhere; after the strict load every output is equal
        List<List<String>> strict = rows(shown(cells.get(2), "text/html"));
        assertEquals(4, strict.size(), strict.toString());
        for (List<String> row : strict) {
            assertTrue(Double.parseDouble(row.get(1)) > 1e-3, "fresh model equal: " + row);
            assertEquals(0.0, Double.parseDouble(row.get(2)), "after strict load: " + row);
        }
        List<List<String>> report = rows(shown(cells.get(3), "text/html"));
        assertEquals(List.of("missing", "0"), report.get(1).subList(0, 2));
        assertEquals(List.of("unexpected", "0"), report.get(2).subList(0, 2));

        String refused = outputsText(cells.get(4));
        assertTrue(
                refused.contains("STRICT: ")
                        && refused.contains(
                                "2 missing keys [itm_score.fc.weight, itm_score.fc.bias]")
                        && refused.contains("1 unexpected keys [vqa_classifier.0.weight]"),
                refused);
        List<List<String>> lenient = rows(shown(cells.get(4), "text/html"));
        assertEquals(List.of("missing", "2"), lenient.get(1).subList(0, 2));
        assertEquals(List.of("unexpected", "1"), lenient.get(2).subList(0, 2));

        String adapted = outputsText(cells.get(5));
        assertTrue(adapted.contains("7x7 image-distance grid interpolated to 15x15"), adapted);
        assertTrue(shown(cells.get(5), "text/html").contains("<td>(622, 16)</td>"));
        assertTrue(outputsText(cells.get(6)).contains("(1, 65, 64)"));

        // the BEiT-style file fills the image path exactly, not the ITC heads or the text path
        Map<String, Double> beit = new java.util.HashMap<>();
        rows(shown(cells.get(7), "text/html"))
                .forEach(r -> beit.put(r.get(0), Double.parseDouble(r.get(1))));
        assertEquals(0.0, beit.get("image hidden states"), beit.toString());
        assertTrue(beit.get("image features (ITC)") > 1e-3, beit.toString());
        assertTrue(beit.get("text features (ITC)") > 1e-3, beit.toString());

        assertTrue(
                outputsText(cells.get(8)).contains("no official checkpoint at ../checkpoints/"),
                outputsText(cells.get(8)));
    }

    /** The body rows of the first HTML table, each as its cells' text. */
    private static List<List<String>> rows(String html) {
        List<List<String>> rows = new ArrayList<>();
        java.util.regex.Matcher tr =
                java.util.regex.Pattern.compile("<tr>(.*?)</tr>", java.util.regex.Pattern.DOTALL)
                        .matcher(html.substring(Math.max(0, html.indexOf("<tbody"))));
        while (tr.find()) {
            List<String> cells = new ArrayList<>();
            java.util.regex.Matcher td =
                    java.util.regex.Pattern.compile(
                                    "<td[^>]*>(.*?)</td>", java.util.regex.Pattern.DOTALL)
                            .matcher(tr.group(1));
            while (td.find()) {
                cells.add(td.group(1).strip());
            }
            if (!cells.isEmpty()) {
                rows.add(cells);
            }
        }
        return rows;
    }

    @Test
    @Order(5)
    void finetuningEvaluatesVqaAndNlvr2AndServesThroughThePredictor() throws Exception {
        List<JsonObject> cells = execute("finetuning.ipynb");
        assertEquals(12, cells.size(), "code cells");
        assertTrue(shown(cells.get(0), "text/html").contains("Run("), "the pretrained run");

        String vqa = shown(cells.get(1), "text/html");
        assertTrue(vqa.contains("FinetuneRun(vqa") && vqa.contains("VQA score (reference)"), vqa);
        assertTrue(vqa.contains("majority answer per question type"), vqa);
        BufferedImage curve = png(cells.get(2));
        assertEquals(720, curve.getWidth());
        assertTrue(NotebookRendering.luminanceStdDev(curve) > 10, "blank loss curve");

        String answers = shown(cells.get(3), "text/html");
        assertTrue(answers.contains(">question</th>") && answers.contains(">model</th>"), answers);
        assertEquals(8, rows(answers).size(), answers);
        BufferedImage scene = png(cells.get(4));
        assertEquals(160, scene.getWidth());
        // a few small shapes on a dark background: little variance, but not none
        assertTrue(NotebookRendering.luminanceStdDev(scene) > 2, "blank scene");

        // attention maps of the first question: the whole map, the cross-modal block, the overlay
        assertTrue(outputsText(cells.get(5)).contains("AttentionMap["), outputsText(cells.get(5)));
        BufferedImage map = png(cells.get(5));
        assertTrue(NotebookRendering.luminanceStdDev(map) > 10, "blank attention map");
        BufferedImage cross = png(cells.get(6));
        assertTrue(NotebookRendering.luminanceStdDev(cross) > 10, "blank text-to-image map");
        BufferedImage overlay = png(cells.get(7));
        assertEquals(160, overlay.getWidth());
        assertTrue(NotebookRendering.luminanceStdDev(overlay) > 2, "blank overlay");

        String nlvr = shown(cells.get(8), "text/html");
        assertTrue(nlvr.contains("NLVR2 accuracy") && nlvr.contains("majority label"), nlvr);
        String hits = shown(cells.get(9), "text/html");
        assertEquals(5, rows(hits).size(), hits);
        assertTrue(shown(cells.get(10), "text/html").contains("p(match)"));
        assertTrue(outputsText(cells.get(11)).isEmpty());
    }

    @Test
    @Order(6)
    void executedNotebooksRenderInHeadlessChromium() throws Exception {
        var chromium = NotebookRendering.chromium();
        if (NotebookRendering.ci()) {
            assertTrue(chromium.isPresent(), "CI=true but chromium is not on the PATH");
        }
        assumeTrue(
                chromium.isPresent(),
                "chromium is not on the PATH (Debian: apt-get install chromium); the notebooks'"
                        + " HTML is not rendered");
        for (Map.Entry<String, int[]> page : new java.util.TreeMap<>(PAGES).entrySet()) {
            Path executed = EXECUTED.get(page.getKey());
            assertTrue(executed != null, page.getKey() + " did not execute (see its own test)");
            long start = System.nanoTime();
            NotebookRendering.Rendered r =
                    NotebookRendering.render(
                            executed,
                            jupyterEnv(output()),
                            chromium.get(),
                            page.getValue()[0],
                            page.getValue()[1]);
            System.out.printf(
                    Locale.ROOT,
                    "%s: %d tables, %d images, %d of them in the screenshot %s (%.1f s)%n",
                    page.getKey(),
                    r.tables(),
                    r.images().size(),
                    r.shown(),
                    r.screenshot(),
                    (System.nanoTime() - start) / 1e9);
            if (!r.images().isEmpty()) {
                assertTrue(
                        r.shown() >= 1,
                        "none of the "
                                + r.images().size()
                                + " images of "
                                + r.html()
                                + " is drawn in "
                                + r.screenshot());
            }
        }
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
