package dev.vlmo.dsl.engine;

import static dev.vlmo.dsl.Dsl.coco;
import static dev.vlmo.dsl.Dsl.imageFolder;
import static dev.vlmo.dsl.Dsl.text;
import static dev.vlmo.dsl.Dsl.textLines;
import static dev.vlmo.dsl.Dsl.vision;
import static dev.vlmo.dsl.Dsl.visionLanguage;
import static dev.vlmo.dsl.Dsl.webDataset;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlmo.datasets.batch.Batch;
import dev.vlmo.dsl.Fixtures;
import dev.vlmo.dsl.Plan;
import dev.vlmo.dsl.Run;
import dev.vlmo.dsl.Stage;
import dev.vlmo.dsl.Vlmo;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

/**
 * Stages train on the real formats: text lines, image folders, Karpathy JSON, WebDataset shards.
 */
class RealDataTest {

    private static final String[] COLOURS = {"red", "green", "blue", "yellow", "purple", "orange"};
    private static final Color[] RGB = {
        Color.RED, Color.GREEN, Color.BLUE, Color.YELLOW, Color.MAGENTA, Color.ORANGE
    };
    private static final String[] SHAPES = {"square", "circle"};

    // ------------------------------------------------------------------ fixtures

    private static BufferedImage picture(int i) {
        BufferedImage img = new BufferedImage(48, 40, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.DARK_GRAY);
        g.fillRect(0, 0, 48, 40);
        g.setColor(RGB[i % RGB.length]);
        if (i % 2 == 0) {
            g.fillRect(8 + i, 6, 20, 20);
        } else {
            g.fillOval(8 + i, 6, 20, 20);
        }
        g.dispose();
        return img;
    }

    private static String caption(int i, int k) {
        String c = COLOURS[i % COLOURS.length];
        String s = SHAPES[i % 2];
        return k == 0 ? "a " + c + " " + s : "a picture of the " + c + " " + s + " on grey";
    }

