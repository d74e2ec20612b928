package dev.vlmo.dsl.engine;

import dev.vlmo.datasets.BadInputs;
import dev.vlmo.datasets.DataException;
import dev.vlmo.datasets.Dataset;
import dev.vlmo.datasets.ImageRef;
import dev.vlmo.datasets.ImageText;
import dev.vlmo.datasets.LabeledImage;
import dev.vlmo.datasets.StreamingDataset;
import dev.vlmo.datasets.formats.ArrowTable;
import dev.vlmo.datasets.formats.ImageFolder;
import dev.vlmo.datasets.formats.Karpathy;
import dev.vlmo.datasets.formats.WebDataset;
import dev.vlmo.datasets.image.ImageDecoder;
import dev.vlmo.datasets.image.RgbImage;
import dev.vlmo.datasets.synthetic.SyntheticWorld;
import dev.vlmo.dsl.DataRef;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Opens the data references of a stage as samples of the kind the stage needs (images, texts or
 * image-text pairs), random-access where the format allows and streamed otherwise.
 */
final class Sources {

    /** Karpathy splits used for training, as the reference does for COCO and Flickr30k. */
    static final Set<String> TRAIN_SPLITS = Set.of("train", "restval");

    /** Samples held in a WebDataset shuffle buffer. */
    static final int SHUFFLE_BUFFER = 1000;

    private Sources() {}

    /**
     * The samples of one reference: exactly one of {@code dataset} and {@code stream} is set.
     *
     * @param ref the reference, for messages
     * @param dataset random-access samples, or {@code null}
     * @param stream streamed samples, or {@code null}
     * @param synthetic whether the images are the built-in world's (resized, not augmented)
     * @param imageIdSpan for pairs of a random-access source: image ids lie in {@code [0, span)}
     * @param <T> the sample type
     */
    record Source<T>(
            DataRef ref,
            Dataset<T> dataset,
            StreamingDataset<T> stream,
            boolean synthetic,
            int imageIdSpan) {

        static <T> Source<T> of(DataRef ref, List<T> samples, boolean synthetic, int span) {
            return new Source<>(ref, Dataset.of(samples), null, synthetic, span);
        }

        static <T> Source<T> of(DataRef ref, Dataset<T> samples, int span) {
            return new Source<>(ref, samples, null, false, span);
        }

        static <T> Source<T> streamed(DataRef ref, StreamingDataset<T> s) {
            return new Source<>(ref, null, s, false, 0);
        }

        boolean streaming() {
            return stream != null;
        }
    }

    // ---------------------------------------------------------------- images

    static Source<LabeledImage> images(
            DataRef r, int size, BadInputs bad, List<AutoCloseable> resources) {
        if (r instanceof DataRef.BuiltIn b) {
            return Source.of(
                    r, StageData.world(b, size).images(SyntheticWorld.Split.TRAIN), true, 0);
        }
        if (r instanceof DataRef.ImageFolder f) {
            if (!Files.isDirectory(f.root())) {
                throw new IllegalArgumentException(
                        "image folder "
                                + f.root().toAbsolutePath()
                                + " does not exist; imageFolder(...) expects ROOT/CLASS/IMAGE.jpg");
            }
            return Source.of(r, ImageFolder.read(f.root()).images(), false, 0);
        }
        if (r instanceof DataRef.WebDataset w) {
            return Source.streamed(
                    r, Streams.map(webDataset(w, bad), s -> new LabeledImage(s.image(), 0)));
        }
        if (r instanceof DataRef.Karpathy k) {
            List<LabeledImage> out = new ArrayList<>();
            int last = -1;
            for (ImageText s : karpathy(k, bad)) {
                if (s.imageId() != last) {
                    out.add(new LabeledImage(s.image(), 0));
                    last = s.imageId();
                }
            }
            return Source.of(r, out, false, 0);
        }
        if (r instanceof DataRef.Arrow a
                && (a.content() == DataRef.Content.PAIRS
                        || a.content() == DataRef.Content.IMAGES)) {
            List<ArrowTable> tables = arrowTables(a, "arrowPairs", bad, resources);
            List<Dataset<LabeledImage>> parts = new ArrayList<>();
            for (ArrowTable t : tables) {
                parts.add(rowImages(t, a.files()));
            }
            return Source.of(r, Streams.concat(parts), 0);
        }
        throw new IllegalArgumentException(r.describe() + " holds no images for a vision() stage");
    }

    // ---------------------------------------------------------------- texts

