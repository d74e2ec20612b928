package dev.vlmo.kernel.display;

import java.util.Objects;
import tech.tablesaw.api.NumericColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;

/**
 * Tablesaw tables as notebook output: an HTML table (first and last rows of a long table) and the
 * table's own text form.
 */
public final class TableRendering {

    /** Rows shown before a long table is cut to its first and last rows. */
    public static final int DEFAULT_MAX_ROWS = 30;

    private TableRendering() {}

    /** The table as HTML, with at most {@link #DEFAULT_MAX_ROWS} rows. */
    public static String html(Table table) {
        return html(table, DEFAULT_MAX_ROWS);
    }

    /**
     * The table as HTML: a caption with its name and shape, a header row of column names, and its
     * rows; a table longer than {@code maxRows} shows its first and last rows around a gap row.
     */
    public static String html(Table table, int maxRows) {
        Objects.requireNonNull(table, "table");
        if (maxRows < 2) {
            throw new IllegalArgumentException("maxRows must be >= 2, got " + maxRows);
        }
        int rows = table.rowCount();
        int columns = table.columnCount();
        StringBuilder html = new StringBuilder();
        html.append("<div class=\"vlmo-table\">\n<table class=\"dataframe\" border=\"1\">\n");
        html.append("<caption style=\"caption-side:top;text-align:left\">");
        String name = table.name();
        if (name != null && !name.isBlank()) {
            html.append("<b>").append(escape(name)).append("</b> &middot; ");
        }
        html.append(rows).append(rows == 1 ? " row" : " rows").append(" &times; ");
        html.append(columns).append(columns == 1 ? " column" : " columns");
        html.append("</caption>\n<thead>\n<tr>");
        for (Column<?> column : table.columns()) {
            html.append("<th title=\"")
                    .append(escape(column.type().name()))
                    .append("\">")
                    .append(escape(column.name()))
                    .append("</th>");
        }
        html.append("</tr>\n</thead>\n<tbody>\n");
        if (rows <= maxRows) {
            appendRows(html, table, 0, rows);
        } else {
            int head = (maxRows + 1) / 2;
            int tail = maxRows - head;
            appendRows(html, table, 0, head);
            html.append("<tr><td colspan=\"")
                    .append(Math.max(1, columns))
                    .append("\" style=\"text-align:center\">&hellip; ")
                    .append(rows - head - tail)
                    .append(" more rows &hellip;</td></tr>\n");
            appendRows(html, table, rows - tail, rows);
        }
        html.append("</tbody>\n</table>\n</div>");
        return html.toString();
    }

    private static void appendRows(StringBuilder html, Table table, int from, int to) {
        for (int row = from; row < to; row++) {
            html.append("<tr>");
            for (Column<?> column : table.columns()) {
                boolean numeric = column instanceof NumericColumn<?>;
                html.append(numeric ? "<td style=\"text-align:right\">" : "<td>");
                html.append(column.isMissing(row) ? "" : escape(column.getString(row)));
                html.append("</td>");
            }
            html.append("</tr>\n");
        }
    }

    /** The table as text, at most {@link #DEFAULT_MAX_ROWS} rows, as Tablesaw prints it. */
    public static String text(Table table) {
        Objects.requireNonNull(table, "table");
        return table.print(DEFAULT_MAX_ROWS);
    }

    /** Escapes text for HTML element content and attribute values. */
    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
