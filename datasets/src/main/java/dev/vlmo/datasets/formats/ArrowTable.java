package dev.vlmo.datasets.formats;

import dev.vlmo.datasets.BadInputs;
import dev.vlmo.datasets.DataException;
import dev.vlmo.datasets.Dataset;
import dev.vlmo.datasets.ImageRef;
import dev.vlmo.datasets.ImageText;
import dev.vlmo.datasets.Nlvr2Example;
import dev.vlmo.datasets.VqaExample;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * One of the reference's Arrow IPC files, memory-mapped and read one record batch at a time (never
 * the whole table). Views: {@link #captions()} (COCO, Flickr30k, CC, SBU, VG: one sample per
 * caption), {@link #texts()} (wikibk), {@link #vqa(int)} and {@link #nlvr2()} (one sample per
 * question). Row access is synchronised, so loader workers can share a table. Questions whose text
 * or answer is bad are reported to a {@link BadInputs} and left out of the views.
 */
public final class ArrowTable implements AutoCloseable {
    private final Path file;
    private final FileChannel channel;
    private final BufferAllocator allocator;
    private final ArrowFileReader reader;
    private final List<ArrowBlock> blocks;
    private final int[] blockStart;
    private final int rows;
    private final BadInputs bad = BadInputs.skipAndCount();
    private int loaded = -1;

