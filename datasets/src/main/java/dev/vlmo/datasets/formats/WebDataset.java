package dev.vlmo.datasets.formats;

import dev.vlmo.datasets.BadInputs;
import dev.vlmo.datasets.DataException;
import dev.vlmo.datasets.ImageRef;
import dev.vlmo.datasets.ImageText;
import dev.vlmo.datasets.Seeds;
import dev.vlmo.datasets.StreamingDataset;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * WebDataset tar shards as img2dataset writes them ({@code key.jpg}, {@code key.txt}, {@code
 * key.json}), streamed: shards are read one after another (in a seeded order), samples pass through
 * a shuffle buffer, and each data-parallel worker reads its own shards. Immutable: each {@code
 * withX} returns a new reader.
 */
public final class WebDataset implements StreamingDataset<ImageText> {
    private static final Pattern RANGE = Pattern.compile("\\{(\\d+)\\.\\.(\\d+)}");
    private static final Pattern LIST = Pattern.compile("\\{([^{}]*,[^{}]*)}");

    private final List<Path> allShards;
    private final int shuffleBuffer;
    private final int rank;
    private final int world;
    private final BadInputs bad;

    private WebDataset(List<Path> shards, int shuffleBuffer, int rank, int world, BadInputs bad) {
        this.allShards = List.copyOf(shards);
        this.shuffleBuffer = shuffleBuffer;
        this.rank = rank;
        this.world = world;
        this.bad = bad;
    }

    /**
     * Reads the shards named by a brace pattern such as {@code cc3m/{00000..00331}.tar}.
     *
     * @param pattern the shard pattern
     * @return a reader without shuffle buffer, as the only worker, skipping bad input
     */
    public static WebDataset of(String pattern) {
        List<Path> shards = new ArrayList<>();
        for (String s : expand(pattern)) {
            shards.add(Path.of(s));
        }
        return new WebDataset(shards, 0, 0, 1, BadInputs.skipAndCount());
    }

    /**
     * Expands brace patterns: numeric ranges keep their zero padding ({@code {00..02}} gives 00,
     * 01, 02) and comma lists give each item ({@code {a,b}}).
     *
     * @param pattern the pattern
     * @return the expanded names, in order
     */
    public static List<String> expand(String pattern) {
        Matcher m = RANGE.matcher(pattern);
        Matcher l = LIST.matcher(pattern);
        boolean range = m.find();
        boolean list = l.find();
        if (range && (!list || m.start() < l.start())) {
            String lo = m.group(1);
            String hi = m.group(2);
            long a = Long.parseLong(lo);
            long b = Long.parseLong(hi);
            if (b < a) {
                throw new IllegalArgumentException(
                        "shard range {" + lo + ".." + hi + "} in '" + pattern + "' is empty");
            }
            int width = lo.length();
            List<String> out = new ArrayList<>();
            for (long i = a; i <= b; i++) {
                String num = String.format("%0" + width + "d", i);
                out.addAll(
                        expand(pattern.substring(0, m.start()) + num + pattern.substring(m.end())));
            }
            return out;
        }
        if (list) {
            List<String> out = new ArrayList<>();
            for (String item : l.group(1).split(",", -1)) {
                out.addAll(
                        expand(
                                pattern.substring(0, l.start())
                                        + item
                                        + pattern.substring(l.end())));
            }
            return out;
        }
        return List.of(pattern);
    }

    /**
     * Returns a reader that shuffles samples through a buffer.
     *
     * @param size the buffer size, 0 for no shuffling (1000 to 10000 is typical)
     * @return a new reader
     */
    public WebDataset withShuffleBuffer(int size) {
        if (size < 0) {
            throw new IllegalArgumentException("shuffle buffer must be >= 0, got " + size);
        }
        return new WebDataset(allShards, size, rank, world, bad);
    }

    /**
     * Returns a reader for one of {@code world} data-parallel workers: it reads shards {@code rank,
     * rank + world, ...}.
     *
     * @param rank this worker, from 0 to {@code world - 1}
     * @param world the number of workers, at most the number of shards
     * @return a new reader
     */
    public WebDataset withWorker(int rank, int world) {
        if (world < 1 || rank < 0 || rank >= world) {
            throw new IllegalArgumentException(
                    "worker rank must be in [0, world) with world >= 1, got rank "
                            + rank
                            + " of "
                            + world);
        }
        if (world > allShards.size()) {
            throw new IllegalArgumentException(
                    world
                            + " workers but only "
                            + allShards.size()
                            + " shards: some workers would get no data; use at most "
                            + allShards.size()
                            + " workers or more shards");
        }
        return new WebDataset(allShards, shuffleBuffer, rank, world, bad);
    }

    /**
     * Returns a reader that reports bad input to {@code bad}.
     *
     * @param bad the policy and report
     * @return a new reader
     */
    public WebDataset withBadInputs(BadInputs bad) {
        return new WebDataset(allShards, shuffleBuffer, rank, world, bad);
    }

    /**
     * Returns the shards this worker reads.
     *
     * @return every {@code world}-th shard from {@code rank}
     */
    public List<Path> shards() {
        List<Path> out = new ArrayList<>();
        for (int i = rank; i < allShards.size(); i += world) {
            out.add(allShards.get(i));
        }
        return out;
    }

