package dev.vlmo.kernel;

import dev.vlmo.dsl.Runtime;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Locale;
import java.util.Objects;

/**
 * Smoke mode for recipe files: a recipe runs its description with {@code .run(runtime(on(gpus())))}
 * (imported at start-up), which is the runtime as written, or that runtime in the DSL's smoke mode
 * (built-in world data, a few steps, tiny dimensions, a fresh temporary run directory) when {@code
 * ./vlmo run FILE.jsh --smoke}, {@value #SMOKE_PROPERTY}{@code =true} or {@value #SMOKE_ENV}{@code
 * =1} asks for it.
 */
public final class Recipes {

    /** System property that switches smoke mode on ({@code true}/{@code 1}) or off. */
    public static final String SMOKE_PROPERTY = "vlmo.smoke";

    /** Environment variable that switches smoke mode on ({@code 1}/{@code true}) or off. */
    public static final String SMOKE_ENV = "VLMO_SMOKE";

    private Recipes() {}

    /**
     * Whether recipes run in smoke mode: the system property {@value #SMOKE_PROPERTY} if set, else
     * the environment variable {@value #SMOKE_ENV}.
     *
     * @throws IllegalArgumentException if the setting is neither a yes nor a no
     */
    public static boolean smokeMode() {
        String property = System.getProperty(SMOKE_PROPERTY);
        if (property != null && !property.isBlank()) {
            return parse(SMOKE_PROPERTY, property);
        }
        String env = System.getenv(SMOKE_ENV);
        return env != null && !env.isBlank() && parse(SMOKE_ENV, env);
    }

    /**
     * The runtime a recipe runs on: {@code rt} itself, or in smoke mode {@code rt.smoke()} writing
     * to a new temporary run directory and never resuming (so a smoke run cannot touch a real run's
     * checkpoints).
     *
     * @param rt the runtime the recipe asks for, such as {@code on(gpus())}
     * @return the runtime to run on
     */
    public static Runtime runtime(Runtime rt) {
        Objects.requireNonNull(rt, "runtime");
        if (!smokeMode()) {
            return rt;
        }
        try {
            return rt.smoke().resume(false).runDir(Files.createTempDirectory("vlmo-smoke-"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a run directory for smoke mode", e);
        }
    }

    static boolean parse(String name, String value) {
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "1", "true", "yes", "on" -> true;
            case "0", "false", "no", "off" -> false;
            default ->
                    throw new IllegalArgumentException(
                            name + " must be 1/true or 0/false, got '" + value + "'");
        };
    }
}
