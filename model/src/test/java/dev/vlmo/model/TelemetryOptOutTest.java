package dev.vlmo.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Starting an engine through the project never asks for the cloud metadata address, even in a JVM
 * where neither the environment nor the command line opts out; starting DJL directly in the same
 * conditions does ask (the control shows the probe would see it).
 */
class TelemetryOptOutTest {

    private static String run(String mode) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(TelemetryProbe.class.getName());
        cmd.add(mode);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("OPT_OUT_TRACKING");
        pb.environment().remove("DJL_OFFLINE");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    @Test
    void projectEngineStartAsksForNoAddress() throws Exception {
        String control = run("control");
        assertTrue(control.contains("169.254.169.254"), "control run saw no telemetry: " + control);
        String project = run("project");
        assertTrue(project.contains("OPENED=[]"), "project run opened URLs: " + project);
    }

    @Test
    void optOutPropertyIsSetOnceEnginesIsUsed() {
        Engines.get(null);
        assertEquals("true", System.getProperty("OPT_OUT_TRACKING"));
        assertEquals(
                System.getProperty("vlmo.engine", Engines.DEFAULT),
                Engines.get(null).getEngineName());
    }
}
