package dev.vlmo.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vlmo.model.MklOnAmd;
import org.junit.jupiter.api.Test;

class ReportTest {

    @Test
    void shortListsShowEveryTime() {
        assertEquals("0.3000, 0.1000, 0.2000", Report.list(new double[] {0.3, 0.1, 0.2}));
    }

    @Test
    void longListsShowQuartilesOfTheSortedTimes() {
        // 1..13 shuffled: quartiles of 13 sorted values at positions 3, 6, 9 -> 4, 7, 10
        double[] v = {13, 1, 12, 2, 11, 3, 10, 4, 9, 5, 8, 6, 7};
        assertEquals(
                "min 1.0000, quartiles 4.0000 / 7.0000 / 10.0000, max 13.0000", Report.list(v));
        // 14 values: positions 3.25, 6.5, 9.75 interpolate; the middle one is the median
        double[] w = {14, 1, 13, 2, 12, 3, 11, 4, 10, 5, 9, 6, 8, 7};
        assertEquals(
                "min 1.0000, quartiles 4.2500 / 7.5000 / 10.7500, max 14.0000", Report.list(w));
        assertEquals(7.5, Bench.median(w), 1e-12);
    }

    @Test
    void aPyTorchOnTheReferenceBlasIsNamedWithTheFix() {
        // measured: 270 GFLOP/s with OpenBLAS, 6 with Debian's reference libblas3 alone
        String w = Report.blasWarning(280e9, 6.1e9, "", MklOnAmd.Status.NOT_NEEDED);
        assertTrue(w.contains("6.1 GFLOP/s") && w.contains("libopenblas0-pthread"), w);
        assertNull(Report.blasWarning(280e9, 260e9, "", MklOnAmd.Status.NOT_NEEDED));
        // a slower BLAS, not a broken one
        assertNull(Report.blasWarning(280e9, 90e9, "", MklOnAmd.Status.NOT_NEEDED));
        // the other way round, measured on an AMD EPYC: DJL's MKL 93.6, Debian's OpenBLAS 336.8
        String amd = Report.blasWarning(93.6e9, 336.8e9, "AMD EPYC", MklOnAmd.Status.MISSING);
        assertTrue(
                amd.contains("93.6") && amd.contains("AMD EPYC") && amd.contains("mkl_amd.c"), amd);
        // with MKL's vendor check answered, a shortfall is not blamed on it
        String active = Report.blasWarning(93.6e9, 336.8e9, "AMD EPYC", MklOnAmd.Status.ACTIVE);
        assertTrue(active.contains("93.6") && !active.contains("mkl_amd.c"), active);
        assertNull(Report.blasWarning(200e9, 250e9, "AMD EPYC", MklOnAmd.Status.MISSING));
    }

    @Test
    void theOpenMpWaitOfOurSideIsReadFromTheEnvironment() {
        // GOMP_SPINCOUNT decides over OMP_WAIT_POLICY in libgomp, as bench/run.sh sets it
        assertEquals(
                "ours: spin 20000 rounds, then sleep; PyTorch: sleep at once"
                        + " (OMP_WAIT_POLICY=PASSIVE)",
                Report.openMpWait(
                        java.util.Map.of("GOMP_SPINCOUNT", "20000", "OMP_WAIT_POLICY", "PASSIVE")));
        assertTrue(
                Report.openMpWait(java.util.Map.of("OMP_WAIT_POLICY", "PASSIVE"))
                        .startsWith("ours: OMP_WAIT_POLICY=PASSIVE;"));
        assertTrue(Report.openMpWait(java.util.Map.of()).startsWith("ours: libgomp's default;"));
    }

    @Test
    void aRatioJustShortOfTheTargetDoesNotReadAsTheTarget() {
        assertEquals("1.24", Report.ratio(0.7959 / 0.6390)); // 1.2456: "not met"
        assertEquals("1.25", Report.ratio(1.25));
        assertEquals("1.98", Report.ratio(1.989));
    }
}
