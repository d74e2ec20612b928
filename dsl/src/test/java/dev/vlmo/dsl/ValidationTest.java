package dev.vlmo.dsl;

import static dev.vlmo.dsl.Dsl.cpu;
import static dev.vlmo.dsl.Dsl.imageFolder;
import static dev.vlmo.dsl.Dsl.on;
import static dev.vlmo.dsl.Dsl.text;
import static dev.vlmo.dsl.Dsl.textLines;
import static dev.vlmo.dsl.Dsl.vision;
import static dev.vlmo.dsl.Dsl.visionLanguage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Invalid values and combinations are rejected with messages that name the value and the fix. */
class ValidationTest {

    private static final Stage VL = visionLanguage().data(Fixtures.WORLD).steps(2).batchSize(16);

    private static String rejected(Executable e) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
        return x.getMessage();
    }

    private static void says(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "message lacks '" + p + "': " + message);
        }
    }

    // ------------------------------------------------------------------ combinations

    @Test
    void aDescriptionWithoutStages() {
        String m = rejected(() -> Fixtures.tiny().compile(on(cpu())));
        says(m, "no stage", ".stage(vision())", ".stage(visionLanguage())");
        says(rejected(() -> Fixtures.tiny().describe()), "no stage");
    }

    @Test
    void aStageWithoutData() {
        String m = rejected(() -> Fixtures.tiny().stage(text().steps(2)).describe());
        says(m, "stage 1 (text)", "no data", ".data(builtIn())");
    }

    @Test
    void aMaskRatioOutsideAVisionStage() {
        String m =
                rejected(
                        () ->
                                Fixtures.tiny()
                                        .stage(text().data(Fixtures.WORLD).mimMaskRatio(0.5))
                                        .describe());
        says(m, "stage 1 (text)", "mimMaskRatio 0.5", "only a vision() stage");
        says(
                rejected(
                        () ->
                                Fixtures.tiny()
                                        .stage(
                                                visionLanguage()
                                                        .data(Fixtures.WORLD)
                                                        .mimMaskRatio(0.3))
                                        .describe()),
                "stage 1 (visionLanguage)",
                "mimMaskRatio");
        // where it applies it is taken
        Fixtures.tiny().stage(vision().data(Fixtures.WORLD).mimMaskRatio(0.5)).describe();
    }

    @Test
    void aTextStageOnImageOnlyData() {
        String m =
                rejected(
                        () ->
                                Fixtures.tiny()
                                        .stage(vision().data(Fixtures.WORLD))
                                        .stage(text().data(imageFolder("photos/train")))
                                        .describe());
        says(m, "stage 2 (text)", "needs texts", "image folder photos/train", "images");
        String vl =
                rejected(
                        () ->
                                Fixtures.tiny()
                                        .stage(visionLanguage().data(textLines("wiki/*.txt")))
                                        .compile(on(cpu())));
        says(vl, "stage 1 (visionLanguage)", "needs pairs", "text lines wiki/*.txt");
    }

    @Test
    void aTextStageOnImageOnlyDataSaysWhichSourcesFit() {
        String m =
                rejected(
                        () ->
                                Fixtures.tiny()
                                        .stage(text().data(imageFolder("photos/train")))
                                        .describe());
        // the fix: which sources hold texts
        says(m, "textLines(");
    }

    @Test
    void textFromFilesWithoutAVocabulary() {
        String m =
                rejected(
                        () ->
                                Fixtures.tiny()
                                        .stage(text().data(textLines("wiki/*.txt")))
                                        .describe());
        says(m, "stage 1 (text)", "text lines wiki/*.txt", "no vocabulary", ".vocabulary(");
    }

    @Test
    void aPairObjectiveWithoutVisionLanguageLayers() {
        String m =
                rejected(() -> Fixtures.tiny().model(c -> c.withVlLayers(0)).stage(VL).describe());
        says(m, "stage 1 (visionLanguage)", "vlLayers 0", "vlItc(false)");
        // without the VL term the same model is a valid description
        assertEquals(
                1,
                Fixtures.tiny()
                        .model(c -> c.withVlLayers(0))
                        .stage(VL.vlItc(false))
                        .describe()
                        .rowCount());
    }

    @Test
    void aBatchNotDivisibleByTheDevices() {
        String m = rejected(() -> Fixtures.tiny().stage(VL).compile(on(cpu(), cpu(), cpu())));
        says(m, "stage 1 (visionLanguage)", "batchSize 16", "3 device(s)");
        String acc =
                rejected(
                        () -> Fixtures.tiny().stage(VL.gradientAccumulation(3)).compile(on(cpu())));
        says(acc, "batchSize 16", "3 accumulation step(s)");
        // 2 devices x 2 accumulation steps divide 16
        assertEquals(
                4,
                Fixtures.tiny()
                        .stage(VL.gradientAccumulation(2))
                        .compile(on(cpu(), cpu()))
                        .stages()
                        .get(0)
                        .microBatch());
    }

    @Test
    void aBatchNotDivisibleByTheDevicesSaysWhichBatchesFit() {
        String m = rejected(() -> Fixtures.tiny().stage(VL).compile(on(cpu(), cpu(), cpu())));
        // the fix: the nearest batch sizes that divide evenly
        says(m, "15", "18");
    }

    @Test
    void vlItcWithoutItc() {
        String m = rejected(() -> Fixtures.tiny().stage(VL.itc(false)).describe());
        says(m, "stage 1 (visionLanguage)", "vlItc(true)", "itc(true)");
    }

    @Test
    void excludingSameImageNegativesWithoutItm() {
        String m =
                rejected(
                        () ->
                                Fixtures.tiny()
                                        .stage(
                                                VL.itm(ItmNegatives.NONE)
                                                        .excludeSameImageNegatives(true))
                                        .describe());
        says(m, "stage 1 (visionLanguage)", "excludeSameImageNegatives", "itm(HARD)");
    }

    @Test
    void stagesWithoutAnObjectiveOrWithTheWrongOne() {
        says(
                rejected(
                        () ->
                                Fixtures.tiny()
                                        .stage(text().data(Fixtures.WORLD).mlmProbability(0))
                                        .describe()),
                "stage 1 (text)",
                "mlmProbability above 0");
        says(
                rejected(
                        () ->
                                Fixtures.tiny()
                                        .stage(
                                                VL.itc(false)
                                                        .vlItc(false)
                                                        .itm(ItmNegatives.NONE)
                                                        .mlmProbability(0))
                                        .describe()),
                "no objective");
        says(
                rejected(
                        () ->
                                Fixtures.tiny()
                                        .stage(text().data(Fixtures.WORLD).itc(true))
                                        .describe()),
                "texts alone");
        says(
                rejected(
                        () ->
                                Fixtures.tiny()
                                        .stage(vision().data(Fixtures.WORLD).mlmProbability(0.15))
                                        .describe()),
                "images alone");
        says(
                rejected(
                        () ->
                                Fixtures.tiny()
                                        .stage(VL.mimTarget(new MimTarget.Pixels()))
                                        .describe()),
                "mimTarget only applies to vision()");
        says(
                rejected(() -> Fixtures.tiny().stage(VL.textLength(40)).describe()),
                "40",
                "maxTextLen 32");
    }

    @Test
    void mixedPrecisionOnMxnetIsRefusedRatherThanRunInFp32() {
        for (Precision p : new Precision[] {Precision.FP16, Precision.BF16}) {
            String m =
                    rejected(
                            () ->
                                    Fixtures.tiny()
                                            .stage(VL)
                                            .compile(on(cpu()).engine("MXNet").precision(p)));
            says(m, p.name(), "PyTorch engine only", "MXNet", "precision(FP32)");
        }
    }

    @Test
    void mixedPrecisionCompilesOnPyTorchOnAnyDevice() {
        for (Precision p : new Precision[] {Precision.FP16, Precision.BF16}) {
            assertEquals(
                    p,
                    Fixtures.tiny()
                            .stage(VL)
                            .compile(on(cpu()).precision(p))
                            .runtime()
                            .precision());
            assertEquals(
                    p,
                    Fixtures.tiny()
                            .stage(VL)
                            .compile(on(Dsl.gpu(0)).precision(p))
                            .runtime()
                            .precision());
        }
    }

    @Test
    void aTrainablePatternThatMatchesNothing() {
        String m =
                rejected(
                        () ->
                                Fixtures.tiny()
                                        .stage(
                                                VL.trainable(
                                                        "itm_score.",
                                                        "transformer.blocks.*.mlp_txt."))
                                        .describe());
        says(m, "stage 1", "'transformer.blocks.*.mlp_txt.'", "matches no parameter", "mlp_text");
    }

    @Test
    void resumingWithAnotherModel(@TempDir Path dir, @TempDir Path other) throws Exception {
        Stage s = vision().data(Fixtures.WORLD).steps(1).batchSize(8);
        try (Run r = Fixtures.tiny().stage(s).run(Fixtures.quiet(dir))) {
            assertEquals(1, r.metrics().rowCount());
        }
        String m =
                rejected(
                        () ->
                                Fixtures.tiny()
                                        .model(c -> c.withHidden(48))
                                        .stage(s)
                                        .run(Fixtures.quiet(dir).resume(true)));
        says(m, "cannot resume", dir.toString(), "hidden=32", "hidden=48", "another runDir");
        // another checkpoint interval, or stages after the finished ones, resume it; and a
        // resumed run needs neither its startFrom file nor the finished stages' inputs
        Path start = other.resolve("start.params");
        Files.copy(dir.resolve("checkpoints/stage-1-step-1/model.params"), start);
        Path grown = other.resolve("grown");
        Vlmo first = Fixtures.tiny().startFrom(start).stage(s);
        first.run(Fixtures.quiet(grown)).close();
        Files.delete(start);
        try (Run r =
                first.stage(vision().data(Fixtures.WORLD).steps(1).batchSize(8).checkpointEvery(5))
                        .run(Fixtures.quiet(grown).resume(true))) {
            assertEquals(2, r.metrics().rowCount(), "stage 2 ran after the finished stage 1");
        }
        // nor with other stages: the plan it was run with is kept
        String plan = Files.readString(dir.resolve("plan.txt"));
        String stages =
                rejected(
                        () ->
                                Fixtures.tiny()
                                        .stage(s.steps(2))
                                        .run(Fixtures.quiet(dir).resume(true)));
        says(stages, "cannot resume", "another description", "steps(1)", "steps(2)", "runDir");
        assertEquals(plan, Files.readString(dir.resolve("plan.txt")));
        // and a fresh run never overwrites a run's checkpoints
        String again = rejected(() -> Fixtures.tiny().stage(s).run(Fixtures.quiet(dir)));
        says(again, dir.toString(), "already holds checkpoints", ".resume(true)");
        assertTrue(Files.exists(dir.resolve("checkpoints/stage-1-step-1/model.params")));
    }

    // ------------------------------------------------------------------ single values

    @Test
    void eachValueIsCheckedWhereItIsGiven() {
        says(rejected(() -> VL.batchSize(0)), "batchSize", "positive", "0");
        says(rejected(() -> VL.steps(-3)), "steps", "-3");
        says(rejected(() -> VL.epochs(0)), "epochs", "positive");
        says(rejected(() -> VL.learningRate(-1e-3)), "learningRate", "positive", "-0.001");
        says(rejected(() -> VL.learningRate(Double.NaN)), "learningRate", "NaN");
        says(rejected(() -> VL.warmup(-1)), "warmup", "0 or more", "-1.0");
        says(rejected(() -> VL.weightDecay(Double.POSITIVE_INFINITY)), "weightDecay", "Infinity");
        says(rejected(() -> VL.dropPath(1.0)), "dropPath", "[0, 1)", "1.0");
        says(rejected(() -> VL.gradientAccumulation(0)), "gradientAccumulation", "positive");
        says(rejected(() -> VL.gradientClipping(-0.5)), "gradientClipping", "-0.5");
        says(rejected(() -> VL.checkpointEvery(-1)), "checkpointEvery", "-1");
        says(rejected(() -> VL.betas(1.0, 0.98)), "beta1", "(0, 1)", "1.0");
        says(rejected(() -> VL.betas(0.9, 0)), "beta2", "(0, 1)");
        says(rejected(() -> VL.textLength(1)), "textLength", "at least 2", "1");
        says(rejected(() -> VL.mlmProbability(1.0)), "mlmProbability", "[0, 1)");
        says(rejected(() -> VL.mlmWeight(0)), "mlmWeight", "positive");
        says(rejected(() -> VL.mimMaskRatio(0)), "mimMaskRatio", "(0, 1)");
        says(rejected(() -> VL.trainable(new String[0])), "trainable", "at least one pattern");
        says(rejected(() -> VL.data(new DataRef[0])), "data", "at least one source");
        says(rejected(() -> Fixtures.WORLD.scenes(0, 16)), "trainScenes", "positive", "0");
        says(rejected(() -> new MimTarget.Tokens(Path.of("t.pt"), 0)), "vocabulary", "positive");
        says(rejected(() -> on(cpu()).logEvery(0)), "logEvery", "positive");
        says(
                rejected(() -> on(cpu()).engine("TensorFlow")),
                "engine",
                "PyTorch or MXNet",
                "TensorFlow");
        says(rejected(() -> on()), "at least one device");
        says(rejected(() -> Dsl.gpu(-1)), "GPU index", "-1");
        says(rejected(() -> Fixtures.tiny().model(c -> c.withVlLayers(3))), "vlLayers", "3");
    }

    @Test
    void missingInputsOfAnyStageStopTheRunBeforeAnythingTrains(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        Path vocab = dir.resolve("vocab.txt");
        Files.writeString(vocab, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\nred\ncircle\n");
        String m =
                rejected(
                        () ->
                                Fixtures.tiny()
                                        .vocabulary(vocab)
                                        .startFrom(dir.resolve("nope.params"))
                                        .stage(vision().data(Fixtures.WORLD).steps(1).batchSize(8))
                                        .stage(text().data(textLines(dir + "/wiki/*.txt")))
                                        .stage(
                                                visionLanguage()
                                                        .data(
                                                                Dsl.coco(
                                                                        dir.resolve("no-coco")
                                                                                .toString())))
                                        .run(Fixtures.quiet(run)));
        says(
                m,
                "nothing was trained",
                "startFrom: no file",
                "nope.params",
                "stage 2 (text)",
                "wiki",
                "stage 3 (visionLanguage)",
                "dataset_coco.json");
        assertTrue(!Files.exists(run), "no run directory is written: " + run);
    }

    @Test
    void aDamagedCheckpointIsNamedAndDeletingItResumesFromTheOneBefore(@TempDir Path dir)
            throws Exception {
        Stage s = vision().data(Fixtures.WORLD).steps(3).batchSize(8).checkpointEvery(1);
        Vlmo v = Fixtures.tiny().stage(s);
        v.run(Fixtures.quiet(dir)).close();
        deleteTree(dir.resolve("checkpoints/stage-1-step-3")); // as if killed after step 2
        Path last = dir.resolve("checkpoints/stage-1-step-2");
        Path params = last.resolve("model.params");
        byte[] whole = Files.readAllBytes(params);
        Files.write(params, java.util.Arrays.copyOf(whole, whole.length / 2));
        says(
                failure(() -> v.run(Fixtures.quiet(dir).resume(true))),
                params.toString(),
                "truncated",
                "delete its folder");
        Files.write(params, whole);
        Path opt = last.resolve("optimizer.bin");
        byte[] state = Files.readAllBytes(opt);
        Files.write(opt, java.util.Arrays.copyOf(state, state.length / 2));
        says(
                failure(() -> v.run(Fixtures.quiet(dir).resume(true))),
                opt.toString(),
                "delete its folder");
        // cut right after its step count: no moments is damage, not a fresh optimizer
        int eol = new String(state, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf('\n');
        Files.write(opt, java.util.Arrays.copyOf(state, eol + 1));
        says(
                failure(() -> v.run(Fixtures.quiet(dir).resume(true))),
                opt.toString(),
                "truncated",
                "delete its folder");
        // as the messages say: without that folder the run resumes after step 1
        deleteTree(last);
        try (Run r = v.run(Fixtures.quiet(dir).resume(true))) {
            assertEquals(3, r.metrics().rowCount());
        }
        assertTrue(Files.exists(dir.resolve("checkpoints/stage-1-step-3/model.params")));
    }

    @Test
    void twoRunsNeverWriteOneRunDirectory(@TempDir Path dir) throws Exception {
        Vlmo v = Fixtures.tiny().stage(vision().data(Fixtures.WORLD).steps(1).batchSize(8));
        Files.createDirectories(dir);
        try (var ch =
                        java.nio.channels.FileChannel.open(
                                dir.resolve("run.lock"),
                                java.nio.file.StandardOpenOption.CREATE,
                                java.nio.file.StandardOpenOption.WRITE);
                var held = ch.lock()) {
            says(
                    failure(() -> v.run(Fixtures.quiet(dir))),
                    "another run is writing to",
                    dir.toString(),
                    "another runDir");
            assertTrue(!Files.exists(dir.resolve("metrics.csv")), "nothing written");
        }
        // released by a run when it ends: the next one takes it
        v.run(Fixtures.quiet(dir)).close();
        v.run(Fixtures.quiet(dir).resume(true)).close();
    }

    private static String failure(Executable e) {
        return assertThrows(RuntimeException.class, e).getMessage();
    }

    private static void deleteTree(Path root) throws java.io.IOException {
        try (var files = Files.walk(root)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Test
    void theEnginePropertyPicksTheRuntimesEngineAndAnUnknownOneIsNamed() {
        String before = System.getProperty("vlmo.engine");
        try {
            System.setProperty("vlmo.engine", "MXNet");
            assertEquals("MXNet", on(cpu()).engine());
            assertEquals("PyTorch", on(cpu()).engine("PyTorch").engine());
            System.setProperty("vlmo.engine", "TensorFlow");
            says(rejected(() -> on(cpu())), "vlmo.engine", "PyTorch or MXNet", "TensorFlow");
            System.clearProperty("vlmo.engine");
            assertEquals("PyTorch", on(cpu()).engine());
        } finally {
            if (before == null) {
                System.clearProperty("vlmo.engine");
            } else {
                System.setProperty("vlmo.engine", before);
            }
        }
    }
}
