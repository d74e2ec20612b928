package dev.vlmo.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Regenerates the committed fixtures with tests/reference/make_fixtures.py (when /usr/bin/python3
 * has torch) and checks that the committed ones are what the script writes.
 */
class FixtureRegenerationTest {

    @TempDir Path tmp;

    @Test
    void committedFixturesAreWhatTheScriptWrites() throws IOException {
        assumeTrue(Fixtures.pythonTorchAvailable(), "needs /usr/bin/python3 with torch");
        Path out = tmp.resolve("fixtures");
        Fixtures.Result r =
                Fixtures.python(600, "tests/reference/make_fixtures.py", "--out", out.toString());
        assertEquals(0, r.exitCode, r.output);

        Path committed = Fixtures.file("");
        assertEquals(names(committed), names(out), "the same files");
        for (String name : names(committed)) {
            Path want = committed.resolve(name);
            Path got = out.resolve(name);
            if (name.endsWith(".json")) {
                assertEquals(json(want), json(got), name);
            } else if (name.startsWith("bad_")) {
                // Unreadable on purpose: the regenerated file fails the same way.
                String a = failure(want).replace(want.toString(), "FILE");
                String b = failure(got).replace(got.toString(), "FILE");
                assertEquals(a, b, name);
            } else if (name.endsWith("_io.pt")) {
                assertClose(name, TorchCheckpoint.read(want), TorchCheckpoint.read(got));
            } else {
                Map<String, TensorData> a = TorchCheckpoint.read(want);
                Map<String, TensorData> b = TorchCheckpoint.read(got);
                assertEquals(List.copyOf(a.keySet()), List.copyOf(b.keySet()), name + " keys");
                assertEquals(a, b, name + " is bit-identical");
            }
        }
    }

    /** Inputs equal exactly; expected outputs within 1e-5 (absolute and relative). */
    private static void assertClose(
            String name, Map<String, TensorData> want, Map<String, TensorData> got) {
        assertEquals(List.copyOf(want.keySet()), List.copyOf(got.keySet()), name + " keys");
        for (Map.Entry<String, TensorData> e : want.entrySet()) {
            TensorData w = e.getValue();
            TensorData g = got.get(e.getKey());
            String where = name + " " + e.getKey();
            assertEquals(w.dtype(), g.dtype(), where);
            assertArrayEquals(w.shape(), g.shape(), where);
            if (!w.isFloating()) {
                assertArrayEquals(w.longs(), g.longs(), where);
                continue;
            }
            float[] a = w.floats();
            float[] b = g.floats();
            for (int i = 0; i < a.length; i++) {
                // fp32 outputs of another machine's BLAS differ in their last bits
                assertTrue(
                        Math.abs(a[i] - b[i]) <= 1e-5f + 1e-5f * Math.abs(a[i]),
                        where + "[" + i + "]: " + a[i] + " vs " + b[i]);
            }
        }
    }

    private static TreeSet<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString())
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    /** The JSON without the scipy comparison, which is written only where scipy is installed. */
    private static JsonElement json(Path p) throws IOException {
        JsonElement e = JsonParser.parseString(Files.readString(p, StandardCharsets.UTF_8));
        if (e.isJsonObject() && e.getAsJsonObject().has("cases")) {
            for (JsonElement c : e.getAsJsonObject().getAsJsonArray("cases")) {
                JsonObject interp =
                        c.getAsJsonObject().getAsJsonObject("relative_table_interpolation");
                if (interp != null) {
                    interp.remove("max_abs_diff_vs_scipy_interp2d");
                }
            }
        }
        return e;
    }

    private static String failure(Path p) {
        return assertThrows(CheckpointFormatException.class, () -> TorchCheckpoint.read(p))
                .getMessage();
    }
}