    /**
     * Returns the bad-input report of this reader.
     *
     * @return the report
     */
    public BadInputs badInputs() {
        return bad;
    }

    @Override
    public CloseableIterator<ImageText> open(long seed) {
        List<Path> order = new ArrayList<>(shards());
        SplittableRandom rng = Seeds.random(seed, 0x7A2);
        if (shuffleBuffer > 0) {
            Collections.shuffle(order, new java.util.Random(rng.nextLong()));
        }
        return new Reader(order, rng);
    }

    private final class Reader implements CloseableIterator<ImageText> {
        private final List<Path> shards;
        private final SplittableRandom rng;
        private final List<ImageText> buffer = new ArrayList<>();
        private int shardIndex = -1;
        private TarArchiveInputStream tar;
        private Path shard;
        private TarArchiveEntry pending;
        private int imageCounter;
        private ImageText next;

        Reader(List<Path> shards, SplittableRandom rng) {
            this.shards = shards;
            this.rng = rng;
        }

        @Override
        public boolean hasNext() {
            if (next == null) {
                next = advance();
            }
            return next != null;
        }

        @Override
        public ImageText next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            ImageText s = next;
            next = null;
            return s;
        }

        private ImageText advance() {
            if (shuffleBuffer <= 0) {
                return readSample();
            }
            while (buffer.size() < shuffleBuffer) {
                ImageText s = readSample();
                if (s == null) {
                    break;
                }
                buffer.add(s);
            }
            if (buffer.isEmpty()) {
                return null;
            }
            int i = rng.nextInt(buffer.size());
            ImageText out = buffer.get(i);
            buffer.set(i, buffer.get(buffer.size() - 1));
            buffer.remove(buffer.size() - 1);
            return out;
        }

        private ImageText readSample() {
            while (true) {
                if (tar == null && !openNextShard()) {
                    return null;
                }
                try {
                    ImageText s = readFromShard();
                    if (s != null) {
                        return s;
                    }
                } catch (IOException e) {
                    bad.report("truncated shard", shard.toString(), e);
                }
                closeShard();
            }
        }

        private boolean openNextShard() {
            while (++shardIndex < shards.size()) {
                shard = shards.get(shardIndex);
                try {
                    InputStream in = new BufferedInputStream(Files.newInputStream(shard), 1 << 16);
                    tar = new TarArchiveInputStream(in);
                    pending = null;
                    return true;
                } catch (IOException e) {
                    bad.report("missing shard", shard.toString(), e);
                }
            }
            return false;
        }

        /** Reads the entries of the next key; returns null at the end of the shard. */
        private ImageText readFromShard() throws IOException {
            while (true) {
                TarArchiveEntry first = pending != null ? pending : tar.getNextEntry();
                pending = null;
                if (first == null) {
                    return null;
                }
                if (!first.isFile()) {
                    continue;
                }
                String key = key(first.getName());
                Map<String, byte[]> parts = new HashMap<>();
                parts.put(extension(first.getName()), readEntry(first));
                TarArchiveEntry e;
                while ((e = tar.getNextEntry()) != null) {
                    if (!e.isFile()) {
                        continue;
                    }
                    if (!key(e.getName()).equals(key)) {
                        pending = e;
                        break;
                    }
                    parts.put(extension(e.getName()), readEntry(e));
                }
                ImageText s = sample(key, parts);
                if (s != null) {
                    return s;
                }
            }
        }

        private byte[] readEntry(TarArchiveEntry e) throws IOException {
            byte[] b = tar.readAllBytes();
            if (b.length != e.getSize()) {
                throw new IOException(
                        "entry "
                                + e.getName()
                                + " has "
                                + b.length
                                + " of "
                                + e.getSize()
                                + " bytes");
            }
            return b;
        }

        private ImageText sample(String key, Map<String, byte[]> parts) {
            String where = shard + ":" + key;
            byte[] image = null;
            for (String ext : List.of("jpg", "jpeg", "png", "webp", "bmp")) {
                if (parts.containsKey(ext)) {
                    image = parts.get(ext);
                    where = shard + ":" + key + "." + ext;
                    break;
                }
            }
            byte[] txt = parts.get("txt");
            if (image == null || txt == null) {
                bad.report(
                        "incomplete sample",
                        where + " (has " + parts.keySet() + ", needs an image and txt)",
                        null);
                return null;
            }
            String caption = new String(txt, StandardCharsets.UTF_8).strip();
            if (caption.isEmpty()) {
                bad.report("empty caption", where, null);
                return null;
            }
            return new ImageText(ImageRef.bytes(image, where), caption, imageCounter++);
        }

        private void closeShard() {
            if (tar != null) {
                try {
                    tar.close();
                } catch (IOException e) {
                    throw new DataException("cannot close shard " + shard, e);
                }
                tar = null;
            }
        }

        @Override
        public void close() {
            closeShard();
            shardIndex = shards.size();
            buffer.clear();
        }
    }

    static String key(String entryName) {
        int slash = entryName.lastIndexOf('/');
        int dot = entryName.indexOf('.', slash + 1);
        return dot < 0 ? entryName : entryName.substring(0, dot);
    }

    static String extension(String entryName) {
        int slash = entryName.lastIndexOf('/');
        int dot = entryName.indexOf('.', slash + 1);
        return dot < 0 ? "" : entryName.substring(dot + 1).toLowerCase(java.util.Locale.ROOT);
    }
}
