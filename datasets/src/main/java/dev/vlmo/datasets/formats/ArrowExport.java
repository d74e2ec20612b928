package dev.vlmo.datasets.formats;

import dev.vlmo.datasets.DataException;
import dev.vlmo.datasets.ImageRef;
import dev.vlmo.datasets.ImageText;
import dev.vlmo.datasets.Nlvr2Example;
import dev.vlmo.datasets.VqaExample;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;
import javax.imageio.ImageIO;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.impl.UnionListWriter;
import org.apache.arrow.vector.complex.writer.BaseWriter.ListWriter;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.util.Text;

/**
 * Writes VQA and NLVR2 samples as the reference's Arrow IPC files (the layout its {@code
 * write_vqa.py} and {@code write_nlvr2.py} produce), with each image stored as PNG bytes. The files
 * read back through {@link ArrowTable#vqa(int)} and {@link ArrowTable#nlvr2()}, here and in the
 * reference's data modules, so the same samples can be fine-tuned on by either.
 *
 * <p>VQA: one row per image with the columns {@code image}, {@code questions}, {@code answers},
 * {@code answer_labels}, {@code answer_scores}, {@code image_id}, {@code question_id} and {@code
 * split}. NLVR2: one row per statement with {@code image_0}, {@code image_1}, {@code questions},
 * {@code answers} ("True"/"False") and {@code identifier}.
 *
 * <p>A file is written to a temporary sibling and moved into place, so a failed export leaves no
 * half-written file under the target name.
 */
public final class ArrowExport {

