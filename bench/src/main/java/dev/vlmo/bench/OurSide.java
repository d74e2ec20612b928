package dev.vlmo.bench;

import static dev.vlmo.dsl.Dsl.builtIn;
import static dev.vlmo.dsl.Dsl.cpu;
import static dev.vlmo.dsl.Dsl.gpu;
import static dev.vlmo.dsl.Dsl.on;
import static dev.vlmo.dsl.Dsl.text;
import static dev.vlmo.dsl.Dsl.vision;
import static dev.vlmo.dsl.Dsl.visionLanguage;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.vlmo.datasets.Dataset;
import dev.vlmo.datasets.ImageRef;
import dev.vlmo.datasets.ImageText;
import dev.vlmo.datasets.batch.Batch;
import dev.vlmo.datasets.batch.Collators;
import dev.vlmo.datasets.batch.PrefetchLoader;
import dev.vlmo.datasets.batch.TextEncoder;
import dev.vlmo.datasets.image.Transforms;
import dev.vlmo.datasets.masking.MlmMasker;
import dev.vlmo.datasets.synthetic.SyntheticWorld;
import dev.vlmo.datasets.text.WordPieceTokenizer;
import dev.vlmo.dsl.Plan;
import dev.vlmo.dsl.Precision;
import dev.vlmo.dsl.Stage;
import dev.vlmo.dsl.Vlmo;
import dev.vlmo.dsl.engine.StepRunner;
import dev.vlmo.model.Engines;
import dev.vlmo.model.VlmoConfig;
import dev.vlmo.model.VlmoModel;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * Our side of each workload: training steps through the engine's {@link StepRunner} (the same step
 * that {@code run} takes), inference through {@link VlmoModel}'s encoders and heads, the loader
 * through {@link PrefetchLoader} with the collator a stage 3 run uses.
 */
final class OurSide implements AutoCloseable {

    private final boolean gpu;
    private final Precision precision;
    private final int loaderWorkers;
    private PrefetchLoader<ImageText> loader;
    private Path loaderFiles;
    private int loaderEpoch;
    private Workload workload;
    private VlmoConfig config;
    private StepRunner runner;
    private Batch batch;
    private NDManager manager;
    private VlmoModel model;
    private NDArray images;
    private NDArray ids;
    private NDArray mask;
    private Map<String, String> torchArgs;

    /**
     * Creates our side.
     *
     * @param gpu whether to run on the first GPU (else the CPU), as the PyTorch worker does
     * @param precision the training steps' precision (inference runs in fp32)
     * @param loaderWorkers the loader's worker threads (the PyTorch side's DataLoader gets as many
     *     worker processes)
     */
    OurSide(boolean gpu, Precision precision, int loaderWorkers) {
        this.gpu = gpu;
        this.precision = precision;
        this.loaderWorkers = loaderWorkers;
    }

    /** The configuration the prepared workload runs. */
    VlmoConfig config() {
        return config;
    }

    /** The arguments that make the PyTorch worker build the same workload. */
    Map<String, String> torchArgs() {
        return torchArgs;
    }

