package dev.vlmo.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The recipe runner: outputs, exit statuses and the file and line of a failing snippet. */
class RecipeRunnerTest {

    /** What one run printed and returned. */
    private record Result(int status, String out, String err) {}

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream previous = System.out;
        int status;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setOut(o);
            try {
                status = RecipeRunner.run(List.of(args), e);
            } finally {
                System.setOut(previous);
            }
        }
        return new Result(
                status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Path recipe(Path dir, String name, String text) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return file;
    }

    @Test
    void recipePrintsAndItsLastExpressionIsShownInFull(@TempDir Path dir) throws Exception {
        Path file =
                recipe(
                        dir,
                        "ok.jsh",
                        "// a comment\n"
                                + "var d = Vlmo.tiny().stage(vision().data(builtIn()).steps(3));\n"
                                + "System.out.println(\"stages \" + d.stages().size());\n"
                                + "d.describe()\n");
        Result r = run(file.toString());
        assertEquals(RecipeRunner.OK, r.status(), r.err());
        assertTrue(r.out().contains("stages 1"), r.out());
        assertTrue(r.out().contains("objectives") && r.out().contains("3 steps"), r.out());
    }

    @Test
    void compileErrorNamesFileAndLine(@TempDir Path dir) throws Exception {
        Path file =
                recipe(
                        dir,
                        "typo.jsh",
                        "var world = builtIn();\n\nvar d = Vlmo.tiny()\n    .stage(vison().data(world));\n");
        Result r = run(file.toString());
        assertEquals(RecipeRunner.FAILED, r.status());
        assertTrue(r.err().startsWith(file + ":4: Compile error"), r.err());
        assertTrue(r.err().contains("vison"), r.err());
    }

    @Test
    void runtimeErrorOfTheDslNamesTheLineAndTheBadValue(@TempDir Path dir) throws Exception {
        Path file =
                recipe(
                        dir,
                        "steps.jsh",
                        "System.out.println(\"before\");\n"
                                + "var s = vision()\n"
                                + "        .steps(0);\n"
                                + "System.out.println(\"after\");\n");
        Result r = run(file.toString());
        assertEquals(RecipeRunner.FAILED, r.status());
        assertTrue(r.out().contains("before") && !r.out().contains("after"), r.out());
        assertTrue(r.err().startsWith(file + ":3: java.lang.IllegalArgumentException"), r.err());
        assertTrue(r.err().contains("steps"), r.err());
        // the headline once, then where it was thrown
        String headline = r.err().lines().findFirst().orElseThrow();
        String message = headline.substring(headline.indexOf("java.lang."));
        assertEquals(
                1, r.err().split(java.util.regex.Pattern.quote(message), -1).length - 1, r.err());
    }

    @Test
    void commandLineMistakesAreUsageErrors(@TempDir Path dir) {
        assertEquals(RecipeRunner.USAGE, run().status());
        Result missing = run(dir.resolve("absent.jsh").toString());
        assertEquals(RecipeRunner.USAGE, missing.status());
        assertTrue(missing.err().contains("absent.jsh"), missing.err());
        Result option = run("--fast", "x.jsh");
        assertEquals(RecipeRunner.USAGE, option.status());
        assertTrue(option.err().contains("--fast"), option.err());
    }

    @Test
    void smokeFlagIsVisibleToTheRecipeAndClearedAfterwards(@TempDir Path dir) throws Exception {
        Path file = recipe(dir, "mode.jsh", "System.out.println(\"smoke=\" + smokeMode());\n");
        assertTrue(run(file.toString(), "--smoke").out().contains("smoke=true"));
        assertTrue(run(file.toString()).out().contains("smoke=false"));
        assertEquals(null, System.getProperty(Recipes.SMOKE_PROPERTY));
    }

    @Test
    void processExitsNonZeroWithTheLineOnError(@TempDir Path dir) throws Exception {
        Path file =
                recipe(
                        dir,
                        "bad.jsh",
                        "System.out.println(\"first\");\nint[] a = new int[1];\na[3] = 1;\n");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-cp");
        command.add(
                System.getProperty("vlmo.kernel.classes")
                        + File.pathSeparator
                        + System.getProperty("vlmo.kernel.lib")
                        + File.separator
                        + "*");
        command.add("-XX:TieredStopAtLevel=1");
        command.add(RecipeRunner.class.getName());
        command.add(file.toString());
        Process p =
                new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(dir.resolve("log").toFile())
                        .start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the runner finished");
        String log = Files.readString(dir.resolve("log"));
        assertEquals(RecipeRunner.FAILED, p.exitValue(), log);
        assertTrue(log.contains("first"), log);
        assertTrue(log.contains(file + ":3: java.lang.ArrayIndexOutOfBoundsException"), log);
        assertFalse(log.contains("at jdk.jshell"), "no JShell internals: " + log);
    }
}
