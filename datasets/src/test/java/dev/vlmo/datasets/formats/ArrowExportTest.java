package dev.vlmo.datasets.formats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlmo.datasets.Dataset;
import dev.vlmo.datasets.ImageRef;
import dev.vlmo.datasets.ImageText;
import dev.vlmo.datasets.Nlvr2Example;
import dev.vlmo.datasets.VqaExample;
import dev.vlmo.datasets.image.RgbImage;
import dev.vlmo.datasets.synthetic.SyntheticWorld;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Samples written as the reference's Arrow files read back unchanged through {@link ArrowTable}.
 */
class ArrowExportTest {

    @TempDir Path dir;

    private static final SyntheticWorld WORLD =
            SyntheticWorld.builder().scenes(12, 4, 4).questionsPerScene(3).build();

    @Test
    void vqaQuestionsImagesAnswersAndScoresSurviveTheRoundTrip() throws IOException {
        List<VqaExample> written = WORLD.vqa(SyntheticWorld.Split.TRAIN);
        Path file = dir.resolve("vqav2_train.arrow");
        ArrowExport.vqa(file, written, "train");
        try (ArrowTable t = ArrowTable.open(file)) {
            assertEquals(12, t.rows(), "one row per image");
            assertEquals("train", t.get(0, "split"));
            Dataset<VqaExample> read = t.vqa(WORLD.answers().size());
            assertEquals(written.size(), read.size());
            for (int i = 0; i < written.size(); i++) {
                VqaExample w = written.get(i);
                VqaExample r = read.get(i);
                assertEquals(w.question(), r.question());
                assertEquals(w.answers(), r.answers());
                assertArrayEquals(w.labels(), r.labels());
                assertArrayEquals(w.scores(), r.scores());
                assertEquals(w.questionId(), r.questionId());
                assertEquals(w.imageId(), r.imageId(), "the image's row");
                if (i < 6) {
                    assertSamePixels(w.image(), r.image());
                }
            }
            assertTrue(t.badInputs().total() == 0, t.badInputs().summary());
        }
    }

    @Test
    void captionsGroupedByImageSurviveTheRoundTrip() throws IOException {
        List<ImageText> written = WORLD.captions(SyntheticWorld.Split.TEST);
        Path file = dir.resolve("coco_caption_karpathy_test.arrow");
        ArrowExport.captions(file, written, "test");
        try (ArrowTable t = ArrowTable.open(file)) {
            assertEquals(4, t.rows(), "one row per image");
            assertEquals("test", t.get(0, "split"));
            Dataset<ImageText> read = t.captions();
            assertEquals(written.size(), read.size());
            for (int i = 0; i < written.size(); i++) {
                ImageText w = written.get(i);
                ImageText r = read.get(i);
                assertEquals(w.text(), r.text());
                assertEquals(w.imageId(), r.imageId(), "scenes are numbered 0-3 in order");
                assertSamePixels(w.image(), r.image());
            }
        }
        // ids need not be dense nor sorted: rows follow the order images first occur
        ImageText a = written.get(0);
        ImageText b = written.get(written.size() - 1);
        List<ImageText> sparse =
                List.of(
                        new ImageText(b.image(), "first", 7),
                        new ImageText(a.image(), "second", 3),
                        new ImageText(b.image(), "third", 7));
        Path other = dir.resolve("sparse.arrow");
        ArrowExport.captions(other, sparse, "train");
        try (ArrowTable t = ArrowTable.open(other)) {
            assertEquals(2, t.rows());
            assertEquals("7", t.get(0, "image_id"));
            Dataset<ImageText> read = t.captions();
            assertEquals(
                    List.of("first", "third", "second"),
                    List.of(read.get(0).text(), read.get(1).text(), read.get(2).text()));
            assertEquals(
                    List.of(0, 0, 1),
                    List.of(read.get(0).imageId(), read.get(1).imageId(), read.get(2).imageId()));
            assertSamePixels(b.image(), read.get(0).image());
            assertSamePixels(a.image(), read.get(2).image());
        }
    }

    @Test
    void nlvr2StatementsSurviveTheRoundTrip() throws IOException {
        List<Nlvr2Example> written = WORLD.nlvr2(SyntheticWorld.Split.TEST);
        Path file = dir.resolve("nlvr2_dev.arrow");
        ArrowExport.nlvr2(file, written);
        try (ArrowTable t = ArrowTable.open(file)) {
            Dataset<Nlvr2Example> read = t.nlvr2();
            assertEquals(written.size(), read.size());
            boolean sawTrue = false;
            boolean sawFalse = false;
            for (int i = 0; i < written.size(); i++) {
                Nlvr2Example w = written.get(i);
                Nlvr2Example r = read.get(i);
                assertEquals(w.statement(), r.statement());
                assertEquals(w.label(), r.label());
                assertEquals(w.identifier(), r.identifier());
                sawTrue |= r.label();
                sawFalse |= !r.label();
            }
            assertTrue(sawTrue && sawFalse, "both labels occur");
            assertSamePixels(written.get(0).left(), read.get(0).left());
            assertSamePixels(written.get(0).right(), read.get(0).right());
        }
    }

    @Test
    void anUnreadableImageLeavesNoFileBehind() throws IOException {
        List<VqaExample> good = WORLD.vqa(SyntheticWorld.Split.TRAIN);
        ImageRef broken =
                new ImageRef() {
                    @Override
                    public RgbImage load() throws IOException {
                        throw new IOException("cannot decode broken.jpg");
                    }

                    @Override
                    public String name() {
                        return "broken.jpg";
                    }
                };
        List<VqaExample> bad = new ArrayList<>(good.subList(0, 3));
        VqaExample g = good.get(3);
        bad.add(
                new VqaExample(
                        broken,
                        g.question(),
                        g.answers(),
                        g.labels(),
                        g.scores(),
                        g.questionId(),
                        1000));
        Path file = dir.resolve("vqav2_bad.arrow");
        IOException e = assertThrows(IOException.class, () -> ArrowExport.vqa(file, bad, "train"));
        assertTrue(e.getMessage().contains("broken.jpg"), e.getMessage());
        assertFalse(Files.exists(file), "no half-written file under the target name");
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(), left.toList(), "no temporary file left either");
        }
    }

    private static void assertSamePixels(ImageRef want, ImageRef got) throws IOException {
        RgbImage a = want.load();
        RgbImage b = got.load();
        assertEquals(a.width(), b.width());
        assertEquals(a.height(), b.height());
        assertArrayEquals(a.data(), b.data(), "PNG keeps every pixel");
    }
}
