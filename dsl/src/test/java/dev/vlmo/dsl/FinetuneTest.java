package dev.vlmo.dsl;

import static dev.vlmo.dsl.Dsl.classification;
import static dev.vlmo.dsl.Dsl.imageFolder;
import static dev.vlmo.dsl.Dsl.linearProbe;
import static dev.vlmo.dsl.Dsl.nlvr2;
import static dev.vlmo.dsl.Dsl.retrieval;
import static dev.vlmo.dsl.Dsl.vision;
import static dev.vlmo.dsl.Dsl.vqa;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vlmo.datasets.ImageRef;
import dev.vlmo.datasets.VqaExample;
import dev.vlmo.datasets.image.RgbImage;
import dev.vlmo.datasets.synthetic.SyntheticWorld;
import dev.vlmo.dsl.infer.Index;
import dev.vlmo.dsl.infer.Predictor;
import dev.vlmo.model.VlmoConfig;
import dev.vlmo.model.checkpoint.CheckpointExporter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fine-tuning descriptions, the engine's invariants, evaluation files and the inference API. */
class FinetuneTest {

    @TempDir static Path dir;
    private static Run pretrained;

    @BeforeAll
    static void pretrain() {
        pretrained = Fixtures.pretrainedTiny().run(Fixtures.quiet(dir.resolve("pre")));
    }

    @AfterAll
    static void close() {
        pretrained.close();
    }

    private static Finetune small(Finetune f) {
        return f.data(Fixtures.WORLD).steps(3).batchSize(8).learningRate(1e-3);
    }

    // ------------------------------------------------------------------ descriptions

    @Test
    void defaultsAreTheReferenceFineTuningConfigurations() {
        Finetune.Settings v = vqa().resolve(VlmoConfig.base());
        assertEquals(3e-5, v.learningRate());
        assertEquals(20, v.headLrMultiplier());
        assertEquals(480, v.imageSize());
        assertEquals(128, v.batchSize());
        assertEquals(10, v.epochs());
        assertEquals(0.15, v.dropPath());
        assertEquals(1.5e-5, vqa().resolve(VlmoConfig.large()).learningRate());
        Finetune.Settings n = nlvr2().resolve(VlmoConfig.basePlus());
        assertEquals(3e-5, n.learningRate());
        assertEquals(0.2, n.dropPath());
        assertEquals(384, n.imageSize());
        assertEquals(5e-5, nlvr2().resolve(VlmoConfig.base()).learningRate());
        Finetune.Settings r = retrieval().resolve(VlmoConfig.large());
        assertEquals(2e-5, r.learningRate());
        assertEquals(3000, r.steps());
        assertEquals(300, r.warmupSteps(r.steps()));
        assertEquals(3072, r.batchSize());
        // what is given wins over the defaults
        Finetune.Settings g =
                vqa().learningRate(1e-4).imageSize(384).steps(7).resolve(VlmoConfig.base());
        assertEquals(1e-4, g.learningRate());
        assertEquals(384, g.imageSize());
        assertEquals(7, g.steps());
        assertEquals(0, g.epochs());
    }

