package dev.vlmo.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.vlmo.model.Checkout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Access to tests/reference/fixtures (written by make_fixtures.py) and to the Python reference. */
final class Fixtures {

    static final Path PYTHON = Paths.get("/usr/bin/python3");
    private static Boolean torchAvailable;

    private Fixtures() {}

    static Path file(String name) {
        return Checkout.root().resolve("tests/reference/fixtures").resolve(name);
    }

    static JsonObject json(String name) throws IOException {
        return JsonParser.parseString(Files.readString(file(name), StandardCharsets.UTF_8))
                .getAsJsonObject();
    }

    static long[] longs(JsonArray a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsLong();
        }
        return out;
    }

    static float parseFloat(JsonElement e) {
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
            switch (e.getAsString()) {
                case "inf":
                    return Float.POSITIVE_INFINITY;
                case "-inf":
                    return Float.NEGATIVE_INFINITY;
                case "-0.0":
                    return -0.0f;
                default:
                    throw new IllegalArgumentException(e.getAsString());
            }
        }
        return (float) e.getAsDouble();
    }

    /** Asserts dtype, shape and bit-exact values against an entry of reader_expected.json. */
    static void assertMatches(String where, JsonObject expected, TensorData actual) {
        assertEquals(
                expected.get("dtype").getAsString(), actual.dtype().torchName(), where + " dtype");
        assertArrayEquals(
                longs(expected.getAsJsonArray("shape")), actual.shape(), where + " shape");
        JsonArray values = expected.getAsJsonArray("values");
        assertEquals(values.size(), actual.size(), where + " size");
        if (actual.isFloating()) {
            float[] want = new float[values.size()];
            for (int i = 0; i < want.length; i++) {
                want[i] = parseFloat(values.get(i));
            }
            // assertArrayEquals on floats compares bits (so -0.0 differs from 0.0).
            assertArrayEquals(want, actual.floats(), where + " values");
        } else {
            assertArrayEquals(longs(values), actual.longs(), where + " values");
        }
    }

    /** Whether /usr/bin/python3 can import torch (checked once). */
    static synchronized boolean pythonTorchAvailable() {
        if (torchAvailable == null) {
            boolean ok = false;
            if (Files.isExecutable(PYTHON)) {
                try {
                    ok = python(60, "-c", "import torch").exitCode == 0;
                } catch (IOException e) {
                    ok = false;
                }
            }
            torchAvailable = ok;
        }
        return torchAvailable;
    }

    /** Exit code and combined output of a Python run. */
    static final class Result {
        final int exitCode;
        final String output;

        Result(int exitCode, String output) {
            this.exitCode = exitCode;
            this.output = output;
        }
    }

    /** Runs /usr/bin/python3 with the arguments from the repository root. */
    static Result python(int timeoutSeconds, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(PYTHON.toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb =
                new ProcessBuilder(cmd)
                        .directory(Checkout.root().toFile())
                        .redirectErrorStream(true);
        pb.environment().put("OPENBLAS_NUM_THREADS", "2");
        pb.environment().put("OMP_NUM_THREADS", "2");
        Process p = pb.start();
        try {
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted", e);
        }
    }
}
