package dev.vlmo.kernel;

import com.google.gson.GsonBuilder;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Writes the kernelspec ({@code kernel.json}) that lets Jupyter launch {@link VlmoKernel}.
 *
 * <pre>
 * java -cp CLASSPATH dev.vlmo.kernel.KernelInstaller [--user | --prefix DIR | --data-dir DIR]
 *     [--name vlmo-java] [--display-name "VLMo (Java)"] [--classpath CP] [--java PATH]
 *     [--jvm-opt OPTION]... [--env NAME=VALUE]...
 * </pre>
 *
 * <p>{@code --user} (the default) installs into the user's Jupyter data directory ({@code
 * $JUPYTER_DATA_DIR}, else what {@code jupyter --data-dir} prints, else {@code
 * ~/.local/share/jupyter}); {@code --prefix DIR} into {@code DIR/share/jupyter}; {@code --data-dir
 * DIR} into {@code DIR} (a directory that {@code JUPYTER_PATH} can name). The kernelspec goes to
 * {@code DATA_DIR/kernels/NAME/kernel.json}. The class path defaults to this installer's own: the
 * kernel jar and its {@code lib/} folder, or the running JVM's class path.
 */
public final class KernelInstaller {

    /** The kernelspec name used when none is given. */
    public static final String DEFAULT_NAME = "vlmo-java";

    /** The name Jupyter shows for the kernel when none is given. */
    public static final String DEFAULT_DISPLAY_NAME = "VLMo (Java)";

    private static final Pattern KERNEL_NAME = Pattern.compile("[A-Za-z0-9._-]+");

    private KernelInstaller() {}

    /**
     * What a kernelspec launches.
     *
     * @param name the kernelspec's directory name, e.g. {@code vlmo-java}
     * @param displayName the name Jupyter shows
     * @param java the java executable
     * @param classpath the class path of the kernel and its libraries
     * @param jvmOptions options placed after the project's own JVM flags
     * @param environment environment variables added to the project's own
     */
    public record Spec(
            String name,
            String displayName,
            String java,
            String classpath,
            List<String> jvmOptions,
            Map<String, String> environment) {

        /** Validates every field, naming the bad value. */
        public Spec {
            if (name == null || !KERNEL_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException(
                        "kernel name must be letters, digits, '.', '_' or '-', got: " + name);
            }
            if (displayName == null || displayName.isBlank()) {
                throw new IllegalArgumentException("display name must not be blank");
            }
            if (java == null || java.isBlank()) {
                throw new IllegalArgumentException("java executable must not be blank");
            }
            if (classpath == null || classpath.isBlank()) {
                throw new IllegalArgumentException("class path must not be blank");
            }
            jvmOptions = List.copyOf(jvmOptions);
            environment = Map.copyOf(environment);
        }

        /** The spec with the defaults: this JVM's java, this installer's class path. */
        public static Spec defaults() {
            return new Spec(
                    DEFAULT_NAME,
                    DEFAULT_DISPLAY_NAME,
                    currentJava(),
                    defaultClasspath(),
                    List.of(),
                    Map.of());
        }

        /** The command line Jupyter runs, with {@code {connection_file}} as the last argument. */
        public List<String> argv() {
            List<String> argv = new ArrayList<>();
            argv.add(java);
            argv.add("-cp");
            argv.add(classpath);
            argv.addAll(KernelJvm.JVM_OPTIONS);
            argv.add("-Djava.awt.headless=true");
            argv.addAll(jvmOptions);
            argv.add(VlmoKernel.class.getName());
            argv.add("{connection_file}");
            return argv;
        }

        /** The kernel.json text. */
        public String toJson() {
            Map<String, String> env = new LinkedHashMap<>(KernelJvm.ENVIRONMENT);
            env.putAll(environment);
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("argv", argv());
            json.put("display_name", displayName);
            json.put("language", "java");
            json.put("interrupt_mode", "message");
            json.put("env", env);
            json.put("metadata", Map.of("debugger", false));
            return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(json)
                    + "\n";
        }
    }

