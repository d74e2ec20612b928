package dev.vlmo.datasets.batch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.vlmo.datasets.BadInputs;
import dev.vlmo.datasets.DataException;
import dev.vlmo.datasets.Dataset;
import dev.vlmo.datasets.ImageRef;
import dev.vlmo.datasets.ImageText;
import dev.vlmo.datasets.image.RgbImage;
import dev.vlmo.datasets.image.Transforms;
import dev.vlmo.datasets.masking.BlockMaskGenerator;
import dev.vlmo.datasets.masking.MlmMasker;
import dev.vlmo.datasets.synthetic.SyntheticWorld;
import dev.vlmo.datasets.synthetic.SyntheticWorld.Split;
import dev.vlmo.datasets.text.WordPieceTokenizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LoaderTest {
    static final SyntheticWorld WORLD =
            SyntheticWorld.builder().seed(1).scenes(120, 20, 20).renderSize(32).build();
    static final WordPieceTokenizer TOK = new WordPieceTokenizer(WORLD.vocabulary());
    static final int T = 24;

    static Collator<ImageText> pairs() {
        return Collators.imageText(
                new TextEncoder(TOK, T).withMasker(new MlmMasker(TOK.vocabulary())),
                Transforms.train(32));
    }

    static List<Batch> all(PrefetchLoader<ImageText> loader, int epoch) {
        List<Batch> out = new ArrayList<>();
        try (PrefetchLoader<ImageText>.Epoch e = loader.epoch(epoch)) {
            e.forEachRemaining(out::add);
        }
        return out;
    }

    @Test
    void batchesHaveTheModelsLayout() {
        Dataset<ImageText> data = Dataset.of(WORLD.captions(Split.TRAIN));
        try (PrefetchLoader<ImageText> loader =
                PrefetchLoader.builder(data, pairs()).batchSize(16).seed(3).build()) {
            List<Batch> batches = all(loader, 0);
            assertEquals(loader.batchesPerEpoch(), batches.size());
            assertEquals(data.size(), batches.stream().mapToInt(Batch::size).sum());
            Batch b = batches.get(0);
            assertEquals(16, b.size());
            assertEquals(T, b.textLen());
            for (int i = 0; i < b.size(); i++) {
                int[] ids = b.textIds(i);
                assertEquals(TOK.vocabulary().clsId(), ids[0]);
                int len = 0;
                while (len < T && b.textMasks()[i * T + len] == 1) {
                    len++;
                }
                assertEquals(TOK.vocabulary().sepId(), ids[len - 1]);
                for (int j = len; j < T; j++) {
                    assertEquals(0, ids[j], "pad id");
                    assertEquals(0, b.textMasks()[i * T + j]);
                    assertEquals(MlmMasker.IGNORE, b.mlmLabels()[i * T + j]);
                }
                // The image id names the scene the caption was written for.
                String text = b.texts().get(i);
                assertTrue(WORLD.captionsOf(Split.TRAIN, b.imageIds()[i]).contains(text));
            }
            assertEquals(16 * 3 * 32 * 32, b.images().length);
            assertNull(b.vqaTargets());
        }
    }

    @Test
    void orderAndContentDependOnTheSeedNotOnTheThreadCount() {
        Dataset<ImageText> data = Dataset.of(WORLD.captions(Split.VAL));
        List<Batch> one;
        List<Batch> three;
        try (PrefetchLoader<ImageText> l =
                PrefetchLoader.builder(data, pairs())
                        .batchSize(8)
                        .seed(7)
                        .workers(1)
                        .prefetch(1)
                        .build()) {
            one = all(l, 2);
        }
        try (PrefetchLoader<ImageText> l =
                PrefetchLoader.builder(data, pairs())
                        .batchSize(8)
                        .seed(7)
                        .workers(3)
                        .prefetch(9)
                        .build()) {
            three = all(l, 2);
            List<Batch> otherEpoch = all(l, 3);
            assertFalse(
                    java.util.Arrays.equals(three.get(0).imageIds(), otherEpoch.get(0).imageIds()));
        }
        assertEquals(one.size(), three.size());
        for (int i = 0; i < one.size(); i++) {
            assertArrayEquals(one.get(i).textIds(), three.get(i).textIds());
            assertArrayEquals(one.get(i).mlmIds(), three.get(i).mlmIds());
            assertArrayEquals(one.get(i).images(), three.get(i).images());
        }
    }

    @Test
    void workerFailuresReachTheConsumerAndCloseStopsTheThreads() {
        Dataset<ImageText> data = Dataset.of(WORLD.captions(Split.VAL));
        java.util.Set<Thread> used = java.util.concurrent.ConcurrentHashMap.newKeySet();
        Collator<ImageText> failing =
                (samples, rng, bad) -> {
                    used.add(Thread.currentThread());
                    if (samples.get(0).imageId() >= 0 && rng.nextInt(3) == 0) {
                        throw new IllegalStateException("boom in collator");
                    }
                    return Batch.builder(0).build();
                };
        PrefetchLoader<ImageText> loader =
                PrefetchLoader.builder(data, failing).batchSize(4).workers(2).build();
        DataException e =
                assertThrows(
                        DataException.class,
                        () -> {
                            try (var epoch = loader.epoch(0)) {
                                epoch.forEachRemaining(b -> {});
                            }
                        });
        assertTrue(e.getMessage().contains("boom in collator"), e.getMessage());
        loader.close();
        assertFalse(used.isEmpty());
        assertTrue(used.stream().allMatch(t -> t.getName().startsWith("vlmo-loader-")));
        for (Thread t : used) {
            try {
                t.join(5000); // the pool has terminated; give each thread time to exit
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
        }
        assertTrue(used.stream().noneMatch(Thread::isAlive), "loader threads alive after close");
        assertThrows(IllegalStateException.class, () -> loader.epoch(1));
    }

    static ImageRef broken(String name) {
        return new ImageRef() {
            @Override
            public RgbImage load() throws IOException {
                throw new IOException("not a JPEG");
            }

            @Override
            public String name() {
                return name;
            }
        };
    }

    @Test
    void badImagesAreSkippedAndCountedOrFailInStrictMode() {
        List<ImageText> samples = new ArrayList<>(WORLD.captions(Split.TEST).subList(0, 20));
        samples.set(3, new ImageText(broken("shard-0/000003.jpg"), "a red circle", 99));
        samples.set(7, new ImageText(WORLD.image(Split.TEST, 0), "   ", 0));
        BadInputs report = BadInputs.skipAndCount();
        try (PrefetchLoader<ImageText> l =
                PrefetchLoader.builder(Dataset.of(samples), pairs())
                        .batchSize(10)
                        .shuffle(false)
                        .badInputs(report)
                        .build()) {
            List<Batch> batches = all(l, 0);
            assertEquals(List.of(8, 10), batches.stream().map(Batch::size).toList());
        }
        assertEquals(2, report.total());
        assertEquals(1, report.counts().get("bad image"));
        assertEquals(1, report.counts().get("empty text"));
        assertTrue(report.summary().contains("shard-0/000003.jpg"), report.summary());
        try (PrefetchLoader<ImageText> l =
                PrefetchLoader.builder(Dataset.of(samples), pairs())
                        .batchSize(10)
                        .badInputs(BadInputs.strict())
                        .build()) {
            DataException e = assertThrows(DataException.class, () -> all(l, 0));
            assertTrue(
                    e.getMessage().contains("shard-0/000003.jpg")
                            || e.getMessage().contains("empty text"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("strict mode"), e.getMessage());
        }
    }

    @Test
    void overlongTextsAreTruncatedByDefaultOrSkippedOnRequest() {
        String longText = "a red circle and ".repeat(20);
        List<ImageText> s = List.of(new ImageText(WORLD.image(Split.TEST, 0), longText, 0));
        BadInputs bad = BadInputs.skipAndCount();
        Batch b =
                Collators.imageText(new TextEncoder(TOK, T), Transforms.eval(32))
                        .collate(s, new java.util.SplittableRandom(0), bad);
        assertEquals(1, b.size());
        assertEquals(TOK.vocabulary().sepId(), b.textIds()[T - 1]);
        Batch skipped =
                Collators.imageText(
                                new TextEncoder(TOK, T).withOverlongSkipped(true),
                                Transforms.eval(32))
                        .collate(s, new java.util.SplittableRandom(0), bad);
        assertEquals(0, skipped.size());
        assertEquals(1, bad.counts().get("over-long text"));
    }

    @Test
    void otherTasksCollateToTheirLayouts() {
        TextEncoder text = new TextEncoder(TOK, T);
        java.util.SplittableRandom rng = new java.util.SplittableRandom(0);
        BadInputs bad = BadInputs.strict();
        Batch vqa =
                Collators.vqa(text, Transforms.eval(32), WORLD.answers().size())
                        .collate(WORLD.vqa(Split.TEST).subList(0, 6), rng, bad);
        assertEquals(6 * WORLD.answers().size(), vqa.vqaTargets().length);
        int label = WORLD.vqa(Split.TEST).get(2).labels()[0];
        assertEquals(1f, vqa.vqaTargets()[2 * WORLD.answers().size() + label]);
        Batch nlvr =
                Collators.nlvr2(text, Transforms.eval(32))
                        .collate(WORLD.nlvr2(Split.TEST).subList(0, 4), rng, bad);
        assertEquals(4 * 3 * 32 * 32, nlvr.images2().length);
        assertEquals(WORLD.nlvr2(Split.TEST).get(0).label() ? 1 : 0, nlvr.labels()[0]);
        Batch img =
                Collators.images(Transforms.train(32), BlockMaskGenerator.forRatio(4, 4, 0.4))
                        .collate(WORLD.images(Split.TEST).subList(0, 5), rng, bad);
        assertEquals(16, img.numPatches());
        assertEquals(5 * 16, img.patchMasks().length);
        assertNull(img.textIds());
        Batch txt =
                Collators.text(text.withMasker(new MlmMasker(TOK.vocabulary())))
                        .collate(WORLD.textCorpus(Split.TRAIN).subList(0, 3), rng, bad);
        assertEquals(3 * T, txt.mlmLabels().length);
        assertNull(txt.images());
    }

    @Test
    void batchesBecomeNamedNDArrays() {
        Batch b =
                Collators.nlvr2(
                                new TextEncoder(TOK, T).withMasker(new MlmMasker(TOK.vocabulary())),
                                Transforms.eval(32))
                        .collate(
                                WORLD.nlvr2(Split.TEST).subList(0, 3),
                                new java.util.SplittableRandom(0),
                                BadInputs.strict());
        try (NDManager manager = NDManager.newBaseManager()) {
            NDList list = b.toNDList(manager);
            assertEquals(new Shape(3, T), list.get("text_ids").getShape());
            assertEquals(DataType.INT64, list.get("text_ids").getDataType());
            assertEquals(new Shape(3, 3, 32, 32), list.get("image").getShape());
            assertEquals(DataType.FLOAT32, list.get("image_2").getDataType());
            assertEquals(new Shape(3), list.get("labels").getShape());
            assertArrayEquals(
                    java.util.Arrays.stream(b.mlmLabels()).asLongStream().toArray(),
                    list.get("text_labels_mlm").toLongArray());
            assertArrayEquals(b.images(), list.get("image").toFloatArray());
            assertNotEquals(null, list.get("text_masks"));
        }
    }
}
