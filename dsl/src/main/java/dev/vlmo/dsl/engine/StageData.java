package dev.vlmo.dsl.engine;

import dev.vlmo.datasets.BadInputs;
import dev.vlmo.datasets.DataException;
import dev.vlmo.datasets.Dataset;
import dev.vlmo.datasets.ImageText;
import dev.vlmo.datasets.StreamingDataset;
import dev.vlmo.datasets.batch.Batch;
import dev.vlmo.datasets.batch.Collator;
import dev.vlmo.datasets.batch.Collators;
import dev.vlmo.datasets.batch.PrefetchLoader;
import dev.vlmo.datasets.batch.TextEncoder;
import dev.vlmo.datasets.image.ImageTransform;
import dev.vlmo.datasets.image.Transforms;
import dev.vlmo.datasets.masking.BlockMaskGenerator;
import dev.vlmo.datasets.masking.MlmMasker;
import dev.vlmo.datasets.synthetic.SyntheticWorld;
import dev.vlmo.datasets.text.WordPieceTokenizer;
import dev.vlmo.dsl.DataRef;
import dev.vlmo.dsl.Plan;
import dev.vlmo.dsl.Stage;
import dev.vlmo.model.VlmoConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * The batches of one stage, by optimizer step, from any mix of the stage's data references.
 *
 * <p>Random-access sources (the built-in world, image folders, text lines, Karpathy JSON, Arrow
 * files) are concatenated: step s reads batch {@code s mod E} of epoch {@code s / E} (E batches per
 * epoch), each epoch shuffled by the stage's seed, so a resumed run reads exactly what an
 * uninterrupted one would. When a stage has a streaming source (WebDataset shards), every source is
 * streamed and they are interleaved sample by sample; step s is then the s-th batch of successive
 * passes over the data (pass p seeded by the stage's seed and p), and a resumed run re-opens pass 0
 * from its first shard and reads and discards the batches before its step, which gives the same
 * batches at the cost of reading (and decoding) them again. Epoch-based stages need random-access
 * sources.
 *
 * <p>Real data gets the reference's train transform ({@link Transforms#train(int)}); the built-in
 * world is only resized. Bad inputs are skipped and counted: a random-access batch that lost
 * samples is refilled with random samples of the same data, a streamed one is shortened; either is
 * cut to a multiple of devices x accumulation steps.
 */
final class StageData implements AutoCloseable {

    /** Refill rounds for a random-access batch that lost samples to bad input. */
    private static final int REFILL_ROUNDS = 4;

    private final PrefetchLoader<?> loader;
    private final BadInputs bad;
    private final boolean streaming;
    private final String where;
    private final List<AutoCloseable> resources;
    private PrefetchLoader<?>.Epoch epoch;
    private int epochIndex = -1;
    private int nextInEpoch;
    private int position;

    private StageData(
            PrefetchLoader<?> loader,
            BadInputs bad,
            boolean streaming,
            String where,
            List<AutoCloseable> resources) {
        this.loader = loader;
        this.bad = bad;
        this.streaming = streaming;
        this.where = where;
        this.resources = resources;
    }

    /**
     * Returns the built-in world of a reference, rendered at an image size (cached).
     *
     * @param ref the reference
     * @param imageSize the side of rendered images
     * @return the world
     */
    static SyntheticWorld world(DataRef.BuiltIn ref, int imageSize) {
        return ref.world(imageSize);
    }

    static StageData open(Plan.StagePlan p, VlmoConfig model, WordPieceTokenizer tokenizer) {
        Stage s = p.stage();
        int size = model.imageSize();
        BadInputs bad = BadInputs.skipAndCount();
        List<AutoCloseable> resources = new ArrayList<>();
        try {
            return switch (s.kind()) {
                case VISION -> {
                    int g = model.gridSize();
                    BlockMaskGenerator masks = BlockMaskGenerator.forRatio(g, g, s.mimMaskRatio());
                    List<Sources.Source<dev.vlmo.datasets.LabeledImage>> src = new ArrayList<>();
                    for (DataRef r : s.data()) {
                        src.add(Sources.images(r, size, bad, resources));
                    }
                    yield build(p, src, t -> Collators.images(t, masks), size, bad, resources);
                }
                case TEXT -> {
                    TextEncoder enc =
                            new TextEncoder(tokenizer, p.textLength())
                                    .withMasker(masker(tokenizer, s));
                    List<Sources.Source<String>> src = new ArrayList<>();
                    for (DataRef r : s.data()) {
                        src.add(Sources.texts(r, size, bad, resources));
                    }
                    yield build(p, src, t -> Collators.text(enc), size, bad, resources);
                }
                case VISION_LANGUAGE -> {
                    TextEncoder plain = new TextEncoder(tokenizer, p.textLength());
                    TextEncoder enc =
                            s.mlmProbability() > 0 ? plain.withMasker(masker(tokenizer, s)) : plain;
                    List<Sources.Source<ImageText>> src = new ArrayList<>();
                    for (DataRef r : s.data()) {
                        src.add(Sources.pairs(r, size, bad, resources));
                    }
                    yield build(
                            p,
                            distinctImageIds(src),
                            t -> Collators.imageText(enc, t),
                            size,
                            bad,
                            resources);
                }
            };
        } catch (RuntimeException e) {
            Sources.closeAll(resources);
            throw e;
        }
    }

    private static MlmMasker masker(WordPieceTokenizer tokenizer, Stage s) {
        return new MlmMasker(tokenizer.vocabulary(), s.mlmProbability(), s.wholeWordMasking());
    }

    /**
     * Renumbers image ids so that no two sources share one (same-image negatives are excluded by
     * id): random-access sources are offset one after another, streamed ones interleaved.
     */
    private static List<Sources.Source<ImageText>> distinctImageIds(
            List<Sources.Source<ImageText>> src) {
        if (src.size() == 1) {
            return src;
        }
        boolean anyStream = src.stream().anyMatch(Sources.Source::streaming);
        List<Sources.Source<ImageText>> out = new ArrayList<>();
        int n = src.size();
        int offset = 0;
        for (int i = 0; i < n; i++) {
            Sources.Source<ImageText> s = src.get(i);
            int k = i;
            int o = offset;
            Function<ImageText, ImageText> f =
                    anyStream
                            ? x -> new ImageText(x.image(), x.text(), x.imageId() * n + k)
                            : x -> new ImageText(x.image(), x.text(), x.imageId() + o);
            offset += s.imageIdSpan();
            out.add(
                    s.streaming()
                            ? new Sources.Source<>(
                                    s.ref(), null, Streams.map(s.stream(), f), false, 0)
                            : new Sources.Source<>(
                                    s.ref(), s.dataset().map(f), null, s.synthetic(), 0));
        }
        return out;
    }

    /** A sample with whether its images are the built-in world's. */
    private record Tagged<T>(T value, boolean synthetic) {}

    private static <T> StageData build(
            Plan.StagePlan p,
            List<Sources.Source<T>> sources,
            Function<ImageTransform, Collator<T>> collators,
            int size,
            BadInputs bad,
            List<AutoCloseable> resources) {
        Stage s = p.stage();
        String where = "stage " + p.index() + " (" + s.kind().dslName() + ")";
        int unit = p.shards() * s.gradientAccumulation();
        Collator<Tagged<T>> collator = byTransform(collators, size);
        int workers =
                Math.max(1, Math.min(4, java.lang.Runtime.getRuntime().availableProcessors()));
        String names = String.join(" + ", sources.stream().map(x -> x.ref().describe()).toList());
        if (sources.stream().noneMatch(Sources.Source::streaming)) {
            List<Dataset<Tagged<T>>> parts = new ArrayList<>();
            for (Sources.Source<T> x : sources) {
                boolean syn = x.synthetic();
                parts.add(x.dataset().map(v -> new Tagged<>(v, syn)));
            }
            Dataset<Tagged<T>> all = Streams.concat(parts);
            if (all.size() < s.batchSize()) {
                throw new IllegalArgumentException(
                        where
                                + " has "
                                + all.size()
                                + " samples in "
                                + names
                                + ", fewer than one batch of "
                                + s.batchSize()
                                + "; add data or lower batchSize"
                                + (bad.total() > 0 ? " (" + bad.summary() + ")" : ""));
            }
            PrefetchLoader<Tagged<T>> loader =
                    PrefetchLoader.builder(all, cut(refill(collator, all), unit))
                            .batchSize(s.batchSize())
                            .shuffle(true)
                            .dropLast(true)
                            .seed(s.seed())
                            .workers(workers)
                            .prefetch(2 * workers)
                            .badInputs(bad)
                            .build();
            return new StageData(loader, bad, false, where + " on " + names, resources);
        }
        if (s.epochs() > 0) {
            String streamed =
                    String.join(
                            ", ",
                            sources.stream()
                                    .filter(Sources.Source::streaming)
                                    .map(x -> x.ref().describe())
                                    .toList());
            throw new IllegalArgumentException(
                    where
                            + " runs for epochs("
                            + s.epochs()
                            + ") but "
                            + streamed
                            + " is streamed and its length is not known before reading it; use"
                            + " steps(n) for this stage instead");
        }
        List<StreamingDataset<Tagged<T>>> streams = new ArrayList<>();
        for (Sources.Source<T> x : sources) {
            boolean syn = x.synthetic();
            StreamingDataset<T> st = x.streaming() ? x.stream() : Streams.of(x.dataset());
            streams.add(Streams.map(st, v -> new Tagged<>(v, syn)));
        }
        PrefetchLoader<Tagged<T>> loader =
                PrefetchLoader.builder(Streams.interleave(streams), cut(collator, unit))
                        .batchSize(s.batchSize())
                        .dropLast(true)
                        .seed(s.seed())
                        .workers(workers)
                        .prefetch(2 * workers)
                        .badInputs(bad)
                        .build();
        return new StageData(loader, bad, true, where + " on " + names, resources);
    }

    /** Collates the built-in world's samples with the eval resize and the rest with train. */
    private static <T> Collator<Tagged<T>> byTransform(
            Function<ImageTransform, Collator<T>> collators, int size) {
        Collator<T> synthetic = collators.apply(Transforms.eval(size));
        Collator<T> real = collators.apply(Transforms.train(size));
        return (samples, rng, bad) -> {
            List<T> syn = new ArrayList<>();
            List<T> rest = new ArrayList<>();
            for (Tagged<T> t : samples) {
                (t.synthetic() ? syn : rest).add(t.value());
            }
            if (rest.isEmpty()) {
                return synthetic.collate(syn, rng, bad);
            }
            if (syn.isEmpty()) {
                return real.collate(rest, rng, bad);
            }
            SplittableRandom a = rng.split();
            SplittableRandom b = rng.split();
            return BatchRows.concat(synthetic.collate(syn, a, bad), real.collate(rest, b, bad));
        };
    }

    /**
     * Tops up a batch that lost samples to bad input with samples drawn at random (from the batch's
     * own random stream) from the whole dataset.
     */
    private static <T> Collator<T> refill(Collator<T> inner, Dataset<T> all) {
        return (samples, rng, bad) -> {
            Batch b = inner.collate(samples, rng, bad);
            for (int round = 0; round < REFILL_ROUNDS && b.size() < samples.size(); round++) {
                int missing = samples.size() - b.size();
                List<T> extra = new ArrayList<>(missing);
                for (int i = 0; i < missing; i++) {
                    extra.add(all.get(rng.nextInt(all.size())));
                }
                b = BatchRows.concat(b, inner.collate(extra, rng.split(), bad));
            }
            return b;
        };
    }

    /** Cuts a batch to a multiple of {@code unit} rows (devices x accumulation steps). */
    private static <T> Collator<T> cut(Collator<T> inner, int unit) {
        return (samples, rng, bad) -> {
            Batch b = inner.collate(samples, rng, bad);
            int keep = b.size() / unit * unit;
            return keep == b.size() ? b : BatchRows.take(b, keep);
        };
    }

    /**
     * Returns the number of steps in one pass over the data.
     *
     * @return batches per epoch, or -1 for streamed data
     */
    int batchesPerEpoch() {
        return loader.batchesPerEpoch();
    }

    /**
     * Returns whether the stage streams its data (no known epoch length).
     *
     * @return {@code true} with a WebDataset source
     */
    boolean streaming() {
        return streaming;
    }

    /**
     * Returns the batch of an optimizer step.
     *
     * @param step the step, from 0
     * @return the batch
     */
    Batch batch(int step) {
        return streaming ? streamed(step) : mapped(step);
    }

    private Batch mapped(int step) {
        int per = loader.batchesPerEpoch();
        int e = step / per;
        int k = step % per;
        if (e != epochIndex || k < nextInEpoch) {
            openEpoch(e);
        }
        while (nextInEpoch <= k) {
            if (!epoch.hasNext()) {
                throw new DataException(
                        where
                                + ": epoch "
                                + e
                                + " ended after "
                                + nextInEpoch
                                + " of "
                                + per
                                + " batches because whole batches were bad input; fix or remove"
                                + " the files named here: "
                                + bad.summary());
            }
            Batch b = epoch.next();
            nextInEpoch++;
            if (nextInEpoch > k) {
                return b;
            }
        }
        throw new IllegalStateException("unreachable");
    }

    private Batch streamed(int step) {
        if (step < position || epoch == null) {
            openEpoch(0);
            position = 0;
        }
        while (true) {
            if (!epoch.hasNext()) {
                if (nextInEpoch == 0) {
                    throw new DataException(
                            where
                                    + ": pass "
                                    + epochIndex
                                    + " over the data gave no full batch of usable samples; add shards or"
                                    + " lower batchSize ("
                                    + bad.summary()
                                    + ")");
                }
                openEpoch(epochIndex + 1);
                continue;
            }
            Batch b = epoch.next();
            nextInEpoch++;
            position++;
            if (position > step) {
                return b;
            }
        }
    }

    private void openEpoch(int e) {
        if (epoch != null) {
            epoch.close();
        }
        epoch = loader.epoch(e);
        epochIndex = e;
        nextInEpoch = 0;
    }

    /**
     * Returns the bad-input summary.
     *
     * @return the counter
     */
    BadInputs badInputs() {
        return bad;
    }

    @Override
    public void close() {
        if (epoch != null) {
            epoch.close();
        }
        loader.close();
        Sources.closeAll(resources);
    }
}
