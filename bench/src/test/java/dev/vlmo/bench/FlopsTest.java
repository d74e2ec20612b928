package dev.vlmo.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlmo.model.VlmoConfig;
import org.junit.jupiter.api.Test;

class FlopsTest {

    @Test
    void baseImageEncoderCountsWhatViTB16IsKnownToCost() {
        // ViT-B/16 at 224 is quoted at 17.6 GMACs (fvcore, timm); the image-only pass of VLMo-Base
        // is the same network with one extra D x D projection of the [CLS]
        double gmacs = Flops.encodeImage(VlmoConfig.base(), false) / 2e9;
        assertEquals(17.6, gmacs, 0.1);
    }

    @Test
    void blockCountsProjectionsAttentionAndExpert() {
        VlmoConfig c = VlmoConfig.tiny(); // D 64, expert 256
        long n = 10;
        double want =
                2.0 * n * 64 * 192 + 2.0 * n * 64 * 64 + 4.0 * n * n * 64 + 4.0 * n * 64 * 256;
        assertEquals(want, Flops.block(c, n), 1e-6);
    }

    @Test
    void aClsOnlyBlockCostsWhatAFullBlockCostsOverOneToken() {
        VlmoConfig c = VlmoConfig.small();
        assertEquals(Flops.block(c, 1), Flops.clsBlock(c, 1), 1e-6);
        // over 197 tokens it keeps the key and value projections of all of them: about 2/12 of
        // the block's projections and experts
        double ratio = Flops.clsBlock(c, 197) / Flops.block(c, 197);
        assertTrue(ratio > 0.12 && ratio < 0.2, "ratio " + ratio);
    }

    @Test
    void aBlockKeepingEveryRowIsAFullBlockAndOneRowCostsLessThanAFullBlock() {
        VlmoConfig c = VlmoConfig.small();
        assertEquals(Flops.block(c, 40), Flops.rowsBlock(c, 40, 40), 1e-6);
        // keeping one row: the kv and q projections and the attention stay, proj and expert go
        assertTrue(Flops.rowsBlock(c, 40, 1) > Flops.clsBlock(c, 40));
        assertTrue(Flops.rowsBlock(c, 40, 6) < 0.5 * Flops.block(c, 40));
    }

    @Test
    void vlPathAddsTheTopLayersOnce() {
        VlmoConfig c = VlmoConfig.small();
        double without = Flops.encodeText(c, false);
        double with = Flops.encodeText(c, true);
        double vl = c.vlLayers() * Flops.block(c, c.maxTextLen()) + 2.0 * c.hidden() * c.hidden();
        assertEquals(with - without, vl, 1e-3 * vl);
    }

    @Test
    void trainingStepIsThreeForwardPassesAndScalesWithBatch() {
        VlmoConfig c = VlmoConfig.small();
        Workload one = new Workload(Workload.Kind.TRAIN_VL, "small", 1);
        Workload four = new Workload(Workload.Kind.TRAIN_VL, "small", 4);
        assertEquals(4 * Flops.of(one, c), Flops.of(four, c), 1e-6 * Flops.of(four, c));
        // a VL step runs four pair passes per sample (3 for ITM, 1 for MLM): they dominate
        assertTrue(Flops.of(one, c) > 3 * 4 * Flops.encodePair(c));
    }

    @Test
    void workloadNamesRoundTripAndBadNamesAreNamed() {
        Workload w = new Workload(Workload.Kind.RETRIEVE_FUSION, "tiny", 64);
        assertEquals(w, Workload.parse(w.name()));
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class, () -> Workload.parse("train-xx/tiny/b4"));
        assertTrue(e.getMessage().contains("train-xx"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> new Workload(Workload.Kind.TRAIN_VL, "tiny", 0));
    }

    @Test
    void theLoaderRunsNoModelAndIsInTheFullSuite() {
        Workload load = Workload.parse("load/base/b32");
        assertEquals(Workload.Kind.LOAD, load.kind());
        assertFalse(load.kind().model() || load.kind().training());
        assertEquals(0, Flops.of(load, VlmoConfig.preset("base")));
        assertTrue(Workload.suite("full").contains(load));
        assertFalse(Workload.suite("quick").contains(load));
    }
}
