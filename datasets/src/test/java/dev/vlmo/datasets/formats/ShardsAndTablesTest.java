package dev.vlmo.datasets.formats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlmo.datasets.BadInputs;
import dev.vlmo.datasets.DataException;
import dev.vlmo.datasets.Dataset;
import dev.vlmo.datasets.ImageText;
import dev.vlmo.datasets.StreamingDataset;
import dev.vlmo.datasets.batch.Batch;
import dev.vlmo.datasets.batch.Collators;
import dev.vlmo.datasets.batch.PrefetchLoader;
import dev.vlmo.datasets.batch.TextEncoder;
import dev.vlmo.datasets.image.Transforms;
import dev.vlmo.datasets.synthetic.SyntheticWorld;
import dev.vlmo.datasets.text.WordPieceTokenizer;
import java.awt.Color;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.impl.UnionListWriter;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.util.Text;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardsAndTablesTest {
    @TempDir Path dir;

    private static final Color[] COLOURS = {Color.RED, Color.GREEN, Color.BLUE, Color.YELLOW};

    /** Writes shard {@code s} with {@code n} samples keyed {@code s * 100 + i}. */
    private Path shard(int s, int n) throws Exception {
        Path p = dir.resolve(String.format("%05d.tar", s));
        try (OutputStream out = Files.newOutputStream(p);
                TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            for (int i = 0; i < n; i++) {
                String key = String.format("%09d", s * 100 + i);
                put(tar, key + ".jpg", Fixtures.image("jpg", 16, 12, COLOURS[i % 4]));
                put(tar, key + ".txt", ("caption " + key).getBytes(StandardCharsets.UTF_8));
                put(
                        tar,
                        key + ".json",
                        ("{\"key\": \"" + key + "\"}").getBytes(StandardCharsets.UTF_8));
            }
            if (s == 1) {
                put(tar, "orphan.json", "{}".getBytes(StandardCharsets.UTF_8));
            }
        }
        return p;
    }

    private static void put(TarArchiveOutputStream tar, String name, byte[] data) throws Exception {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(data.length);
        tar.putArchiveEntry(e);
        tar.write(data);
        tar.closeArchiveEntry();
    }

    private static List<String> read(StreamingDataset<ImageText> ds, long seed) {
        List<String> out = new ArrayList<>();
        try (var it = ds.open(seed)) {
            it.forEachRemaining(s -> out.add(s.text()));
        }
        return out;
    }

    @Test
    void webDatasetStreamsShardsWithShuffleBufferAndWorkers() throws Exception {
        for (int s = 0; s < 4; s++) {
            shard(s, 5);
        }
        String pattern = dir + "/{00000..00003}.tar";
        WebDataset plain = WebDataset.of(pattern);
        List<String> inOrder = read(plain, 0);
        assertEquals(20, inOrder.size());
        assertEquals("caption 000000000", inOrder.get(0));
        assertEquals("caption 000000304", inOrder.get(19));
        assertEquals(1, plain.badInputs().counts().get("incomplete sample"));
        assertTrue(plain.badInputs().summary().contains("orphan"), plain.badInputs().summary());

        WebDataset shuffled = WebDataset.of(pattern).withShuffleBuffer(8);
        List<String> a = read(shuffled, 1);
        assertEquals(a, read(shuffled, 1), "same seed, same order");
        assertNotEquals(a, read(shuffled, 2));
        assertNotEquals(inOrder, a);
        assertEquals(inOrder.stream().sorted().toList(), a.stream().sorted().toList());

        List<String> w0 = read(WebDataset.of(pattern).withWorker(0, 2), 0);
        List<String> w1 = read(WebDataset.of(pattern).withWorker(1, 2), 0);
        assertEquals(10, w0.size());
        assertTrue(
                w0.stream()
                        .allMatch(
                                t ->
                                        t.startsWith("caption 0000000")
                                                || t.startsWith("caption 0000002")));
        List<String> both = new ArrayList<>(w0);
        both.addAll(w1);
        assertEquals(inOrder.stream().sorted().toList(), both.stream().sorted().toList());
        assertThrows(IllegalArgumentException.class, () -> WebDataset.of(pattern).withWorker(0, 5));
    }

    @Test
    void truncatedShardsAreReportedAndReadingGoesOn() throws Exception {
        Path s0 = shard(0, 6);
        shard(1, 3);
        byte[] bytes = Files.readAllBytes(s0);
        Files.write(s0, Arrays.copyOf(bytes, bytes.length / 2));
        WebDataset ds = WebDataset.of(dir + "/{00000..00001}.tar");
        List<String> got = read(ds, 0);
        assertTrue(got.size() >= 3 + 1 && got.size() < 9, "read " + got);
        assertTrue(got.containsAll(List.of("caption 000000100", "caption 000000102")));
        assertEquals(1, ds.badInputs().counts().get("truncated shard"));
        assertTrue(ds.badInputs().summary().contains("00000.tar"));
        WebDataset strict =
                WebDataset.of(dir + "/{00000..00001}.tar").withBadInputs(BadInputs.strict());
        assertThrows(DataException.class, () -> read(strict, 0));
    }

    @Test
    void webDatasetFeedsTheLoader() throws Exception {
        for (int s = 0; s < 2; s++) {
            shard(s, 5);
        }
        WordPieceTokenizer tok = new WordPieceTokenizer(SyntheticWorld.lexiconVocabulary());
        try (PrefetchLoader<ImageText> loader =
                PrefetchLoader.builder(
                                WebDataset.of(dir + "/{00000..00001}.tar").withShuffleBuffer(4),
                                Collators.imageText(new TextEncoder(tok, 16), Transforms.eval(8)))
                        .batchSize(4)
                        .build()) {
            List<Batch> batches = new ArrayList<>();
            try (var e = loader.epoch(0)) {
                e.forEachRemaining(batches::add);
            }
            assertEquals(List.of(4, 4, 2), batches.stream().map(Batch::size).toList());
            assertEquals(-1, loader.batchesPerEpoch());
        }
    }

    @Test
    void arrowCaptionTablesAreReadLazilyAcrossRecordBatches() throws Exception {
        Path file = dir.resolve("coco_caption_karpathy_test.arrow");
        try (BufferAllocator alloc = new RootAllocator()) {
            VarBinaryVector image = new VarBinaryVector("image", alloc);
            ListVector caption = ListVector.empty("caption", alloc);
            caption.addOrGetVector(
                    org.apache.arrow.vector.types.pojo.FieldType.nullable(
                            org.apache.arrow.vector.types.pojo.ArrowType.Utf8.INSTANCE));
            VarCharVector imageId = new VarCharVector("image_id", alloc);
            VarCharVector split = new VarCharVector("split", alloc);
            try (VectorSchemaRoot root =
                            new VectorSchemaRoot(
                                    List.of(
                                            image.getField(),
                                            caption.getField(),
                                            imageId.getField(),
                                            split.getField()),
                                    List.of(image, caption, imageId, split));
                    OutputStream out = Files.newOutputStream(file);
                    ArrowFileWriter writer =
                            new ArrowFileWriter(
                                    root, null, java.nio.channels.Channels.newChannel(out))) {
                writer.start();
                int row = 0;
                for (int batch = 0; batch < 3; batch++) {
                    root.allocateNew();
                    UnionListWriter w = caption.getWriter();
                    for (int r = 0; r < 2; r++, row++) {
                        image.setSafe(r, Fixtures.image("png", 6, 6, COLOURS[row % 4]));
                        w.setPosition(r);
                        w.startList();
                        for (int c = 0; c <= row % 2; c++) {
                            w.writeVarChar(new Text("row " + row + " caption " + c));
                        }
                        w.endList();
                        imageId.setSafe(r, new Text(row + ".jpg"));
                        split.setSafe(r, new Text("test"));
                    }
                    w.setValueCount(2);
                    root.setRowCount(2);
                    writer.writeBatch();
                }
                writer.end();
            }
        }
        try (ArrowTable table = ArrowTable.open(file)) {
            assertEquals(6, table.rows());
            assertEquals(3, table.recordBatches());
            Dataset<ImageText> caps = table.captions();
            assertEquals(9, caps.size(), "rows 0..5 have 1, 2, 1, 2, 1, 2 captions");
            assertEquals("row 5 caption 1", caps.get(8).text());
            assertEquals(5, caps.get(8).imageId());
            assertEquals("row 0 caption 0", caps.get(0).text());
            assertEquals(0, caps.get(8).image().load().get(2, 2, 0), "row 5 is green");
            assertEquals(255, caps.get(8).image().load().get(2, 2, 1));
            assertEquals("3.jpg", table.get(3, "image_id"));
            assertEquals(9, table.texts().size());
            DataException e = assertThrows(DataException.class, () -> table.get(0, "questions"));
            assertTrue(e.getMessage().contains("no column 'questions'"), e.getMessage());
        }
        Path junk = Files.writeString(dir.resolve("junk.arrow"), "not arrow");
        assertThrows(DataException.class, () -> ArrowTable.open(junk));
    }
}
