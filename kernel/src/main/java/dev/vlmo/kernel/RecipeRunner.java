package dev.vlmo.kernel;

import dev.vlmo.kernel.eval.CellException;
import dev.vlmo.kernel.eval.EvalResult;
import dev.vlmo.kernel.eval.JShellEvaluator;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import tech.tablesaw.api.Table;

/**
 * Runs a {@code .jsh} recipe file non-interactively: {@code ./vlmo run FILE.jsh [--smoke]}. The
 * file runs in this JVM with JShell (the kernel's evaluator and start-up imports), top to bottom;
 * what it prints goes to standard output, and the value of a final bare expression is printed too
 * (tables in full). Any compile or runtime error stops it with {@code FILE:LINE: message} on
 * standard error and exit status 1.
 */
public final class RecipeRunner {

    /** Exit status of a recipe that ran to its end. */
    public static final int OK = 0;

    /** Exit status of a recipe that failed to compile or threw. */
    public static final int FAILED = 1;

    /** Exit status of a wrong command line or an unreadable file. */
    public static final int USAGE = 2;

    private static final String USAGE_TEXT =
            "usage: ./vlmo run FILE.jsh [--smoke]\n"
                    + "  --smoke  run every description in smoke mode (built-in world, a few"
                    + " steps, tiny model); same as VLMO_SMOKE=1";

    private RecipeRunner() {}

    /** Runs the recipe named on the command line and exits with {@link #run}'s status. */
    public static void main(String[] args) {
        KernelJvm.applyToCurrentJvm();
        System.setProperty("java.awt.headless", "true");
        int status = run(Arrays.asList(args), System.err);
        System.out.flush();
        System.err.flush();
        System.exit(status);
    }

    /**
     * Runs a recipe given its command-line arguments ({@code FILE.jsh} and optionally {@code
     * --smoke}), reporting problems on {@code err}.
     *
     * @return {@link #OK}, {@link #FAILED} or {@link #USAGE}
     */
    public static int run(List<String> args, PrintStream err) {
        List<String> files = new ArrayList<>();
        boolean smoke = false;
        for (String arg : args) {
            if (arg.equals("--smoke")) {
                smoke = true;
            } else if (arg.equals("-h") || arg.equals("--help")) {
                err.println(USAGE_TEXT);
                return USAGE;
            } else if (arg.startsWith("-")) {
                err.println("vlmo run: unknown option '" + arg + "'\n" + USAGE_TEXT);
                return USAGE;
            } else {
                files.add(arg);
            }
        }
        if (files.size() != 1) {
            err.println(
                    "vlmo run: expected one recipe file, got "
                            + (files.isEmpty() ? "none" : String.join(" ", files))
                            + "\n"
                            + USAGE_TEXT);
            return USAGE;
        }
        Path file = Path.of(files.get(0));
        if (!Files.isRegularFile(file)) {
            err.println("vlmo run: no such recipe file: " + file.toAbsolutePath());
            return USAGE;
        }
        String source;
        try {
            source = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            err.println("vlmo run: cannot read " + file + ": " + e.getMessage());
            return USAGE;
        }
        String previous = System.getProperty(Recipes.SMOKE_PROPERTY);
        if (smoke) {
            System.setProperty(Recipes.SMOKE_PROPERTY, "true");
        }
        try {
            return runSource(file.toString(), source, err);
        } finally {
            if (smoke) {
                if (previous == null) {
                    System.clearProperty(Recipes.SMOKE_PROPERTY);
                } else {
                    System.setProperty(Recipes.SMOKE_PROPERTY, previous);
                }
            }
        }
    }

    /**
     * Runs recipe text with the start-up imports of {@link StartupScript#load()}; {@code name}
     * (usually the file name) prefixes error messages.
     *
     * @return {@link #OK} or {@link #FAILED}
     */
    public static int runSource(String name, String source, PrintStream err) {
        try (JShellEvaluator evaluator = JShellEvaluator.create(StartupScript.load())) {
            evaluator.startupProblems().forEach(p -> err.println("vlmo run: warning: " + p));
            EvalResult result;
            try {
                result = evaluator.eval(source);
            } catch (CellException e) {
                System.out.flush();
                err.println(message(name, e));
                return FAILED;
            }
            result.notes().forEach(n -> err.println(name + ": " + n));
            if (result.hasValue() && result.value() != null) {
                System.out.println(
                        result.value() instanceof Table t ? t.printAll() : result.value());
            }
            System.out.flush();
            return OK;
        }
    }

    /** The error report of a failed recipe: {@code NAME:LINE: summary}, then the details. */
    static String message(String name, CellException e) {
        StringBuilder out = new StringBuilder();
        out.append(name);
        if (e.cellLine() > 0) {
            out.append(':').append(e.cellLine());
        }
        out.append(": ").append(e.getMessage());
        for (String line : e.details()) {
            if (line.equals(e.getMessage())) {
                continue; // the headline, already printed
            }
            out.append("\n    ").append(line);
        }
        return out.toString();
    }
}
