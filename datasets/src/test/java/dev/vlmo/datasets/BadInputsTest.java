package dev.vlmo.datasets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BadInputsTest {
    @Test
    void anOffenderMetInEveryEpochIsCountedEachTimeButListedOnce() {
        BadInputs bad = BadInputs.skipAndCount();
        for (int epoch = 0; epoch < 3; epoch++) {
            bad.report("bad image", "shard-0/000003.jpg", new IOException("corrupt"));
            bad.report("empty caption", "cc.tsv:7", null);
        }
        bad.report("bad image", "shard-1/000009.jpg", null);

        assertEquals(7, bad.total());
        assertEquals(Map.of("bad image", 4, "empty caption", 3), bad.counts());
        assertEquals(3, bad.distinctOffenders());
        assertEquals(
                List.of(
                        "bad image at shard-0/000003.jpg: java.io.IOException: corrupt",
                        "empty caption at cc.tsv:7",
                        "bad image at shard-1/000009.jpg"),
                bad.firstOffenders());
        assertEquals(List.of(3, 3, 1), List.copyOf(bad.firstOffenderOccurrences().values()));
        String summary = bad.summary();
        assertTrue(
                summary.startsWith("skipped 7 bad input(s) from 3 distinct offender(s)"), summary);
        assertTrue(summary.contains("{bad image=4, empty caption=3}"), summary);
        assertTrue(
                summary.contains("shard-0/000003.jpg: java.io.IOException: corrupt (x3)"), summary);
        assertTrue(summary.contains("cc.tsv:7 (x3)"), summary);
        assertTrue(
                summary.contains("shard-1/000009.jpg\n") || summary.endsWith("000009.jpg"),
                summary);
        assertFalse(summary.contains("000009.jpg (x"), summary);
        assertEquals(1, count(summary, "shard-0/000003.jpg"), summary);
        assertFalse(summary.contains("more"), summary);
    }

    @Test
    void offendersBeyondTheFirstAreCountedDistinctly() {
        BadInputs bad = BadInputs.skipAndCount();
        int n = BadInputs.FIRST_OFFENDERS + 5;
        for (int epoch = 0; epoch < 2; epoch++) {
            for (int i = 0; i < n; i++) {
                bad.report("missing image", "img" + i + ".jpg", null);
            }
        }
        assertEquals(2 * n, bad.total());
        assertEquals(n, bad.distinctOffenders());
        assertEquals(BadInputs.FIRST_OFFENDERS, bad.firstOffenders().size());
        assertEquals("missing image at img0.jpg", bad.firstOffenders().get(0));
        String summary = bad.summary();
        assertTrue(summary.contains("img9.jpg (x2)"), summary);
        assertFalse(summary.contains("img10.jpg"), summary);
        assertTrue(summary.endsWith("... and 5 more offender(s)"), summary);
    }

    @Test
    void distinctOffendersReadAsBefore() {
        BadInputs bad = BadInputs.skipAndCount();
        assertEquals("no bad input", bad.summary());
        bad.report("malformed json", "a.jsonl:3", null);
        bad.report("malformed json", "a.jsonl:4", null);
        assertEquals(
                "skipped 2 bad input(s): {malformed json=2}\n"
                        + "  malformed json at a.jsonl:3\n"
                        + "  malformed json at a.jsonl:4",
                bad.summary());
    }

    @Test
    void strictModeThrowsAndRecordsNothing() {
        BadInputs strict = BadInputs.strict();
        DataException e =
                assertThrows(DataException.class, () -> strict.report("bad label", "x:1", null));
        assertTrue(e.getMessage().startsWith("bad label at x:1"), e.getMessage());
        assertEquals(0, strict.total());
        assertEquals(0, strict.distinctOffenders());
    }

    @Test
    void concurrentReportsOfOneOffenderAreAllCounted() throws Exception {
        BadInputs bad = BadInputs.skipAndCount();
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            threads[t] =
                    new Thread(
                            () -> {
                                for (int i = 0; i < 1000; i++) {
                                    bad.report("bad image", "same.jpg", null);
                                }
                            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(4000, bad.total());
        assertEquals(1, bad.distinctOffenders());
        assertEquals(Map.of("same.jpg", 4000), bad.firstOffenderOccurrences());
    }

    private static int count(String s, String part) {
        int n = 0;
        for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }
}
