package dev.vlmo.dsl;

import static dev.vlmo.dsl.Dsl.builtIn;
import static dev.vlmo.dsl.Dsl.cpu;
import static dev.vlmo.dsl.Dsl.imageFolder;
import static dev.vlmo.dsl.Dsl.on;
import static dev.vlmo.dsl.Dsl.text;
import static dev.vlmo.dsl.Dsl.textLines;
import static dev.vlmo.dsl.Dsl.vision;
import static dev.vlmo.dsl.Dsl.visionLanguage;
import static dev.vlmo.dsl.Dsl.webDataset;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.nn.Parameter;
import dev.vlmo.model.VlmoConfig;
import dev.vlmo.model.VlmoModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

/** Descriptions are immutable values that describe themselves as tables and readable text. */
class DescriptionTest {

    private static long parameterCount(VlmoConfig c) {
        long n = 0;
        for (Parameter p : new VlmoModel(c).namedParameters().values()) {
            n += p.getShape().size();
        }
        return n;
    }

    private static Vlmo threeStages() {
        return Fixtures.tiny()
                .stage(vision().data(Fixtures.WORLD).steps(3).batchSize(8))
                .stage(text().data(Fixtures.WORLD).steps(4).batchSize(8))
                .stage(visionLanguage().data(Fixtures.WORLD).steps(5).batchSize(16));
    }

    @Test
    void describeHasOneRowPerStageAndCountsThatSumToTheModel() {
        Vlmo v = threeStages();
        Table t = v.describe();
        assertEquals(3, t.rowCount(), t.print());
        assertEquals(List.of("vision", "text", "visionLanguage"), t.stringColumn("kind").asList());
        assertEquals(List.of(1, 2, 3), t.intColumn("stage").asList());
        assertEquals(List.of("3 steps", "4 steps", "5 steps"), t.stringColumn("length").asList());
        assertEquals(List.of(8, 8, 16), t.intColumn("batch").asList());
        Plan plan = v.compile(on(cpu()));
        long total = parameterCount(plan.model());
        for (int i = 0; i < 3; i++) {
            long train = t.longColumn("trainable params").get(i);
            long frozen = t.longColumn("frozen params").get(i);
            assertEquals(total, train + frozen, "stage " + (i + 1) + " of\n" + t.print());
            assertTrue(train > 0 && frozen >= 0, t.print());
            assertEquals(plan.stages().get(i).trainableCount(), train);
        }
        // vision and text freeze parts of the model; vision-language trains the pair heads too
        long vlTrain = t.longColumn("trainable params").get(2);
        assertTrue(vlTrain > t.longColumn("trainable params").get(0), t.print());
        assertTrue(vlTrain > t.longColumn("trainable params").get(1), t.print());
        assertTrue(t.name().contains("D=32") && t.name().contains("L=2"), t.name());
    }

    @Test
    void theDesignsRecipeLineDescribesAtBaseSize(@TempDir Path dir) throws IOException {
        Path vocab = dir.resolve("vocab.txt");
        List<String> tokens =
                new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
        for (int i = 0; i < 95; i++) {
            tokens.add("w" + i);
        }
        Files.write(vocab, tokens);
        Vlmo v =
                Vlmo.base()
                        .vocabulary(vocab)
                        .stage(vision().data(imageFolder("imagenet/train")).steps(100_000))
                        .stage(text().data(textLines("wiki/*.txt")).steps(100_000))
                        .stage(
                                visionLanguage()
                                        .data(webDataset("cc3m/{00000..00331}.tar"))
                                        .steps(200_000));
        Table t = v.describe();
        assertEquals(3, t.rowCount());
        Plan plan = v.compile(on(cpu()));
        assertEquals(100, plan.model().vocabSize(), "the vocabulary file decides the size");
        assertTrue(t.name().contains(vocab.toString()), t.name());
        long total = parameterCount(plan.model());
        for (int i = 0; i < 3; i++) {
            assertEquals(
                    total,
                    t.longColumn("trainable params").get(i) + t.longColumn("frozen params").get(i));
        }
        // the reference's defaults at base size
        assertEquals(List.of(2048, 1024, 1024), t.intColumn("batch").asList());
        assertEquals(1.5e-3, plan.stages().get(0).learningRate());
        assertEquals(2e-4, plan.stages().get(1).learningRate());
        assertEquals(2e-4, plan.stages().get(2).learningRate());
        assertEquals(196, plan.stages().get(1).textLength(), "the reference's text stage");
        assertEquals(40, plan.stages().get(2).textLength());
        assertEquals(0.1, plan.stages().get(2).dropPath(), 1e-12, "base's drop path");
        assertEquals(2500, plan.stages().get(2).warmupSteps(200_000));
        assertTrue(t.stringColumn("data").get(2).contains("cc3m/{00000..00331}.tar"));
    }

