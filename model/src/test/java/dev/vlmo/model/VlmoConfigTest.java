package dev.vlmo.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class VlmoConfigTest {

    @Test
    void presetsCarryTheReferenceNumbers() {
        VlmoConfig base = VlmoConfig.base();
        assertEquals(768, base.hidden());
        assertEquals(12, base.layers());
        assertEquals(12, base.heads());
        assertEquals(10, base.vlStart());
        assertEquals(0.1, base.layerScale());
        assertEquals(VlmoConfig.Positions.RELATIVE, base.positions());
        VlmoConfig plus = VlmoConfig.basePlus();
        assertEquals(544, plus.hidden());
        assertEquals(21, plus.vlStart());
        assertEquals(0.0, plus.layerScale());
        assertEquals(VlmoConfig.Positions.ABSOLUTE, plus.positions());
        VlmoConfig large = VlmoConfig.large();
        assertEquals(1024, large.hidden());
        assertEquals(24, large.layers());
        assertEquals(21, large.vlStart());
        assertEquals(197, base.imageTokens());
    }

    @Test
    void presetLookupIgnoresCaseAndUnderscores() {
        assertEquals(VlmoConfig.basePlus(), VlmoConfig.preset("base_plus"));
        assertEquals(VlmoConfig.large(), VlmoConfig.preset("LARGE"));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> VlmoConfig.preset("huge"));
        assertTrue(e.getMessage().contains("'huge'"), e.getMessage());
        assertTrue(e.getMessage().contains("basePlus"), e.getMessage());
    }

    @Test
    void overridesReturnNewValuesAndLeaveTheOriginal() {
        VlmoConfig tiny = VlmoConfig.tiny();
        VlmoConfig wide = tiny.withHidden(128).withHeads(8).withImageSize(48);
        assertEquals(64, tiny.hidden());
        assertEquals(128, wide.hidden());
        assertEquals(8, wide.heads());
        assertEquals(6, wide.gridSize());
        assertEquals(tiny.withLayers(6).withVlLayers(3).vlStart(), 3);
    }

    @Test
    void inconsistentPresetsNameTheValueAndWhatIsAllowed() {
        VlmoConfig tiny = VlmoConfig.tiny();
        IllegalArgumentException heads =
                assertThrows(IllegalArgumentException.class, () -> tiny.withHeads(5));
        assertTrue(heads.getMessage().contains("hidden (64)"), heads.getMessage());
        assertTrue(heads.getMessage().contains("heads (5)"), heads.getMessage());
        IllegalArgumentException vl =
                assertThrows(IllegalArgumentException.class, () -> tiny.withVlLayers(5));
        assertTrue(vl.getMessage().contains("vlLayers (5)"), vl.getMessage());
        assertTrue(vl.getMessage().contains("layers (4)"), vl.getMessage());
        IllegalArgumentException patch =
                assertThrows(IllegalArgumentException.class, () -> tiny.withImageSize(36));
        assertTrue(patch.getMessage().contains("imageSize (36)"), patch.getMessage());
        IllegalArgumentException drop =
                assertThrows(IllegalArgumentException.class, () -> tiny.withDropPath(1.5));
        assertTrue(drop.getMessage().contains("[0, 1)"), drop.getMessage());
        assertThrows(IllegalArgumentException.class, () -> tiny.withVocabSize(2));
        assertThrows(IllegalArgumentException.class, () -> tiny.withLayerScale(-1));
        assertThrows(IllegalArgumentException.class, () -> tiny.withMaxTextLenOfInitCkpt(8));
    }
}