    private static byte[] encode(BufferedImage img, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(img, format, out), "no ImageIO writer for " + format);
        return out.toByteArray();
    }

    /** [PAD] [UNK] [CLS] [SEP] [MASK], the captions' words, then letters and ##letters. */
    private static Path vocabulary(Path dir) throws IOException {
        Set<String> tokens = new java.util.LinkedHashSet<>();
        tokens.addAll(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
        for (int i = 0; i < 6; i++) {
            for (int k = 0; k < 2; k++) {
                tokens.addAll(List.of(caption(i, k).split(" ")));
            }
        }
        tokens.addAll(List.of("the", "sky", "is", "over", "hills", "."));
        for (char c = 'a'; c <= 'z'; c++) {
            tokens.add(String.valueOf(c));
            tokens.add("##" + c);
        }
        Path v = dir.resolve("vocab.txt");
        Files.write(v, tokens);
        return v;
    }

    /** root/{round,square}/N.png|jpg, plus one corrupt PNG. */
    private static Path imageFolderFixture(Path dir) throws IOException {
        Path root = dir.resolve("images");
        for (int i = 0; i < 8; i++) {
            Path cls = root.resolve(SHAPES[i % 2]);
            Files.createDirectories(cls);
            String fmt = i < 4 ? "png" : "jpg";
            Files.write(cls.resolve(i + "." + fmt), encode(picture(i), fmt));
        }
        Files.write(root.resolve("square/corrupt.png"), "not a PNG at all".getBytes());
        return root;
    }

    /** root/dataset_coco.json with six train images of two captions each under train2014/. */
    private static Path karpathyFixture(Path dir) throws IOException {
        Path root = dir.resolve("coco");
        Files.createDirectories(root.resolve("train2014"));
        StringBuilder json = new StringBuilder("{\"images\": [");
        for (int i = 0; i < 6; i++) {
            String name = "COCO_train2014_" + i + ".jpg";
            Files.write(root.resolve("train2014").resolve(name), encode(picture(i), "jpg"));
            json.append(i > 0 ? "," : "")
                    .append("{\"filepath\": \"train2014\", \"filename\": \"")
                    .append(name)
                    .append("\", \"split\": \"")
                    .append(i == 5 ? "restval" : "train")
                    .append("\", \"sentences\": [{\"raw\": \"")
                    .append(caption(i, 0))
                    .append("\"}, {\"raw\": \"")
                    .append(caption(i, 1))
                    .append("\"}]}");
        }
        // a test image is not read by a training stage
        json.append(",{\"filepath\": \"val2014\", \"filename\": \"x.jpg\", \"split\": \"test\",")
                .append(" \"sentences\": [{\"raw\": \"unused\"}]}]}");
        Files.writeString(root.resolve("dataset_coco.json"), json);
        return root;
    }

    /** Two shards of six samples each (key.jpg + key.txt); one sample of shard 1 is corrupt. */
    private static String shardsFixture(Path dir) throws IOException {
        Path shards = dir.resolve("shards");
        Files.createDirectories(shards);
        for (int s = 0; s < 2; s++) {
            try (OutputStream f = Files.newOutputStream(shards.resolve("0000" + s + ".tar"));
                    TarArchiveOutputStream tar = new TarArchiveOutputStream(f)) {
                for (int i = 0; i < 6; i++) {
                    String key = String.format("%05d%04d", s, i);
                    byte[] img =
                            s == 1 && i == 2
                                    ? "corrupt jpeg".getBytes()
                                    : encode(picture(i + s), "jpg");
                    put(tar, key + ".jpg", img);
                    put(tar, key + ".txt", caption(i + s, s).getBytes(StandardCharsets.UTF_8));
                }
            }
        }
        return shards.resolve("{00000..00001}.tar").toString();
    }

    private static void put(TarArchiveOutputStream tar, String name, byte[] b) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(b.length);
        tar.putArchiveEntry(e);
        tar.write(b);
        tar.closeArchiveEntry();
    }

    private static Table train(Vlmo v, Path dir) {
        try (Run r = v.run(Fixtures.quiet(dir))) {
            return r.metrics();
        }
    }

    private static void assertTrained(Table t, int steps, String objective) {
        assertEquals(steps, t.rowCount(), "one metrics row per step");
        for (double x : Fixtures.column(t, objective)) {
            assertTrue(Double.isFinite(x) && x > 0, objective + " loss " + x);
        }
    }

    // ------------------------------------------------------------------ tests

    @Test
    void textStageTrainsOnTextLines(@TempDir Path dir) throws IOException {
        Path corpus = dir.resolve("wiki");
        Files.createDirectories(corpus);
        List<String> a = new ArrayList<>();
        List<String> b = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            a.add(caption(i, 0));
            b.add(caption(i, 1));
        }
        a.add("   ");
        Files.write(corpus.resolve("a.txt"), a);
        Files.write(corpus.resolve("b.txt"), b);
        // one line that is not UTF-8: skipped and counted
        Files.write(
                corpus.resolve("c.txt"), new byte[] {'a', ' ', (byte) 0xC3, '\n', 'r', 'e', 'd'});
        Vlmo v =
                Fixtures.tiny()
                        .vocabulary(vocabulary(dir))
                        .stage(
                                text().data(textLines(corpus + "/*.txt"))
                                        .steps(3)
                                        .batchSize(4)
                                        .checkpointEvery(0));
        assertTrained(train(v, dir.resolve("run")), 3, "mlm");

        Plan plan = v.compile(Fixtures.quiet(dir.resolve("run2")));
        try (StageData d =
                StageData.open(plan.stages().get(0), plan.model(), Trainer.tokenizer(plan))) {
            assertEquals(13 / 4, d.batchesPerEpoch(), "12 caption lines + 'red', blanks left out");
            assertEquals(4, d.batch(0).size());
            assertEquals(1, d.badInputs().counts().get("malformed line"), d.badInputs().summary());
            assertTrue(d.badInputs().summary().contains("c.txt:1"), d.badInputs().summary());
        }
    }

    @Test
    void visionStageTrainsOnAnImageFolderAndSkipsACorruptImage(@TempDir Path dir)
            throws IOException {
        Path root = imageFolderFixture(dir);
        Vlmo v =
                Fixtures.tiny()
                        .stage(
                                vision().data(imageFolder(root.toString()))
                                        .steps(3)
                                        .batchSize(4)
                                        .checkpointEvery(0));
        assertTrained(train(v, dir.resolve("run")), 3, "mim");

        Plan plan = v.compile(Fixtures.quiet(dir.resolve("run2")));
        try (StageData d =
                StageData.open(plan.stages().get(0), plan.model(), Trainer.tokenizer(plan))) {
            assertEquals(2, d.batchesPerEpoch(), "9 files, batches of 4");
            for (int s = 0; s < 6; s++) { // three epochs: the corrupt file is met in each
                Batch b = d.batch(s);
                assertEquals(4, b.size(), "a batch that lost the corrupt image is refilled");
                assertEquals(4 * 3 * 32 * 32, b.images().length);
            }
            assertTrue(d.badInputs().counts().get("bad image") >= 1, d.badInputs().summary());
            assertTrue(d.badInputs().summary().contains("corrupt.png"), d.badInputs().summary());
        }
    }

    @Test
    void visionLanguageStageTrainsOnKarpathyCaptions(@TempDir Path dir) throws IOException {
        Path root = karpathyFixture(dir);
        Vlmo v =
                Fixtures.tiny()
                        .vocabulary(vocabulary(dir))
                        .stage(
                                visionLanguage()
                                        .data(coco(root.toString()))
                                        .steps(2)
                                        .batchSize(4)
                                        .checkpointEvery(0));
        assertTrained(train(v, dir.resolve("run")), 2, "itc");

        // concatenated with the built-in world: image ids stay distinct between the sources
        Stage mixed = visionLanguage().data(coco(root.toString()), Fixtures.WORLD).batchSize(8);
        Plan plan =
                Fixtures.tiny()
                        .vocabulary(vocabulary(dir))
                        .stage(mixed)
                        .compile(Fixtures.quiet(dir));
        try (StageData d =
                StageData.open(plan.stages().get(0), plan.model(), Trainer.tokenizer(plan))) {
            assertEquals((12 + 64 * 5) / 8, d.batchesPerEpoch(), "both sources are read");
            Set<Integer> ids = new HashSet<>();
            for (int s = 0; s < d.batchesPerEpoch(); s++) {
                for (int id : d.batch(s).imageIds()) {
                    ids.add(id);
                }
            }
            assertEquals(6 + 64, ids.size(), "6 COCO images and 64 scenes, no shared id");
        }
    }

    @Test
    void visionLanguageStageTrainsOnWebDatasetShards(@TempDir Path dir) throws IOException {
        String shards = shardsFixture(dir);
        Stage vl =
                visionLanguage().data(webDataset(shards)).steps(2).batchSize(4).checkpointEvery(0);
        Vlmo v = Fixtures.tiny().vocabulary(vocabulary(dir)).stage(vl);
        assertTrained(train(v, dir.resolve("run")), 2, "itc");

        Plan plan = v.compile(Fixtures.quiet(dir.resolve("run2")));
        Plan.StagePlan p = plan.stages().get(0);
        int[][] texts = new int[5][];
        try (StageData d = StageData.open(p, plan.model(), Trainer.tokenizer(plan))) {
            assertTrue(d.streaming());
            assertEquals(-1, d.batchesPerEpoch());
            // 12 samples, one corrupt: 3 batches per pass, then the next pass begins
            for (int s = 0; s < 5; s++) {
                Batch b = d.batch(s);
                assertTrue(b.size() == 4 || b.size() == 3, "batch " + s + " has " + b.size());
                texts[s] = b.textIds().clone();
            }
            // counted each time a pass meets it (the loader may have read ahead into pass 1)
            assertTrue(d.badInputs().counts().get("bad image") >= 1, d.badInputs().summary());
            assertTrue(d.badInputs().summary().contains("00001.tar:000010002.jpg"));
            assertArrayEquals(texts[1], d.batch(1).textIds(), "going back re-reads the stream");
        }
        try (StageData fresh = StageData.open(p, plan.model(), Trainer.tokenizer(plan))) {
            assertArrayEquals(texts[4], fresh.batch(4).textIds(), "a resumed reader skips ahead");
        }

        // a streamed source has no known length: epochs are rejected when the plan compiles
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                Fixtures.tiny()
                                        .vocabulary(vocabulary(dir))
                                        .stage(vl.epochs(1))
                                        .compile(Fixtures.quiet(dir.resolve("run3"))));
        assertTrue(e.getMessage().contains("steps(n)"), e.getMessage());
        assertTrue(e.getMessage().contains("WebDataset"), e.getMessage());
    }

    @Test
    void missingDataIsNamedWithTheFix(@TempDir Path dir) throws IOException {
        Plan plan =
                Fixtures.tiny()
                        .vocabulary(vocabulary(dir))
                        .stage(
                                text().data(textLines(dir.resolve("none") + "/*.txt"))
                                        .steps(1)
                                        .batchSize(4))
                        .compile(Fixtures.quiet(dir));
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                StageData.open(
                                        plan.stages().get(0),
                                        plan.model(),
                                        Trainer.tokenizer(plan)));
        assertTrue(e.getMessage().contains("none"), e.getMessage());
    }
}
