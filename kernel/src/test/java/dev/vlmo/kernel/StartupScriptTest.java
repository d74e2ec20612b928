package dev.vlmo.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StartupScriptTest {

    @Test
    void bundledScriptImportsTablesAndDisplayHelpers() {
        String script = StartupScript.bundled();
        assertTrue(script.contains("import tech.tablesaw.api.*;"), script);
        assertTrue(script.contains("import dev.vlmo.kernel.display.Charts;"), script);
        assertTrue(script.contains("import dev.vlmo.kernel.display.Progress;"), script);
    }

    @Test
    void withoutSettingsOnlyTheBundledScriptRuns() {
        assertEquals(
                List.of(StartupScript.bundled()), StartupScript.load(new Properties(), Map.of()));
    }

    @Test
    void importsFromPropertyAndEnvironmentBecomeImportLines() {
        Properties properties = new Properties();
        properties.setProperty(
                StartupScript.IMPORTS_PROPERTY, "static dev.vlmo.dsl.Dsl.*, dev.vlmo.dsl.*");
        List<String> scripts =
                StartupScript.load(
                        properties,
                        Map.of(StartupScript.IMPORTS_ENV, "import java.util.concurrent.*;"));
        assertEquals(3, scripts.size());
        assertEquals("import java.util.concurrent.*;\n", scripts.get(1));
        assertEquals("import static dev.vlmo.dsl.Dsl.*;\nimport dev.vlmo.dsl.*;\n", scripts.get(2));
    }

    @Test
    void startupFilesRunInOrder(@TempDir Path dir) throws Exception {
        Path first = Files.writeString(dir.resolve("a.jsh"), "int a = 1;\n");
        Path second = Files.writeString(dir.resolve("b.jsh"), "int b = a + 1;\n");
        Properties properties = new Properties();
        properties.setProperty(StartupScript.FILES_PROPERTY, first + File.pathSeparator + second);
        List<String> scripts = StartupScript.load(properties, Map.of());
        assertEquals(List.of(StartupScript.bundled(), "int a = 1;\n", "int b = a + 1;\n"), scripts);
    }

    @Test
    void missingStartupFileIsNamed(@TempDir Path dir) {
        Path missing = dir.resolve("absent.jsh");
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                StartupScript.load(
                                        new Properties(),
                                        Map.of(StartupScript.FILES_ENV, missing.toString())));
        assertTrue(e.getMessage().contains(StartupScript.FILES_ENV), e.getMessage());
        assertTrue(e.getMessage().contains("absent.jsh"), e.getMessage());
    }

    @Test
    void badImportNameIsNamed() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> StartupScript.importLines("java.util.*, System.exit(1)"));
        assertTrue(e.getMessage().contains("System.exit(1)"), e.getMessage());
    }
}
