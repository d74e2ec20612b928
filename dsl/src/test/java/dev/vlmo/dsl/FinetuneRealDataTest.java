package dev.vlmo.dsl;

import static dev.vlmo.dsl.Dsl.arrowNlvr2;
import static dev.vlmo.dsl.Dsl.arrowPairs;
import static dev.vlmo.dsl.Dsl.arrowVqa;
import static dev.vlmo.dsl.Dsl.nlvr2;
import static dev.vlmo.dsl.Dsl.nlvr2Files;
import static dev.vlmo.dsl.Dsl.retrieval;
import static dev.vlmo.dsl.Dsl.visionLanguage;
import static dev.vlmo.dsl.Dsl.vqa;
import static dev.vlmo.dsl.Dsl.vqaV2;
import static dev.vlmo.dsl.Dsl.webDataset;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlmo.datasets.Nlvr2Example;
import dev.vlmo.datasets.VqaExample;
import dev.vlmo.datasets.formats.ArrowExport;
import dev.vlmo.datasets.synthetic.SyntheticWorld;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fine-tuning reads the official VQA v2 and NLVR2 files and the reference's Arrow files, skipping
 * and counting bad rows.
 */
class FinetuneRealDataTest {

    @TempDir static Path dir;
    private static Run pretrained;

    @BeforeAll
    static void pretrain() {
        pretrained =
                Fixtures.tiny()
                        .stage(
                                visionLanguage()
                                        .data(Fixtures.WORLD)
                                        .steps(1)
                                        .batchSize(4)
                                        .warmup(0))
                        .run(Fixtures.quiet(dir.resolve("pre")));
    }

    @AfterAll
    static void close() {
        pretrained.close();
    }

    private static void image(Path file, Color c, String format) throws IOException {
        Files.createDirectories(file.getParent());
        BufferedImage img = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(c);
        g.fillRect(0, 0, 40, 30);
        g.dispose();
        ImageIO.write(img, format, file.toFile());
    }

