package dev.vlmo.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.vlmo.model.Engines;
import dev.vlmo.model.VlmoModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CheckpointImporterTest {

    @TempDir Path tmp;

    private static final List<String> INDEX_BUFFERS =
            List.of(
                    "relative_position_index",
                    "text_relative_position_index",
                    "text_imag_relative_position_index",
                    "text_embeddings.position_ids");

    @Test
    void strictLoadAssignsEveryParameterAndIgnoresDerivedBuffers() throws IOException {
        Map<String, TensorData> sd = TorchCheckpoint.read(Fixtures.file("vlmo_a.pt"));
        try (NDManager m = Engines.newManager(null)) {
            VlmoModel model = new VlmoModel(ModelFixtures.config("vlmo_a"));
            assertFalse(model.isInitialized());
            LoadReport r =
                    CheckpointImporter.load(
                            model,
                            m,
                            Fixtures.file("vlmo_a.pt"),
                            CheckpointImporter.Options.STRICT);
            assertTrue(model.isInitialized(), "an uninitialised model is initialised first");
            assertTrue(r.complete());
            assertEquals(new ArrayList<>(model.namedParameters().keySet()), r.loaded());
            assertEquals(INDEX_BUFFERS.size(), r.ignored().size());
            assertTrue(r.ignored().containsAll(INDEX_BUFFERS), r.ignored().toString());
            assertEquals(List.of(), r.adapted());
            for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
                assertArrayEquals(
                        sd.get(e.getKey()).floats(),
                        e.getValue().getArray().toFloatArray(),
                        e.getKey());
            }
        }
    }

    @Test
    void lenientLoadKeepsMissingParametersAndListsUnexpectedKeys() throws IOException {
        Map<String, TensorData> sd =
                new LinkedHashMap<>(TorchCheckpoint.read(Fixtures.file("vlmo_a.pt")));
        sd.keySet().removeIf(k -> k.startsWith("mlm_score.") || k.startsWith("vqa_classifier."));
        sd.put("head.weight", TensorData.ofFloats(new long[] {2}, new float[] {1, 2}));
        try (NDManager m = Engines.newManager(null)) {
            VlmoModel model = new VlmoModel(ModelFixtures.config("vlmo_a")).initialize(m);
            Map<String, float[]> before = ModelFixtures.snapshot(model);

            CheckpointMismatchException strict =
                    assertThrows(
                            CheckpointMismatchException.class,
                            () ->
                                    CheckpointImporter.load(
                                            model,
                                            m,
                                            sd,
                                            "edited.pt",
                                            CheckpointImporter.Options.STRICT));
            assertTrue(
                    strict.getMessage().startsWith("checkpoint edited.pt: "), strict.getMessage());
            assertTrue(strict.getMessage().contains("12 missing keys"), strict.getMessage());
            assertTrue(strict.getMessage().contains("mlm_score.transform.dense.weight"));
            assertTrue(strict.getMessage().contains("1 unexpected keys [head.weight]"));
            assertEquals(List.of("head.weight"), strict.unexpected());
            assertEquals(12, strict.missing().size());
            ModelFixtures.assertUnchanged(before, model);

            LoadReport r =
                    CheckpointImporter.load(
                            model, m, sd, "edited.pt", CheckpointImporter.Options.LENIENT);
            assertFalse(r.complete());
            assertEquals(List.of("head.weight"), r.unexpected());
            assertEquals(strict.missing(), r.missing());
            assertTrue(
                    r.missing().stream()
                            .allMatch(
                                    k ->
                                            k.startsWith("mlm_score.")
                                                    || k.startsWith("vqa_classifier.")));
            Map<String, float[]> after = ModelFixtures.snapshot(model);
            for (String k : r.missing()) {
                assertArrayEquals(before.get(k), after.get(k), k + " kept its value");
            }
            for (String k : r.loaded()) {
                assertArrayEquals(sd.get(k).floats(), after.get(k), k + " loaded");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = DType.class,
            names = {"FLOAT16", "BFLOAT16", "FLOAT64"})
    void lowerAndHigherPrecisionCheckpointsLoadAsFloat32(DType dtype) throws IOException {
        Map<String, TensorData> sd = TorchCheckpoint.read(Fixtures.file("vlmo_a.pt"));
        Map<String, TensorData> converted = new LinkedHashMap<>();
        sd.forEach(
                (k, v) ->
                        converted.put(
                                k,
                                v.isFloating()
                                        ? TensorData.ofFloats(dtype, v.shape(), v.floats())
                                        : v));
        Path file = tmp.resolve("half.pt");
        TorchCheckpoint.write(file, converted);
        try (NDManager m = Engines.newManager(null)) {
            VlmoModel model = new VlmoModel(ModelFixtures.config("vlmo_a"));
            CheckpointImporter.load(model, m, file, CheckpointImporter.Options.STRICT);
            Map<String, TensorData> back = TorchCheckpoint.read(file);
            boolean rounded = false;
            for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
                float[] got = e.getValue().getArray().toFloatArray();
                assertArrayEquals(back.get(e.getKey()).floats(), got, e.getKey());
                rounded |=
                        dtype != DType.FLOAT64
                                && !java.util.Arrays.equals(sd.get(e.getKey()).floats(), got);
            }
            assertEquals(dtype != DType.FLOAT64, rounded, "half precision rounds the fp32 values");
        }
    }

    @Test
    void longerTextPositionTableIsTruncatedToMaxTextLen() throws IOException {
        Map<String, TensorData> sd = TorchCheckpoint.read(Fixtures.file("vlmo_b.pt"));
        String key = "text_embeddings.position_embeddings.weight";
        try (NDManager m = Engines.newManager(null)) {
            VlmoModel model = new VlmoModel(ModelFixtures.config("vlmo_b").withMaxTextLen(8));
            LoadReport r =
                    CheckpointImporter.load(
                            model,
                            m,
                            Fixtures.file("vlmo_b.pt"),
                            CheckpointImporter.Options.STRICT);
            float[] want = java.util.Arrays.copyOf(sd.get(key).floats(), 8 * 32);
            assertArrayEquals(want, model.namedParameters().get(key).getArray().toFloatArray());
            assertTrue(
                    r.adapted().contains(key + ": first 8 of 12 rows kept"),
                    r.adapted().toString());
            assertTrue(r.ignored().contains("text_embeddings.position_ids"));
        }
    }

    @Test
    void twoTokenTypesGetAThirdRowForNlvr2() throws IOException {
        Map<String, TensorData> sd = TorchCheckpoint.read(Fixtures.file("vlmo_b.pt"));
        float[] two = sd.get("token_type_embeddings.weight").floats();
        assertEquals(2 * 32, two.length);
        try (NDManager m = Engines.newManager(null)) {
            VlmoModel model = new VlmoModel(ModelFixtures.config("vlmo_b"));
            LoadReport r =
                    CheckpointImporter.load(
                            model,
                            m,
                            Fixtures.file("vlmo_b.pt"),
                            CheckpointImporter.Options.STRICT);
            float[] three =
                    model.namedParameters()
                            .get("token_type_embeddings.weight")
                            .getArray()
                            .toFloatArray();
            float[] want = new float[3 * 32];
            System.arraycopy(two, 0, want, 0, 64);
            System.arraycopy(two, 32, want, 64, 32);
            assertArrayEquals(want, three);
            assertTrue(
                    r.adapted().stream().anyMatch(a -> a.contains("row 2")),
                    r.adapted().toString());

            VlmoModel plain = new VlmoModel(ModelFixtures.config("vlmo_b").withNlvr2(false));
            CheckpointImporter.load(
                    plain, m, Fixtures.file("vlmo_b.pt"), CheckpointImporter.Options.LENIENT);
            assertArrayEquals(
                    two,
                    plain.namedParameters()
                            .get("token_type_embeddings.weight")
                            .getArray()
                            .toFloatArray());
        }
    }

    @Test
    void loadedModelStillTrains() throws IOException {
        try (NDManager m = Engines.newManager(null)) {
            VlmoModel model = ModelFixtures.loaded(m, "vlmo_a", 32);
            for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
                assertTrue(
                        e.getValue().getArray().hasGradient(), e.getKey() + " requires gradient");
            }
            Map<String, TensorData> io = TorchCheckpoint.read(Fixtures.file("vlmo_a_io.pt"));
            ParameterStore ps = new ParameterStore(m, false);
            NDArray ids = ModelFixtures.array(m, io.get("text_ids"));
            NDArray masks = ModelFixtures.array(m, io.get("text_masks"));
            NDArray images = ModelFixtures.images(m, io.get("image_pixels"));
            Parameter qkv = model.namedParameters().get("transformer.blocks.0.attn.qkv.weight");
            Parameter table = model.namedParameters().get("relative_position_bias_table");
            Parameter mlmBias = model.namedParameters().get("mlm_score.bias");
            float[] before = qkv.getArray().toFloatArray();
            try (GradientCollector gc = m.getEngine().newGradientCollector()) {
                NDArray pooled = model.encodePair(ps, ids, masks, images, 1, true).pooled();
                NDArray loss = model.itmLogits(ps, pooled, true).square().sum();
                NDArray mlm =
                        model.mlmLogits(
                                ps,
                                model.encodePair(ps, ids, masks, images, 1, true).textFeats(),
                                true);
                gc.backward(loss.add(mlm.square().mean()));
            }
            for (Parameter p : List.of(qkv, table, mlmBias)) {
                float g = p.getArray().getGradient().abs().sum().getFloat();
                assertTrue(g > 0, p.getName() + " has gradient " + g);
            }
            // A plain SGD step changes the loaded weights in place.
            qkv.getArray().subi(qkv.getArray().getGradient().mul(0.1f));
            assertNotEquals(before[0], qkv.getArray().toFloatArray()[0]);
        }
    }

    // ------------------------------------------------------------------ BEiT

    /** A BEiT-style state dict for the fixture configuration a (D 32, H 4, L 3, W gridSide). */
    private static Map<String, TensorData> beit(int gridSide, boolean sharedTable, long seed) {
        Random r = new Random(seed);
        Map<String, TensorData> sd = new LinkedHashMap<>();
        int d = 32;
        int rows = (2 * gridSide - 1) * (2 * gridSide - 1) + 3;
        sd.put("cls_token", rand(r, 1, 1, d));
        sd.put("mask_token", rand(r, 1, 1, d));
        sd.put("patch_embed.proj.weight", rand(r, d, 3, 8, 8));
        sd.put("patch_embed.proj.bias", rand(r, d));
        if (sharedTable) {
            sd.put("rel_pos_bias.relative_position_bias_table", rand(r, rows, 4));
        }
        for (int i = 0; i < 3; i++) {
            String b = "blocks." + i + ".";
            sd.put(b + "gamma_1", rand(r, d));
            sd.put(b + "gamma_2", rand(r, d));
            sd.put(b + "norm1.weight", rand(r, d));
            sd.put(b + "norm1.bias", rand(r, d));
            sd.put(b + "attn.q_bias", rand(r, d));
            sd.put(b + "attn.v_bias", rand(r, d));
            if (!sharedTable) {
                sd.put(b + "attn.relative_position_bias_table", rand(r, rows, 4));
                int n = gridSide * gridSide + 1;
                sd.put(
                        b + "attn.relative_position_index",
                        TensorData.ofLongs(DType.INT64, new long[] {n, n}, new long[n * n]));
            }
            sd.put(b + "attn.qkv.weight", rand(r, 3 * d, d));
            sd.put(b + "attn.proj.weight", rand(r, d, d));
            sd.put(b + "attn.proj.bias", rand(r, d));
            sd.put(b + "norm2.weight", rand(r, d));
            sd.put(b + "norm2.bias", rand(r, d));
            sd.put(b + "mlp.fc1.weight", rand(r, 4 * d, d));
            sd.put(b + "mlp.fc1.bias", rand(r, 4 * d));
            sd.put(b + "mlp.fc2.weight", rand(r, d, 4 * d));
            sd.put(b + "mlp.fc2.bias", rand(r, d));
        }
        sd.put("norm.weight", rand(r, d));
        sd.put("norm.bias", rand(r, d));
        sd.put("lm_head.weight", rand(r, 10, d));
        sd.put("lm_head.bias", rand(r, 10));
        return sd;
    }

    @Test
    void beitCheckpointFillsTheVisionExpertAndTheTablesImageRows() throws IOException {
        Map<String, TensorData> sd = beit(4, false, 5);
        Path file = tmp.resolve("beit.pt");
        TorchCheckpoint.write(file, sd);
        try (NDManager m = Engines.newManager(null)) {
            VlmoModel model = new VlmoModel(ModelFixtures.config("vlmo_a")).initialize(m);
            Map<String, float[]> before = ModelFixtures.snapshot(model);
            LoadReport r = CheckpointImporter.load(model, m, file, CheckpointImporter.Options.BEIT);
            Map<String, float[]> after = ModelFixtures.snapshot(model);

            assertArrayEquals(
                    sd.get("blocks.1.mlp.fc1.weight").floats(),
                    after.get("transformer.blocks.1.mlp_imag.fc1.weight"));
            assertArrayEquals(
                    sd.get("blocks.2.norm2.bias").floats(),
                    after.get("transformer.blocks.2.norm2_imag.bias"));
            assertArrayEquals(
                    sd.get("blocks.0.attn.qkv.weight").floats(),
                    after.get("transformer.blocks.0.attn.qkv.weight"));
            assertArrayEquals(sd.get("cls_token").floats(), after.get("transformer.cls_token"));
            assertArrayEquals(sd.get("norm.weight").floats(), after.get("transformer.norm.weight"));
            assertArrayEquals(
                    before.get("transformer.blocks.1.mlp_text.fc1.weight"),
                    after.get("transformer.blocks.1.mlp_text.fc1.weight"));

            float[] table = after.get("relative_position_bias_table");
            float[] old = before.get("relative_position_bias_table");
            int cols = 12;
            int imageRows = 52;
            for (int layer = 0; layer < 3; layer++) {
                float[] t =
                        sd.get("blocks." + layer + ".attn.relative_position_bias_table").floats();
                for (int row = 0; row < imageRows; row++) {
                    for (int h = 0; h < 4; h++) {
                        assertEquals(t[row * 4 + h], table[row * cols + layer * 4 + h], 0f);
                    }
                }
            }
            for (int i = imageRows * cols; i < table.length; i++) {
                assertEquals(old[i], table[i], 0f, "text rows kept");
            }

            assertTrue(r.loaded().contains("relative_position_bias_table"));
            assertTrue(r.missing().contains("text_embeddings.word_embeddings.weight"));
            assertTrue(r.missing().contains("transformer.blocks.1.mlp_vl.fc1.weight"));
            assertEquals(
                    List.of(
                            "transformer.mask_token",
                            "transformer.lm_head.weight",
                            "transformer.lm_head.bias"),
                    r.unexpected());
            assertEquals(3, r.ignored().size());
            assertTrue(r.ignored().contains("transformer.blocks.0.attn.relative_position_index"));
            // 15 per block, plus cls_token, patch_embed (2), norm (2) and the table
            assertEquals(3 * 15 + 6, r.loaded().size());
        }
    }

    @Test
    void beitSharedTableOfAnotherResolutionIsInterpolatedIntoEveryLayer() throws IOException {
        Map<String, TensorData> sd = beit(3, true, 6);
        float[] shared = sd.get("rel_pos_bias.relative_position_bias_table").floats();
        try (NDManager m = Engines.newManager(null)) {
            VlmoModel model = new VlmoModel(ModelFixtures.config("vlmo_a")).initialize(m);
            LoadReport r =
                    CheckpointImporter.load(
                            model, m, sd, "beit_shared", CheckpointImporter.Options.BEIT);
            float[] table =
                    model.namedParameters()
                            .get("relative_position_bias_table")
                            .getArray()
                            .toFloatArray();
            int cols = 12;
            // Source grid 5x5 (rows 0..24), destination 7x7 (rows 0..48): distance 0 is a knot.
            for (int layer = 0; layer < 3; layer++) {
                for (int h = 0; h < 4; h++) {
                    assertEquals(shared[12 * 4 + h], table[24 * cols + layer * 4 + h], 1e-6f);
                    for (int k = 0; k < 3; k++) {
                        assertEquals(
                                shared[(25 + k) * 4 + h],
                                table[(49 + k) * cols + layer * 4 + h],
                                0f,
                                "image [CLS] rows kept");
                    }
                }
            }
            assertTrue(
                    r.adapted().stream()
                            .anyMatch(a -> a.contains("interpolated to the model's image grid")),
                    r.adapted().toString());
        }
    }

    private static TensorData rand(Random r, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian() * 0.2f;
        }
        return TensorData.ofFloats(shape, v);
    }
}