    /** Builds the model and the inputs of a workload. */
    void prepare(Workload w) {
        release();
        this.workload = w;
        VlmoConfig preset = VlmoConfig.preset(w.preset());
        Map<String, String> a = new LinkedHashMap<>();
        a.put("kind", w.kind().id());
        a.put("batch", Integer.toString(w.batch()));
        if (w.kind() == Workload.Kind.LOAD) {
            config = preset;
            prepareLoader(w, a);
            torchArgs = a;
            return;
        }
        if (w.kind().training()) {
            Stage s =
                    switch (w.kind()) {
                        case TRAIN_MIM -> vision();
                        case TRAIN_MLM -> text();
                        default -> visionLanguage();
                    };
            s = s.data(builtIn()).steps(1).batchSize(w.batch()).dropPath(0).seed(1);
            Plan plan =
                    Vlmo.of(preset).stage(s).compile(on(gpu ? gpu(0) : cpu()).precision(precision));
            a.put("amp", precision.name());
            Plan.StagePlan p = plan.stages().get(0);
            config = plan.model();
            runner = StepRunner.open(plan, 0);
            batch = StepRunner.randomBatch(config, w.batch(), new Random(7));
            Set<String> trainable = new TreeSet<>(p.trainable());
            Set<String> decays = new TreeSet<>();
            for (String n : trainable) {
                if (runner.decays(n)) {
                    decays.add(n);
                }
            }
            a.put("trainable", String.join(",", trainable));
            a.put("decays", String.join(",", decays));
            a.put("weightDecay", Double.toString(p.stage().weightDecay()));
            a.put("lr", Double.toString(p.learningRate()));
            a.put("beta1", Double.toString(p.stage().beta1()));
            a.put("beta2", Double.toString(p.stage().beta2()));
            a.put("clip", Double.toString(p.stage().gradientClipping()));
            a.put("mlmWeight", Double.toString(p.stage().mlmWeight()));
            a.put("maskRatio", Double.toString(p.stage().mimMaskRatio()));
        } else {
            config = preset;
            // the device named, not the engine's default (a GPU whenever one is visible)
            manager =
                    Engines.get(null)
                            .newBaseManager(gpu ? ai.djl.Device.gpu(0) : ai.djl.Device.cpu());
            model = new VlmoModel(config).initialize(manager);
            Random r = new Random(7);
            Batch b = StepRunner.randomBatch(config, w.batch(), r);
            int s = config.imageSize();
            int t = config.maxTextLen();
            images = manager.create(b.images(), new Shape(w.batch(), 3, s, s));
            ids = manager.create(toLong(b.textIds()), new Shape(w.batch(), t));
            mask = manager.create(toLong(b.textMasks()), new Shape(w.batch(), t));
        }
        a.put("hidden", Integer.toString(config.hidden()));
        a.put("heads", Integer.toString(config.heads()));
        a.put("layers", Integer.toString(config.layers()));
        a.put("vlLayers", Integer.toString(config.vlLayers()));
        a.put("mlpRatio", Double.toString(config.mlpRatio()));
        a.put("patch", Integer.toString(config.patchSize()));
        a.put("imageSize", Integer.toString(config.imageSize()));
        a.put("maxTextLen", Integer.toString(config.maxTextLen()));
        a.put("maxTextLenOfInitCkpt", Integer.toString(config.maxTextLenOfInitCkpt()));
        a.put("vocab", Integer.toString(config.vocabSize()));
        a.put("relative", Boolean.toString(config.positions() == VlmoConfig.Positions.RELATIVE));
        a.put("layerScale", Double.toString(config.layerScale()));
        a.put("mimTargets", Integer.toString(config.mimTargets()));
        torchArgs = a;
    }

    /**
     * Runs one repetition of the prepared workload.
     *
     * @return a value computed from the outputs (the loss of a training step), so that nothing is
     *     skipped and runs can be compared
     */
    double run() {
        if (loader != null) {
            long images = 0;
            try (PrefetchLoader.Epoch e = loader.epoch(++loaderEpoch)) {
                while (e.hasNext()) {
                    images += e.next().size();
                }
            }
            return images;
        }
        if (runner != null) {
            return runner.step(batch).get("loss");
        }
        try (NDManager sm = manager.newSubManager()) {
            // results of operations belong to their first input's manager: the inputs join this
            // repetition's manager for its duration, so every intermediate is freed at its end
            images.tempAttach(sm);
            ids.tempAttach(sm);
            mask.tempAttach(sm);
            ParameterStore ps = new ParameterStore(sm, false);
            NDArray out =
                    switch (workload.kind()) {
                        case INFER_IMAGE -> model.embedImages(ps, images);
                        case INFER_TEXT -> model.embedTexts(ps, ids, mask);
                        case INFER_PAIR ->
                                model.itmLogits(
                                        ps, model.poolPairs(ps, ids, mask, images, 1), false);
                        case RETRIEVE_DUAL -> {
                            NDArray ie = model.embedImages(ps, images);
                            NDArray te = model.embedTexts(ps, ids, mask);
                            yield ie.matMul(te.transpose()); // (N, N)
                        }
                        case RETRIEVE_FUSION -> fusionScores(sm);
                        default -> throw new IllegalStateException(workload.kind().id());
                    };
            return out.toType(DataType.FLOAT32, false).sum().getFloat();
        }
    }

