package dev.vlmo.datasets.formats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlmo.datasets.BadInputs;
import dev.vlmo.datasets.DataException;
import dev.vlmo.datasets.ImageText;
import dev.vlmo.datasets.LabeledImage;
import dev.vlmo.datasets.Nlvr2Example;
import dev.vlmo.datasets.VqaExample;
import java.awt.Color;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FormatsTest {
    @TempDir Path dir;

    @Test
    void karpathyJsonWithImageFolder() throws Exception {
        Fixtures.write(dir.resolve("val2014/a.jpg"), Fixtures.image("jpg", 20, 10, Color.RED));
        Fixtures.write(dir.resolve("val2014/b.jpg"), Fixtures.image("jpg", 20, 10, Color.BLUE));
        Path json = dir.resolve("dataset_coco.json");
        Files.writeString(
                json,
                """
                {"images": [
                  {"filepath": "val2014", "filename": "a.jpg", "split": "test",
                   "sentences": [{"raw": "A red thing."}, {"raw": "  "}, {"raw": "Red."}]},
                  {"filepath": "val2014", "filename": "missing.jpg", "split": "test",
                   "sentences": [{"raw": "gone"}]},
                  {"filepath": "val2014", "filename": "b.jpg", "split": "train",
                   "sentences": [{"raw": "blue"}]},
                  {"filepath": "val2014", "filename": "b.jpg", "split": "restval",
                   "sentences": [{"raw": "Blue again"}]}
                ]}
                """);
        BadInputs bad = BadInputs.skipAndCount();
        List<ImageText> test = Karpathy.read(json, dir, Set.of("test"), bad);
        assertEquals(List.of("A red thing.", "Red."), test.stream().map(ImageText::text).toList());
        assertEquals(List.of(0, 0), test.stream().map(ImageText::imageId).toList());
        assertEquals(2, bad.total());
        assertTrue(bad.summary().contains("missing.jpg"), bad.summary());
        assertEquals(255, test.get(0).image().load().get(3, 3, 0), 3);
        List<ImageText> train =
                Karpathy.read(json, dir, Set.of("train", "restval"), BadInputs.skipAndCount());
        assertEquals(List.of(0, 1), train.stream().map(ImageText::imageId).toList());
        assertThrows(
                DataException.class,
                () -> Karpathy.read(json, dir, Set.of("test"), BadInputs.strict()));
    }

    @Test
    void aTruncatedJsonFileIsNamedWithWhereItStops() throws Exception {
        Path json = dir.resolve("dataset_coco.json");
        Files.writeString(json, "{\"images\": [\n  {\"filepath\": \"val2014\", \"filena");
        DataException e =
                assertThrows(
                        DataException.class,
                        () -> Karpathy.read(json, dir, Set.of("test"), BadInputs.skipAndCount()));
        assertTrue(e.getMessage().contains(json.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("at line 2"), e.getMessage());
        assertTrue(!e.getMessage().contains("REDACTED"), e.getMessage());
    }

    @Test
    void karpathyEntriesThatCannotBeReadAreReportedNotDropped() throws Exception {
        Fixtures.write(dir.resolve("val2014/a.jpg"), Fixtures.image("jpg", 20, 10, Color.RED));
        Path json = dir.resolve("dataset_coco.json");
        Files.writeString(
                json,
                """
                {"images": [
                  {"filepath": "val2014", "filename": "a.jpg", "split": "Train",
                   "sentences": [{"raw": "capital T"}]},
                  {"filepath": "val2014", "filename": "a.jpg",
                   "sentences": [{"raw": "no split"}]},
                  {"filepath": "val2014", "filename": "a.jpg", "split": "train"},
                  {"filepath": "val2014", "filename": "a.jpg", "split": "train",
                   "sentences": "oops"},
                  {"filepath": "val2014", "filename": "a.jpg", "split": "train",
                   "sentences": [{"raw": "kept"}]}
                ]}
                """);
        BadInputs bad = BadInputs.skipAndCount();
        List<ImageText> train = Karpathy.read(json, dir, Set.of("train"), bad);
        assertEquals(List.of("kept"), train.stream().map(ImageText::text).toList());
        assertEquals(4, bad.total(), bad.summary());
        assertEquals(Set.of("unknown split", "no sentences array"), bad.counts().keySet());
        assertTrue(bad.summary().contains("\"Train\""), bad.summary());
        // a read of another split is not charged with them (retrieval reads train, then test)
        BadInputs other = BadInputs.strict();
        assertEquals(List.of(), Karpathy.read(json, dir, Set.of("test"), other));
    }

    @Test
    void captionTsvSkipsMalformedLinesWithTheirLineNumbers() throws Exception {
        Fixtures.write(dir.resolve("img/1.png"), Fixtures.image("png", 8, 8, Color.GREEN));
        Path tsv = dir.resolve("cc.tsv");
        Files.writeString(
                tsv, "a green square\timg/1.png\nno tab here\n\timg/1.png\nother\timg/2.png\n");
        BadInputs bad = BadInputs.skipAndCount();
        List<ImageText> pairs = CaptionTsv.read(tsv, dir, bad);
        assertEquals(1, pairs.size());
        assertEquals(3, bad.total());
        assertTrue(
                bad.firstOffenders().get(0).contains("cc.tsv:2"), bad.firstOffenders().toString());
        assertEquals(
                Set.of("malformed line", "empty caption", "missing image"), bad.counts().keySet());
    }

    @Test
    void vqaAnswerNormalisationFollowsTheOfficialEvaluation() {
        assertEquals("2", VqaAnswers.normalize("two"));
        assertEquals("2 dogs", VqaAnswers.normalize("Two dogs!"));
        assertEquals("dog", VqaAnswers.normalize("the dog."));
        assertEquals("can't", VqaAnswers.normalize("cant"));
        assertEquals("3.5", VqaAnswers.normalize("3.5"));
        assertEquals("1000", VqaAnswers.normalize("1,000"));
        assertEquals("red white", VqaAnswers.normalize("red/white"));
        assertEquals("0", VqaAnswers.normalize("none"));
        assertEquals("yes", VqaAnswers.normalize("Yes"));
        assertEquals(0.3f, VqaAnswers.score(1));
        assertEquals(0.9f, VqaAnswers.score(3));
        assertEquals(1f, VqaAnswers.score(7));
    }

    @Test
    void vqaV2QuestionsAndAnnotationsGiveSoftScores() throws Exception {
        Fixtures.write(
                dir.resolve("val2014/COCO_val2014_000000000042.jpg"),
                Fixtures.image("jpg", 8, 8, Color.RED));
        Path q = dir.resolve("q.json");
        Path a = dir.resolve("a.json");
        Files.writeString(
                q,
                """
                {"questions": [
                  {"image_id": 42, "question": "What color?", "question_id": 1},
                  {"image_id": 42, "question": "How many?", "question_id": 2},
                  {"image_id": 7, "question": "Where?", "question_id": 3},
                  {"image_id": 42, "question": "Odd?", "question_id": 4}
                ]}
                """);
        StringBuilder ann = new StringBuilder("{\"annotations\": [");
        ann.append(
                annotation(
                        1, "red", "red", "red", "red", "Red", "red", "blue", "blue", "blue",
                        "pink"));
        ann.append(",").append(annotation(2, "2", "two", "2", "3", "3", "3", "3", "2", "2", "2"));
        ann.append(",")
                .append(
                        annotation(
                                3, "red", "red", "red", "red", "red", "red", "red", "red", "red",
                                "red"));
        ann.append(",")
                .append(
                        annotation(
                                4, "zebra", "zebra", "zebra", "zebra", "zebra", "zebra", "zebra",
                                "zebra", "zebra", "zebra"));
        ann.append("]}");
        Files.writeString(a, ann);
        VqaAnswers vocab = VqaAnswers.build(List.of("red", "red", "blue", "2", "2", "3", "red"), 2);
        assertEquals(List.of("red", "2"), vocab.answers());
        BadInputs bad = BadInputs.skipAndCount();
        List<VqaExample> ex =
                VqaV2.read(
                        q,
                        a,
                        VqaV2.cocoImages(dir.resolve("val2014"), "COCO_val2014_"),
                        vocab,
                        bad);
        assertEquals(2, ex.size());
        VqaExample colour = ex.get(0);
        assertArrayEquals(new int[] {0}, colour.labels());
        assertArrayEquals(new float[] {1f}, colour.scores());
        // one normalised answer per annotator, in annotation order (the official metric's input)
        assertEquals(
                List.of("red", "red", "red", "red", "red", "red", "blue", "blue", "blue", "pink"),
                colour.answers());
        VqaExample count = ex.get(1);
        assertArrayEquals(new int[] {1}, count.labels());
        assertArrayEquals(new float[] {1f}, count.scores(), "'two' normalises to '2': 6 of 10");
        assertEquals(2, bad.total());
        assertEquals(Set.of("missing image", "unknown answer"), bad.counts().keySet());
        VqaAnswers fromFiles = VqaV2.buildAnswers(List.of(a), 2);
        assertEquals(
                List.of("red"), fromFiles.answers(), "majority answers: red x2, 2 x1, zebra x1");
    }

    private static String annotation(int qid, String... answers) {
        StringBuilder sb = new StringBuilder();
        sb.append("{\"question_id\": ")
                .append(qid)
                .append(", \"image_id\": 42, \"multiple_choice_answer\": \"")
                .append(answers[0])
                .append("\", \"answers\": [");
        for (int i = 0; i < answers.length; i++) {
            sb.append(i > 0 ? "," : "")
                    .append("{\"answer\": \"")
                    .append(answers[i])
                    .append("\", \"answer_id\": ")
                    .append(i + 1)
                    .append("}");
        }
        return sb.append("]}").toString();
    }

    @Test
    void nlvr2JsonLinesWithBadLines() throws Exception {
        Fixtures.write(
                dir.resolve("images/train/3/train-1-0-img0.png"),
                Fixtures.image("png", 8, 8, Color.RED));
        Fixtures.write(
                dir.resolve("images/train/3/train-1-0-img1.png"),
                Fixtures.image("png", 8, 8, Color.BLUE));
        Fixtures.write(dir.resolve("dev/dev-5-1-img0.png"), Fixtures.image("png", 8, 8, Color.RED));
        Fixtures.write(dir.resolve("dev/dev-5-1-img1.png"), Fixtures.image("png", 8, 8, Color.RED));
        Path jsonl = dir.resolve("train.json");
        Files.writeString(
                jsonl,
                String.join(
                        "\n",
                        "{\"identifier\": \"train-1-0-0\", \"sentence\": \"One is red.\", \"label\": \"True\", \"directory\": \"3\"}",
                        "{\"identifier\": \"dev-5-1-2\", \"sentence\": \"Both red.\", \"label\": \"False\"}",
                        "{\"identifier\": \"dev-5-1-3\", \"sentence\": \"broken",
                        "{\"identifier\": \"dev-5-1-4\", \"sentence\": \"x\", \"label\": \"maybe\"}",
                        "{\"identifier\": \"dev-9-9-0\", \"sentence\": \"x\", \"label\": \"True\"}"));
        BadInputs bad = BadInputs.skipAndCount();
        List<Nlvr2Example> ex = Nlvr2.read(jsonl, dir, bad);
        assertEquals(2, ex.size());
        assertTrue(ex.get(0).label());
        assertEquals(false, ex.get(1).label());
        assertEquals(0, ex.get(0).right().load().get(1, 1, 0));
        assertEquals(3, bad.total());
        assertTrue(
                bad.firstOffenders().get(0).startsWith("malformed json at " + jsonl + ":3"),
                bad.summary());
        DataException e =
                assertThrows(DataException.class, () -> Nlvr2.read(jsonl, dir, BadInputs.strict()));
        assertTrue(e.getMessage().contains("train.json:3"), e.getMessage());
    }

    @Test
    void imageFoldersAndTextCorpora() throws Exception {
        Fixtures.write(dir.resolve("imgs/dog/1.png"), Fixtures.image("png", 4, 4, Color.RED));
        Fixtures.write(dir.resolve("imgs/cat/2.jpg"), Fixtures.image("jpg", 4, 4, Color.RED));
        Fixtures.write(dir.resolve("imgs/cat/3.png"), Fixtures.image("png", 4, 4, Color.RED));
        Fixtures.write(dir.resolve("imgs/cat/notes.txt"), "x".getBytes(StandardCharsets.UTF_8));
        ImageFolder f = ImageFolder.read(dir.resolve("imgs"));
        assertEquals(List.of("cat", "dog"), f.classes());
        assertEquals(List.of(0, 0, 1), f.images().stream().map(LabeledImage::label).toList());
        Files.writeString(dir.resolve("a.txt"), "first line\n\n  second  \n");
        Files.writeString(dir.resolve("b.txt"), "third\n");
        List<Path> files = TextCorpus.files(dir, "*.txt");
        assertEquals(List.of("first line", "second", "third"), TextCorpus.lines(files));
        assertThrows(DataException.class, () -> TextCorpus.files(dir, "*.md"));
        assertThrows(DataException.class, () -> ImageFolder.read(dir.resolve("imgs/dog")));
    }

    @Test
    void braceExpansion() {
        assertEquals(
                List.of("s/00.tar", "s/01.tar", "s/02.tar"), WebDataset.expand("s/{00..02}.tar"));
        assertEquals(List.of("a-1", "a-2", "b-1", "b-2"), WebDataset.expand("{a,b}-{1..2}"));
        assertNotEquals(0, WebDataset.expand("x").size());
        assertThrows(IllegalArgumentException.class, () -> WebDataset.expand("{5..1}"));
    }
}
