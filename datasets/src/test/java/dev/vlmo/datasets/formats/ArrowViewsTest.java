package dev.vlmo.datasets.formats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlmo.datasets.BadInputs;
import dev.vlmo.datasets.DataException;
import dev.vlmo.datasets.Dataset;
import dev.vlmo.datasets.Nlvr2Example;
import dev.vlmo.datasets.VqaExample;
import dev.vlmo.datasets.batch.Batch;
import dev.vlmo.datasets.batch.Collators;
import dev.vlmo.datasets.batch.PrefetchLoader;
import dev.vlmo.datasets.batch.TextEncoder;
import dev.vlmo.datasets.image.RgbImage;
import dev.vlmo.datasets.image.Transforms;
import dev.vlmo.datasets.synthetic.SyntheticWorld;
import dev.vlmo.datasets.text.WordPieceTokenizer;
import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.impl.UnionListWriter;
import org.apache.arrow.vector.complex.writer.BaseWriter.ListWriter;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.util.Text;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The VQA v2 and NLVR2 views of the reference's Arrow files, written here with Arrow Java in the
 * reference's schemas (vqav2: image, questions, answers, answer_labels, answer_scores, image_id,
 * question_id, split; nlvr2: image_0, image_1, questions, answers, identifier), with bad rows.
 */
class ArrowViewsTest {
    @TempDir Path dir;

