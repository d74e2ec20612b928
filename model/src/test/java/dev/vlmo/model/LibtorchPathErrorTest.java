package dev.vlmo.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A libtorch that DJL's JNI library cannot load (here a folder whose libtorch.so is not a library)
 * fails the engine's start with a message that names the folder and the fix, in a fresh JVM, where
 * DJL's own message says only that the native library did not load.
 */
class LibtorchPathErrorTest {

    @Test
    void anUnloadableLibtorchIsNamedWithTheFix(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("libtorch.so"), "not a shared library");
        String out = run(dir);
        assertTrue(out.contains("FAILED "), out);
        assertTrue(out.contains("PYTORCH_LIBRARY_PATH=" + dir), out);
        assertTrue(out.contains("bench/build-djl-jni.sh"), out);
        assertTrue(out.contains("libtorch.so"), "the loader's own reason is kept: " + out);
    }

    private static String run(Path libtorch) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb =
                new ProcessBuilder(
                                List.of(
                                        java,
                                        "-Dai.djl.offline=true",
                                        "-DOPT_OUT_TRACKING=true",
                                        "-cp",
                                        System.getProperty("java.class.path"),
                                        LibtorchPathProbe.class.getName()))
                        .redirectErrorStream(true);
        pb.environment().put("PYTORCH_LIBRARY_PATH", libtorch.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out;
    }
}