    @Test
    void valuesAreImmutable() {
        Vlmo empty = Fixtures.tiny();
        Stage s = visionLanguage().data(Fixtures.WORLD);
        String before = s.toString();
        Vlmo one = empty.stage(s);
        assertNotSame(empty, one);
        assertTrue(empty.stages().isEmpty(), "stage() changed the original description");
        assertEquals(1, one.stages().size());
        Vlmo two = one.stage(text().data(Fixtures.WORLD));
        assertEquals(1, one.stages().size(), "stage() changed the description it was called on");
        assertEquals(2, two.stages().size());
        assertThrows(UnsupportedOperationException.class, () -> two.stages().add(s));

        Stage changed = s.batchSize(8).itm(ItmNegatives.RANDOM).learningRate(1e-3);
        assertEquals(before, s.toString(), "an option changed the stage it was called on");
        assertNotEquals(s, changed);
        assertEquals(1024, s.batchSize());
        assertEquals(ItmNegatives.HARD, s.itm());
        assertEquals(8, changed.batchSize());
        assertEquals(s, visionLanguage().data(Fixtures.WORLD), "equal descriptions are equal");
        assertEquals(s.hashCode(), visionLanguage().data(Fixtures.WORLD).hashCode());

        Vlmo bigger = one.model(c -> c.withHidden(64));
        assertEquals(32, one.config().hidden());
        assertEquals(64, bigger.config().hidden());
        assertEquals(one.stages(), bigger.stages());

        Runtime rt = on(cpu());
        Runtime quiet = rt.quiet().logEvery(3);
        assertTrue(!rt.isQuiet() && quiet.isQuiet());
        assertEquals(10, rt.logEvery());
    }

    @Test
    void toStringIsReadable() {
        String s = threeStages().toString();
        assertTrue(s.startsWith("Vlmo.tiny()"), s);
        assertTrue(s.contains(".stage(vision()"), s);
        assertTrue(s.contains(".stage(text()"), s);
        assertTrue(s.contains(".stage(visionLanguage()"), s);
        assertTrue(s.contains("hidden=32"), "a changed preset shows its configuration: " + s);
        assertTrue(
                s.indexOf("vision()") < s.indexOf("text()")
                        && s.indexOf("text()") < s.indexOf("visionLanguage()"),
                s);
        assertEquals(4, s.lines().count(), "one line for the model, one per stage: " + s);
        assertTrue(
                s.contains("ITC + VL-ITC, ITM (hard, global), MLM 0.15 whole-word x0.25"),
                "the reference's stage 3 objectives read like the paper: " + s);
        assertTrue(Vlmo.base().toString().equals("Vlmo.base()"), Vlmo.base().toString());
        String plan = threeStages().compile(on(cpu())).toString();
        assertTrue(plan.contains("visionLanguage") && plan.contains("trainable params"), plan);
        assertEquals(
                "on(cpu(), gpu(1)).engine(PyTorch).precision(FP32)",
                on(cpu(), Dsl.gpu(1)).toString());
        assertEquals("built-in world (seed 0, 2000 train scenes)", builtIn().describe());
    }
}
