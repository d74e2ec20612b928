package dev.vlmo.datasets.bench;

import dev.vlmo.datasets.Dataset;
import dev.vlmo.datasets.ImageRef;
import dev.vlmo.datasets.ImageText;
import dev.vlmo.datasets.batch.Batch;
import dev.vlmo.datasets.batch.Collators;
import dev.vlmo.datasets.batch.PrefetchLoader;
import dev.vlmo.datasets.batch.TextEncoder;
import dev.vlmo.datasets.image.ImageTransform;
import dev.vlmo.datasets.image.Transforms;
import dev.vlmo.datasets.masking.MlmMasker;
import dev.vlmo.datasets.synthetic.SyntheticWorld;
import dev.vlmo.datasets.synthetic.SyntheticWorld.Split;
import dev.vlmo.datasets.text.WordPieceTokenizer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * Measures the loader's throughput in images per second (decode or render, train transform with
 * RandAugment, tokenise with MLM, collate): JPEGs of COCO's typical size (500x375) at 224, and the
 * synthetic world at 32 and 48. Arguments: {@code [workers]} (default: available cores).
 */
public final class LoaderBenchmark {
    private LoaderBenchmark() {}

    /**
     * Runs the benchmark and prints one line per case.
     *
     * @param args optional worker count
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        int workers =
                args.length > 0
                        ? Integer.parseInt(args[0])
                        : Runtime.getRuntime().availableProcessors();
        SyntheticWorld world = SyntheticWorld.builder().scenes(2000, 10, 10).renderSize(64).build();
        WordPieceTokenizer tok = new WordPieceTokenizer(world.vocabulary());
        TextEncoder text = new TextEncoder(tok, 40).withMasker(new MlmMasker(tok.vocabulary()));

        // 256 distinct JPEGs at 500x375, held in memory (decode cost, not disk).
        List<ImageText> jpegs = new ArrayList<>();
        for (int i = 0; i < 256; i++) {
            BufferedImage big = world.render(world.scenes(Split.TRAIN).get(i), 500);
            BufferedImage img = new BufferedImage(500, 375, BufferedImage.TYPE_INT_RGB);
            img.getGraphics().drawImage(big, 0, -62, null);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(img, "jpg", out);
            jpegs.add(
                    new ImageText(
                            ImageRef.bytes(out.toByteArray(), "jpeg " + i),
                            world.captionsOf(Split.TRAIN, i).get(0),
                            i));
        }
        System.out.printf(
                "workers=%d cores=%d java=%s%n",
                workers,
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"));
        run(
                "jpeg 500x375 -> train 224",
                Dataset.of(jpegs),
                text,
                Transforms.train(224),
                workers,
                10);
        run("jpeg 500x375 -> eval 224", Dataset.of(jpegs), text, Transforms.eval(224), workers, 10);
        Dataset<ImageText> synth = Dataset.of(world.captions(Split.TRAIN).subList(0, 4096));
        run("synthetic 64 -> train 48", synth, text, Transforms.trainScaled(48), workers, 2);
        run("synthetic 64 -> train 32", synth, text, Transforms.trainScaled(32), workers, 2);
        run("synthetic 64 -> eval 32", synth, text, Transforms.eval(32), workers, 2);
    }

    private static void run(
            String name,
            Dataset<ImageText> data,
            TextEncoder text,
            ImageTransform t,
            int workers,
            int epochs) {
        try (PrefetchLoader<ImageText> loader =
                PrefetchLoader.builder(data, Collators.imageText(text, t))
                        .batchSize(32)
                        .workers(workers)
                        .build()) {
            // warm-up: the transforms' loops are compiled after a few hundred images
            for (int e = 0; e < 3; e++) {
                drain(loader, 100 + e);
            }
            long start = System.nanoTime();
            long images = 0;
            for (int e = 1; e <= epochs; e++) {
                images += drain(loader, e);
            }
            double s = (System.nanoTime() - start) / 1e9;
            System.out.printf(
                    "%-28s %8.0f images/s (%d images in %.2f s)%n", name, images / s, images, s);
        }
    }

    private static long drain(PrefetchLoader<ImageText> loader, int epoch) {
        long n = 0;
        try (var e = loader.epoch(epoch)) {
            while (e.hasNext()) {
                Batch b = e.next();
                n += b.size();
            }
        }
        return n;
    }
}
