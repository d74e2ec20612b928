package dev.vlmo.dsl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlmo.dsl.Precision;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** FP16's dynamic loss scale follows torch.cuda.amp.GradScaler's defaults; others never scale. */
class LossScaleTest {

    @Test
    void overflowHalvesGoodStepsDoubleAfterTheInterval() {
        MixedPrecision mp = new MixedPrecision(Precision.FP16);
        assertEquals(65536.0, mp.scale());
        String m = mp.after(false);
        assertEquals(32768.0, mp.scale());
        assertTrue(m.contains("32768"), m);
        for (int i = 0; i < MixedPrecision.GROWTH_INTERVAL - 1; i++) {
            assertNull(mp.after(true));
        }
        assertEquals(32768.0, mp.scale(), "not before 2000 good steps");
        mp.after(true);
        assertEquals(65536.0, mp.scale());
        assertEquals(0, mp.goodSteps());
        // an overflow restarts the count
        for (int i = 0; i < 10; i++) {
            mp.after(true);
        }
        mp.after(false);
        assertEquals(0, mp.goodSteps());
        assertEquals(32768.0, mp.scale());
    }

    @Test
    void theScaleTravelsThroughACheckpointsState() {
        MixedPrecision a = new MixedPrecision(Precision.FP16);
        a.after(false);
        a.after(false);
        for (int i = 0; i < 7; i++) {
            a.after(true);
        }
        Properties p = new Properties();
        a.save(p);
        assertEquals("FP16", p.getProperty("precision"));
        MixedPrecision b = new MixedPrecision(Precision.FP16);
        b.load(p);
        assertEquals(16384.0, b.scale());
        assertEquals(7, b.goodSteps());
        // a checkpoint written without a scale leaves the start value
        MixedPrecision c = new MixedPrecision(Precision.FP16);
        c.load(new Properties());
        assertEquals(65536.0, c.scale());
    }

    @Test
    void anFp32OrBf16CheckpointResumedAsFp16StartsAtTheStartScale() {
        for (Precision then : new Precision[] {Precision.FP32, Precision.BF16}) {
            Properties p = new Properties();
            new MixedPrecision(then).save(p);
            assertNull(p.getProperty("lossScale"), then + " writes no loss scale");
            // even a state that holds one (written by hand) does not apply across precisions
            p.setProperty("lossScale", "1.0");
            MixedPrecision now = new MixedPrecision(Precision.FP16);
            now.load(p);
            assertEquals(65536.0, now.scale(), "resuming a " + then + " run as FP16");
        }
    }

    @Test
    void theScaleNeverFallsBelowOne() {
        MixedPrecision mp = new MixedPrecision(Precision.FP16);
        for (int i = 0; i < 16; i++) {
            mp.after(false);
        }
        assertEquals(1.0, mp.scale());
        String m = mp.after(false);
        assertEquals(1.0, mp.scale());
        assertTrue(m.contains("loss scale 1") && m.contains("BF16"), m);
    }

    @Test
    void bf16AndFp32NeverScale() {
        for (Precision p : new Precision[] {Precision.BF16, Precision.FP32}) {
            MixedPrecision mp = new MixedPrecision(p);
            assertNull(mp.after(false));
            Properties state = new Properties();
            state.setProperty("lossScale", "128.0");
            mp.load(state);
            assertEquals(1.0, mp.scale(), p.name());
        }
    }
}
