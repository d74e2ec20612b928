package dev.vlmo.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelInstallerTest {

    private static List<String> strings(JsonArray array) {
        List<String> out = new ArrayList<>();
        array.forEach(e -> out.add(e.getAsString()));
        return out;
    }

    @Test
    void writesKernelJsonWithTelemetryOptOutAndMessageInterrupts(@TempDir Path dir)
            throws Exception {
        Path file =
                KernelInstaller.run(
                        List.of(
                                "--data-dir", dir.toString(),
                                "--classpath", "/opt/vlmo/kernel.jar:/opt/vlmo/lib/*",
                                "--jvm-opt", "-Xmx8g",
                                "--env", "VLMO_HOME=/opt/vlmo"));
        assertEquals(dir.resolve("kernels/vlmo-java/kernel.json"), file);
        JsonObject json = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        List<String> argv = strings(json.getAsJsonArray("argv"));
        assertTrue(argv.get(0).endsWith("java"), argv.get(0));
        assertEquals("-cp", argv.get(1));
        assertEquals("/opt/vlmo/kernel.jar:/opt/vlmo/lib/*", argv.get(2));
        int main = argv.indexOf("dev.vlmo.kernel.VlmoKernel");
        assertTrue(main > 2, argv.toString());
        assertTrue(argv.indexOf("-DOPT_OUT_TRACKING=true") < main, argv.toString());
        assertTrue(argv.indexOf("-Dai.djl.offline=true") < main, argv.toString());
        assertTrue(argv.indexOf("-Xmx8g") < main, argv.toString());
        assertTrue(argv.indexOf("-DOPT_OUT_TRACKING=true") > 2, argv.toString());
        assertEquals("{connection_file}", argv.get(argv.size() - 1));
        assertEquals("VLMo (Java)", json.get("display_name").getAsString());
        assertEquals("java", json.get("language").getAsString());
        assertEquals("message", json.get("interrupt_mode").getAsString());
        JsonObject env = json.getAsJsonObject("env");
        assertEquals("true", env.get("OPT_OUT_TRACKING").getAsString());
        assertEquals("/opt/vlmo", env.get("VLMO_HOME").getAsString());
    }

    @Test
    void prefixInstallsUnderShareJupyter(@TempDir Path dir) {
        Path file =
                KernelInstaller.run(
                        List.of("--prefix", dir.toString(), "--name", "vlmo-test", "-cp", "k.jar"));
        assertEquals(dir.resolve("share/jupyter/kernels/vlmo-test/kernel.json"), file);
        assertTrue(Files.isRegularFile(file));
    }

    @Test
    void relativeClasspathIsMadeAbsolute() {
        String absolute = KernelInstaller.absoluteClasspath("target/classes:target/lib/*");
        for (String entry : absolute.split(":")) {
            assertTrue(Path.of(entry.replace("*", "")).isAbsolute(), absolute);
        }
        assertTrue(absolute.endsWith("target/lib/*"), absolute);
    }

    @Test
    void defaultClasspathCoversTheKernelClasses() {
        String classpath = KernelInstaller.defaultClasspath();
        assertTrue(classpath.contains("classes") || classpath.contains("vlmo-kernel"), classpath);
    }

    @Test
    void badArgumentsAreNamed(@TempDir Path dir) {
        IllegalArgumentException unknown =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> KernelInstaller.run(List.of("--frobnicate")));
        assertTrue(unknown.getMessage().contains("--frobnicate"), unknown.getMessage());

        IllegalArgumentException name =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                KernelInstaller.run(
                                        List.of("--data-dir", dir.toString(), "--name", "a b")));
        assertTrue(name.getMessage().contains("a b"), name.getMessage());

        IllegalArgumentException twoPlaces =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> KernelInstaller.run(List.of("--user", "--prefix", dir.toString())));
        assertTrue(twoPlaces.getMessage().contains("--prefix"), twoPlaces.getMessage());

        IllegalArgumentException env =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                KernelInstaller.run(
                                        List.of("--data-dir", dir.toString(), "--env", "NOVALUE")));
        assertTrue(env.getMessage().contains("NOVALUE"), env.getMessage());
    }
}
