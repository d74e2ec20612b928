package dev.vlmo.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every recipe in {@code recipes/} runs in smoke mode through the recipe runner, so a recipe that
 * stops compiling or running fails the build.
 */
class RecipeFilesTest {

    private static Path recipesDir() {
        return Path.of(System.getProperty("vlmo.recipes", "../recipes"));
    }

    private static List<Path> recipes() throws IOException {
        try (Stream<Path> files = Files.list(recipesDir())) {
            return files.filter(f -> f.toString().endsWith(".jsh")).sorted().toList();
        }
    }

    @Test
    void thePapersRecipesAndTheQuickstartArePresentWithHeaders() throws IOException {
        List<String> names = recipes().stream().map(p -> p.getFileName().toString()).toList();
        assertTrue(
                names.containsAll(
                        List.of("quickstart.jsh", "base.jsh", "basePlus.jsh", "large.jsh")),
                names.toString());
        for (Path recipe : recipes()) {
            String text = Files.readString(recipe);
            assertTrue(text.startsWith("// "), recipe + " starts with a header comment");
            assertTrue(text.contains("Data"), recipe + " says what data it needs");
        }
    }

    @TestFactory
    Stream<DynamicTest> everyRecipeRunsInSmokeMode() throws IOException {
        return recipes().stream()
                .map(
                        recipe ->
                                DynamicTest.dynamicTest(
                                        recipe.getFileName().toString(), () -> smoke(recipe)));
    }

    /**
     * The GPU check script (bench/gpu-check.jsh) with the CPU standing in for the GPU: every check
     * passes here, so the script a GPU session runs has run before.
     */
    @Test
    void theGpuCheckScriptPassesWithTheCpuStandingIn() {
        Path script = recipesDir().resolveSibling("bench").resolve("gpu-check.jsh");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream previous = System.out;
        int status;
        System.setProperty("vlmo.gpuCheck.device", "cpu");
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setOut(o);
            try {
                status = RecipeRunner.run(List.of(script.toString()), e);
            } finally {
                System.setOut(previous);
                System.clearProperty("vlmo.gpuCheck.device");
            }
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        assertEquals(RecipeRunner.OK, status, err.toString(StandardCharsets.UTF_8) + printed);
        assertTrue(printed.contains("all GPU checks passed"), printed);
        assertEquals(4, printed.lines().filter(l -> l.startsWith("PASS ")).count(), printed);
        assertTrue(!printed.contains("FAIL "), printed);
    }

    private static void smoke(Path recipe) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream previous = System.out;
        int status;
        long start = System.nanoTime();
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setOut(o);
            try {
                status = RecipeRunner.run(List.of(recipe.toString(), "--smoke"), e);
            } finally {
                System.setOut(previous);
            }
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        System.out.printf(
                "%s: smoke run in %.1f s%n",
                recipe.getFileName(), (System.nanoTime() - start) / 1e9);
        assertEquals(
                RecipeRunner.OK,
                status,
                recipe + " failed in smoke mode:\n" + err.toString(StandardCharsets.UTF_8));
        if (recipe.getFileName().toString().startsWith("finetune-")) {
            // a fine-tune prints its evaluation: the task's metrics and the baselines to beat
            assertTrue(
                    printed.contains("on held-out data"), "the evaluation is printed: " + printed);
            assertTrue(printed.contains("baseline"), "the baselines are printed: " + printed);
        } else {
            assertTrue(printed.contains("visionLanguage"), "the plan is printed: " + printed);
            assertTrue(printed.contains("run directory: "), "the run finished: " + printed);
        }
    }
}
