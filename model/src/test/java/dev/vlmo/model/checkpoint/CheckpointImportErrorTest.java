package dev.vlmo.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.vlmo.model.Engines;
import dev.vlmo.model.VlmoConfig;
import dev.vlmo.model.VlmoModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every bad input gives an error naming the file, the key and the shapes, and leaves the model's
 * parameters exactly as they were.
 */
class CheckpointImportErrorTest {

    @TempDir Path tmp;

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = Engines.newManager(null);
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** A model of configuration a holding the fixture's weights. */
    private VlmoModel loadedModel(VlmoConfig config) throws IOException {
        VlmoModel model = new VlmoModel(config);
        CheckpointImporter.load(
                model, manager, Fixtures.file("vlmo_a.pt"), CheckpointImporter.Options.LENIENT);
        return model;
    }

    /** A model with its own random weights (for configurations the fixture does not fit). */
    private VlmoModel initialisedModel(VlmoConfig config) {
        return new VlmoModel(config).initialize(manager);
    }

    /** Loads the file into the model, expects the exception, checks message and weights. */
    private <E extends IOException> E fails(
            Class<E> type,
            VlmoModel model,
            Path file,
            CheckpointImporter.Options options,
            String... fragments) {
        Map<String, float[]> before = ModelFixtures.snapshot(model);
        E e = assertThrows(type, () -> CheckpointImporter.load(model, manager, file, options));
        assertTrue(e.getMessage().contains(file.toString()), "file not named: " + e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "expected '" + f + "' in: " + e.getMessage());
        }
        ModelFixtures.assertUnchanged(before, model);
        return e;
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "bad_not_zip.pt|not a PyTorch checkpoint",
                "bad_no_data_pkl.pt|no data.pkl record",
                "bad_legacy.pt|legacy (pre-1.6) torch.save format",
                "bad_corrupt_pickle.pt|data.pkl cannot be unpickled",
                "bad_crc.pt|is corrupt (CRC",
                "bad_short_storage.pt|shape [4, 4]",
                "bad_view_out_of_bounds.pt|shape [4, 4], strides [4, 1]",
                "bad_missing_record.pt|storage record data/1 of key 'b' is missing",
                "bad_unsupported_dtype.pt|key 'complex.weight'",
                "bad_not_state_dict.pt|holds a list, not a dict of tensors",
                "bad_non_tensor_value.pt|key 'step' holds a int (7), not a tensor"
            })
    void unreadableFilesAreReportedAndChangeNothing(String name, String fragment)
            throws IOException {
        VlmoModel model = loadedModel(ModelFixtures.config("vlmo_a"));
        fails(
                CheckpointFormatException.class,
                model,
                Fixtures.file(name),
                CheckpointImporter.Options.LENIENT,
                fragment);
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.01, 0.5, 0.999})
    void truncatedCheckpointIsReported(double fraction) throws IOException {
        byte[] good = Files.readAllBytes(Fixtures.file("vlmo_a.pt"));
        Path cut = tmp.resolve("vlmo_a_cut.pt");
        Files.write(cut, Arrays.copyOf(good, (int) (good.length * fraction)));
        VlmoModel model = loadedModel(ModelFixtures.config("vlmo_a"));
        fails(
                CheckpointFormatException.class,
                model,
                cut,
                CheckpointImporter.Options.STRICT,
                "truncated or corrupt zip archive");
    }

    @Test
    void bertCheckpointIsAnotherArchitecture() throws IOException {
        Map<String, TensorData> bert = new LinkedHashMap<>();
        bert.put("bert.embeddings.word_embeddings.weight", zeros(100, 32));
        bert.put("bert.embeddings.position_embeddings.weight", zeros(12, 32));
        bert.put("bert.encoder.layer.0.attention.self.query.weight", zeros(32, 32));
        bert.put("cls.predictions.bias", zeros(100));
        Path file = tmp.resolve("bert.pt");
        TorchCheckpoint.write(file, bert);
        VlmoModel model = loadedModel(ModelFixtures.config("vlmo_a"));
        CheckpointMismatchException e =
                fails(
                        CheckpointMismatchException.class,
                        model,
                        file,
                        CheckpointImporter.Options.LENIENT,
                        "none of its 4 keys is a parameter of this VLMo model",
                        "bert.embeddings.word_embeddings.weight",
                        "another architecture");
        assertTrue(e.unexpected().contains("cls.predictions.bias"));
    }

    @Test
    void beitCheckpointWithoutTheBeitOptionGetsAHint() throws IOException {
        Map<String, TensorData> beit = new LinkedHashMap<>();
        beit.put("cls_token", zeros(1, 1, 32));
        beit.put("blocks.0.mlp.fc1.weight", zeros(128, 32));
        Path file = tmp.resolve("beit.pt");
        TorchCheckpoint.write(file, beit);
        VlmoModel model = loadedModel(ModelFixtures.config("vlmo_a"));
        fails(
                CheckpointMismatchException.class,
                model,
                file,
                CheckpointImporter.Options.LENIENT,
                "look like BEiT's",
                "Options.BEIT");
    }

    @Test
    void shapeMismatchNamesKeyAndBothShapes() throws IOException {
        VlmoModel model = initialisedModel(ModelFixtures.config("vlmo_a").withVocabSize(120));
        fails(
                CheckpointMismatchException.class,
                model,
                Fixtures.file("vlmo_a.pt"),
                CheckpointImporter.Options.LENIENT,
                "key 'text_embeddings.word_embeddings.weight'",
                "[100, 32] in the checkpoint but [120, 32] in the model",
                "withVocabSize(100)");
    }

    @Test
    void thirdTokenTypeNeedsTheNlvr2Model() throws IOException {
        VlmoModel model = initialisedModel(ModelFixtures.config("vlmo_a").withNlvr2(false));
        fails(
                CheckpointMismatchException.class,
                model,
                Fixtures.file("vlmo_a.pt"),
                CheckpointImporter.Options.LENIENT,
                "key 'token_type_embeddings.weight'",
                "[3, 32] in the checkpoint but [2, 32] in the model",
                "withNlvr2(true)");
    }

    @Test
    void relativeTableOfAnotherTextLayoutIsRejected() throws IOException {
        VlmoModel model =
                initialisedModel(ModelFixtures.config("vlmo_a").withMaxTextLenOfInitCkpt(20));
        fails(
                CheckpointMismatchException.class,
                model,
                Fixtures.file("vlmo_a.pt"),
                CheckpointImporter.Options.LENIENT,
                "key 'relative_position_bias_table'",
                "[86, 12] in the checkpoint but [94, 12] in the model",
                "maxTextLenOfInitCkpt");
    }

    @Test
    void mismatchInTheLastKeyLeavesEarlierKeysUnwritten() throws IOException {
        Map<String, TensorData> sd =
                new LinkedHashMap<>(TorchCheckpoint.read(Fixtures.file("vlmo_a.pt")));
        List<String> keys = List.copyOf(sd.keySet());
        String last = keys.get(keys.size() - 1);
        sd.put(last, zeros(5));
        Path file = tmp.resolve("last_key_wrong.pt");
        TorchCheckpoint.write(file, sd);
        // A model with other weights than the file, so that any partial write would show.
        VlmoModel model = initialisedModel(ModelFixtures.config("vlmo_a"));
        fails(
                CheckpointMismatchException.class,
                model,
                file,
                CheckpointImporter.Options.STRICT,
                "key '" + last + "'",
                "[5] in the checkpoint but [2] in the model");
    }

    @Test
    void integerTensorForAParameterIsRejected() throws IOException {
        Map<String, TensorData> sd =
                new LinkedHashMap<>(TorchCheckpoint.read(Fixtures.file("vlmo_a.pt")));
        sd.put("logit_scale", TensorData.ofLongs(DType.INT64, new long[0], new long[] {3}));
        Path file = tmp.resolve("int_param.pt");
        TorchCheckpoint.write(file, sd);
        VlmoModel model = loadedModel(ModelFixtures.config("vlmo_a"));
        fails(
                CheckpointMismatchException.class,
                model,
                file,
                CheckpointImporter.Options.STRICT,
                "key 'logit_scale' holds int64 []",
                "floating");
    }

    @Test
    void failedLoadLeavesAnUninitialisedModelUninitialised() throws IOException {
        VlmoModel model = new VlmoModel(ModelFixtures.config("vlmo_a").withVocabSize(120));
        Path file = Fixtures.file("vlmo_a.pt");
        CheckpointMismatchException e =
                assertThrows(
                        CheckpointMismatchException.class,
                        () ->
                                CheckpointImporter.load(
                                        model, manager, file, CheckpointImporter.Options.STRICT));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertFalse(model.isInitialized());
    }

    private static TensorData zeros(long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        return TensorData.ofFloats(shape, new float[(int) n]);
    }
}
