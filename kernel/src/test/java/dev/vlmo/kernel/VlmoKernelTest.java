package dev.vlmo.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlmo.kernel.eval.CompileException;
import dev.vlmo.kernel.eval.UserCodeException;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import javax.imageio.ImageIO;
import org.dflib.jjava.jupyter.kernel.BaseKernel;
import org.dflib.jjava.jupyter.kernel.ReplacementOptions;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;
import org.dflib.jjava.jupyter.kernel.history.HistoryManager.ResultFlag;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VlmoKernelTest {

    private static final byte[] PNG_SIGNATURE = {
        (byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'
    };

    private VlmoKernel kernel;

    @BeforeAll
    void start() {
        kernel = VlmoKernel.create();
        kernel.onStartup();
    }

    @AfterAll
    void stop() {
        kernel.onShutdown(false);
    }

    private static BufferedImage png(DisplayData data) throws Exception {
        Object base64 = data.getData(MIMEType.IMAGE_PNG);
        assertNotNull(base64, "no image/png in the display data");
        byte[] bytes = Base64.getDecoder().decode(String.valueOf(base64));
        assertArrayEquals(PNG_SIGNATURE, Arrays.copyOf(bytes, 8), "PNG signature");
        return ImageIO.read(new ByteArrayInputStream(bytes));
    }

    @Test
    void mainSetsTheTelemetryOptOutBeforeAnythingElse() {
        String tracking = System.clearProperty("OPT_OUT_TRACKING");
        String offline = System.clearProperty("ai.djl.offline");
        try {
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class, () -> VlmoKernel.main(new String[0]));
            assertTrue(e.getMessage().contains("connection file"), e.getMessage());
            assertEquals("true", System.getProperty("OPT_OUT_TRACKING"));
            assertEquals("true", System.getProperty("ai.djl.offline"));
        } finally {
            restore("OPT_OUT_TRACKING", tracking);
            restore("ai.djl.offline", offline);
        }
    }

    @Test
    void anOfflineModeTheJvmWasStartedWithIsKeptAndTelemetryStaysOff() {
        String tracking = System.setProperty("OPT_OUT_TRACKING", "false");
        String offline = System.setProperty("ai.djl.offline", "false");
        try {
            KernelJvm.applyToCurrentJvm();
            assertEquals("true", System.getProperty("OPT_OUT_TRACKING"));
            assertEquals("false", System.getProperty("ai.djl.offline"));
            // DJL's start-up notes stay off the console, its warnings do not
            java.util.logging.Logger djl = java.util.logging.Logger.getLogger("ai.djl.pytorch");
            assertTrue(!djl.isLoggable(java.util.logging.Level.INFO));
            assertTrue(djl.isLoggable(java.util.logging.Level.WARNING));
        } finally {
            restore("OPT_OUT_TRACKING", tracking);
            restore("ai.djl.offline", offline);
        }
    }

    @Test
    void missingConnectionFileIsNamed() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> VlmoKernel.main(new String[] {"/no/such/connection.json"}));
        assertTrue(e.getMessage().contains("/no/such/connection.json"), e.getMessage());
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }

    @Test
    void startupRegistersTheKernelForDisplays() {
        assertEquals(kernel, BaseKernel.notebookKernel());
        assertTrue(kernel.startupProblems().isEmpty(), kernel.startupProblems().toString());
    }

    @Test
    void tableIsShownAsHtmlAndText() {
        DisplayData data =
                kernel.eval(
                        "Table.create(\"scores\", StringColumn.create(\"model\", \"tiny\", \"base\"),"
                                + " DoubleColumn.create(\"r_at_1\", 0.25, 0.5))");
        String html = String.valueOf(data.getData(MIMEType.TEXT_HTML));
        assertTrue(html.contains("<th title=\"STRING\">model</th>"), html);
        assertTrue(html.contains("<td>tiny</td>"), html);
        assertTrue(html.contains(">0.5</td>"), html);
        String text = String.valueOf(data.getData(MIMEType.TEXT_PLAIN));
        assertTrue(text.contains("model") && text.contains("base"), text);
    }

    @Test
    void timeMagicTimesTheCellAndOtherMagicsAreNamed() {
        java.io.PrintStream out = System.out;
        java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(buffer, true));
        DisplayData data;
        try {
            data = kernel.eval("%%time\nint timed = 6 * 7;\ntimed");
        } finally {
            System.setOut(out);
        }
        assertEquals("42", String.valueOf(data.getData(MIMEType.TEXT_PLAIN)));
        assertTrue(buffer.toString().contains("Wall time: "), buffer.toString());
        CompileException e =
                assertThrows(CompileException.class, () -> kernel.eval("%classpath add x.jar"));
        assertTrue(e.getMessage().contains("%%time"), e.getMessage());
        assertTrue(e.getMessage().contains("%classpath add x.jar"), e.getMessage());
    }

    @Test
    void aValueWhoseToStringThrowsOrIsHugeIsShownSafely() {
        DisplayData broken =
                kernel.eval(
                        "new Object() { public String toString() { throw new"
                                + " IllegalStateException(\"no text\"); } }");
        String text = String.valueOf(broken.getData(MIMEType.TEXT_PLAIN));
        assertTrue(text.contains("toString() threw") && text.contains("no text"), text);
        DisplayData huge = kernel.eval("\"x\".repeat(2_000_000)");
        String cut = String.valueOf(huge.getData(MIMEType.TEXT_PLAIN));
        assertTrue(cut.length() < 200_000, "cut to " + cut.length());
        assertTrue(cut.endsWith("more characters not shown)"), cut.substring(cut.length() - 60));
        assertEquals(
                "int[3] { 1, 2, 3 }",
                kernel.eval("new int[] {1, 2, 3}").getData(MIMEType.TEXT_PLAIN));
    }

    @Test
    void bufferedImageIsShownAsPng() throws Exception {
        DisplayData data =
                kernel.eval(
                        "BufferedImage img = new BufferedImage(5, 3, BufferedImage.TYPE_INT_RGB);\n"
                                + "img.setRGB(1, 1, 0xff0000);\nimg");
        BufferedImage image = png(data);
        assertEquals(5, image.getWidth());
        assertEquals(3, image.getHeight());
        assertEquals(0xff0000, image.getRGB(1, 1) & 0xffffff);
    }

    @Test
    void chartIsShownAsPngOfItsSize() throws Exception {
        DisplayData data =
                kernel.eval(
                        "Table curve = Table.create(\"h\", IntColumn.create(\"step\", 1, 2, 3),"
                                + " DoubleColumn.create(\"loss\", 3.0, 2.0, 1.5));\n"
                                + "Charts.line(curve, \"step\", \"loss\").withSize(300, 200)");
        BufferedImage image = png(data);
        assertEquals(300, image.getWidth());
        assertEquals(200, image.getHeight());
    }

    @Test
    void statementsShowNothingAndNullShowsNull() {
        assertNull(kernel.eval("int quiet = 3;"));
        assertEquals(
                "null",
                kernel.eval("Object nothing = null;\nnothing").getData(MIMEType.TEXT_PLAIN));
    }

    @Test
    void errorsAreFormattedAsShortLinesNamingTheLine() {
        CompileException compile =
                assertThrows(CompileException.class, () -> kernel.eval("int a = 1;\nint b = a +;"));
        List<String> lines = kernel.formatError(compile);
        assertTrue(lines.get(0).contains("Compile error at line 2"), lines.toString());
        assertTrue(lines.size() < 8, lines.toString());

        UserCodeException runtime =
                assertThrows(
                        UserCodeException.class,
                        () -> kernel.eval("Object o = \"text\";\nInteger i = (Integer) o;"));
        List<String> runtimeLines = kernel.formatError(runtime);
        assertTrue(
                runtimeLines.get(0).contains("java.lang.ClassCastException"),
                runtimeLines.toString());
        assertTrue(runtimeLines.contains("    at line 2"), runtimeLines.toString());
    }

    @Test
    void isCompleteGivesTheNextIndentForUnfinishedCode() {
        assertEquals(BaseKernel.IS_COMPLETE_YES, kernel.isComplete("int x = 1;"));
        assertEquals("        ", kernel.isComplete("if (true) {\n    while (true) {"));
        assertEquals("    ", VlmoKernel.nextIndent("for (int i = 0; i < 3; i++) {"));
    }

    @Test
    void completionAndInspectionUseTheSession() {
        kernel.eval("String greeting = \"hello\";");
        ReplacementOptions options = kernel.complete("greeting.toUpp", 14);
        assertTrue(
                options.getReplacements().contains("toUpperCase("),
                options.getReplacements().toString());
        assertEquals(9, options.getSourceStart());
        DisplayData doc = kernel.inspect("greeting.length()", 10, false);
        assertNotNull(doc);
        assertTrue(String.valueOf(doc.getData(MIMEType.TEXT_PLAIN)).contains("length()"));
    }

    @Test
    void historyKeepsInputsAndTextOutputs() {
        kernel.eval("40 + 2");
        var tail = kernel.getHistoryManager().lookupTail(1, EnumSet.of(ResultFlag.INCLUDE_OUTPUT));
        assertEquals("40 + 2", tail.get(0).getInput());
        assertEquals("42", tail.get(0).getOutput());
    }
}