    private static final byte[] JUNK = "not an image at all".getBytes(StandardCharsets.UTF_8);
    private static final ArrowType UTF8 = ArrowType.Utf8.INSTANCE;
    private static final ArrowType INT64 = new ArrowType.Int(64, true);
    private static final ArrowType FLOAT64 =
            new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);

    private static byte[] png(Color c) {
        return Fixtures.image("png", 8, 8, c);
    }

    private static void strings(UnionListWriter w, int row, String... values) {
        w.setPosition(row);
        w.startList();
        for (String s : values) {
            w.writeVarChar(new Text(s));
        }
        w.endList();
    }

    private static void longs(UnionListWriter w, int row, long... values) {
        w.setPosition(row);
        w.startList();
        for (long x : values) {
            w.writeBigInt(x);
        }
        w.endList();
    }

    /** Writes one row of a list-of-lists column; each inner array is one question's list. */
    private static void nested(UnionListWriter w, int row, Object... inner) {
        w.setPosition(row);
        w.startList();
        for (Object o : inner) {
            ListWriter l = w.list();
            l.startList();
            if (o instanceof String[] ss) {
                for (String s : ss) {
                    l.varChar().writeVarChar(new Text(s));
                }
            } else if (o instanceof long[] ls) {
                for (long x : ls) {
                    l.bigInt().writeBigInt(x);
                }
            } else {
                for (double x : (double[]) o) {
                    l.float8().writeFloat8(x);
                }
            }
            l.endList();
        }
        w.endList();
    }

    /**
     * Row 0: red, two good questions; row 1: unreadable image bytes, one question; row 2: green,
     * one good question and one whose answer label (99) is outside the 4 answers.
     */
    private Path vqaFile() throws IOException {
        Path file = dir.resolve("vqav2_val.arrow");
        try (BufferAllocator a = new RootAllocator()) {
            VarBinaryVector image = new VarBinaryVector("image", a);
            ListVector questions = ArrowExport.list("questions", UTF8, false, a);
            ListVector answers = ArrowExport.list("answers", UTF8, true, a);
            ListVector labels = ArrowExport.list("answer_labels", INT64, true, a);
            ListVector scores = ArrowExport.list("answer_scores", FLOAT64, true, a);
            VarCharVector imageId = new VarCharVector("image_id", a);
            ListVector questionId = ArrowExport.list("question_id", INT64, false, a);
            VarCharVector split = new VarCharVector("split", a);
            List<FieldVector> all =
                    List.of(image, questions, answers, labels, scores, imageId, questionId, split);
            ArrowExport.write(
                    file,
                    all,
                    3,
                    () -> {
                        image.setSafe(0, png(Color.RED));
                        image.setSafe(1, JUNK);
                        image.setSafe(2, png(Color.GREEN));
                        UnionListWriter q = questions.getWriter();
                        strings(q, 0, "what colour is the shape?", "is it red?");
                        strings(q, 1, "what colour is the shape?");
                        strings(q, 2, "what colour is the shape?", "how many shapes are there?");
                        q.setValueCount(3);
                        UnionListWriter an = answers.getWriter();
                        nested(an, 0, new String[] {"red"}, new String[] {"yes", "no"});
                        nested(an, 1, (Object) new String[] {"green"});
                        nested(an, 2, new String[] {"green"}, new String[] {"seventeen"});
                        an.setValueCount(3);
                        UnionListWriter l = labels.getWriter();
                        nested(l, 0, new long[] {0}, new long[] {2, 3});
                        nested(l, 1, (Object) new long[] {1});
                        nested(l, 2, new long[] {1}, new long[] {99});
                        l.setValueCount(3);
                        UnionListWriter s = scores.getWriter();
                        nested(s, 0, new double[] {1.0}, new double[] {0.9, 0.3});
                        nested(s, 1, (Object) new double[] {1.0});
                        nested(s, 2, new double[] {1.0}, new double[] {1.0});
                        s.setValueCount(3);
                        UnionListWriter qid = questionId.getWriter();
                        longs(qid, 0, 1000, 1001);
                        longs(qid, 1, 1010);
                        longs(qid, 2, 1020, 1021);
                        qid.setValueCount(3);
                        for (int r = 0; r < 3; r++) {
                            imageId.setSafe(r, new Text("COCO_val2014_" + r));
                            split.setSafe(r, new Text("val"));
                        }
                    });
        }
        return file;
    }

    /**
     * Row 0: red and blue, one true statement; row 1: green and green, one false statement and one
     * answered "maybe"; row 2: unreadable left image, one true statement.
     */
    private Path nlvr2File() throws IOException {
        Path file = dir.resolve("nlvr2_dev.arrow");
        try (BufferAllocator a = new RootAllocator()) {
            VarBinaryVector image0 = new VarBinaryVector("image_0", a);
            VarBinaryVector image1 = new VarBinaryVector("image_1", a);
            ListVector questions = ArrowExport.list("questions", UTF8, false, a);
            ListVector answers = ArrowExport.list("answers", UTF8, false, a);
            VarCharVector identifier = new VarCharVector("identifier", a);
            ArrowExport.write(
                    file,
                    List.of(image0, image1, questions, answers, identifier),
                    3,
                    () -> {
                        image0.setSafe(0, png(Color.RED));
                        image1.setSafe(0, png(Color.BLUE));
                        image0.setSafe(1, png(Color.GREEN));
                        image1.setSafe(1, png(Color.GREEN));
                        image0.setSafe(2, JUNK);
                        image1.setSafe(2, png(Color.GREEN));
                        UnionListWriter q = questions.getWriter();
                        strings(q, 0, "the left image is red");
                        strings(q, 1, "the images differ", "the images are the same");
                        strings(q, 2, "the right image is green");
                        q.setValueCount(3);
                        UnionListWriter an = answers.getWriter();
                        strings(an, 0, "True");
                        strings(an, 1, "False", "maybe");
                        strings(an, 2, "True");
                        an.setValueCount(3);
                        for (int r = 0; r < 3; r++) {
                            identifier.setSafe(r, new Text("dev-" + r + "-0"));
                        }
                    });
        }
        return file;
    }

    private static TextEncoder text() {
        return new TextEncoder(new WordPieceTokenizer(SyntheticWorld.lexiconVocabulary()), 16);
    }

    private static <T> List<Batch> epoch(PrefetchLoader<T> loader, int e) {
        List<Batch> out = new ArrayList<>();
        try (var it = loader.epoch(e)) {
            it.forEachRemaining(out::add);
        }
        return out;
    }

    @Test
    void vqaViewReadsQuestionsAndSkipsBadRows() throws Exception {
        Path file = vqaFile();
        BadInputs bad = BadInputs.skipAndCount();
        try (ArrowTable table = ArrowTable.open(file)) {
            assertEquals(3, table.rows());
            Dataset<VqaExample> vqa = table.vqa(4, bad);
            assertEquals(4, vqa.size(), "5 questions, one with the unknown label 99 left out");
            assertEquals(1, bad.total());
            assertEquals(1, bad.counts().get("unknown answer"));
            assertTrue(
                    bad.firstOffenders().get(0).contains("vqav2_val.arrow row 2 question 1"),
                    bad.summary());
            assertTrue(bad.summary().contains("label 99"), bad.summary());

            VqaExample q0 = vqa.get(0);
            assertEquals("what colour is the shape?", q0.question());
            assertEquals(List.of("red"), q0.answers());
            assertArrayEquals(new int[] {0}, q0.labels());
            assertArrayEquals(new float[] {1f}, q0.scores());
            assertEquals(1000, q0.questionId());
            assertEquals(0, q0.imageId());
            RgbImage red = q0.image().load();
            assertEquals(255, red.get(3, 3, 0));
            assertEquals(0, red.get(3, 3, 1));

            VqaExample q1 = vqa.get(1);
            assertEquals("is it red?", q1.question());
            assertEquals(List.of("yes", "no"), q1.answers());
            assertArrayEquals(new int[] {2, 3}, q1.labels());
            assertArrayEquals(new float[] {0.9f, 0.3f}, q1.scores());
            assertEquals(1001, q1.questionId());

            VqaExample bytesBad = vqa.get(2);
            assertEquals(1010, bytesBad.questionId());
            assertEquals(1, bytesBad.imageId());
            IOException e = assertThrows(IOException.class, () -> bytesBad.image().load());
            assertTrue(e.getMessage().contains("vqav2_val.arrow row 1 image"), e.getMessage());

            VqaExample last = vqa.get(3);
            assertEquals(1020, last.questionId());
            assertEquals(2, last.imageId());
            assertEquals(255, last.image().load().get(3, 3, 1), "row 2 is green");

            try (PrefetchLoader<VqaExample> loader =
                    PrefetchLoader.builder(vqa, Collators.vqa(text(), Transforms.eval(8), 4))
                            .batchSize(4)
                            .shuffle(false)
                            .badInputs(bad)
                            .build()) {
                for (int ep = 0; ep < 2; ep++) {
                    List<Batch> batches = epoch(loader, ep);
                    assertEquals(1, batches.size());
                    Batch b = batches.get(0);
                    assertEquals(
                            3, b.size(), "the question with unreadable image bytes is skipped");
                    assertEquals(4, b.numAnswers());
                    float[] t = b.vqaTargets();
                    assertEquals(3 * 4, t.length);
                    assertEquals(
                            List.of(
                                    "what colour is the shape?",
                                    "is it red?",
                                    "what colour is the shape?"),
                            b.texts());
                    assertArrayEquals(new float[] {1, 0, 0, 0}, Arrays.copyOfRange(t, 0, 4));
                    assertArrayEquals(new float[] {0, 0, 0.9f, 0.3f}, Arrays.copyOfRange(t, 4, 8));
                    assertArrayEquals(new float[] {0, 1, 0, 0}, Arrays.copyOfRange(t, 8, 12));
                    assertEquals(ep + 1, bad.counts().get("bad image"), bad.summary());
                }
            }
            // the same unreadable row, met in both epochs: counted twice, listed once
            assertEquals(3, bad.total());
            assertEquals(2, bad.distinctOffenders());
            assertEquals(2, bad.firstOffenders().size(), bad.summary());
            assertTrue(bad.summary().contains("vqav2_val.arrow row 1 image (x2)"), bad.summary());
        }
    }

    @Test
    void vqaViewInStrictModeFailsAtTheUnknownAnswer() throws Exception {
        Path file = vqaFile();
        try (ArrowTable table = ArrowTable.open(file)) {
            DataException e =
                    assertThrows(DataException.class, () -> table.vqa(4, BadInputs.strict()));
            assertTrue(e.getMessage().contains("unknown answer"), e.getMessage());
            assertTrue(e.getMessage().contains("row 2 question 1"), e.getMessage());
            // with a larger vocabulary label 99 is known, and the table's own report stays empty
            assertEquals(5, table.vqa(100).size());
            assertEquals(0, table.badInputs().total());
            assertEquals(4, table.vqa(4).size());
            assertEquals(1, table.badInputs().counts().get("unknown answer"));
        }
    }

    @Test
    void nlvr2ViewReadsStatementsAndSkipsBadRows() throws Exception {
        Path file = nlvr2File();
        BadInputs bad = BadInputs.skipAndCount();
        try (ArrowTable table = ArrowTable.open(file)) {
            Dataset<Nlvr2Example> nlvr2 = table.nlvr2(bad);
            assertEquals(3, nlvr2.size(), "4 statements, the one answered 'maybe' left out");
            assertEquals(1, bad.counts().get("bad label"));
            assertTrue(bad.summary().contains("nlvr2_dev.arrow row 1 question 1"), bad.summary());
            assertTrue(bad.summary().contains("'maybe'"), bad.summary());

            Nlvr2Example s0 = nlvr2.get(0);
            assertEquals("the left image is red", s0.statement());
            assertTrue(s0.label());
            assertEquals("dev-0-0", s0.identifier());
            assertEquals(255, s0.left().load().get(3, 3, 0), "left is red");
            assertEquals(255, s0.right().load().get(3, 3, 2), "right is blue");
            assertEquals(0, s0.right().load().get(3, 3, 0));

            Nlvr2Example s1 = nlvr2.get(1);
            assertEquals("the images differ", s1.statement());
            assertFalse(s1.label());
            assertEquals("dev-1-0", s1.identifier());

            Nlvr2Example s2 = nlvr2.get(2);
            assertEquals("dev-2-0", s2.identifier());
            assertThrows(IOException.class, () -> s2.left().load());

            try (PrefetchLoader<Nlvr2Example> loader =
                    PrefetchLoader.builder(nlvr2, Collators.nlvr2(text(), Transforms.eval(8)))
                            .batchSize(3)
                            .shuffle(false)
                            .badInputs(bad)
                            .build()) {
                List<Batch> batches = epoch(loader, 0);
                assertEquals(1, batches.size());
                Batch b = batches.get(0);
                assertEquals(2, b.size(), "the pair with unreadable bytes is skipped");
                assertArrayEquals(new int[] {1, 0}, b.labels());
                assertEquals(List.of("the left image is red", "the images differ"), b.texts());
                assertEquals(2 * 3 * 8 * 8, b.images2().length);
            }
            assertEquals(1, bad.counts().get("bad image"));
            assertTrue(bad.summary().contains("nlvr2_dev.arrow row 2 image_0"), bad.summary());
            assertEquals(2, bad.total());
        }
        try (ArrowTable table = ArrowTable.open(file)) {
            assertThrows(DataException.class, () -> table.nlvr2(BadInputs.strict()));
        }
    }
}