    private static final ArrowType UTF8 = ArrowType.Utf8.INSTANCE;
    private static final ArrowType INT64 = new ArrowType.Int(64, true);
    private static final ArrowType FLOAT64 =
            new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);

    private ArrowExport() {}

    /**
     * Writes VQA questions grouped by image ({@link VqaExample#imageId()}), in the order the images
     * first occur.
     *
     * @param file the {@code .arrow} file to write
     * @param examples the questions with their answers, labels and scores
     * @param split the value of the {@code split} column, e.g. {@code "train"}
     * @throws IOException if an image cannot be read or the file cannot be written
     */
    public static void vqa(Path file, List<VqaExample> examples, String split) throws IOException {
        List<List<VqaExample>> rows = byImage(examples, VqaExample::imageId);
        try (BufferAllocator a = new RootAllocator()) {
            VarBinaryVector image = new VarBinaryVector("image", a);
            ListVector questions = list("questions", UTF8, false, a);
            ListVector answers = list("answers", UTF8, true, a);
            ListVector labels = list("answer_labels", INT64, true, a);
            ListVector scores = list("answer_scores", FLOAT64, true, a);
            BigIntVector imageId = new BigIntVector("image_id", a);
            ListVector questionId = list("question_id", INT64, false, a);
            VarCharVector splitColumn = new VarCharVector("split", a);
            List<FieldVector> columns =
                    List.of(
                            image,
                            questions,
                            answers,
                            labels,
                            scores,
                            imageId,
                            questionId,
                            splitColumn);
            write(
                    file,
                    columns,
                    rows.size(),
                    () -> {
                        UnionListWriter qw = questions.getWriter();
                        UnionListWriter aw = answers.getWriter();
                        UnionListWriter lw = labels.getWriter();
                        UnionListWriter sw = scores.getWriter();
                        UnionListWriter iw = questionId.getWriter();
                        for (int r = 0; r < rows.size(); r++) {
                            List<VqaExample> qs = rows.get(r);
                            VqaExample first = qs.get(0);
                            image.setSafe(r, png(first.image()));
                            imageId.setSafe(r, first.imageId());
                            splitColumn.setSafe(r, new Text(split));
                            qw.setPosition(r);
                            qw.startList();
                            aw.setPosition(r);
                            aw.startList();
                            lw.setPosition(r);
                            lw.startList();
                            sw.setPosition(r);
                            sw.startList();
                            iw.setPosition(r);
                            iw.startList();
                            for (VqaExample q : qs) {
                                qw.writeVarChar(new Text(q.question()));
                                iw.writeBigInt(q.questionId());
                                ListWriter al = aw.list();
                                al.startList();
                                for (String s : q.answers()) {
                                    al.varChar().writeVarChar(new Text(s));
                                }
                                al.endList();
                                ListWriter ll = lw.list();
                                ll.startList();
                                for (int l : q.labels()) {
                                    ll.bigInt().writeBigInt(l);
                                }
                                ll.endList();
                                ListWriter sl = sw.list();
                                sl.startList();
                                for (float s : q.scores()) {
                                    sl.float8().writeFloat8(s);
                                }
                                sl.endList();
                            }
                            qw.endList();
                            aw.endList();
                            lw.endList();
                            sw.endList();
                            iw.endList();
                        }
                    });
        }
    }

    /**
     * Writes image-text pairs as the reference's caption tables ({@code coco_caption_karpathy_*},
     * {@code f30k_caption_karpathy_*}): one row per image ({@link ImageText#imageId()}, in the
     * order the images first occur) with its captions.
     *
     * @param file the {@code .arrow} file to write
     * @param pairs the captions with their images
     * @param split the value of the {@code split} column, e.g. {@code "test"}
     * @throws IOException if an image cannot be read or the file cannot be written
     */
    public static void captions(Path file, List<ImageText> pairs, String split) throws IOException {
        List<List<ImageText>> rows = byImage(pairs, ImageText::imageId);
        try (BufferAllocator a = new RootAllocator()) {
            VarBinaryVector image = new VarBinaryVector("image", a);
            ListVector caption = list("caption", UTF8, false, a);
            VarCharVector imageId = new VarCharVector("image_id", a);
            VarCharVector splitColumn = new VarCharVector("split", a);
            write(
                    file,
                    List.of(image, caption, imageId, splitColumn),
                    rows.size(),
                    () -> {
                        UnionListWriter cw = caption.getWriter();
                        for (int r = 0; r < rows.size(); r++) {
                            List<ImageText> cs = rows.get(r);
                            image.setSafe(r, png(cs.get(0).image()));
                            imageId.setSafe(r, new Text(String.valueOf(cs.get(0).imageId())));
                            splitColumn.setSafe(r, new Text(split));
                            cw.setPosition(r);
                            cw.startList();
                            for (ImageText c : cs) {
                                cw.writeVarChar(new Text(c.text()));
                            }
                            cw.endList();
                        }
                    });
        }
    }

    /**
     * Writes NLVR2 statements, one row each.
     *
     * @param file the {@code .arrow} file to write
     * @param examples the statements with their image pairs and labels
     * @throws IOException if an image cannot be read or the file cannot be written
     */
    public static void nlvr2(Path file, List<Nlvr2Example> examples) throws IOException {
        try (BufferAllocator a = new RootAllocator()) {
            VarBinaryVector left = new VarBinaryVector("image_0", a);
            VarBinaryVector right = new VarBinaryVector("image_1", a);
            ListVector questions = list("questions", UTF8, false, a);
            ListVector answers = list("answers", UTF8, false, a);
            VarCharVector identifier = new VarCharVector("identifier", a);
            write(
                    file,
                    List.of(left, right, questions, answers, identifier),
                    examples.size(),
                    () -> {
                        UnionListWriter qw = questions.getWriter();
                        UnionListWriter aw = answers.getWriter();
                        for (int r = 0; r < examples.size(); r++) {
                            Nlvr2Example e = examples.get(r);
                            left.setSafe(r, png(e.left()));
                            right.setSafe(r, png(e.right()));
                            identifier.setSafe(r, new Text(e.identifier()));
                            qw.setPosition(r);
                            qw.startList();
                            qw.writeVarChar(new Text(e.statement()));
                            qw.endList();
                            aw.setPosition(r);
                            aw.startList();
                            aw.writeVarChar(new Text(e.label() ? "True" : "False"));
                            aw.endList();
                        }
                    });
        }
    }

    /** Samples grouped into one row per image, images in the order they first occur. */
    private static <T> List<List<T>> byImage(List<T> samples, ToIntFunction<T> imageId) {
        Map<Integer, List<T>> rows = new LinkedHashMap<>();
        for (T x : samples) {
            rows.computeIfAbsent(imageId.applyAsInt(x), k -> new ArrayList<>()).add(x);
        }
        return new ArrayList<>(rows.values());
    }

    /** A list column of {@code leaf}, or of lists of {@code leaf} when {@code nested}. */
    static ListVector list(String name, ArrowType leaf, boolean nested, BufferAllocator a) {
        ListVector v = ListVector.empty(name, a);
        if (nested) {
            v.addOrGetVector(FieldType.nullable(ArrowType.List.INSTANCE));
            ((ListVector) v.getDataVector()).addOrGetVector(FieldType.nullable(leaf));
        } else {
            v.addOrGetVector(FieldType.nullable(leaf));
        }
        return v;
    }

    /** A step that fills the columns and may fail reading an image. */
    interface Fill {
        void run() throws IOException;
    }

    /** Writes one record batch of {@code rows} rows through a temporary sibling file. */
    static void write(Path file, List<FieldVector> columns, int rows, Fill fill)
            throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".part");
        try (VectorSchemaRoot root =
                        new VectorSchemaRoot(
                                columns.stream().map(FieldVector::getField).toList(), columns);
                OutputStream out = Files.newOutputStream(tmp);
                ArrowFileWriter writer =
                        new ArrowFileWriter(root, null, Channels.newChannel(out))) {
            writer.start();
            root.allocateNew();
            fill.run();
            for (FieldVector v : columns) {
                v.setValueCount(rows);
            }
            root.setRowCount(rows);
            writer.writeBatch();
            writer.end();
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static byte[] png(ImageRef ref) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!ImageIO.write(ref.load().toBufferedImage(), "png", out)) {
            throw new DataException("no PNG writer for image " + ref.name());
        }
        return out.toByteArray();
    }
}
