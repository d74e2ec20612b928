package dev.vlmo.kernel;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The scripts a kernel session runs before the first cell: the bundled {@value #RESOURCE}, then
 * imports and script files named by system properties or environment variables.
 *
 * <ul>
 *   <li>{@value #IMPORTS_PROPERTY} / {@value #IMPORTS_ENV}: import names separated by commas, e.g.
 *       {@code static dev.vlmo.dsl.Dsl.*,dev.vlmo.dsl.*}; each becomes an {@code import} line.
 *   <li>{@value #FILES_PROPERTY} / {@value #FILES_ENV}: {@code .jsh} files separated by the path
 *       separator, run in order.
 * </ul>
 */
public final class StartupScript {

    /** The bundled start-up script on the class path. */
    public static final String RESOURCE = "/dev/vlmo/kernel/startup.jsh";

    /** System property naming extra imports, comma separated. */
    public static final String IMPORTS_PROPERTY = "vlmo.kernel.imports";

    /** Environment variable naming extra imports, comma separated. */
    public static final String IMPORTS_ENV = "VLMO_KERNEL_IMPORTS";

    /** System property naming extra start-up files, separated by the path separator. */
    public static final String FILES_PROPERTY = "vlmo.kernel.startup";

    /** Environment variable naming extra start-up files, separated by the path separator. */
    public static final String FILES_ENV = "VLMO_KERNEL_STARTUP";

    private StartupScript() {}

    /** The start-up scripts for this process, from its system properties and environment. */
    public static List<String> load() {
        return load(System.getProperties(), System.getenv());
    }

    /**
     * The start-up scripts for the given settings: the bundled script, the environment's imports
     * and files, then the properties' imports and files.
     *
     * @throws IllegalArgumentException if a named file cannot be read
     */
    public static List<String> load(Properties properties, Map<String, String> environment) {
        List<String> scripts = new ArrayList<>();
        scripts.add(bundled());
        addImports(scripts, environment.get(IMPORTS_ENV), IMPORTS_ENV);
        addFiles(scripts, environment.get(FILES_ENV), FILES_ENV);
        addImports(scripts, properties.getProperty(IMPORTS_PROPERTY), IMPORTS_PROPERTY);
        addFiles(scripts, properties.getProperty(FILES_PROPERTY), FILES_PROPERTY);
        return List.copyOf(scripts);
    }

    /** The text of the bundled start-up script. */
    public static String bundled() {
        try (InputStream in = StartupScript.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(
                        "the kernel's class path lacks the start-up script " + RESOURCE);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    /** Turns comma separated import names into {@code import} lines, one per name. */
    public static String importLines(String names) {
        StringBuilder lines = new StringBuilder();
        for (String raw : names.split(",")) {
            String name = raw.strip();
            if (name.startsWith("import ")) {
                name = name.substring("import ".length()).strip();
            }
            if (name.endsWith(";")) {
                name = name.substring(0, name.length() - 1).strip();
            }
            if (name.isEmpty()) {
                continue;
            }
            String target = name.startsWith("static ") ? name.substring(7).strip() : name;
            if (!target.matches(
                    "[\\p{L}_$][\\p{L}\\p{N}_$]*(\\.[\\p{L}_$][\\p{L}\\p{N}_$]*)*(\\.\\*)?")) {
                throw new IllegalArgumentException(
                        "not an import name: '"
                                + raw.strip()
                                + "' (expected e.g. 'dev.vlmo.dsl.*' or 'static dev.vlmo.dsl.Dsl.*')");
            }
            lines.append("import ").append(name).append(";\n");
        }
        return lines.toString();
    }

    private static void addImports(List<String> scripts, String names, String source) {
        if (names == null || names.isBlank()) {
            return;
        }
        try {
            scripts.add(importLines(names));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    private static void addFiles(List<String> scripts, String files, String source) {
        if (files == null || files.isBlank()) {
            return;
        }
        Arrays.stream(files.split(File.pathSeparator))
                .map(String::strip)
                .filter(f -> !f.isEmpty())
                .forEach(f -> scripts.add(read(Path.of(f), source)));
    }

    private static String read(Path file, String source) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(
                    source
                            + " names a start-up file that does not exist: "
                            + file.toAbsolutePath());
        }
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    source + " names a start-up file that cannot be read: " + file.toAbsolutePath(),
                    e);
        }
    }
}