    /** Installs the kernelspec as the command line asks; see the class comment for the options. */
    public static void main(String[] args) {
        if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
            System.out.println(usage());
            return;
        }
        try {
            Path written = run(List.of(args));
            System.out.println("Installed kernelspec " + written);
        } catch (IllegalArgumentException e) {
            System.err.println("vlmo kernel install: " + e.getMessage());
            System.err.println(usage());
            System.exit(2);
        }
    }

    /** The command line syntax. */
    public static String usage() {
        return "usage: KernelInstaller [--user | --prefix DIR | --data-dir DIR] [--name NAME]"
                + " [--display-name TEXT] [--classpath CP] [--java PATH] [--jvm-opt OPTION]..."
                + " [--env NAME=VALUE]...";
    }

    /**
     * Parses the arguments and writes the kernelspec; returns the written kernel.json.
     *
     * @throws IllegalArgumentException for an unknown option or a bad value, naming it
     */
    public static Path run(List<String> args) {
        Spec defaults = Spec.defaults();
        String name = defaults.name();
        String displayName = defaults.displayName();
        String java = defaults.java();
        String classpath = null;
        List<String> jvmOptions = new ArrayList<>();
        Map<String, String> env = new LinkedHashMap<>();
        Path dataDir = null;
        String location = null;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            String option =
                    arg.contains("=") && arg.startsWith("--")
                            ? arg.substring(0, arg.indexOf('='))
                            : arg;
            boolean inline = !option.equals(arg);
            String value = inline ? arg.substring(option.length() + 1) : null;
            switch (option) {
                case "--user" -> location = setLocation(location, option, null);
                case "--prefix", "--data-dir" -> {
                    String dir = inline ? value : next(args, ++i, option);
                    location = setLocation(location, option, dir);
                    dataDir =
                            option.equals("--prefix")
                                    ? Path.of(dir).resolve("share").resolve("jupyter")
                                    : Path.of(dir);
                }
                case "--name" -> name = inline ? value : next(args, ++i, option);
                case "--display-name" -> displayName = inline ? value : next(args, ++i, option);
                case "--classpath", "--class-path", "-cp" ->
                        classpath = inline ? value : next(args, ++i, option);
                case "--java" -> java = inline ? value : next(args, ++i, option);
                case "--jvm-opt" -> jvmOptions.add(inline ? value : next(args, ++i, option));
                case "--env" -> {
                    String pair = inline ? value : next(args, ++i, option);
                    int eq = pair.indexOf('=');
                    if (eq <= 0) {
                        throw new IllegalArgumentException(
                                "--env expects NAME=VALUE, got: " + pair);
                    }
                    env.put(pair.substring(0, eq), pair.substring(eq + 1));
                }
                default -> throw new IllegalArgumentException("unknown option: " + arg);
            }
        }
        Spec spec =
                new Spec(
                        name,
                        displayName,
                        java,
                        classpath == null ? defaults.classpath() : absoluteClasspath(classpath),
                        jvmOptions,
                        env);
        return install(spec, dataDir == null ? userDataDir() : dataDir);
    }

    private static String setLocation(String previous, String option, String dir) {
        if (previous != null) {
            throw new IllegalArgumentException(
                    "choose one of --user, --prefix, --data-dir; got "
                            + previous
                            + " and "
                            + option);
        }
        if (dir != null && dir.isBlank()) {
            throw new IllegalArgumentException(option + " needs a directory");
        }
        return option;
    }

    private static String next(List<String> args, int index, String option) {
        if (index >= args.size() || args.get(index).startsWith("--")) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args.get(index);
    }

    /** Writes {@code dataDir/kernels/NAME/kernel.json} and returns its path. */
    public static Path install(Spec spec, Path dataDir) {
        Path dir = dataDir.resolve("kernels").resolve(spec.name());
        Path file = dir.resolve("kernel.json");
        try {
            Files.createDirectories(dir);
            Files.writeString(file, spec.toJson(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the kernelspec " + file, e);
        }
        return file;
    }

    /**
     * The user's Jupyter data directory: {@code $JUPYTER_DATA_DIR}, else what {@code jupyter
     * --data-dir} prints, else the platform default.
     */
    public static Path userDataDir() {
        String fromEnv = System.getenv("JUPYTER_DATA_DIR");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return Path.of(fromEnv);
        }
        Path fromJupyter = askJupyter();
        return fromJupyter != null ? fromJupyter : platformDataDir();
    }

    private static Path askJupyter() {
        try {
            Process process =
                    new ProcessBuilder("jupyter", "--data-dir")
                            .redirectError(ProcessBuilder.Redirect.DISCARD)
                            .start();
            String out =
                    new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0) {
                String line = out.strip();
                return line.isEmpty() ? null : Path.of(line);
            }
            process.destroy();
            return null;
        } catch (IOException e) {
            return null; // no jupyter on the PATH
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static Path platformDataDir() {
        String home = System.getProperty("user.home");
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (os.contains("mac")) {
            return Path.of(home, "Library", "Jupyter");
        }
        if (os.contains("win")) {
            String appData = System.getenv("APPDATA");
            return Path.of(appData != null ? appData : home, "jupyter");
        }
        String xdg = System.getenv("XDG_DATA_HOME");
        return xdg != null && !xdg.isBlank()
                ? Path.of(xdg, "jupyter")
                : Path.of(home, ".local", "share", "jupyter");
    }

    /** The java executable of the running JVM. */
    static String currentJava() {
        boolean windows =
                System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("win");
        return Path.of(System.getProperty("java.home"), "bin", windows ? "java.exe" : "java")
                .toString();
    }

    /**
     * This installer's class path: the kernel jar plus {@code lib/*} beside it when run from the
     * built jar, else the running JVM's class path, made absolute.
     */
    static String defaultClasspath() {
        Path jar = codeLocation();
        if (jar != null
                && Files.isRegularFile(jar)
                && Files.isDirectory(jar.resolveSibling("lib"))) {
            return jar.toAbsolutePath()
                    + File.pathSeparator
                    + jar.resolveSibling("lib").toAbsolutePath()
                    + File.separator
                    + "*";
        }
        return absoluteClasspath(System.getProperty("java.class.path"));
    }

    private static Path codeLocation() {
        try {
            CodeSource source = KernelInstaller.class.getProtectionDomain().getCodeSource();
            return source == null ? null : Path.of(source.getLocation().toURI());
        } catch (URISyntaxException | SecurityException e) {
            return null;
        }
    }

    /** Makes every entry of a class path absolute (keeping a trailing {@code *} wildcard). */
    static String absoluteClasspath(String classpath) {
        return Arrays.stream(classpath.split(File.pathSeparator))
                .filter(entry -> !entry.isBlank())
                .map(
                        entry ->
                                entry.endsWith("*")
                                        ? Path.of(entry.substring(0, entry.length() - 1))
                                                        .toAbsolutePath()
                                                + File.separator
                                                + "*"
                                        : Path.of(entry).toAbsolutePath().toString())
                .collect(Collectors.joining(File.pathSeparator));
    }
}