    /** ITM scores of every (image, text) pair in chunks of 64 pairs: (N, N). */
    private NDArray fusionScores(NDManager sm) {
        int n = workload.batch();
        long[] rows = new long[n * n];
        long[] cols = new long[n * n];
        for (int i = 0; i < n * n; i++) {
            rows[i] = i / n;
            cols[i] = i % n;
        }
        NDList scores = new NDList();
        int chunk = 64;
        for (int s = 0; s < n * n; s += chunk) {
            int e = Math.min(n * n, s + chunk);
            // each chunk's intermediates are freed before the next chunk runs
            try (NDManager cm = sm.newSubManager()) {
                ParameterStore cps = new ParameterStore(cm, false);
                NDArray r = cm.create(java.util.Arrays.copyOfRange(rows, s, e));
                NDArray c = cm.create(java.util.Arrays.copyOfRange(cols, s, e));
                NDArray ci = ids.get(c);
                ci.attach(cm);
                NDArray cmask = mask.get(c);
                cmask.attach(cm);
                NDArray cimg = images.get(r);
                cimg.attach(cm);
                NDArray pooled = model.poolPairs(cps, ci, cmask, cimg, 1);
                NDArray score = model.itmLogits(cps, pooled, false).get(":, 1");
                score.attach(sm);
                scores.add(score);
            }
        }
        return ai.djl.ndarray.NDArrays.concat(scores).reshape(n, n);
    }

    /**
     * The loader workload's data: {@value Workload#LOADER_IMAGES} scenes of the built-in world
     * rendered and cropped to 500x375 (COCO's typical size) and written as JPEGs, with one caption
     * each and the vocabulary, into a temporary folder the PyTorch worker reads too; our side holds
     * the encoded bytes in memory, as the worker does, so that disk is not measured.
     */
    private void prepareLoader(Workload w, Map<String, String> a) {
        SyntheticWorld world =
                SyntheticWorld.builder().scenes(Workload.LOADER_IMAGES, 10, 10).build();
        WordPieceTokenizer tokenizer = new WordPieceTokenizer(world.vocabulary());
        List<ImageText> items = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        try {
            loaderFiles = Files.createTempDirectory("vlmo-bench-loader-");
            for (int i = 0; i < Workload.LOADER_IMAGES; i++) {
                BufferedImage big =
                        world.render(world.scenes(SyntheticWorld.Split.TRAIN).get(i), 500);
                BufferedImage img = new BufferedImage(500, 375, BufferedImage.TYPE_INT_RGB);
                img.getGraphics().drawImage(big, 0, -62, null);
                ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
                if (!ImageIO.write(img, "jpg", jpeg)) {
                    throw new IllegalStateException("no JPEG writer in this Java runtime");
                }
                Path file = loaderFiles.resolve(String.format("%03d.jpg", i));
                Files.write(file, jpeg.toByteArray());
                String caption = world.captionsOf(SyntheticWorld.Split.TRAIN, i).get(0);
                captions.add(caption);
                items.add(
                        new ImageText(
                                ImageRef.bytes(jpeg.toByteArray(), file.toString()), caption, i));
            }
            Files.write(loaderFiles.resolve("captions.txt"), captions);
            world.vocabulary().save(loaderFiles.resolve("vocab.txt"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the loader workload's files", e);
        }
        TextEncoder text =
                new TextEncoder(tokenizer, config.maxTextLen())
                        .withMasker(new MlmMasker(tokenizer.vocabulary()));
        loader =
                PrefetchLoader.builder(
                                Dataset.of(items),
                                Collators.imageText(text, Transforms.train(config.imageSize())))
                        .batchSize(w.batch())
                        .workers(loaderWorkers)
                        .build();
        loaderEpoch = 0;
        a.put("files", loaderFiles.toString());
        a.put("imageSize", Integer.toString(config.imageSize()));
        a.put("maxTextLen", Integer.toString(config.maxTextLen()));
        a.put("workers", Integer.toString(loaderWorkers));
    }

    /** Frees the prepared workload's model and inputs. */
    void release() {
        if (loader != null) {
            loader.close();
            loader = null;
        }
        if (loaderFiles != null) {
            try (Stream<Path> files = Files.walk(loaderFiles)) {
                for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            } catch (IOException e) {
                // a temporary folder left behind is harmless
            }
            loaderFiles = null;
        }
        if (runner != null) {
            runner.close();
            runner = null;
        }
        if (manager != null) {
            manager.close();
            manager = null;
        }
        model = null;
        batch = null;
    }

    @Override
    public void close() {
        release();
    }

    private static long[] toLong(int[] a) {
        long[] out = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }
}
