package dev.vlmo.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TorchCheckpointWriteTest {

    @TempDir Path tmp;

    @ParameterizedTest
    @ValueSource(
            strings = {
                "reader_fp32.pt",
                "reader_fp16.pt",
                "reader_bf16.pt",
                "reader_views.pt",
                "reader_dtypes.pt",
                "reader_wrapped_module.pt",
                "vlmo_a.pt",
                "vlmo_b.pt",
                "vlmo_a_io.pt"
            })
    void roundTripIsBitExact(String name) throws IOException {
        Map<String, TensorData> original = TorchCheckpoint.read(Fixtures.file(name));
        Path out = tmp.resolve("copy.pt");
        TorchCheckpoint.write(out, original);
        Map<String, TensorData> back = TorchCheckpoint.read(out);
        assertEquals(new ArrayList<>(original.keySet()), new ArrayList<>(back.keySet()));
        assertEquals(original, back);
    }

    @Test
    void archiveHasTorchLayoutWithAlignedRecords() throws IOException {
        Map<String, TensorData> t = new LinkedHashMap<>();
        t.put("a", TensorData.ofFloats(new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}));
        t.put("ids", TensorData.ofLongs(DType.INT64, new long[] {3}, new long[] {7, 8, 9}));
        t.put("h", TensorData.ofFloats(DType.FLOAT16, new long[] {1}, new float[] {0.5f}));
        Path out = tmp.resolve("layout.pt");
        TorchCheckpoint.write(out, t);
        byte[] raw = Files.readAllBytes(out);
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        List<String> names = new ArrayList<>();
        int pos = 0;
        while (b.getInt(pos) == 0x04034b50) {
            int size = b.getInt(pos + 18);
            int nameLen = b.getShort(pos + 26) & 0xffff;
            int extraLen = b.getShort(pos + 28) & 0xffff;
            String name = new String(raw, pos + 30, nameLen, StandardCharsets.UTF_8);
            int data = pos + 30 + nameLen + extraLen;
            names.add(name);
            if (name.startsWith("archive/data/")) {
                assertEquals(0, data % 64, name + " starts at " + data);
            }
            if (name.equals("archive/version")) {
                assertEquals("3\n", new String(raw, data, size, StandardCharsets.US_ASCII));
            }
            if (name.equals("archive/data/1")) {
                assertEquals(24, size);
                assertEquals(8L, b.getLong(data + 8)); // little-endian int64
            }
            if (name.equals("archive/data/2")) {
                assertEquals(0x3800, b.getShort(data) & 0xffff); // 0.5 in IEEE half
            }
            pos = data + size;
        }
        assertEquals(
                List.of(
                        "archive/data.pkl",
                        "archive/byteorder",
                        "archive/data/0",
                        "archive/data/1",
                        "archive/data/2",
                        "archive/version"),
                names);
    }

    @Test
    void writingReplacesAnExistingFileAndLeavesNoTemporaryFiles() throws IOException {
        Path out = tmp.resolve("model.pt");
        Files.writeString(out, "old content");
        Map<String, TensorData> t =
                Map.of("w", TensorData.ofFloats(new long[] {}, new float[] {3f}));
        TorchCheckpoint.write(out, t);
        assertEquals(t, TorchCheckpoint.read(out));
        try (var files = Files.list(tmp)) {
            assertEquals(List.of(out), files.toList());
        }
    }

    @Test
    void rejectsEmptyKeys() {
        Map<String, TensorData> t =
                Map.of("", TensorData.ofFloats(new long[] {1}, new float[] {1}));
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> TorchCheckpoint.write(tmp.resolve("x.pt"), t));
        assertTrue(e.getMessage().contains("non-empty"), e.getMessage());
    }

    @Test
    void torchLoadReadsWrittenFilesBitExactly() throws IOException {
        assumeTrue(Fixtures.pythonTorchAvailable(), "/usr/bin/python3 with torch not present");
        for (String name :
                List.of(
                        "reader_fp32.pt",
                        "reader_fp16.pt",
                        "reader_bf16.pt",
                        "reader_views.pt",
                        "reader_dtypes.pt",
                        "reader_wrapped_module.pt")) {
            Path out = tmp.resolve("java_" + name);
            TorchCheckpoint.write(out, TorchCheckpoint.read(Fixtures.file(name)));
            Fixtures.Result r =
                    Fixtures.python(
                            120,
                            "tests/reference/check_checkpoint.py",
                            out.toString(),
                            Fixtures.file(name).toString());
            assertEquals(0, r.exitCode, name + ": " + r.output);
            assertTrue(r.output.contains("identical"), r.output);
        }
    }

    @Test
    void exportedModelLoadsInTheReferenceAndGivesItsOutputs() throws IOException {
        assumeTrue(Fixtures.pythonTorchAvailable(), "/usr/bin/python3 with torch not present");
        for (String model : List.of("vlmo_a", "vlmo_b")) {
            Path out = tmp.resolve("java_" + model + ".pt");
            TorchCheckpoint.write(out, TorchCheckpoint.read(Fixtures.file(model + ".pt")));
            Fixtures.Result r =
                    Fixtures.python(
                            300,
                            "tests/reference/check_checkpoint.py",
                            out.toString(),
                            Fixtures.file(model + ".pt").toString(),
                            "--model",
                            Fixtures.file(model + ".json").toString());
            assertEquals(0, r.exitCode, model + ": " + r.output);
            assertTrue(r.output.contains("model outputs match"), r.output);
        }
    }

    @Test
    void fp16ValuesWrittenAreTheRoundedOnes() throws IOException {
        float[] values = {1.0f, 1.00048828125f, 1.0014648f, 70000f, 1e-8f};
        TensorData t = TensorData.ofFloats(DType.FLOAT16, new long[] {5}, values);
        assertArrayEquals(
                new float[] {1.0f, 1.0f, 1.001953125f, Float.POSITIVE_INFINITY, 0.0f}, t.floats());
        Path out = tmp.resolve("half.pt");
        TorchCheckpoint.write(out, Map.of("h", t));
        assertEquals(t, TorchCheckpoint.read(out).get("h"));
    }
}
