package dev.vlmo.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The glibc malloc settings live in two places (the launcher's {@code native-env.sh}, which also
 * hands them to the kernelspec, and the test JVMs' environment in {@code pom.xml}): both give the
 * same values, and this test JVM runs with them.
 */
class MallocSettingsTest {

    @Test
    void launcherAndPomAgree() throws Exception {
        Map<String, String> script = new TreeMap<>();
        Matcher m =
                Pattern.compile("export (MALLOC_\\w+)=\"\\$\\{\\1:-(\\d+)}\"")
                        .matcher(
                                Files.readString(
                                        Checkout.root()
                                                .resolve("model/src/main/native/native-env.sh")));
        while (m.find()) {
            script.put(m.group(1), m.group(2));
        }
        assertEquals(3, script.size(), "settings in native-env.sh: " + script);

        Map<String, String> pom = new TreeMap<>();
        Matcher x =
                Pattern.compile("<(MALLOC_\\w+)>(\\d+)</\\1>")
                        .matcher(Files.readString(Checkout.root().resolve("pom.xml")));
        while (x.find()) {
            pom.put(x.group(1), x.group(2));
        }
        assertEquals(script, pom);

        // Maven's test JVMs get them from pom.xml
        script.forEach(
                (k, v) ->
                        assertTrue(
                                v.equals(System.getenv(k)),
                                k + "=" + System.getenv(k) + " in this test JVM, expected " + v));
    }
}
