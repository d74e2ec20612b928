package dev.vlmo.kernel;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.dflib.jjava.jupyter.kernel.history.HistoryEntry;
import org.dflib.jjava.jupyter.kernel.history.HistoryManager;

/** The cells of the current kernel session, answering Jupyter's history requests. */
public final class SessionHistory implements HistoryManager {

    private record Cell(int number, String input, String output) {}

    private final List<Cell> cells = new ArrayList<>();

    /** Records a cell's input, and its text output (null when it had none). */
    public synchronized void record(int number, String input, String output) {
        cells.removeIf(c -> c.number() == number);
        cells.add(new Cell(number, input, output));
    }

    /** The number of recorded cells. */
    public synchronized int size() {
        return cells.size();
    }

    @Override
    public synchronized List<HistoryEntry> lookupRange(
            int sessionOffset, int startCell, int endCell, Set<ResultFlag> flags) {
        if (sessionOffset != 0) {
            return List.of(); // earlier sessions are not kept
        }
        return entries(
                cells.stream()
                        .filter(c -> c.number() >= startCell && c.number() < endCell)
                        .toList(),
                flags,
                Integer.MAX_VALUE);
    }

    @Override
    public synchronized List<HistoryEntry> lookupTail(int length, Set<ResultFlag> flags) {
        return entries(cells, flags, length);
    }

    @Override
    public synchronized List<HistoryEntry> search(
            String pattern, int length, Set<ResultFlag> flags) {
        Pattern regex = globToRegex(pattern);
        return entries(
                cells.stream().filter(c -> regex.matcher(c.input()).matches()).toList(),
                flags,
                length);
    }

    private static List<HistoryEntry> entries(
            List<Cell> source, Set<ResultFlag> flags, int length) {
        boolean output = flags.contains(ResultFlag.INCLUDE_OUTPUT);
        List<Cell> chosen = source;
        if (flags.contains(ResultFlag.UNIQUE)) {
            Set<String> seen = new LinkedHashSet<>();
            List<Cell> unique = new ArrayList<>();
            for (int i = source.size() - 1; i >= 0; i--) {
                if (seen.add(source.get(i).input())) {
                    unique.add(0, source.get(i));
                }
            }
            chosen = unique;
        }
        int from = Math.max(0, chosen.size() - Math.max(0, length));
        return chosen.subList(from, chosen.size()).stream()
                .map(
                        c ->
                                new HistoryEntry(
                                        0,
                                        c.number(),
                                        c.input(),
                                        output ? (c.output() == null ? "" : c.output()) : null))
                .toList();
    }

    /** Converts a history search pattern (sqlite glob: *, ?, [a-z], [^a-z]) into a regex. */
    static Pattern globToRegex(String glob) {
        StringBuilder regex = new StringBuilder();
        boolean inClass = false;
        for (char ch : glob.toCharArray()) {
            if (inClass) {
                if (ch == ']') {
                    inClass = false;
                    regex.append(']');
                } else if (ch == '\\') {
                    regex.append("\\\\");
                } else {
                    regex.append(ch);
                }
                continue;
            }
            switch (ch) {
                case '*' -> regex.append("[\\s\\S]*");
                case '?' -> regex.append("[\\s\\S]");
                case '[' -> {
                    inClass = true;
                    regex.append('[');
                }
                default -> regex.append(Pattern.quote(String.valueOf(ch)));
            }
        }
        if (inClass) {
            throw new IllegalArgumentException("unclosed '[' in history pattern: " + glob);
        }
        return Pattern.compile(regex.toString());
    }
}
