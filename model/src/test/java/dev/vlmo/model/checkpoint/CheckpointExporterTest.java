package dev.vlmo.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import dev.vlmo.model.Engines;
import dev.vlmo.model.ImageEncoding;
import dev.vlmo.model.PairEncoding;
import dev.vlmo.model.TextEncoding;
import dev.vlmo.model.VlmoModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CheckpointExporterTest {

    @TempDir Path tmp;

    /** Moves every weight a little, as training would, so the file differs from the fixture. */
    private static void perturb(NDManager m, VlmoModel model) {
        m.getEngine().setRandomSeed(11);
        for (Parameter p : model.namedParameters().values()) {
            NDArray a = p.getArray();
            a.addi(m.randomNormal(0f, 0.01f, a.getShape(), a.getDataType()));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"vlmo_a", "vlmo_b"})
    void javaToFileToJavaIsBitExact(String fixture) throws IOException {
        try (NDManager m = Engines.newManager(null)) {
            VlmoModel model = ModelFixtures.loaded(m, fixture, 32);
            perturb(m, model);
            Map<String, float[]> before = ModelFixtures.snapshot(model);
            Path file = tmp.resolve(fixture + "_java.pt");
            CheckpointExporter.write(model, file);

            VlmoModel back = new VlmoModel(model.config());
            LoadReport r =
                    CheckpointImporter.load(back, m, file, CheckpointImporter.Options.STRICT);
            assertTrue(r.complete());
            assertEquals(List.copyOf(model.namedParameters().keySet()), r.loaded());
            // assertArrayEquals on float[] compares bit patterns.
            ModelFixtures.assertUnchanged(before, back);
        }
    }

    @Test
    void exportOfALoadedFixtureEqualsTheFixtureFile() throws IOException {
        Map<String, TensorData> original = TorchCheckpoint.read(Fixtures.file("vlmo_a.pt"));
        try (NDManager m = Engines.newManager(null)) {
            VlmoModel model = ModelFixtures.loaded(m, "vlmo_a", 32);
            Map<String, TensorData> exported = CheckpointExporter.stateDict(model);
            assertEquals(new ArrayList<>(original.keySet()), new ArrayList<>(exported.keySet()));
            for (Map.Entry<String, TensorData> e : original.entrySet()) {
                assertEquals(e.getValue(), exported.get(e.getKey()), e.getKey());
            }
        }
        // vlmo_b has no relative positions and two token types (a model without the NLVR2 head).
        Map<String, TensorData> b =
                new java.util.LinkedHashMap<>(TorchCheckpoint.read(Fixtures.file("vlmo_b.pt")));
        try (NDManager m = Engines.newManager(null)) {
            VlmoModel model = new VlmoModel(ModelFixtures.config("vlmo_b").withNlvr2(false));
            CheckpointImporter.load(
                    model, m, Fixtures.file("vlmo_b.pt"), CheckpointImporter.Options.LENIENT);
            Map<String, TensorData> exported = CheckpointExporter.stateDict(model);
            b.keySet().removeIf(k -> k.startsWith("nlvr2_classifier."));
            assertEquals(new ArrayList<>(b.keySet()), new ArrayList<>(exported.keySet()));
            for (Map.Entry<String, TensorData> e : b.entrySet()) {
                assertEquals(e.getValue(), exported.get(e.getKey()), e.getKey());
            }
        }
    }

    @Test
    void anExportedFileIsReadableAsAnyNewFileAndAMissingFolderIsNamed() throws IOException {
        Path file = tmp.resolve("perm.pt");
        Path missing = tmp.resolve("no/such/dir/x.pt");
        try (NDManager m = Engines.newManager(null)) {
            VlmoModel model = ModelFixtures.loaded(m, "vlmo_a", 32);
            CheckpointExporter.write(model, file);
            java.nio.file.NoSuchFileException e =
                    assertThrows(
                            java.nio.file.NoSuchFileException.class,
                            () -> CheckpointExporter.write(model, missing));
            assertTrue(e.getMessage().contains(missing.getParent().toString()), e.getMessage());
        }
        // the same permissions as a file this process creates, not a temporary file's 0600
        Path plain = java.nio.file.Files.writeString(tmp.resolve("plain.txt"), "x");
        assertEquals(
                java.nio.file.Files.getPosixFilePermissions(plain),
                java.nio.file.Files.getPosixFilePermissions(file));
        try (var left = java.nio.file.Files.list(tmp)) {
            assertTrue(left.noneMatch(p -> p.toString().endsWith(".tmp")), "no temporary left");
        }
    }

    @Test
    void uninitialisedModelCannotBeExported() throws IOException {
        VlmoModel model = new VlmoModel(ModelFixtures.config("vlmo_a"));
        IllegalStateException e =
                assertThrows(
                        IllegalStateException.class, () -> CheckpointExporter.stateDict(model));
        assertTrue(e.getMessage().contains("no weights yet"), e.getMessage());
    }

    @Test
    void exportedFixtureModelPassesTheReferenceCheck() throws IOException {
        assumeTrue(Fixtures.pythonTorchAvailable(), "needs /usr/bin/python3 with torch");
        Path file = tmp.resolve("vlmo_a_java.pt");
        try (NDManager m = Engines.newManager(null)) {
            CheckpointExporter.write(ModelFixtures.loaded(m, "vlmo_a", 32), file);
        }
        Fixtures.Result r =
                Fixtures.python(
                        300,
                        "tests/reference/check_checkpoint.py",
                        file.toString(),
                        Fixtures.file("vlmo_a.pt").toString(),
                        "--model",
                        Fixtures.file("vlmo_a.json").toString());
        assertEquals(0, r.exitCode, r.output);
        assertTrue(r.output.contains("identical 119 tensors, model outputs match"), r.output);
    }

    /**
     * A model changed in Java (not a copy of a fixture) goes to PyTorch: the file loads strictly
     * into the reference model, whose outputs equal the Java model's.
     */
    @ParameterizedTest
    @ValueSource(strings = {"vlmo_a", "vlmo_b"})
    void javaTrainedWeightsGiveTheSameOutputsInTheReference(String fixture) throws IOException {
        assumeTrue(Fixtures.pythonTorchAvailable(), "needs /usr/bin/python3 with torch");
        Path file = tmp.resolve(fixture + "_perturbed.pt");
        Path outputs = tmp.resolve(fixture + "_outputs.pt");
        Map<String, TensorData> io = TorchCheckpoint.read(Fixtures.file(fixture + "_io.pt"));
        try (NDManager m = Engines.newManager(null)) {
            VlmoModel model = ModelFixtures.loaded(m, fixture, 32);
            perturb(m, model);
            CheckpointExporter.write(model, file);
            Fixtures.Result r =
                    Fixtures.python(
                            300,
                            "-c",
                            String.join(
                                    "\n",
                                    "import json, sys, torch",
                                    "sys.path.insert(0, 'tests/reference')",
                                    "import vlmo_reference as ref, make_fixtures as mf",
                                    "torch.set_num_threads(1)",
                                    "doc = json.load(open(sys.argv[1]))",
                                    "cfg = ref.VlmoConfig(**doc['config'])",
                                    "cfg.token_types = 3",
                                    "model = ref.Vlmo(cfg).eval()",
                                    "model.load_state_dict(torch.load(sys.argv[2]), strict=True)",
                                    "io = torch.load(sys.argv[3])",
                                    "out = mf.expected_outputs(model, io['text_ids'],"
                                            + " io['text_masks'], io['image_pixels'],"
                                            + " io['image_pixels_1'], full=False)",
                                    "torch.save(out, sys.argv[4])"),
                            Fixtures.file(fixture + ".json").toString(),
                            file.toString(),
                            Fixtures.file(fixture + "_io.pt").toString(),
                            outputs.toString());
            assertEquals(0, r.exitCode, r.output);
            Map<String, TensorData> ref = TorchCheckpoint.read(outputs);

            ParameterStore ps = new ParameterStore(m, false);
            NDArray ids = ModelFixtures.array(m, io.get("text_ids"));
            NDArray masks = ModelFixtures.array(m, io.get("text_masks"));
            NDArray images = ModelFixtures.images(m, io.get("image_pixels"));
            NDArray images1 = ModelFixtures.images(m, io.get("image_pixels_1"));
            ImageEncoding img = model.encodeImage(ps, images, true, false);
            TextEncoding txt = model.encodeText(ps, ids, masks, true, false);
            PairEncoding pair = model.encodePair(ps, ids, masks, images, 1, false);
            NDArray p2 = model.encodePair(ps, ids, masks, images1, 2, false).pooled();
            assertClose("image_itc", img.itc(), ref);
            assertClose("image_itc_vl", img.vlItc(), ref);
            assertClose("text_itc", txt.itc(), ref);
            assertClose("text_itc_vl", txt.vlItc(), ref);
            assertClose("itm_logits", model.itmLogits(ps, pair.pooled(), false), ref);
            assertClose("mlm_logits", model.mlmLogits(ps, pair.textFeats(), false), ref);
            assertClose("vqa_logits", model.vqaLogits(ps, pair.pooled(), false), ref);
            assertClose("nlvr2_logits", model.nlvr2Logits(ps, pair.pooled(), p2, false), ref);
            assertClose(
                    "token_type_embeddings",
                    model.namedParameters().get("token_type_embeddings.weight").getArray(),
                    ref);
        }
    }

    private static void assertClose(String key, NDArray actual, Map<String, TensorData> ref) {
        float d = ModelFixtures.maxAbsDiff(actual, ref.get(key));
        assertTrue(d <= 1e-4f, key + " differs by " + d);
    }

    @Test
    void bufferDtypesAndShapesFollowTheReference() throws IOException {
        try (NDManager m = Engines.newManager(null)) {
            VlmoModel model = new VlmoModel(ModelFixtures.config("vlmo_a")).initialize(m);
            Map<String, TensorData> sd = CheckpointExporter.stateDict(model);
            assertEquals(DType.INT64, sd.get("relative_position_index").dtype());
            assertArrayEquals(new long[] {17, 17}, sd.get("relative_position_index").shape());
            assertEquals(DType.INT64, sd.get("text_relative_position_index").dtype());
            assertEquals(DType.FLOAT32, sd.get("text_imag_relative_position_index").dtype());
            assertArrayEquals(
                    new long[] {29, 29}, sd.get("text_imag_relative_position_index").shape());
            assertArrayEquals(
                    new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11},
                    sd.get("text_embeddings.position_ids").longs());
            assertArrayEquals(new long[0], sd.get("logit_scale").shape());
        }
    }
}
