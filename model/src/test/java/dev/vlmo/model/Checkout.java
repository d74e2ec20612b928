package dev.vlmo.model;

import java.nio.file.Files;
import java.nio.file.Path;

/** The checkout the tests run in, for the files outside any module they read. */
public final class Checkout {

    private Checkout() {}

    /**
     * The repository root: the first parent of the working directory (a module's, under Maven) that
     * holds the launcher's native settings.
     *
     * @return the root
     */
    public static Path root() {
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("model/src/main/native/native-env.sh"))) {
                return p;
            }
        }
        throw new IllegalStateException(
                "no model/src/main/native/native-env.sh above " + dir + ": not in a checkout");
    }
}
