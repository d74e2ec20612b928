package dev.vlmo.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.EnumSet;
import java.util.List;
import org.dflib.jjava.jupyter.kernel.history.HistoryEntry;
import org.dflib.jjava.jupyter.kernel.history.HistoryManager.ResultFlag;
import org.junit.jupiter.api.Test;

class SessionHistoryTest {

    private static List<String> inputs(List<HistoryEntry> entries) {
        return entries.stream().map(HistoryEntry::getInput).toList();
    }

    @Test
    void tailRangeAndSearchSeeTheRecordedCells() {
        SessionHistory history = new SessionHistory();
        history.record(1, "int a = 1;", null);
        history.record(2, "a + 1", "2");
        history.record(3, "Charts.line(t, \"step\", \"loss\")", "Chart[...]");
        history.record(4, "a + 1", "2");

        assertEquals(
                List.of("a + 1", "Charts.line(t, \"step\", \"loss\")", "a + 1"),
                inputs(history.lookupTail(3, EnumSet.noneOf(ResultFlag.class))));
        assertEquals(
                List.of("a + 1", "Charts.line(t, \"step\", \"loss\")"),
                inputs(history.lookupRange(0, 2, 4, EnumSet.noneOf(ResultFlag.class))));
        assertEquals(
                List.of("Charts.line(t, \"step\", \"loss\")"),
                inputs(history.search("Charts.*", 10, EnumSet.noneOf(ResultFlag.class))));
        assertEquals(
                List.of("int a = 1;", "Charts.line(t, \"step\", \"loss\")", "a + 1"),
                inputs(history.lookupTail(10, EnumSet.of(ResultFlag.UNIQUE))));
        List<HistoryEntry> withOutput =
                history.lookupTail(1, EnumSet.of(ResultFlag.INCLUDE_OUTPUT));
        assertEquals("2", withOutput.get(0).getOutput());
        assertEquals(4, withOutput.get(0).getCellNumber());
    }

    @Test
    void globMatchesSingleCharactersAndClasses() {
        assertEquals(true, SessionHistory.globToRegex("a?c").matcher("abc").matches());
        assertEquals(false, SessionHistory.globToRegex("a[0-9]").matcher("ab").matches());
        assertEquals(true, SessionHistory.globToRegex("a[^0-9]").matcher("ab").matches());
        assertEquals(true, SessionHistory.globToRegex("x.*").matcher("x.(y)").matches());
    }
}
