package dev.vlmo.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TorchCheckpointErrorTest {

    @TempDir Path tmp;

    /** Reads a bad file and checks that the message names the file and every given fragment. */
    private static CheckpointFormatException fails(Path file, String... fragments) {
        CheckpointFormatException e =
                assertThrows(CheckpointFormatException.class, () -> TorchCheckpoint.read(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertEquals(file, e.file());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "expected '" + f + "' in: " + e.getMessage());
        }
        return e;
    }

    @Test
    void textFileIsNotACheckpoint() {
        fails(Fixtures.file("bad_not_zip.pt"), "not a PyTorch checkpoint", "not a zip archive");
    }

    @Test
    void emptyFileIsNotACheckpoint() throws IOException {
        Path empty = Files.createFile(tmp.resolve("empty.pt"));
        fails(empty, "file is empty");
    }

    @Test
    void missingFileNamesThePath() {
        Path missing = tmp.resolve("nowhere.pt");
        NoSuchFileException e =
                assertThrows(NoSuchFileException.class, () -> TorchCheckpoint.read(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @Test
    void zipWithoutDataPklIsNotACheckpoint() {
        fails(Fixtures.file("bad_no_data_pkl.pt"), "no data.pkl record", "archive/readme.txt");
    }

    @Test
    void legacyFormatIsNamed() {
        fails(Fixtures.file("bad_legacy.pt"), "legacy (pre-1.6) torch.save format");
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.02, 0.3, 0.5, 0.9, 0.999})
    void truncatedFileIsReported(double fraction) throws IOException {
        byte[] good = Files.readAllBytes(Fixtures.file("reader_fp32.pt"));
        Path cut = tmp.resolve("cut.pt");
        Files.write(cut, Arrays.copyOf(good, (int) (good.length * fraction)));
        fails(cut, "truncated or corrupt zip archive");
    }

    @Test
    void corruptPickleIsReported() {
        fails(Fixtures.file("bad_corrupt_pickle.pt"), "data.pkl cannot be unpickled");
    }

    @Test
    void corruptStorageBytesFailTheCrcCheck() {
        fails(Fixtures.file("bad_crc.pt"), "record bad_source/data/0 is corrupt (CRC");
    }

    @Test
    void storageRecordShorterThanDeclared() {
        fails(
                Fixtures.file("bad_short_storage.pt"),
                "storage record data/0 of key 'w'",
                "shape [4, 4]",
                "holds 32 bytes",
                "declares 16 elements (64 bytes)");
    }

    @Test
    void viewNeedingMoreThanTheStorageHolds() {
        fails(
                Fixtures.file("bad_view_out_of_bounds.pt"),
                "key 'w'",
                "shape [4, 4], strides [4, 1], offset 0",
                "needs 16 elements of storage data/0, which has only 8");
    }

    @Test
    void missingStorageRecord() {
        fails(
                Fixtures.file("bad_missing_record.pt"),
                "storage record data/1 of key 'b' is missing");
    }

    @Test
    void unsupportedDtypeNamesKeyAndType() {
        fails(
                Fixtures.file("bad_unsupported_dtype.pt"),
                "key 'complex.weight'",
                "shape [2, 2]",
                "torch.ComplexFloatStorage, which is not supported");
    }

    @Test
    void topLevelListIsNotAStateDict() {
        fails(Fixtures.file("bad_not_state_dict.pt"), "holds a list, not a dict of tensors");
    }

    @Test
    void nonTensorValueNamesTheKey() {
        fails(Fixtures.file("bad_non_tensor_value.pt"), "key 'step' holds a int (7), not a tensor");
    }
}