    static Source<String> texts(DataRef r, int size, BadInputs bad, List<AutoCloseable> resources) {
        if (r instanceof DataRef.BuiltIn b) {
            return Source.of(
                    r, StageData.world(b, size).textCorpus(SyntheticWorld.Split.TRAIN), true, 0);
        }
        if (r instanceof DataRef.TextLines t) {
            return Source.of(r, lines(t.glob(), bad), false, 0);
        }
        if (r instanceof DataRef.WebDataset w) {
            return Source.streamed(r, Streams.map(webDataset(w, bad), ImageText::text));
        }
        if (r instanceof DataRef.Karpathy k) {
            return Source.of(r, karpathy(k, bad).stream().map(ImageText::text).toList(), false, 0);
        }
        if (r instanceof DataRef.Arrow a
                && (a.content() == DataRef.Content.PAIRS || a.content() == DataRef.Content.TEXTS)) {
            List<Dataset<String>> parts = new ArrayList<>();
            for (ArrowTable t : arrowTables(a, "arrowPairs", bad, resources)) {
                parts.add(t.texts());
            }
            return Source.of(r, Streams.concat(parts), 0);
        }
        throw new IllegalArgumentException(r.describe() + " holds no texts for a text() stage");
    }

    // ---------------------------------------------------------------- pairs

    static Source<ImageText> pairs(
            DataRef r, int size, BadInputs bad, List<AutoCloseable> resources) {
        if (r instanceof DataRef.BuiltIn b) {
            List<ImageText> all = StageData.world(b, size).captions(SyntheticWorld.Split.TRAIN);
            return Source.of(r, all, true, span(all));
        }
        if (r instanceof DataRef.WebDataset w) {
            return Source.streamed(r, webDataset(w, bad));
        }
        if (r instanceof DataRef.Karpathy k) {
            List<ImageText> all = karpathy(k, bad);
            return Source.of(r, all, false, span(all));
        }
        if (r instanceof DataRef.Arrow a && a.content() == DataRef.Content.PAIRS) {
            List<Dataset<ImageText>> parts = new ArrayList<>();
            int offset = 0;
            for (ArrowTable t : arrowTables(a, "arrowPairs", bad, resources)) {
                int o = offset;
                parts.add(
                        t.captions().map(s -> new ImageText(s.image(), s.text(), s.imageId() + o)));
                offset += t.rows();
            }
            return Source.of(r, Streams.concat(parts), offset);
        }
        throw new IllegalArgumentException(
                r.describe() + " holds no image-text pairs for a visionLanguage() stage");
    }

    private static int span(List<ImageText> all) {
        int max = -1;
        for (ImageText s : all) {
            max = Math.max(max, s.imageId());
        }
        return max + 1;
    }

    // ---------------------------------------------------------------- formats

    private static WebDataset webDataset(DataRef.WebDataset w, BadInputs bad) {
        WebDataset d = WebDataset.of(w.shards());
        List<Path> shards = d.shards();
        if (shards.stream().noneMatch(Files::isRegularFile)) {
            throw new IllegalArgumentException(
                    "webDataset(\""
                            + w.shards()
                            + "\"): none of its "
                            + shards.size()
                            + " shard(s) exists (first: "
                            + shards.get(0).toAbsolutePath()
                            + "); check the path and the brace range, e.g."
                            + " cc3m/{00000..00331}.tar");
        }
        return d.withShuffleBuffer(SHUFFLE_BUFFER).withBadInputs(bad);
    }

    private static List<ImageText> karpathy(DataRef.Karpathy k, BadInputs bad) {
        return karpathy(k, TRAIN_SPLITS, bad);
    }

    /**
     * Reads the captions of some Karpathy splits of a COCO or Flickr30k folder.
     *
     * @param k the dataset reference
     * @param splits the splits to keep
     * @param bad where bad input is reported
     * @return the pairs, grouped by image, image ids numbered from 0 in file order
     */
    static List<ImageText> karpathy(DataRef.Karpathy k, Set<String> splits, BadInputs bad) {
        Path json = karpathyJson(k);
        Path images = k.root();
        Path flickr = k.root().resolve("flickr30k-images");
        if (!k.name().equals("coco") && Files.isDirectory(flickr)) {
            images = flickr;
        }
        List<ImageText> all = Karpathy.read(json, images, splits, bad);
        if (all.isEmpty()) {
            throw new IllegalArgumentException(
                    json
                            + " gives no caption (splits "
                            + splits
                            + ") with an image under "
                            + images.toAbsolutePath()
                            + ": "
                            + bad.summary());
        }
        return all;
    }

