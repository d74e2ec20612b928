package dev.vlmo.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VlmoModelTest {

    static NDManager m;
    static final VlmoConfig TINY = VlmoConfig.tiny().withVqaLabels(7).withNlvr2(true);

    @BeforeAll
    static void open() {
        m = TestSupport.manager();
    }

    @AfterAll
    static void close() {
        m.close();
    }

    @Test
    void shapesOfEveryPassAndHead() {
        try (NDManager s = m.newSubManager()) {
            VlmoModel model = TestSupport.tinyModel(s, TINY, 1);
            ParameterStore ps = TestSupport.store(s);
            int b = 3;
            int t = TINY.maxTextLen();
            int[] len = {5, t, 9};
            NDArray img = TestSupport.images(s, TINY, b);
            NDArray ids = TestSupport.ids(s, TINY, len, t, 7);
            NDArray mask = TestSupport.mask(s, len, t);
            long n = TINY.imageTokens();
            long d = TINY.hidden();

            ImageEncoding ie = model.encodeImage(ps, img, true, false);
            assertEquals(new Shape(b, n, d), ie.hidden().getShape());
            assertEquals(new Shape(b, d), ie.itc().getShape());
            assertEquals(new Shape(b, d), ie.vlItc().getShape());
            assertUnitNorm(ie.itc());
            assertUnitNorm(ie.vlItc());

            TextEncoding te = model.encodeText(ps, ids, mask, true, false);
            assertEquals(new Shape(b, t, d), te.hidden().getShape());
            assertUnitNorm(te.itc());
            assertUnitNorm(te.vlItc());

            PairEncoding pe = model.encodePair(ps, ids, mask, img, 1, false);
            assertEquals(new Shape(b, t + n, d), pe.hidden().getShape());
            assertEquals(new Shape(b, t, d), pe.textFeats().getShape());
            assertEquals(new Shape(b, n, d), pe.imageFeats().getShape());
            assertEquals(new Shape(b, d), pe.pooled().getShape());

            assertEquals(new Shape(b, 2), model.itmLogits(ps, pe.pooled(), false).getShape());
            assertEquals(
                    new Shape(b, t, TINY.vocabSize()),
                    model.mlmLogits(ps, pe.textFeats(), false).getShape());
            assertEquals(new Shape(b, 7), model.vqaLogits(ps, pe.pooled(), false).getShape());
            PairEncoding second = model.encodePair(ps, ids, mask, img, 2, false);
            NDArray nlvr = model.nlvr2Logits(ps, pe.pooled(), second.pooled(), false);
            assertEquals(new Shape(b, 2), nlvr.getShape());
            for (NDArray a :
                    new NDArray[] {ie.hidden(), te.hidden(), pe.hidden(), nlvr, ie.vlItc()}) {
                assertFalse(a.isNaN().any().getBoolean(), "NaN in output");
                assertTrue(Float.isFinite(a.abs().max().getFloat()), "Inf in output");
            }
            // token type 2 changes the fusion output: the third row is really used
            assertTrue(TestSupport.maxAbsDiff(pe.pooled(), second.pooled()) > 1e-4);
        }
    }

    @Test
    void paddingLeavesUnpaddedOutputsUnchanged() {
        try (NDManager s = m.newSubManager()) {
            VlmoModel model = TestSupport.tinyModel(s, TINY, 2);
            ParameterStore ps = TestSupport.store(s);
            int[] len = {6, 9};
            NDArray img = TestSupport.images(s, TINY, 2);
            // the same tokens at length 9 (no padding for the longest) and at maxTextLen
            NDArray ids16 = TestSupport.ids(s, TINY, len, 16, 3);
            NDArray ids9 = ids16.get(new NDIndex(":, :9"));
            NDArray m16 = TestSupport.mask(s, len, 16);
            NDArray m9 = TestSupport.mask(s, len, 9);

            TextEncoding a = model.encodeText(ps, ids9, m9, true, false);
            TextEncoding b = model.encodeText(ps, ids16, m16, true, false);
            assertTrue(TestSupport.maxAbsDiff(a.itc(), b.itc()) < 1e-5);
            assertTrue(TestSupport.maxAbsDiff(a.vlItc(), b.vlItc()) < 1e-5);
            // row 0 has 6 real tokens: compare them
            NDArray ha = a.hidden().get(new NDIndex("0, :6"));
            NDArray hb = b.hidden().get(new NDIndex("0, :6"));
            assertTrue(TestSupport.maxAbsDiff(ha, hb) < 1e-5);

            PairEncoding pa = model.encodePair(ps, ids9, m9, img, 1, false);
            PairEncoding pb = model.encodePair(ps, ids16, m16, img, 1, false);
            assertTrue(TestSupport.maxAbsDiff(pa.pooled(), pb.pooled()) < 1e-5);
            assertTrue(TestSupport.maxAbsDiff(pa.imageFeats(), pb.imageFeats()) < 1e-5);
            NDArray ta = pa.textFeats().get(new NDIndex("1, :9"));
            NDArray tb = pb.textFeats().get(new NDIndex("1, :9"));
            assertTrue(TestSupport.maxAbsDiff(ta, tb) < 1e-5);
            // and the mask really matters: unmasked padding changes the result
            PairEncoding pc = model.encodePair(ps, ids16, s.ones(m16.getShape()), img, 1, false);
            assertTrue(TestSupport.maxAbsDiff(pa.pooled(), pc.pooled()) > 1e-4);
        }
    }

    @Test
    void sameSeedSameOutputsDifferentSeedDifferentOutputs() {
        try (NDManager s = m.newSubManager()) {
            ParameterStore ps = TestSupport.store(s);
            NDArray img = TestSupport.images(s, TINY, 2);
            VlmoModel a = TestSupport.tinyModel(s, TINY, 42);
            VlmoModel b = TestSupport.tinyModel(s, TINY, 42);
            VlmoModel c = TestSupport.tinyModel(s, TINY, 43);
            NDArray ea = a.encodeImage(ps, img, false, false).itc();
            NDArray eb = b.encodeImage(ps, img, false, false).itc();
            NDArray ec = c.encodeImage(ps, img, false, false).itc();
            assertEquals(0f, TestSupport.maxAbsDiff(ea, eb));
            assertTrue(TestSupport.maxAbsDiff(ea, ec) > 1e-3);
        }
    }

    @Test
    void saveThenLoadGivesIdenticalOutputs(@TempDir Path dir) throws Exception {
        try (NDManager s = m.newSubManager()) {
            ParameterStore ps = TestSupport.store(s);
            VlmoModel a = TestSupport.tinyModel(s, TINY, 5);
            Path f = dir.resolve("tiny.params");
            a.save(f);
            assertTrue(Files.size(f) > 4 * a.parameterCount());
            VlmoModel b = new VlmoModel(TINY);
            b.load(f, s);
            int[] len = {4, 11};
            NDArray ids = TestSupport.ids(s, TINY, len, 16, 9);
            NDArray mask = TestSupport.mask(s, len, 16);
            NDArray img = TestSupport.images(s, TINY, 2);
            PairEncoding pa = a.encodePair(ps, ids, mask, img, 1, false);
            PairEncoding pb = b.encodePair(ps, ids, mask, img, 1, false);
            assertEquals(0f, TestSupport.maxAbsDiff(pa.hidden(), pb.hidden()));
            // a file of another configuration is refused with the file's name
            VlmoModel other = new VlmoModel(TINY.withHidden(32));
            Exception e = assertThrows(java.io.IOException.class, () -> other.load(f, s));
            assertTrue(e.getMessage().contains("tiny.params"), e.getMessage());
        }
    }

    @Test
    void aRunsFileIsReadWhicheverHeadsItsWriterHad(@TempDir Path dir) throws Exception {
        try (NDManager s = m.newSubManager()) {
            VlmoConfig plain = VlmoConfig.tiny();
            // a VQA fine-tune's file, read by a model with the NLVR2 head instead: the two
            // classifiers share parameter names, so only their shapes tell them apart
            VlmoModel vqa = TestSupport.tinyModel(s, plain.withVqaLabels(7), 3);
            Path vqaFile = dir.resolve("vqa.params");
            vqa.save(vqaFile);
            VlmoModel nlvr2 = new VlmoModel(plain.withNlvr2(true)).initialize(s);
            var sd = nlvr2.readStateDict(vqaFile, s);
            assertTrue(sd.containsKey("vqa_classifier.3.weight"), sd.keySet().toString());
            assertFalse(sd.containsKey("nlvr2_classifier.0.weight"));
            assertEquals(7, sd.get("vqa_classifier.3.weight").shape()[0], "the file's label count");
            var report =
                    dev.vlmo.model.checkpoint.CheckpointImporter.load(
                            nlvr2,
                            s,
                            sd,
                            vqaFile.toString(),
                            dev.vlmo.model.checkpoint.CheckpointImporter.Options.LENIENT);
            assertTrue(report.unexpected().contains("vqa_classifier.0.weight"), report.toString());
            assertTrue(report.missing().contains("nlvr2_classifier.0.weight"), report.toString());
            assertTrue(report.adapted().toString().contains("token_type"), report.toString());

            // an NLVR2 model's file parses for a model without NLVR2, whose two token types then
            // refuse the file's three with the fix (as the reference's loader refuses them)
            Path nlvr2File = dir.resolve("nlvr2.params");
            nlvr2.save(nlvr2File);
            VlmoModel fresh = new VlmoModel(plain).initialize(s);
            var sd3 = fresh.readStateDict(nlvr2File, s);
            assertTrue(sd3.containsKey("nlvr2_classifier.0.weight"));
            Exception three =
                    assertThrows(
                            dev.vlmo.model.checkpoint.CheckpointMismatchException.class,
                            () ->
                                    dev.vlmo.model.checkpoint.CheckpointImporter.load(
                                            fresh,
                                            s,
                                            sd3,
                                            nlvr2File.toString(),
                                            dev.vlmo.model.checkpoint.CheckpointImporter.Options
                                                    .LENIENT));
            assertTrue(three.getMessage().contains("withNlvr2(true)"), three.getMessage());

            // a PyTorch archive under another name is named as such, not parsed eight times
            Path zip = dir.resolve("model.pth");
            Files.write(zip, new byte[] {'P', 'K', 3, 4, 0, 0, 0, 0});
            Exception e =
                    assertThrows(java.io.IOException.class, () -> fresh.readStateDict(zip, s));
            assertTrue(e.getMessage().contains(".pt extension"), e.getMessage());
            // another model size is refused with the file's name
            Exception size =
                    assertThrows(
                            java.io.IOException.class,
                            () -> new VlmoModel(plain.withLayers(2)).readStateDict(vqaFile, s));
            assertTrue(size.getMessage().contains("vqa.params"), size.getMessage());
        }
    }

    @Test
    void dropPathIsActiveOnlyInTraining() {
        VlmoConfig c = TINY.withDropPath(0.5);
        try (NDManager s = m.newSubManager()) {
            VlmoModel model = TestSupport.tinyModel(s, c, 8);
            ParameterStore ps = TestSupport.store(s);
            NDArray img = TestSupport.images(s, c, 4);
            NDArray e1 = model.encodeImage(ps, img, false, false).hidden();
            NDArray e2 = model.encodeImage(ps, img, false, false).hidden();
            assertEquals(0f, TestSupport.maxAbsDiff(e1, e2));
            NDArray t1 = model.encodeImage(ps, img, false, true).hidden();
            NDArray t2 = model.encodeImage(ps, img, false, true).hidden();
            assertTrue(TestSupport.maxAbsDiff(t1, t2) > 1e-4);
        }
    }

    @Test
    void badInputNamesTheValueAndTheFix() {
        try (NDManager s = m.newSubManager()) {
            VlmoModel model = TestSupport.tinyModel(s, VlmoConfig.tiny(), 1);
            ParameterStore ps = TestSupport.store(s);
            VlmoConfig c = VlmoConfig.tiny();
            NDArray wrongSize = TestSupport.images(s, c.withImageSize(48), 2);
            var e1 =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> model.encodeImage(ps, wrongSize, false, false));
            assertTrue(e1.getMessage().contains("48x48"), e1.getMessage());
            assertTrue(e1.getMessage().contains("imageSize 32"), e1.getMessage());

            int[] len = {3, 40};
            NDArray longIds = TestSupport.ids(s, c, len, 40, 1);
            NDArray longMask = TestSupport.mask(s, len, 40);
            var e2 =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> model.encodeText(ps, longIds, longMask, false, false));
            assertTrue(e2.getMessage().contains("40 tokens"), e2.getMessage());
            assertTrue(e2.getMessage().contains("maxTextLen 32"), e2.getMessage());

            int[] ok = {3, 5};
            NDArray ids = TestSupport.ids(s, c, ok, 8, 1);
            NDArray mask = TestSupport.mask(s, ok, 8);
            NDArray threeImages = TestSupport.images(s, c, 3);
            var e3 =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> model.encodePair(ps, ids, mask, threeImages, 1, false));
            assertTrue(e3.getMessage().contains("2 texts and 3 images"), e3.getMessage());

            NDArray shortMask = TestSupport.mask(s, ok, 6);
            var e4 =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> model.encodeText(ps, ids, shortMask, false, false));
            assertTrue(e4.getMessage().contains("(2, 8)"), e4.getMessage());

            NDArray two = TestSupport.images(s, c, 2);
            var e5 =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> model.encodePair(ps, ids, mask, two, 2, false));
            assertTrue(e5.getMessage().contains("withNlvr2(true)"), e5.getMessage());
            var e6 =
                    assertThrows(
                            IllegalStateException.class,
                            () -> model.vqaLogits(ps, s.zeros(new Shape(2, 64)), false));
            assertTrue(e6.getMessage().contains("withVqaLabels"), e6.getMessage());
        }
    }

    private static void assertUnitNorm(NDArray x) {
        NDArray n = x.norm(new int[] {-1});
        assertTrue(n.sub(1f).abs().max().getFloat() < 1e-5, "embedding not unit-norm: " + n);
    }
}
