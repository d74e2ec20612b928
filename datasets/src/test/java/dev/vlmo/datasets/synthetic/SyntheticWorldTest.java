package dev.vlmo.datasets.synthetic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlmo.datasets.DataException;
import dev.vlmo.datasets.ImageText;
import dev.vlmo.datasets.Nlvr2Example;
import dev.vlmo.datasets.VqaExample;
import dev.vlmo.datasets.image.RgbImage;
import dev.vlmo.datasets.synthetic.SyntheticWorld.Split;
import dev.vlmo.datasets.text.Vocabulary;
import dev.vlmo.datasets.text.WordPieceTokenizer;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class SyntheticWorldTest {
    private static final SyntheticWorld WORLD =
            SyntheticWorld.builder().seed(3).scenes(400, 60, 60).build();

    @Test
    void sameSettingsGiveTheSameWorldAndOtherSeedsDiffer() throws Exception {
        SyntheticWorld again = SyntheticWorld.builder().seed(3).scenes(400, 60, 60).build();
        assertEquals(WORLD.captions(Split.TEST).size(), again.captions(Split.TEST).size());
        for (int i = 0; i < 50; i++) {
            assertEquals(
                    WORLD.captions(Split.TRAIN).get(i).text(),
                    again.captions(Split.TRAIN).get(i).text());
            assertEquals(
                    WORLD.vqa(Split.VAL).get(i).question(), again.vqa(Split.VAL).get(i).question());
        }
        assertArrayEquals(
                WORLD.image(Split.TEST, 5).load().data(), again.image(Split.TEST, 5).load().data());
        SyntheticWorld other = SyntheticWorld.builder().seed(4).scenes(400, 60, 60).build();
        assertNotEquals(
                WORLD.scenes(Split.TRAIN).subList(0, 20).stream().map(Scene::signature).toList(),
                other.scenes(Split.TRAIN).subList(0, 20).stream().map(Scene::signature).toList());
    }

    @Test
    void splitsHaveTheRequestedSizesAndShareNoScene() {
        assertEquals(400, WORLD.scenes(Split.TRAIN).size());
        assertEquals(60, WORLD.scenes(Split.VAL).size());
        assertEquals(60, WORLD.scenes(Split.TEST).size());
        Set<String> all = new HashSet<>();
        int total = 0;
        for (Split s : Split.values()) {
            for (Scene sc : WORLD.scenes(s)) {
                all.add(sc.signature());
                total++;
            }
        }
        assertEquals(total, all.size(), "a scene signature appears twice");
        Set<String> train =
                WORLD.scenes(Split.TRAIN).stream()
                        .map(Scene::signature)
                        .collect(Collectors.toSet());
        // Corpus sentences come from scenes of their own split, so they never describe a test
        // scene exactly as a training one... and the corpus is non-empty for every split.
        assertFalse(WORLD.textCorpus(Split.TEST).isEmpty());
        assertFalse(train.isEmpty());
    }

    @Test
    void everyCaptionNamesTheColourAndShapeOfEveryObject() {
        for (Split split : Split.values()) {
            List<ImageText> caps = WORLD.captions(split);
            assertTrue(caps.size() >= 4 * WORLD.scenes(split).size(), "about 5 captions per scene");
            for (ImageText c : caps) {
                Scene s = WORLD.scenes(split).get(c.imageId());
                String text = c.text().toLowerCase();
                for (SceneObject o : s.objects()) {
                    assertTrue(
                            text.contains(o.colour().word() + " " + o.shape().word()),
                            () -> "caption '" + c.text() + "' misses " + o.key());
                }
                assertTrue(c.text().length() < 200);
            }
        }
    }

    @Test
    void captionsOfOneSceneAreVaried() {
        Set<String> distinct = new HashSet<>(WORLD.captionsOf(Split.TRAIN, 0));
        assertEquals(5, distinct.size());
    }

    private static final Pattern COLOR_Q =
            Pattern.compile(
                    "(?:what color is the|what is the color of the|which color does the) (\\w+)(?: have)?\\?");
    private static final Pattern COUNT_SHAPE =
            Pattern.compile("how many (\\w+) (?:are there|can you see)\\?");
    private static final Pattern POSITION_Q =
            Pattern.compile("(?:where is the|in which part of the image is the) (\\w+) (\\w+)\\?");
    private static final Pattern EXISTS_Q =
            Pattern.compile("(?:is there|does the image contain) an? (\\w+) (\\w+)\\?");

    @Test
    void vqaAnswersAreTrueOfTheScene() {
        int checked = 0;
        List<VqaExample> vqa = WORLD.vqa(Split.TRAIN);
        List<SyntheticQuestion> qs = WORLD.questions(Split.TRAIN);
        assertEquals(vqa.size(), qs.size());
        for (int i = 0; i < vqa.size(); i++) {
            VqaExample ex = vqa.get(i);
            Scene s = WORLD.scenes(Split.TRAIN).get(ex.imageId());
            String q = ex.question();
            String a = ex.answers().get(0);
            assertEquals(a, WORLD.answers().get(ex.labels()[0]));
            Matcher m;
            if ((m = COLOR_Q.matcher(q)).matches()) {
                Shape sh = shape(m.group(1));
                assertEquals(1, s.count(sh), q);
                assertEquals(
                        a,
                        s.objects().stream()
                                .filter(o -> o.shape() == sh)
                                .findFirst()
                                .get()
                                .colour()
                                .word());
                checked++;
            } else if ((m = COUNT_SHAPE.matcher(q)).matches() && !m.group(1).equals("shapes")) {
                String plural = m.group(1);
                Shape sh =
                        List.of(Shape.values()).stream()
                                .filter(x -> x.plural().equals(plural))
                                .findFirst()
                                .get();
                assertEquals(Integer.toString(s.count(sh)), a, q);
                checked++;
            } else if ((m = POSITION_Q.matcher(q)).matches()) {
                Colour c = colour(m.group(1));
                Shape sh = shape(m.group(2));
                assertEquals(1, s.count(c, sh));
                SceneObject o =
                        s.objects().stream()
                                .filter(x -> x.colour() == c && x.shape() == sh)
                                .findFirst()
                                .get();
                assertEquals(o.cell().words(), a, q);
                checked++;
            } else if ((m = EXISTS_Q.matcher(q)).matches()) {
                boolean present = s.count(colour(m.group(1)), shape(m.group(2))) > 0;
                assertEquals(present ? "yes" : "no", a, q);
                checked++;
            }
        }
        assertTrue(checked > vqa.size() / 4, "checked " + checked + " of " + vqa.size());
    }

    @Test
    void everyQuestionTypeAppearsAndYesNoIsBalanced() {
        Map<QuestionType, Long> byType =
                WORLD.questions(Split.TRAIN).stream()
                        .collect(
                                Collectors.groupingBy(
                                        SyntheticQuestion::type, Collectors.counting()));
        assertEquals(QuestionType.values().length, byType.size());
        long yes =
                WORLD.questions(Split.TRAIN).stream()
                        .filter(q -> q.type() == QuestionType.YES_NO && q.answer().equals("yes"))
                        .count();
        double rate = yes / (double) byType.get(QuestionType.YES_NO);
        assertTrue(rate > 0.4 && rate < 0.6, "yes rate " + rate);
    }

    private static final Pattern LEFT_CONTAINS =
            Pattern.compile("the (left|right) image contains an? (\\w+) (\\w+)");

    @Test
    void nlvr2LabelsAreBalancedAndTrue() {
        List<Nlvr2Example> ex = WORLD.nlvr2(Split.TRAIN);
        assertEquals(800, ex.size());
        long trues = ex.stream().filter(Nlvr2Example::label).count();
        assertTrue(Math.abs(trues - 400) < 20, "true statements: " + trues);
        int checked = 0;
        for (Nlvr2Example e : ex) {
            String[] parts = e.identifier().split("-");
            Scene l = WORLD.scenes(Split.TRAIN).get(Integer.parseInt(parts[2]));
            Scene r = WORLD.scenes(Split.TRAIN).get(Integer.parseInt(parts[3]));
            assertNotEquals(parts[2], parts[3]);
            Matcher m = LEFT_CONTAINS.matcher(e.statement());
            if (m.matches()) {
                Scene s = m.group(1).equals("left") ? l : r;
                assertEquals(
                        s.count(colour(m.group(2)), shape(m.group(3))) > 0,
                        e.label(),
                        e.statement());
                checked++;
            } else if (e.statement().equals("the two images have the same number of shapes")) {
                assertEquals(l.count() == r.count(), e.label());
                checked++;
            }
        }
        assertTrue(checked > 20);
    }

    @Test
    void rendersObjectsInTheirColoursAtAnyResolution() {
        Scene s = WORLD.scenes(Split.TRAIN).get(0);
        for (int size : new int[] {32, 48, 224}) {
            RgbImage img = RgbImage.of(WORLD.render(s, size));
            assertEquals(size, img.width());
            for (SceneObject o : s.objects()) {
                int x = (int) (o.cx() * size);
                int y = (int) (o.cy() * size);
                int rgb = o.rgb();
                assertEquals((rgb >> 16) & 0xFF, img.get(x, y, 0), 40, "red at object centre");
                assertEquals((rgb >> 8) & 0xFF, img.get(x, y, 1), 40);
                assertEquals(rgb & 0xFF, img.get(x, y, 2), 40);
            }
        }
    }

    @Test
    void imageOnlyLabelsCountObjects() {
        var images = WORLD.images(Split.VAL);
        assertEquals(60, images.size());
        for (int i = 0; i < images.size(); i++) {
            assertEquals(WORLD.scenes(Split.VAL).get(i).count() - 1, images.get(i).label());
        }
        assertEquals(3, WORLD.imageClasses());
    }

    @Test
    void theVocabularyCoversEveryWordAsAWholeToken() {
        Vocabulary v = WORLD.vocabulary();
        assertEquals(0, v.padId());
        assertEquals(
                List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"), v.tokens().subList(0, 5));
        WordPieceTokenizer tok = new WordPieceTokenizer(v);
        for (Split s : Split.values()) {
            List<String> texts = new java.util.ArrayList<>();
            WORLD.captions(s).forEach(c -> texts.add(c.text()));
            WORLD.vqa(s).forEach(q -> texts.add(q.question()));
            WORLD.nlvr2(s).forEach(q -> texts.add(q.statement()));
            texts.addAll(WORLD.textCorpus(s));
            for (String t : texts) {
                for (String piece : tok.tokenize(t)) {
                    assertFalse(
                            piece.startsWith("##") || piece.equals("[UNK]"),
                            () -> "'" + t + "' splits into " + tok.tokenize(t));
                }
            }
        }
        for (String a : WORLD.answers()) {
            assertTrue(tok.tokenize(a).stream().noneMatch(p -> p.startsWith("##")));
        }
    }

    @Test
    void aSplitOfOneSceneHasEveryLevelButNlvr2sAndNlvr2SaysWhy() {
        SyntheticWorld one = SyntheticWorld.builder().seed(3).scenes(40, 1, 1).build();
        var tasks = one.chanceLevels(Split.TEST).stream().map(ChanceLevel::task).toList();
        assertTrue(tasks.contains("vqa/all") && !tasks.contains("nlvr2"), tasks.toString());
        var e =
                org.junit.jupiter.api.Assertions.assertThrows(
                        dev.vlmo.datasets.DataException.class, () -> one.nlvr2(Split.TEST));
        assertTrue(e.getMessage().contains("at least 2 scenes"), e.getMessage());
    }

    @Test
    void chanceLevelsAreMeasured() {
        Map<String, ChanceLevel> levels =
                WORLD.chanceLevels(Split.TRAIN).stream()
                        .collect(Collectors.toMap(ChanceLevel::task, c -> c));
        assertEquals(0.5, levels.get("nlvr2").majority(), 0.03);
        assertEquals(0.5, levels.get("vqa/yes_no").majority(), 0.1);
        assertEquals(1.0 / 6, levels.get("vqa/color").uniform(), 1e-9);
        assertTrue(levels.get("vqa/all").majority() < 0.45, "text alone must not solve VQA");
        assertEquals(1.0 / 400, levels.get("retrieval/ir@1").uniform(), 1e-9);
    }

    @Test
    void captionsIdentifyTheirSceneSoRetrievalNeedsBothModalities() {
        // A caption names the colour and shape of every object, so among the test scenes few
        // share the caption's colour-shape multiset: retrieval is solvable, but only by looking.
        List<Scene> scenes = WORLD.scenes(Split.TEST);
        Map<String, Long> byContent =
                scenes.stream()
                        .collect(
                                Collectors.groupingBy(
                                        SyntheticWorldTest::content, Collectors.counting()));
        double meanAmbiguity =
                scenes.stream().mapToLong(s -> byContent.get(content(s))).average().orElse(0);
        assertTrue(meanAmbiguity < 1.5, "mean scenes per content " + meanAmbiguity);
    }

    @Test
    void impossibleRequestsNameTheFix() {
        DataException e =
                assertThrows(
                        DataException.class,
                        () -> SyntheticWorld.builder().objects(1, 1).scenes(1000, 10, 10).build());
        assertTrue(e.getMessage().contains("ask for fewer scenes"), e.getMessage());
        IllegalArgumentException bad =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> SyntheticWorld.builder().objects(3, 2));
        assertTrue(
                bad.getMessage().contains("max objects must be in [3, 9], got 2"),
                bad.getMessage());
    }

    private static String content(Scene s) {
        return s.objects().stream()
                .map(o -> o.colour() + "-" + o.shape())
                .sorted()
                .collect(Collectors.joining(","));
    }

    private static Shape shape(String w) {
        for (Shape s : Shape.values()) {
            if (s.word().equals(w)) {
                return s;
            }
        }
        throw new AssertionError("no shape " + w);
    }

    private static Colour colour(String w) {
        for (Colour c : Colour.values()) {
            if (c.word().equals(w)) {
                return c;
            }
        }
        throw new AssertionError("no colour " + w);
    }
}