    private ArrowTable(Path file) throws IOException {
        this.file = file;
        this.channel = FileChannel.open(file, StandardOpenOption.READ);
        this.allocator = new RootAllocator();
        MappedByteBuffer map = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size());
        this.reader = new ArrowFileReader(new MappedChannel(map), allocator);
        this.blocks = reader.getRecordBlocks();
        this.blockStart = new int[blocks.size() + 1];
        int total = 0;
        for (int b = 0; b < blocks.size(); b++) {
            blockStart[b] = total;
            load(b);
            total += reader.getVectorSchemaRoot().getRowCount();
        }
        blockStart[blocks.size()] = total;
        this.rows = total;
    }

    /**
     * Opens an Arrow IPC file (the {@code RecordBatchFileWriter} format the reference writes).
     *
     * @param file the {@code .arrow} file
     * @return the table; close it when done
     */
    public static ArrowTable open(Path file) {
        try {
            return new ArrowTable(file);
        } catch (IOException | RuntimeException e) {
            throw new DataException(
                    "cannot open Arrow file "
                            + file
                            + ": "
                            + e.getMessage()
                            + " (expected the Arrow IPC file format the reference's write_*.py"
                            + " scripts produce)",
                    e);
        }
    }

    /**
     * Returns the schema.
     *
     * @return the column names and types
     */
    public synchronized Schema schema() {
        try {
            return reader.getVectorSchemaRoot().getSchema();
        } catch (IOException e) {
            throw new DataException("cannot read the schema of " + file, e);
        }
    }

    /**
     * Returns the number of rows.
     *
     * @return the row count over all record batches
     */
    public int rows() {
        return rows;
    }

    /**
     * Returns the number of record batches.
     *
     * @return the batch count
     */
    public int recordBatches() {
        return blocks.size();
    }

    /**
     * Reads one cell as a plain Java value: {@code byte[]} for binary, {@link String} for text,
     * {@link Long} or {@link Double} for numbers, {@link List} for lists (recursively).
     *
     * @param row the row
     * @param column the column name
     * @return the value, or {@code null}
     */
    public synchronized Object get(int row, String column) {
        if (row < 0 || row >= rows) {
            throw new IndexOutOfBoundsException("row " + row + " of " + rows + " in " + file);
        }
        int b = 0;
        while (blockStart[b + 1] <= row) {
            b++;
        }
        try {
            if (b != loaded) {
                load(b);
            }
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            FieldVector v = root.getVector(column);
            if (v == null) {
                throw new DataException(
                        "Arrow file "
                                + file
                                + " has no column '"
                                + column
                                + "'; it has "
                                + root.getSchema().getFields().stream()
                                        .map(f -> f.getName())
                                        .toList());
            }
            return plain(v.getObject(row - blockStart[b]));
        } catch (IOException e) {
            throw new DataException("cannot read record batch " + b + " of " + file, e);
        }
    }

    private void load(int b) throws IOException {
        if (!reader.loadRecordBatch(blocks.get(b))) {
            throw new IOException("record batch " + b + " of " + file + " is missing");
        }
        loaded = b;
    }

    private static Object plain(Object o) {
        if (o instanceof org.apache.arrow.vector.util.Text t) {
            return t.toString();
        }
        if (o instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object x : l) {
                out.add(plain(x));
            }
            return out;
        }
        if (o instanceof Integer i) {
            return i.longValue();
        }
        if (o instanceof Float f) {
            return f.doubleValue();
        }
        return o;
    }

    private List<?> list(int row, String column) {
        Object o = get(row, column);
        return o instanceof List<?> l ? l : List.of();
    }

    private ImageRef image(int row, String column) {
        String name = file.getFileName() + " row " + row + " " + column;
        ArrowTable self = this;
        return new ImageRef() {
            @Override
            public dev.vlmo.datasets.image.RgbImage load() throws IOException {
                Object o = self.get(row, column);
                if (!(o instanceof byte[] bytes)) {
                    throw new IOException("no image bytes in " + name);
                }
                return dev.vlmo.datasets.image.ImageDecoder.decode(bytes, name);
            }

            @Override
            public String name() {
                return name;
            }
        };
    }

    /**
     * Returns where the {@link #vqa(int)} and {@link #nlvr2()} views without an explicit policy
     * report the questions they skip (skip-and-count).
     *
     * @return this table's own report
     */
    public BadInputs badInputs() {
        return bad;
    }

    /** Maps sample indices to (row, item) through the sizes of a list column. */
    private record Index(int[] row, int[] item) {}

    /** Decides whether item {@code k} of a row is kept; reports it when not. */
    private interface Check {
        boolean keep(int row, int k);
    }

    private Index index(String listColumn) {
        return index(listColumn, (row, k) -> true);
    }

    private Index index(String listColumn, Check check) {
        List<Integer> r = new ArrayList<>();
        List<Integer> it = new ArrayList<>();
        for (int row = 0; row < rows; row++) {
            int n = list(row, listColumn).size();
            for (int k = 0; k < n; k++) {
                if (!check.keep(row, k)) {
                    continue;
                }
                r.add(row);
                it.add(k);
            }
        }
        return new Index(
                r.stream().mapToInt(Integer::intValue).toArray(),
                it.stream().mapToInt(Integer::intValue).toArray());
    }

    /**
     * Returns the image-text pairs of a caption table ({@code image}, {@code caption} list), one
     * per caption; the image id is the row.
     *
     * @return a lazy dataset over the file
     */
    public Dataset<ImageText> captions() {
        Index ix = index("caption");
        return new Dataset<>() {
            @Override
            public int size() {
                return ix.row().length;
            }

            @Override
            public ImageText get(int i) {
                int row = ix.row()[i];
                String text = String.valueOf(list(row, "caption").get(ix.item()[i]));
                return new ImageText(image(row, "image"), text, row);
            }
        };
    }

    /**
     * Returns the texts of a text-only table ({@code caption} list, e.g. wikibk).
     *
     * @return a lazy dataset over the file
     */
    public Dataset<String> texts() {
        Index ix = index("caption");
        return new Dataset<>() {
            @Override
            public int size() {
                return ix.row().length;
            }

            @Override
            public String get(int i) {
                return String.valueOf(list(ix.row()[i], "caption").get(ix.item()[i]));
            }
        };
    }

    /**
     * Returns the questions of a VQA table ({@code image}, {@code questions}, {@code answers},
     * {@code answer_labels}, {@code answer_scores}, {@code question_id}), one per question,
     * reporting skipped questions to {@link #badInputs()}.
     *
     * @param numAnswers the answer vocabulary size, to check labels against
     * @return a lazy dataset over the file
     * @see #vqa(int, BadInputs)
     */
    public Dataset<VqaExample> vqa(int numAnswers) {
        return vqa(numAnswers, bad);
    }

    /**
     * Returns the questions of a VQA table, one per question. A question with an empty text ("empty
     * question"), or with an answer label outside {@code [0, numAnswers)} or labels and scores of
     * different lengths ("unknown answer") is reported to {@code bad} and left out when the view is
     * made (only the list columns are read for that, not the images). Unreadable image bytes are
     * found when the image is loaded, and reported by the collator.
     *
     * @param numAnswers the answer vocabulary size, to check labels against
     * @param bad where to report skipped questions (strict mode throws at the first)
     * @return a lazy dataset over the file
     */
    public Dataset<VqaExample> vqa(int numAnswers, BadInputs bad) {
        Index ix =
                index(
                        "questions",
                        (row, k) -> {
                            String where = file.getFileName() + " row " + row + " question " + k;
                            Object q = list(row, "questions").get(k);
                            if (q == null || String.valueOf(q).isBlank()) {
                                bad.report("empty question", where, null);
                                return false;
                            }
                            List<?> labels = at(list(row, "answer_labels"), k);
                            List<?> scores = at(list(row, "answer_scores"), k);
                            if (labels.size() != scores.size()) {
                                bad.report(
                                        "unknown answer",
                                        where
                                                + " ("
                                                + labels.size()
                                                + " labels but "
                                                + scores.size()
                                                + " scores)",
                                        null);
                                return false;
                            }
                            for (Object l : labels) {
                                if (!(l instanceof Number n)
                                        || n.intValue() < 0
                                        || n.intValue() >= numAnswers) {
                                    bad.report(
                                            "unknown answer",
                                            where
                                                    + " (label "
                                                    + l
                                                    + " outside the "
                                                    + numAnswers
                                                    + " answers)",
                                            null);
                                    return false;
                                }
                            }
                            return true;
                        });
        return new Dataset<>() {
            @Override
            public int size() {
                return ix.row().length;
            }

            @Override
            public VqaExample get(int i) {
                int row = ix.row()[i];
                int k = ix.item()[i];
                String q = String.valueOf(list(row, "questions").get(k));
                List<?> answers = at(list(row, "answers"), k);
                List<?> labels = at(list(row, "answer_labels"), k);
                List<?> scores = at(list(row, "answer_scores"), k);
                int[] l = new int[labels.size()];
                float[] s = new float[labels.size()];
                for (int j = 0; j < l.length; j++) {
                    l[j] = ((Number) labels.get(j)).intValue();
                    s[j] = ((Number) scores.get(j)).floatValue();
                }
                Object qid = at(list(row, "question_id"), k, null);
                return new VqaExample(
                        image(row, "image"),
                        q,
                        answers.stream().map(String::valueOf).toList(),
                        l,
                        s,
                        qid instanceof Number n ? n.longValue() : i,
                        row);
            }
        };
    }

    /**
     * Returns the statements of an NLVR2 table ({@code image_0}, {@code image_1}, {@code
     * questions}, {@code answers} "True"/"False", {@code identifier}), reporting skipped statements
     * to {@link #badInputs()}.
     *
     * @return a lazy dataset over the file
     * @see #nlvr2(BadInputs)
     */
    public Dataset<Nlvr2Example> nlvr2() {
        return nlvr2(bad);
    }

    /**
     * Returns the statements of an NLVR2 table, one per statement. A statement with an empty text
     * ("empty text") or an answer other than "True"/"False" ("bad label", as {@link Nlvr2#read}
     * says) is reported to {@code bad} and left out when the view is made. Unreadable image bytes
     * are found when the images are loaded, and reported by the collator.
     *
     * @param bad where to report skipped statements (strict mode throws at the first)
     * @return a lazy dataset over the file
     */
    public Dataset<Nlvr2Example> nlvr2(BadInputs bad) {
        Index ix =
                index(
                        "questions",
                        (row, k) -> {
                            String where = file.getFileName() + " row " + row + " question " + k;
                            Object q = list(row, "questions").get(k);
                            if (q == null || String.valueOf(q).isBlank()) {
                                bad.report("empty text", where, null);
                                return false;
                            }
                            Object a = at(list(row, "answers"), k, null);
                            String label = a == null ? "" : String.valueOf(a);
                            if (!label.equalsIgnoreCase("true")
                                    && !label.equalsIgnoreCase("false")) {
                                bad.report("bad label", where + " (label '" + label + "')", null);
                                return false;
                            }
                            return true;
                        });
        return new Dataset<>() {
            @Override
            public int size() {
                return ix.row().length;
            }

            @Override
            public Nlvr2Example get(int i) {
                int row = ix.row()[i];
                int k = ix.item()[i];
                Object answer = at(list(row, "answers"), k, "False");
                return new Nlvr2Example(
                        image(row, "image_0"),
                        image(row, "image_1"),
                        String.valueOf(list(row, "questions").get(k)),
                        String.valueOf(answer).equalsIgnoreCase("true"),
                        String.valueOf(ArrowTable.this.get(row, "identifier")));
            }
        };
    }

    private static List<?> at(List<?> l, int k) {
        return k < l.size() && l.get(k) instanceof List<?> x ? x : List.of();
    }

    private static Object at(List<?> l, int k, Object dflt) {
        return k < l.size() ? l.get(k) : dflt;
    }

    /** Releases the mapping's Arrow buffers and the file. */
    @Override
    public synchronized void close() {
        try {
            reader.close();
            allocator.close();
            channel.close();
        } catch (IOException e) {
            throw new DataException("cannot close Arrow file " + file, e);
        }
    }

    /** A read-only seekable channel over a memory-mapped file. */
    private static final class MappedChannel implements SeekableByteChannel {
        private final ByteBuffer map;
        private long position;
        private boolean open = true;

        MappedChannel(ByteBuffer map) {
            this.map = map;
        }

        @Override
        public int read(ByteBuffer dst) {
            if (position >= map.limit()) {
                return -1;
            }
            int n = (int) Math.min(dst.remaining(), map.limit() - position);
            ByteBuffer slice = map.duplicate();
            slice.position((int) position).limit((int) position + n);
            dst.put(slice);
            position += n;
            return n;
        }

        @Override
        public int write(ByteBuffer src) {
            throw new NonWritableChannelException();
        }

        @Override
        public long position() {
            return position;
        }

        @Override
        public SeekableByteChannel position(long newPosition) {
            position = newPosition;
            return this;
        }

        @Override
        public long size() {
            return map.limit();
        }

        @Override
        public SeekableByteChannel truncate(long size) {
            throw new NonWritableChannelException();
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }
    }
}
