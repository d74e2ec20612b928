package dev.vlmo.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TensorDataTest {

    @Test
    void valueCountMustMatchShape() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> TensorData.ofFloats(new long[] {2, 3}, new float[5]));
        assertEquals("shape [2, 3] holds 6 values but 5 were given", e.getMessage());
    }

    @Test
    void negativeDimensionIsRejected() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> TensorData.ofFloats(new long[] {-1}, new float[0]));
        assertTrue(e.getMessage().contains("negative"), e.getMessage());
    }

    @Test
    void integerRangesAreChecked() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> TensorData.ofLongs(DType.UINT8, new long[] {2}, new long[] {3, 256}));
        assertEquals("value 256 at index 1 is outside uint8 range [0, 255]", e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> TensorData.ofLongs(DType.FLOAT32, new long[] {1}, new long[] {1}));
        assertThrows(
                IllegalArgumentException.class,
                () -> TensorData.ofFloats(DType.INT64, new long[] {1}, new float[] {1}));
    }

    @Test
    void isImmutable() {
        float[] values = {1, 2};
        long[] shape = {2};
        TensorData t = TensorData.ofFloats(shape, values);
        values[0] = 9;
        shape[0] = 7;
        t.floats()[1] = 9;
        t.shape()[0] = 5;
        assertArrayEquals(new float[] {1, 2}, t.floats());
        assertArrayEquals(new long[] {2}, t.shape());
        assertTrue(t.floatBuffer().isReadOnly());
        assertThrows(IllegalStateException.class, t::longs);
    }

    @Test
    void equalityIsByDtypeShapeAndBits() {
        TensorData a = TensorData.ofFloats(new long[] {2}, new float[] {0f, 1f});
        assertEquals(a, TensorData.ofFloats(new long[] {2}, new float[] {0f, 1f}));
        assertEquals(
                a.hashCode(), TensorData.ofFloats(new long[] {2}, new float[] {0f, 1f}).hashCode());
        assertNotEquals(a, TensorData.ofFloats(new long[] {2}, new float[] {-0f, 1f}));
        assertNotEquals(a, TensorData.ofFloats(new long[] {1, 2}, new float[] {0f, 1f}));
        assertNotEquals(
                a, TensorData.ofFloats(DType.FLOAT16, new long[] {2}, new float[] {0f, 1f}));
    }

    @Test
    void everyHalfSurvivesWideningAndNarrowing() {
        for (int bits = 0; bits < 0x10000; bits++) {
            short h = (short) bits;
            float f = HalfPrecision.halfToFloat(h);
            if (Float.isNaN(f)) {
                assertTrue((bits & 0x7c00) == 0x7c00 && (bits & 0x3ff) != 0);
                continue;
            }
            assertEquals(
                    bits,
                    HalfPrecision.floatToHalf(f) & 0xffff,
                    "half " + Integer.toHexString(bits));
        }
    }

    @Test
    void halfNarrowingRoundsToNearestEven() {
        assertEquals(0x3c00, HalfPrecision.floatToHalf(1.00048828125f) & 0xffff); // tie, to even
        assertEquals(0x3c02, HalfPrecision.floatToHalf(1.00146484375f) & 0xffff); // tie, to even
        assertEquals(0x3c01, HalfPrecision.floatToHalf(1.0005f) & 0xffff); // above the tie
        assertEquals(0x7bff, HalfPrecision.floatToHalf(65519f) & 0xffff); // largest finite
        assertEquals(0x7c00, HalfPrecision.floatToHalf(65520f) & 0xffff); // rounds to infinity
        assertEquals(0x0001, HalfPrecision.floatToHalf(0x1p-24f) & 0xffff); // smallest subnormal
        assertEquals(0x0000, HalfPrecision.floatToHalf(0x1p-25f) & 0xffff); // tie to even zero
        assertEquals(0x0001, HalfPrecision.floatToHalf(0x1.8p-25f) & 0xffff);
        assertEquals(0x8000, HalfPrecision.floatToHalf(-0f) & 0xffff);
        assertEquals(
                0x0400, HalfPrecision.floatToHalf(0x1.ffcp-15f) & 0xffff); // to smallest normal
    }

    @Test
    void bfloat16RoundsToNearestEven() {
        assertEquals(0x3f80, HalfPrecision.floatToBf16(1.0f) & 0xffff);
        assertEquals(0x3f80, HalfPrecision.floatToBf16(Float.intBitsToFloat(0x3f808000)) & 0xffff);
        assertEquals(0x3f82, HalfPrecision.floatToBf16(Float.intBitsToFloat(0x3f818000)) & 0xffff);
        assertEquals(0x3f81, HalfPrecision.floatToBf16(Float.intBitsToFloat(0x3f808001)) & 0xffff);
        assertEquals(0x7f80, HalfPrecision.floatToBf16(Float.POSITIVE_INFINITY) & 0xffff);
        assertTrue(Float.isNaN(HalfPrecision.bf16ToFloat(HalfPrecision.floatToBf16(Float.NaN))));
        for (int bits = 0; bits < 0x10000; bits++) {
            float f = HalfPrecision.bf16ToFloat((short) bits);
            if (!Float.isNaN(f)) {
                assertEquals(bits, HalfPrecision.floatToBf16(f) & 0xffff);
            }
        }
    }
}
