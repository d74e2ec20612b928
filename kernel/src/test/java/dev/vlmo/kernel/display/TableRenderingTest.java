package dev.vlmo.kernel.display;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

class TableRenderingTest {

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }

    @Test
    void htmlHasHeaderCellsAndShape() {
        Table table =
                Table.create(
                        "recall",
                        StringColumn.create("k", "R@1", "R@5"),
                        DoubleColumn.create("value", 0.5, 0.75));
        String html = TableRendering.html(table);
        assertTrue(html.contains("<th title=\"STRING\">k</th>"), html);
        assertTrue(html.contains("<th title=\"DOUBLE\">value</th>"), html);
        assertTrue(html.contains("<td>R@5</td>"), html);
        assertTrue(html.contains("<td style=\"text-align:right\">0.75</td>"), html);
        assertTrue(html.contains("<b>recall</b>"), html);
        assertTrue(html.contains("2 rows &times; 2 columns"), html);
        assertEquals(3, count(html, "<tr>"), "a header row and two data rows");
    }

    @Test
    void cellTextIsEscaped() {
        Table table = Table.create("t", StringColumn.create("caption <b>", "a < b & \"c\""));
        String html = TableRendering.html(table);
        assertTrue(html.contains("caption &lt;b&gt;"), html);
        assertTrue(html.contains("a &lt; b &amp; &quot;c&quot;"), html);
        assertFalse(html.contains("<b>\""), html);
    }

    @Test
    void longTableShowsHeadAndTail() {
        Table table =
                Table.create("steps", IntColumn.create("step", IntStream.range(0, 100).toArray()));
        String html = TableRendering.html(table, 10);
        assertTrue(html.contains(">0</td>") && html.contains(">4</td>"), html);
        assertTrue(html.contains(">95</td>") && html.contains(">99</td>"), html);
        assertFalse(html.contains(">50</td>"), html);
        assertTrue(html.contains("90 more rows"), html);
        assertEquals(1 + 10 + 1, count(html, "<tr>"));
    }

    @Test
    void missingValuesAreEmptyCells() {
        DoubleColumn values = DoubleColumn.create("loss", 1.0, Double.NaN);
        String html = TableRendering.html(Table.create("t", values));
        assertTrue(html.contains("<td style=\"text-align:right\"></td>"), html);
    }

    @Test
    void tooFewRowsIsRefused() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> TableRendering.html(Table.create("t"), 1));
        assertTrue(e.getMessage().contains("maxRows"), e.getMessage());
    }
}