    @Test
    void valuesAreCheckedWhereTheyAreGiven() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> vqa().learningRate(-1));
        assertTrue(e.getMessage().contains("learningRate"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> vqa().steps(0));
        assertThrows(IllegalArgumentException.class, () -> vqa().dropPath(1.0));
        e = assertThrows(IllegalArgumentException.class, () -> vqa().rerankTop(16));
        assertTrue(e.getMessage().contains("retrieval"), e.getMessage());
        assertEquals("linearProbe", linearProbe().name());
        assertTrue(vqa().steps(5).toString().contains("steps(5)"));
    }

    @Test
    void dataThatCannotServeTheTaskIsRejectedWithTheFix(@TempDir Path tmp) throws IOException {
        Files.createDirectories(tmp.resolve("cats"));
        Files.createDirectories(tmp.resolve("dogs"));
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                pretrained.finetune(
                                        classification().data(imageFolder(tmp.toString()))));
        assertTrue(e.getMessage().contains("evalData"), e.getMessage());
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> pretrained.finetune(retrieval().data(imageFolder(tmp.toString()))));
        assertTrue(e.getMessage().contains("coco"), e.getMessage());
        // a training folder that is not there is named before the missing evalData
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                pretrained.finetune(
                                        classification().data(imageFolder(tmp + "/typo"))));
        assertTrue(
                e.getMessage().contains("no folder") && e.getMessage().contains("typo"),
                e.getMessage());
        // evaluation data beside the built-in world is named, not the world
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> pretrained.finetune(vqa().evalData(imageFolder(tmp.toString()))));
        assertTrue(e.getMessage().contains("remove evalData(image folder"), e.getMessage());
        IllegalStateException s =
                assertThrows(
                        IllegalStateException.class,
                        () -> Fixtures.tiny().finetune(vqa(), Fixtures.quiet(tmp)));
        assertTrue(s.getMessage().contains("startFrom"), s.getMessage());
    }

    // ------------------------------------------------------------------ engine

    /** A fine-tune's directory read back as a user would: its model.params and configuration. */
    private static Predictor reload(FinetuneRun f) throws IOException {
        return Predictor.load(
                f.runDir().resolve("model.params"),
                f.model().config(),
                pretrained.tokenizer(),
                null);
    }

    @Test
    void aFineTunesDirectoryLoadsWithItsHeadsAndBadUseIsNamed() throws IOException {
        SyntheticWorld w = Fixtures.WORLD.world(pretrained.plan().model().imageSize());
        List<ImageRef> images = new ArrayList<>();
        for (var l : w.images(SyntheticWorld.Split.TEST).subList(0, 4)) {
            images.add(l.image());
        }
        try (FinetuneRun f = pretrained.finetune(small(linearProbe()))) {
            // the classifier and its class names are written beside model.params and come back
            try (Predictor loaded = reload(f)) {
                float[][] direct = f.predictor().classLogits(images);
                float[][] again = loaded.classLogits(images);
                for (int i = 0; i < direct.length; i++) {
                    assertArrayEquals(direct[i], again[i], 1e-5f);
                }
                assertEquals(
                        f.predictor().classify(images.get(0)).text(),
                        loaded.classify(images.get(0)).text());
                // a model without a VQA head says so, whatever its answers
                IllegalStateException noVqa =
                        assertThrows(
                                IllegalStateException.class,
                                () -> loaded.answer(images.get(0), "what color?"));
                assertTrue(noVqa.getMessage().contains("no VQA head"), noVqa.getMessage());
                IllegalArgumentException nothing =
                        assertThrows(IllegalArgumentException.class, () -> loaded.classify(null));
                assertTrue(nothing.getMessage().contains("image is null"), nothing.getMessage());
            }
            // a tokenizer of another vocabulary is refused before anything runs
            var other =
                    new dev.vlmo.datasets.text.WordPieceTokenizer(
                            new dev.vlmo.datasets.text.Vocabulary(
                                    List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "red"),
                                    "test"));
            IllegalArgumentException vocab =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    Predictor.load(
                                            f.runDir().resolve("model.params"),
                                            f.model().config(),
                                            other,
                                            null));
            assertTrue(vocab.getMessage().contains("6 entries"), vocab.getMessage());
        }
        try (FinetuneRun f = pretrained.finetune(small(vqa()))) {
            // the answers come back from answers.txt; a configuration without the head is named
            try (Predictor loaded = reload(f)) {
                assertEquals(
                        f.predictor().answer(images.get(0), "what color is the circle?").text(),
                        loaded.answer(images.get(0), "what color is the circle?").text());
            }
            Path pt = f.runDir().resolve("vqa.pt");
            CheckpointExporter.write(f.model(), pt);
            IllegalArgumentException head =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    Predictor.load(
                                            pt,
                                            f.model().config().withVqaLabels(0),
                                            pretrained.tokenizer(),
                                            null));
            assertTrue(head.getMessage().contains("withVqaLabels"), head.getMessage());
        }
    }

    @Test
    void aLinearProbeMovesOnlyTheHeadAndLeavesThePretrainedRunUntouched() {
        Map<String, float[]> before = Fixtures.snapshot(pretrained.model());
        try (FinetuneRun f = pretrained.finetune(small(linearProbe()))) {
            Map<String, float[]> after = Fixtures.snapshot(f.model());
            assertEquals(0.0, Fixtures.maxDifference(before, after), "the backbone moved");
            assertEquals(
                    0.0, Fixtures.maxDifference(before, Fixtures.snapshot(pretrained.model())));
            assertTrue(f.metric("top-1 accuracy") >= 0);
            assertEquals(3, f.metrics().rowCount());
            // the head learned: its logits differ from a fresh head's on the same images
            assertTrue(Files.exists(f.runDir().resolve("predictions.csv")));
        }
    }

    @Test
    void aRunsModelFileFineTunesThroughTheDescriptionThatTrainedIt(@TempDir Path tmp) {
        // a vision stage adds the MIM head and the built-in vocabulary sets the embedding size:
        // the description names that model, so its model.params loads
        Vlmo v =
                Fixtures.tiny()
                        .stage(vision().data(Fixtures.WORLD).steps(1).batchSize(4).warmup(0));
        Map<String, float[]> trained;
        try (Run r = v.run(Fixtures.quiet(tmp.resolve("pre")))) {
            trained = Fixtures.snapshot(r.model());
        }
        Path params = tmp.resolve("pre/checkpoints/stage-1-step-1/model.params");
        try (FinetuneRun f =
                v.startFrom(params).finetune(small(linearProbe()), Fixtures.quiet(tmp))) {
            assertEquals(0.0, Fixtures.maxDifference(trained, Fixtures.snapshot(f.model())));
        }
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                Vlmo.small()
                                        .startFrom(params)
                                        .finetune(small(linearProbe()), Fixtures.quiet(tmp)));
        assertTrue(e.getMessage().contains("model.params"), e.getMessage());
    }

    @Test
    void imageClassificationLoadsACheckpointWithItsOwnVocabularyWithoutAVocabularyFile(
            @TempDir Path tmp) throws IOException {
        // an official checkpoint has BERT's 30522 word embeddings; no text is read, so no
        // vocabulary file should be needed (the built-in lexicon has 240 entries)
        dev.vlmo.model.VlmoConfig c =
                Fixtures.tiny().config().withVocabSize(dev.vlmo.model.VlmoConfig.BERT_VOCAB);
        Path pt = tmp.resolve("official-like.pt");
        Map<String, float[]> written;
        try (ai.djl.ndarray.NDManager m = dev.vlmo.model.Engines.newManager(null)) {
            dev.vlmo.model.VlmoModel model = new dev.vlmo.model.VlmoModel(c).initialize(m);
            dev.vlmo.model.checkpoint.CheckpointExporter.write(model, pt);
            written = Fixtures.snapshot(model);
        }
        Vlmo v = Vlmo.tiny().model(x -> c).startFrom(pt);
        try (FinetuneRun f = v.finetune(small(linearProbe()), Fixtures.quiet(tmp.resolve("lp")))) {
            Map<String, float[]> loaded = Fixtures.snapshot(f.model());
            String emb = "text_embeddings.word_embeddings.weight";
            assertEquals(30522 * c.hidden(), loaded.get(emb).length);
            assertEquals(
                    0.0,
                    Fixtures.maxDifference(
                            Map.of(emb, written.get(emb)), Map.of(emb, loaded.get(emb))));
        }
        // and a run's own model.params (built-in world vocabulary), without its description
        Path runParams = dir.resolve("pre/checkpoints/stage-1-step-2/model.params");
        try (FinetuneRun f =
                Fixtures.tiny()
                        .startFrom(runParams)
                        .finetune(small(linearProbe()), Fixtures.quiet(tmp.resolve("lp2")))) {
            assertEquals(pretrained.model().config().vocabSize(), f.model().config().vocabSize());
        }
        // a task that reads text without the checkpoint's vocabulary names the fix
        Exception e =
                assertThrows(
                        RuntimeException.class,
                        () -> v.finetune(small(vqa()), Fixtures.quiet(tmp.resolve("vqa"))));
        assertTrue(e.getMessage().contains(".vocabulary(path)"), e.getMessage());
    }

    @Test
    void vqaTrainsTheFusionPathAndWritesPredictionsAndASubmission() throws IOException {
        Map<String, float[]> before = Fixtures.snapshot(pretrained.model());
        try (FinetuneRun f = pretrained.finetune(small(vqa()))) {
            Map<String, float[]> after = Fixtures.snapshot(f.model());
            List<String> moved = Fixtures.changed(before, after);
            assertTrue(moved.contains("pooler.dense.weight"), "the pooler did not learn");
            assertTrue(moved.contains("transformer.blocks.1.mlp_vl.fc1.weight"), moved.toString());
            assertTrue(
                    moved.contains("transformer.blocks.0.mlp_imag.fc1.weight"), moved.toString());
            for (String n :
                    List.of(
                            "itc_text_proj.fc.weight",
                            "itm_score.fc.weight",
                            "mlm_score.decoder.weight",
                            "logit_scale",
                            "transformer.blocks.1.mlp_imag.fc1.weight")) {
                assertTrue(!moved.contains(n), n + " is not used by VQA but moved");
            }
            SyntheticWorld w = Fixtures.WORLD.world(pretrained.plan().model().imageSize());
            List<VqaExample> test = w.vqa(SyntheticWorld.Split.TEST);
            JsonNode sub =
                    new ObjectMapper().readTree(f.runDir().resolve("vqa_submission.json").toFile());
            assertEquals(test.size(), sub.size());
            assertEquals(test.get(0).questionId(), sub.get(0).get("question_id").asLong());
            assertTrue(w.answers().contains(sub.get(0).get("answer").asText()));
            assertEquals(
                    test.size() + 1,
                    Files.readAllLines(f.runDir().resolve("predictions.csv")).size());
            double score = f.metric("VQA score (reference)");
            assertTrue(score >= 0 && score <= 100, "score " + score);
            assertTrue(f.evaluation().stringColumn("kind").asList().contains("baseline"));
            // per question type: every test question once, and the types average to the score
            var byType = f.byQuestionType();
            assertEquals(test.size(), (int) byType.intColumn("questions").sum());
            double weighted = 0;
            for (int r = 0; r < byType.rowCount(); r++) {
                weighted +=
                        byType.doubleColumn("fine-tuned").get(r)
                                * byType.intColumn("questions").get(r);
                double majority = byType.doubleColumn("majority answer").get(r);
                assertTrue(majority > 0 && majority <= 100, "majority " + majority);
            }
            assertEquals(score, weighted / test.size(), 0.1);

            // the same answers through the inference API
            Predictor p = f.predictor();
            Predictor.Answer a = p.answer(test.get(0).image(), test.get(0).question());
            assertEquals(sub.get(0).get("answer").asText(), a.text());
        }
    }

    @Test
    void aReferenceFormatCheckpointAnswersThroughTheInferenceApi() throws IOException {
        try (FinetuneRun f = pretrained.finetune(small(vqa()))) {
            Path pt = dir.resolve("vqa.pt");
            CheckpointExporter.write(f.model(), pt);
            SyntheticWorld w = Fixtures.WORLD.world(pretrained.plan().model().imageSize());
            List<VqaExample> test = w.vqa(SyntheticWorld.Split.TEST).subList(0, 6);
            List<ImageRef> images = new ArrayList<>();
            List<String> qs = new ArrayList<>();
            for (VqaExample e : test) {
                images.add(e.image());
                qs.add(e.question());
            }
            float[][] direct = f.predictor().vqaLogits(images, qs);
            try (Predictor loaded =
                    Predictor.load(pt, f.model().config(), pretrained.tokenizer(), w.answers())) {
                float[][] again = loaded.vqaLogits(images, qs);
                for (int i = 0; i < direct.length; i++) {
                    for (int j = 0; j < direct[i].length; j++) {
                        assertEquals(direct[i][j], again[i][j], 1e-5);
                    }
                }
                assertEquals(
                        f.predictor().answer(images.get(0), qs.get(0)).text(),
                        loaded.answer(images.get(0), qs.get(0)).text());
                assertTrue(loaded.match(images.get(0), qs.get(0)) >= 0);
            }
        }
    }

    @Test
    void aNewImageSizeResizesThePositionsOnLoad() {
        int pre = pretrained.plan().model().imageSize();
        try (FinetuneRun f = pretrained.finetune(small(retrieval()).imageSize(pre + 16))) {
            assertEquals(pre + 16, f.model().config().imageSize());
            assertEquals(pre + 16, f.settings().imageSize());
            assertTrue(f.metric("IR@10") >= 0);
        }
    }

    @Test
    void nlvr2AndRetrievalWithReRankingEvaluate() {
        try (FinetuneRun n = pretrained.finetune(small(nlvr2()))) {
            double acc = n.metric("NLVR2 accuracy");
            assertTrue(acc >= 0 && acc <= 100);
            assertTrue(n.model().config().tokenTypes() == 3);
        }
        try (FinetuneRun r = pretrained.finetune(small(retrieval()).rerankTop(4))) {
            assertTrue(r.metric("TR@10") >= r.metric("TR@1"));
            assertTrue(r.metric("IR@1 (ITM re-ranked top 4)") >= 0);
        }
    }

    // ------------------------------------------------------------------ inference, bad input

    @Test
    void theInferenceApiReportsBadInputClearly() {
        try (FinetuneRun r = pretrained.finetune(small(retrieval()))) {
            Predictor p = r.predictor();
            ImageRef broken =
                    new ImageRef() {
                        @Override
                        public RgbImage load() throws IOException {
                            throw new IOException("truncated JPEG");
                        }

                        @Override
                        public String name() {
                            return "photos/broken.jpg";
                        }
                    };
            Exception e =
                    assertThrows(RuntimeException.class, () -> p.embedImages(List.of(broken)));
            assertTrue(e.getMessage().contains("photos/broken.jpg"), e.getMessage());
            Index empty = p.indexImages(List.of());
            IllegalStateException s =
                    assertThrows(
                            IllegalStateException.class, () -> empty.search("a red circle", 3));
            assertTrue(s.getMessage().contains("empty"), s.getMessage());
            s = assertThrows(IllegalStateException.class, () -> p.answer(broken, "what colour?"));
            assertTrue(s.getMessage().contains("no VQA head"), s.getMessage());
            assertThrows(IllegalStateException.class, () -> p.judge(broken, broken, "x"));
            assertThrows(IllegalArgumentException.class, () -> p.batchSize(0));

            SyntheticWorld w = Fixtures.WORLD.world(pretrained.plan().model().imageSize());
            List<ImageRef> images = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                images.add(w.image(SyntheticWorld.Split.TEST, i));
            }
            Index idx = p.indexImages(images);
            List<Index.Hit> hits = idx.search(w.captionsOf(SyntheticWorld.Split.TEST, 3).get(0), 5);
            assertEquals(5, hits.size());
            for (int i = 1; i < hits.size(); i++) {
                assertTrue(hits.get(i - 1).score() >= hits.get(i).score());
            }
            // an index answers the same as embedding and comparing by hand
            float[] q = p.embedTexts(List.of(w.captionsOf(SyntheticWorld.Split.TEST, 3).get(0)))[0];
            float[] v = p.embedImages(List.of(images.get(hits.get(0).index())))[0];
            double dot = 0;
            for (int j = 0; j < q.length; j++) {
                dot += q[j] * v[j];
            }
            assertEquals(dot, hits.get(0).score(), 1e-5);
            assertNotEquals(Index.Kind.TEXTS, idx.kind());
            assertThrows(IllegalStateException.class, () -> idx.search(images.get(0), 2));
        }
    }
}
