package dev.vlmo.dsl.engine;

import dev.vlmo.datasets.BadInputs;
import dev.vlmo.datasets.Dataset;
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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The batches of one stage, by optimizer step: step s reads batch {@code s mod E} of epoch {@code s
 * / E} (E batches per epoch), each epoch shuffled by the stage's seed, so a resumed run reads
 * exactly what an uninterrupted one would.
 */
final class StageData implements AutoCloseable {

    private static final Map<DataRef.BuiltIn, Map<Integer, SyntheticWorld>> WORLDS =
            new ConcurrentHashMap<>();

    private final PrefetchLoader<?> loader;
    private final BadInputs bad;
    private PrefetchLoader<?>.Epoch epoch;
    private int epochIndex = -1;
    private int nextInEpoch;

    private StageData(PrefetchLoader<?> loader, BadInputs bad) {
        this.loader = loader;
        this.bad = bad;
    }

    /**
     * Returns the built-in world of a reference, rendered at an image size (cached).
     *
     * @param ref the reference
     * @param imageSize the side of rendered images
     * @return the world
     */
    static SyntheticWorld world(DataRef.BuiltIn ref, int imageSize) {
        return WORLDS.computeIfAbsent(ref, k -> new ConcurrentHashMap<>())
                .computeIfAbsent(
                        imageSize,
                        s ->
                                SyntheticWorld.builder()
                                        .seed(ref.seed())
                                        .scenes(
                                                ref.trainScenes(),
                                                ref.evalScenes(),
                                                ref.evalScenes())
                                        .renderSize(s)
                                        .build());
    }

    static StageData open(Plan.StagePlan p, VlmoConfig model, WordPieceTokenizer tokenizer) {
        Stage s = p.stage();
        int size = model.imageSize();
        // The built-in world's captions name positions (left, right, top): flips and crops would
        // contradict them, so its images are only resized, as for evaluation.
        ImageTransform transform = Transforms.eval(size);
        BadInputs bad = BadInputs.skipAndCount();
        PrefetchLoader<?> loader =
                switch (s.kind()) {
                    case VISION -> {
                        List<dev.vlmo.datasets.LabeledImage> all = new ArrayList<>();
                        for (DataRef r : s.data()) {
                            all.addAll(builtIn(r, size).images(SyntheticWorld.Split.TRAIN));
                        }
                        int g = model.gridSize();
                        BlockMaskGenerator masks =
                                BlockMaskGenerator.forRatio(g, g, s.mimMaskRatio());
                        yield build(all, Collators.images(transform, masks), p, bad);
                    }
                    case TEXT -> {
                        List<String> all = new ArrayList<>();
                        for (DataRef r : s.data()) {
                            all.addAll(builtIn(r, size).textCorpus(SyntheticWorld.Split.TRAIN));
                        }
                        TextEncoder enc =
                                new TextEncoder(tokenizer, p.textLength())
                                        .withMasker(masker(tokenizer, s));
                        yield build(all, Collators.text(enc), p, bad);
                    }
                    case VISION_LANGUAGE -> {
                        List<dev.vlmo.datasets.ImageText> all = new ArrayList<>();
                        for (DataRef r : s.data()) {
                            all.addAll(builtIn(r, size).captions(SyntheticWorld.Split.TRAIN));
                        }
                        TextEncoder enc = new TextEncoder(tokenizer, p.textLength());
                        if (s.mlmProbability() > 0) {
                            enc = enc.withMasker(masker(tokenizer, s));
                        }
                        yield build(all, Collators.imageText(enc, transform), p, bad);
                    }
                };
        return new StageData(loader, bad);
    }

    private static MlmMasker masker(WordPieceTokenizer tokenizer, Stage s) {
        return new MlmMasker(tokenizer.vocabulary(), s.mlmProbability(), s.wholeWordMasking());
    }

    private static SyntheticWorld builtIn(DataRef r, int size) {
        if (r instanceof DataRef.BuiltIn b) {
            return world(b, size);
        }
        throw new UnsupportedOperationException(
                "training on "
                        + r.describe()
                        + " is not available in this version: the engine reads the built-in"
                        + " world; the datasets module reads this format (see its README) but it is"
                        + " not wired into stages yet");
    }

    private static <T> PrefetchLoader<T> build(
            List<T> samples, Collator<T> collator, Plan.StagePlan p, BadInputs bad) {
        if (samples.size() < p.stage().batchSize()) {
            throw new IllegalArgumentException(
                    "stage "
                            + p.index()
                            + " has "
                            + samples.size()
                            + " samples, fewer than one batch of "
                            + p.stage().batchSize());
        }
        return PrefetchLoader.builder(Dataset.of(samples), collator)
                .batchSize(p.stage().batchSize())
                .shuffle(true)
                .dropLast(true)
                .seed(p.stage().seed())
                .workers(
                        Math.max(
                                1,
                                Math.min(2, java.lang.Runtime.getRuntime().availableProcessors())))
                .prefetch(2)
                .badInputs(bad)
                .build();
    }

    /**
     * Returns the number of steps in one pass over the data.
     *
     * @return batches per epoch
     */
    int batchesPerEpoch() {
        return loader.batchesPerEpoch();
    }

    /**
     * Returns the batch of an optimizer step.
     *
     * @param step the step, from 0
     * @return the batch
     */
    Batch batch(int step) {
        int per = loader.batchesPerEpoch();
        int e = step / per;
        int k = step % per;
        if (e != epochIndex || k < nextInEpoch) {
            if (epoch != null) {
                epoch.close();
            }
            epoch = loader.epoch(e);
            epochIndex = e;
            nextInEpoch = 0;
        }
        while (nextInEpoch < k) {
            epoch.next();
            nextInEpoch++;
        }
        nextInEpoch++;
        return epoch.next();
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
    }
}
