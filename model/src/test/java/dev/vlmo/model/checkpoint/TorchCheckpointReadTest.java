package dev.vlmo.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TorchCheckpointReadTest {

    @ParameterizedTest
    @ValueSource(
            strings = {
                "reader_fp32.pt",
                "reader_fp16.pt",
                "reader_bf16.pt",
                "reader_views.pt",
                "reader_dtypes.pt",
                "reader_wrapped_state_dict.pt",
                "reader_wrapped_model.pt",
                "reader_wrapped_module.pt"
            })
    void readsEveryTensorAsPyTorchHoldsIt(String name) throws IOException {
        JsonObject expected = Fixtures.json("reader_expected.json").getAsJsonObject(name);
        Map<String, TensorData> actual = TorchCheckpoint.read(Fixtures.file(name));
        assertEquals(new ArrayList<>(expected.keySet()), new ArrayList<>(actual.keySet()), name);
        for (String key : expected.keySet()) {
            Fixtures.assertMatches(
                    name + " " + key, expected.getAsJsonObject(key), actual.get(key));
        }
    }

    @Test
    void wrappersUnwrapToTheSameStateDict() throws IOException {
        Map<String, TensorData> plain = TorchCheckpoint.read(Fixtures.file("reader_fp32.pt"));
        for (String wrapped :
                List.of(
                        "reader_wrapped_state_dict.pt",
                        "reader_wrapped_model.pt",
                        "reader_wrapped_module.pt")) {
            assertEquals(plain, TorchCheckpoint.read(Fixtures.file(wrapped)), wrapped);
        }
    }

    @Test
    void viewsAreReadThroughOffsetsAndStrides() throws IOException {
        Map<String, TensorData> t = TorchCheckpoint.read(Fixtures.file("reader_views.pt"));
        float[] whole = t.get("whole").floats(); // (4, 6)
        assertArrayEquals(new long[] {4, 6}, t.get("whole").shape());
        float[] transposed = t.get("transposed").floats(); // (6, 4)
        float[] slice = t.get("slice").floats(); // rows 1..2, columns 2..4
        float[] row = t.get("row").floats();
        float[] column = t.get("column").floats();
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 6; j++) {
                assertEquals(whole[i * 6 + j], transposed[j * 4 + i]);
            }
            assertEquals(whole[i * 6 + 1], column[i]);
        }
        for (int j = 0; j < 6; j++) {
            assertEquals(whole[2 * 6 + j], row[j]);
        }
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                assertEquals(whole[(i + 1) * 6 + j + 2], slice[i * 3 + j]);
            }
        }
        float[] broadcast = t.get("broadcast").floats(); // stride 0 over rows
        for (int i = 1; i < 4; i++) {
            for (int j = 0; j < 3; j++) {
                assertEquals(broadcast[j], broadcast[i * 3 + j]);
            }
        }
        float[] other = t.get("other").floats();
        float[] tail = t.get("tail").floats();
        for (int i = 0; i < tail.length; i++) {
            assertEquals(other[i + 4], tail[i]);
        }
    }

    @Test
    void readsModelCheckpointWithReferenceKeysInOrder() throws IOException {
        for (String model : List.of("vlmo_a", "vlmo_b")) {
            JsonObject doc = Fixtures.json(model + ".json");
            JsonObject expected = doc.getAsJsonObject("checkpoint_tensors");
            Map<String, TensorData> ckpt =
                    TorchCheckpoint.read(Fixtures.file(doc.get("checkpoint").getAsString()));
            assertEquals(new ArrayList<>(expected.keySet()), new ArrayList<>(ckpt.keySet()), model);
            for (String key : expected.keySet()) {
                JsonObject e = expected.getAsJsonObject(key);
                TensorData t = ckpt.get(key);
                assertEquals(
                        e.get("dtype").getAsString(), t.dtype().torchName(), model + " " + key);
                assertArrayEquals(
                        Fixtures.longs(e.getAsJsonArray("shape")), t.shape(), model + " " + key);
            }
            assertArrayEquals(
                    new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11},
                    ckpt.get("text_embeddings.position_ids").longs());
        }
        Map<String, TensorData> a = TorchCheckpoint.read(Fixtures.file("vlmo_a.pt"));
        int numRel =
                Fixtures.json("vlmo_a.json")
                        .getAsJsonObject("derived")
                        .get("num_relative_distance")
                        .getAsInt();
        long[] index = a.get("relative_position_index").longs(); // (17, 17)
        assertEquals(numRel - 1, index[0]);
        assertEquals(numRel - 3, index[1]);
        assertEquals(numRel - 2, index[17]);
        assertEquals(DType.FLOAT32, a.get("text_imag_relative_position_index").dtype());
    }

    @Test
    void readsExpectedOutputFiles() throws IOException {
        JsonObject doc = Fixtures.json("vlmo_a.json");
        for (var c : doc.getAsJsonArray("cases")) {
            JsonObject kase = c.getAsJsonObject();
            JsonObject tensors = kase.getAsJsonObject("tensors");
            Map<String, TensorData> io =
                    TorchCheckpoint.read(Fixtures.file(kase.get("io").getAsString()));
            assertEquals(tensors.keySet(), io.keySet());
            assertEquals(DType.UINT8, io.get("image_pixels").dtype());
            assertEquals(DType.INT64, io.get("text_ids").dtype());
            for (String key : tensors.keySet()) {
                assertArrayEquals(
                        Fixtures.longs(tensors.getAsJsonObject(key).getAsJsonArray("shape")),
                        io.get(key).shape(),
                        kase.get("name").getAsString() + " " + key);
            }
        }
    }

    @Test
    void resultIsUnmodifiable() throws IOException {
        Map<String, TensorData> t = TorchCheckpoint.read(Fixtures.file("reader_fp32.pt"));
        assertThrows(UnsupportedOperationException.class, () -> t.remove("scalar"));
    }
}