    /**
     * Opens the Arrow files a reference names; unreadable files are reported to {@code bad}.
     *
     * @param a the reference
     * @param dsl the DSL factory that made it, for messages
     * @param bad where unreadable files are reported
     * @param resources receives each opened table, for the caller to close
     * @return the readable tables, at least one
     */
    static List<ArrowTable> arrowTables(
            DataRef.Arrow a, String dsl, BadInputs bad, List<AutoCloseable> resources) {
        List<ArrowTable> out = new ArrayList<>();
        for (Path f : files(a.files(), dsl)) {
            try {
                ArrowTable t = ArrowTable.open(f);
                resources.add(t);
                out.add(t);
            } catch (DataException e) {
                bad.report("bad arrow file", f.toString(), e);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(
                    "no readable Arrow file matches " + a.files() + ": " + bad.summary());
        }
        return out;
    }

    /**
     * Closes what the readers opened (Arrow tables, shard readers) and empties the list, so a
     * second call closes nothing twice; a failure is reported on the console and the rest are still
     * closed (the files are only read: nothing is lost).
     *
     * @param resources what to close
     */
    static void closeAll(List<AutoCloseable> resources) {
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception e) {
                System.err.println("cannot close " + r + ": " + e.getMessage());
            }
        }
        resources.clear();
    }

    /** One image per row of the table's {@code image} column. */
    private static Dataset<LabeledImage> rowImages(ArrowTable t, String files) {
        int rows = t.rows();
        return new Dataset<>() {
            @Override
            public int size() {
                return rows;
            }

            @Override
            public LabeledImage get(int row) {
                String name = files + " row " + row + " image";
                return new LabeledImage(
                        new ImageRef() {
                            @Override
                            public RgbImage load() throws IOException {
                                if (!(t.get(row, "image") instanceof byte[] bytes)) {
                                    throw new IOException("no image bytes in " + name);
                                }
                                return ImageDecoder.decode(bytes, name);
                            }

                            @Override
                            public String name() {
                                return name;
                            }
                        },
                        0);
            }
        };
    }

    /**
     * Reads the lines of the files a pattern names; blank lines are left out, a line that is not
     * UTF-8 is reported as a malformed line and skipped.
     *
     * @param glob a file or glob pattern
     * @param bad where to report
     * @return the stripped lines
     */
    static List<String> lines(String glob, BadInputs bad) {
        List<String> out = new ArrayList<>();
        for (Path f : files(glob, "textLines")) {
            try (InputStream in = Files.newInputStream(f)) {
                ByteArrayOutputStream line = new ByteArrayOutputStream();
                int lineNo = 0;
                byte[] buf = new byte[1 << 16];
                int n;
                boolean more = true;
                while (more) {
                    n = in.read(buf);
                    more = n >= 0;
                    for (int i = 0; i < n; i++) {
                        if (buf[i] == '\n') {
                            add(out, line, f, ++lineNo, bad);
                        } else {
                            line.write(buf[i]);
                        }
                    }
                }
                if (line.size() > 0) {
                    add(out, line, f, ++lineNo, bad);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read text file " + f, e);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(
                    "textLines(\"" + glob + "\"): the files hold no non-blank line");
        }
        return out;
    }

    private static void add(
            List<String> out, ByteArrayOutputStream line, Path f, int lineNo, BadInputs bad) {
        try {
            String s =
                    StandardCharsets.UTF_8
                            .newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(line.toByteArray()))
                            .toString()
                            .strip();
            if (!s.isEmpty()) {
                out.add(s);
            }
        } catch (CharacterCodingException e) {
            bad.report("malformed line", f + ":" + lineNo + " (not UTF-8)", null);
        }
        line.reset();
    }

    /** The split JSON of a Karpathy folder, or an error naming the file names looked for. */
    private static Path karpathyJson(DataRef.Karpathy k) {
        List<String> names =
                k.name().equals("coco")
                        ? List.of("dataset_coco.json")
                        : List.of("dataset_flickr30k.json", "dataset_f30k.json");
        for (String n : names) {
            if (Files.isRegularFile(k.root().resolve(n))) {
                return k.root().resolve(n);
            }
        }
        throw new IllegalArgumentException(
                k.name()
                        + ": "
                        + k.root().toAbsolutePath()
                        + " has no "
                        + String.join(" or ", names)
                        + "; put Karpathy's split JSON in that folder with the images");
    }

    /**
     * What of a plan's inputs is not on disk, checked before anything trains so that a missing
     * folder of a later stage does not wait for the earlier stages to finish: every data source
     * (its folder, files or shards), the checkpoint it starts from. Smoke mode reads none of them;
     * a resumed run reads neither the stages it finished nor {@code startFrom}.
     *
     * @param plan the compiled plan
     * @param stagesDone the stages a resumed run has finished (0 for a new run)
     * @param resuming whether the run continues from a checkpoint
     * @return one line per missing input, empty when all are there
     */
    static List<String> missingInputs(dev.vlmo.dsl.Plan plan, int stagesDone, boolean resuming) {
        List<String> out = new ArrayList<>();
        if (plan.runtime().isSmoke()) {
            return out;
        }
        Path start = plan.description().startFrom();
        if (start != null && !resuming && !Files.isRegularFile(start)) {
            out.add(
                    "startFrom: "
                            + (Files.isDirectory(start)
                                    ? start.toAbsolutePath()
                                            + " is a folder; give a checkpoint file (a run's"
                                            + " checkpoints/stage-S-step-N/model.params or a"
                                            + " reference .pt)"
                                    : "no file " + start.toAbsolutePath()));
        }
        for (dev.vlmo.dsl.Plan.StagePlan p : plan.stages()) {
            if (p.index() <= stagesDone) {
                continue;
            }
            String where = "stage " + p.index() + " (" + p.stage().kind().dslName() + ")";
            for (DataRef r : p.stage().data()) {
                String problem = missing(r);
                if (problem != null) {
                    out.add(where + ": " + problem);
                }
            }
        }
        return out;
    }

    /** Why a data source cannot be read, or null when its files are there. */
    static String missing(DataRef r) {
        try {
            if (r instanceof DataRef.ImageFolder f && !Files.isDirectory(f.root())) {
                return "imageFolder: no folder " + f.root().toAbsolutePath();
            } else if (r instanceof DataRef.TextLines t) {
                files(t.glob(), "textLines");
            } else if (r instanceof DataRef.Arrow a) {
                files(a.files(), "arrow");
            } else if (r instanceof DataRef.WebDataset w) {
                List<Path> shards = WebDataset.of(w.shards()).shards();
                if (shards.stream().noneMatch(Files::isRegularFile)) {
                    return "webDataset(\""
                            + w.shards()
                            + "\"): none of its "
                            + shards.size()
                            + " shard(s) exists (first: "
                            + shards.get(0).toAbsolutePath()
                            + ")";
                }
            } else if (r instanceof DataRef.Karpathy k) {
                karpathyJson(k);
            } else if (r instanceof DataRef.VqaV2 v && !Files.isDirectory(v.root())) {
                return "vqaV2: no folder " + v.root().toAbsolutePath();
            } else if (r instanceof DataRef.Nlvr2Files n && !Files.isDirectory(n.root())) {
                return "nlvr2Files: no folder " + n.root().toAbsolutePath();
            }
        } catch (IllegalArgumentException | UncheckedIOException e) {
            return e.getMessage();
        }
        return null;
    }

    /**
     * Lists the files a pattern names, sorted: a plain path, or a glob ({@code *}, {@code ?},
     * {@code [..]}, {@code {a,b}}, {@code **}) matched below its longest literal folder.
     *
     * @param pattern the pattern
     * @param dsl the DSL factory the pattern came from, for messages
     * @return at least one file
     */
    static List<Path> files(String pattern, String dsl) {
        if (!hasGlob(pattern)) {
            Path p = Path.of(pattern);
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException(
                        dsl
                                + "(\""
                                + pattern
                                + "\"): no such file ("
                                + p.toAbsolutePath()
                                + "); give a file or a glob such as data/wiki/*.txt");
            }
            return List.of(p);
        }
        boolean deep = pattern.contains("**");
        String[] parts = pattern.split("[/\\\\]", -1);
        StringBuilder literal = new StringBuilder();
        int literalParts = 0;
        for (int i = 0; i < parts.length - 1 && !hasGlob(parts[i]); i++) {
            literal.append(parts[i]).append('/');
            literalParts++;
        }
        Path base = literal.length() == 0 ? Path.of("") : Path.of(literal.toString());
        int maxDepth = deep ? Integer.MAX_VALUE : parts.length - literalParts;
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
        List<Path> out = new ArrayList<>();
        Path walkFrom = base.toString().isEmpty() ? Path.of(".") : base;
        if (!Files.isDirectory(walkFrom)) {
            throw new IllegalArgumentException(
                    dsl
                            + "(\""
                            + pattern
                            + "\"): folder "
                            + walkFrom.toAbsolutePath()
                            + " does not exist");
        }
        try (Stream<Path> s = Files.walk(walkFrom, maxDepth)) {
            s.filter(Files::isRegularFile)
                    .map(p -> base.toString().isEmpty() ? walkFrom.relativize(p) : p)
                    .filter(m::matches)
                    .forEach(out::add);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + walkFrom + " for " + pattern, e);
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(
                    dsl
                            + "(\""
                            + pattern
                            + "\"): no file matches under "
                            + walkFrom.toAbsolutePath());
        }
        out.sort(null);
        return List.copyOf(new LinkedHashSet<>(out));
    }

    private static boolean hasGlob(String s) {
        return s.indexOf('*') >= 0
                || s.indexOf('?') >= 0
                || s.indexOf('[') >= 0
                || s.indexOf('{') >= 0;
    }
}