    private static String answers(String a, String b) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            out.add("{\"answer\": \"" + (i < 7 ? a : b) + "\", \"answer_id\": " + (i + 1) + "}");
        }
        return String.join(", ", out);
    }

    /** Writes questions, annotations and images of one split; image 99 is missing. */
    private static void vqaSplit(Path root, String split, int images) throws IOException {
        StringBuilder q = new StringBuilder("{\"questions\": [");
        StringBuilder a = new StringBuilder("{\"annotations\": [");
        for (int i = 1; i <= images + 1; i++) {
            int id = i <= images ? i : 99;
            boolean red = i % 2 == 0;
            if (i <= images) {
                image(
                        root.resolve(split).resolve(String.format("COCO_%s_%012d.jpg", split, id)),
                        red ? Color.RED : Color.BLUE,
                        "jpg");
            }
            String sep = i > 1 ? ", " : "";
            q.append(sep)
                    .append("{\"question_id\": ")
                    .append(id * 10)
                    .append(", \"image_id\": ")
                    .append(id)
                    .append(", \"question\": \"What color is the picture?\"}");
            String ans = red ? "red" : "blue";
            a.append(sep)
                    .append("{\"question_id\": ")
                    .append(id * 10)
                    .append(", \"image_id\": ")
                    .append(id)
                    .append(", \"multiple_choice_answer\": \"")
                    .append(ans)
                    .append("\", \"answers\": [")
                    .append(answers(ans, red ? "Orange" : "purple"))
                    .append("]}");
        }
        Files.writeString(
                root.resolve("v2_OpenEnded_mscoco_" + split + "_questions.json"), q + "]}");
        Files.writeString(root.resolve("v2_mscoco_" + split + "_annotations.json"), a + "]}");
    }

    @Test
    void vqaFineTunesOnTheOfficialFilesAndScoresWithTheOfficialMetric() throws IOException {
        Path root = dir.resolve("vqav2");
        vqaSplit(root, "train2014", 8);
        vqaSplit(root, "val2014", 4);
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> pretrained.finetune(vqa().data(vqaV2(root.toString())).steps(1)));
        assertTrue(e.getMessage().contains("minAnswerCount"), e.getMessage());
        try (FinetuneRun f =
                pretrained.finetune(
                        vqa().data(vqaV2(root.toString()).minAnswerCount(2))
                                .steps(2)
                                .batchSize(4))) {
            assertEquals(
                    List.of("blue", "red"), f.predictor().answers().stream().sorted().toList());
            // 4 readable val questions; the one whose image is missing is left out and counted
            assertEquals(5, Files.readAllLines(f.runDir().resolve("predictions.csv")).size());
            double official = f.metric("VQA accuracy (official)");
            double score = f.metric("VQA score (reference)");
            // 7 of 10 annotators agree: a right answer scores 1.0 on both; a wrong one 0
            assertTrue(
                    official == 0
                            || official == 25
                            || official == 50
                            || official == 75
                            || official == 100,
                    "" + official);
            assertEquals(official, score, 1e-9);
        }
    }

    @Test
    void missingOfficialFilesAreNamed() {
        Path root = dir.resolve("empty-vqa");
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> pretrained.finetune(vqa().data(vqaV2(root.toString()))));
        assertTrue(
                e.getMessage().contains("v2_OpenEnded_mscoco_train2014_questions.json"),
                e.getMessage());
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> pretrained.finetune(nlvr2().data(nlvr2Files(root.toString()))));
        assertTrue(e.getMessage().contains("train.json"), e.getMessage());
    }

    @Test
    void nlvr2FineTunesOnTheOfficialFiles() throws IOException {
        Path root = dir.resolve("nlvr2");
        StringBuilder train = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            String base = "train-" + i + "-0";
            image(root.resolve("images/train/" + i + "/" + base + "-img0.png"), Color.RED, "png");
            image(
                    root.resolve("images/train/" + i + "/" + base + "-img1.png"),
                    i % 2 == 0 ? Color.RED : Color.BLUE,
                    "png");
            train.append("{\"identifier\": \"")
                    .append(base)
                    .append("-0\", \"sentence\": \"Both pictures are red.\", \"label\": \"")
                    .append(i % 2 == 0 ? "True" : "False")
                    .append("\", \"directory\": \"")
                    .append(i)
                    .append("\"}\n");
        }
        train.append("{not json\n");
        Files.writeString(root.resolve("train.json"), train.toString());
        StringBuilder dev = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            String base = "dev-" + i + "-0";
            image(root.resolve("dev/" + base + "-img0.png"), Color.RED, "png");
            image(
                    root.resolve("dev/" + base + "-img1.png"),
                    i % 2 == 0 ? Color.RED : Color.BLUE,
                    "png");
            dev.append("{\"identifier\": \"")
                    .append(base)
                    .append("-0\", \"sentence\": \"Both pictures are red.\", \"label\": \"")
                    .append(i % 2 == 0 ? "True" : "False")
                    .append("\"}\n");
        }
        Files.writeString(root.resolve("dev.json"), dev.toString());
        try (FinetuneRun f =
                pretrained.finetune(
                        nlvr2().data(nlvr2Files(root.toString())).steps(2).batchSize(4))) {
            assertEquals(5, Files.readAllLines(f.runDir().resolve("predictions.csv")).size());
            double acc = f.metric("NLVR2 accuracy");
            assertTrue(acc == 0 || acc == 25 || acc == 50 || acc == 75 || acc == 100, "" + acc);
            assertEquals(50.0, f.metric("majority label (of training)"), 1e-9);
        }
    }

    /**
     * The built-in world's pairs written as the reference's caption tables fine-tune and rank as
     * the world itself does: without augmentation the same samples in the same order give the same
     * losses and the same recall.
     */
    @Test
    void retrievalFineTunesOnTheReferenceCaptionTables() throws IOException {
        SyntheticWorld w = Fixtures.WORLD.world(32);
        Path root = dir.resolve("captions");
        String train = root.resolve("coco_caption_karpathy_train.arrow").toString();
        String test = root.resolve("coco_caption_karpathy_test.arrow").toString();
        ArrowExport.captions(Path.of(train), w.captions(SyntheticWorld.Split.TRAIN), "train");
        ArrowExport.captions(Path.of(test), w.captions(SyntheticWorld.Split.TEST), "test");
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> pretrained.finetune(retrieval().data(arrowPairs(train)).steps(1)));
        assertTrue(e.getMessage().contains(".evalData(arrowPairs("), e.getMessage());
        IllegalArgumentException stream =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                pretrained.finetune(
                                        retrieval().data(webDataset(root + "/{0..1}.tar"))));
        assertTrue(stream.getMessage().contains("Arrow caption tables"), stream.getMessage());
        IllegalArgumentException mixed =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> pretrained.finetune(retrieval().evalData(arrowPairs(test))));
        assertTrue(mixed.getMessage().contains("remove evalData("), mixed.getMessage());

        Finetune t = retrieval().steps(2).batchSize(8).dropPath(0);
        try (FinetuneRun files =
                        pretrained.finetune(
                                t.data(arrowPairs(train))
                                        .evalData(arrowPairs(test))
                                        .augment(false));
                FinetuneRun world = pretrained.finetune(t.data(Fixtures.WORLD))) {
            double[] a = Fixtures.column(files.metrics(), "loss");
            double[] b = Fixtures.column(world.metrics(), "loss");
            assertEquals(2, a.length);
            for (int i = 0; i < a.length; i++) {
                assertEquals(b[i], a[i], 1e-5, "loss at step " + (i + 1));
            }
            for (String m : List.of("TR@1", "TR@5", "IR@1", "IR@5", "chance R@1")) {
                assertEquals(world.metric(m), files.metric(m), 1e-9, m);
            }
            assertEquals(
                    Math.round(1000.0 / w.scenes(SyntheticWorld.Split.TEST).size()) / 10.0,
                    files.metric("chance R@1"),
                    1e-9);
        }
    }

    @Test
    void vqaAndNlvr2FineTuneOnTheReferenceArrowFiles() throws IOException {
        SyntheticWorld w = Fixtures.WORLD.world(32);
        SyntheticWorld.Split train = SyntheticWorld.Split.TRAIN;
        SyntheticWorld.Split test = SyntheticWorld.Split.TEST;
        Path root = dir.resolve("arrow");
        String vqaTrain = root.resolve("vqav2_train.arrow").toString();
        String vqaVal = root.resolve("vqav2_val.arrow").toString();
        ArrowExport.vqa(Path.of(vqaTrain), w.vqa(train), "train");
        ArrowExport.vqa(Path.of(vqaVal), w.vqa(test), "val");
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> pretrained.finetune(vqa().data(arrowVqa(vqaTrain)).steps(1)));
        assertTrue(e.getMessage().contains(".evalData(arrowVqa("), e.getMessage());
        try (FinetuneRun f =
                pretrained.finetune(
                        vqa().data(arrowVqa(vqaTrain))
                                .evalData(arrowVqa(vqaVal))
                                .steps(2)
                                .batchSize(4))) {
            // the files hold labels; the vocabulary is rebuilt from their (label, answer) pairs
            List<String> answers = f.predictor().answers();
            for (VqaExample q : w.vqa(train)) {
                assertEquals(q.answers().get(0), answers.get(q.labels()[0]), q.question());
            }
            assertEquals(
                    w.vqa(test).size() + 1,
                    Files.readAllLines(f.runDir().resolve("predictions.csv")).size());
        }

        String nlvrTrain = root.resolve("nlvr2_train.arrow").toString();
        String nlvrDev = root.resolve("nlvr2_dev.arrow").toString();
        ArrowExport.nlvr2(Path.of(nlvrTrain), w.nlvr2(train));
        ArrowExport.nlvr2(Path.of(nlvrDev), w.nlvr2(test));
        try (FinetuneRun f =
                pretrained.finetune(
                        nlvr2().data(arrowNlvr2(nlvrTrain))
                                .evalData(arrowNlvr2(nlvrDev))
                                .steps(2)
                                .batchSize(4))) {
            List<Nlvr2Example> dev = w.nlvr2(test);
            assertEquals(
                    dev.size() + 1,
                    Files.readAllLines(f.runDir().resolve("predictions.csv")).size());
            long trues = w.nlvr2(train).stream().filter(Nlvr2Example::label).count();
            boolean majority = trues * 2 >= w.nlvr2(train).size();
            double want =
                    100.0 * dev.stream().filter(x -> x.label() == majority).count() / dev.size();
            assertEquals(want, f.metric("majority label (of training)"), 1e-6);
        }
    }

    @Test
    void arrowFilesFromTwoAnswerVocabulariesAreRejected() throws IOException {
        SyntheticWorld w = Fixtures.WORLD.world(32);
        Path root = dir.resolve("arrow-mixed");
        List<VqaExample> val = new ArrayList<>();
        for (VqaExample q : w.vqa(SyntheticWorld.Split.TEST)) {
            // the same label standing for another answer: another vocabulary's file
            val.add(
                    new VqaExample(
                            q.image(),
                            q.question(),
                            List.of(q.answers().get(0) + " (other list)"),
                            q.labels(),
                            q.scores(),
                            q.questionId(),
                            q.imageId()));
        }
        ArrowExport.vqa(root.resolve("train.arrow"), w.vqa(SyntheticWorld.Split.TRAIN), "train");
        ArrowExport.vqa(root.resolve("val.arrow"), val, "val");
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                pretrained.finetune(
                                        vqa().data(arrowVqa(root.resolve("train.arrow").toString()))
                                                .evalData(
                                                        arrowVqa(
                                                                root.resolve("val.arrow")
                                                                        .toString()))
                                                .steps(1)));
        assertTrue(e.getMessage().contains("(other list)"), e.getMessage());
        assertTrue(e.getMessage().contains("one answer vocabulary"), e.getMessage());
    }
}
