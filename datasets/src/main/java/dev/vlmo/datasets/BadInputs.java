package dev.vlmo.datasets;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What to do with bad input (a corrupt or missing image, a malformed line, an empty caption, an
 * over-long text, an unknown answer, a truncated shard): skip it and count it, or fail at once.
 *
 * <p>Thread-safe: loader workers report into the same instance. {@link #summary()} names the first
 * offenders so that a user can find and fix them. Counts are of occurrences (a bad file read in
 * every epoch counts once per epoch), but an offender, identified by its {@code where}, is listed
 * once, with the number of times it was reported.
 */
public final class BadInputs {
    /** How many offenders the summary names. */
    public static final int FIRST_OFFENDERS = 10;

    private final boolean strict;
    private final Map<String, Integer> counts = new TreeMap<>();

    /** The first offenders by {@code where}: their first description and occurrence count. */
    private final Map<String, Offender> first = new LinkedHashMap<>();

    /** Every distinct {@code where} reported, to count offenders beyond the first ones. */
    private final Set<String> seen = new HashSet<>();

    private int total;

    private static final class Offender {
        final String description;
        int occurrences = 1;

        Offender(String description) {
            this.description = description;
        }
    }

    private BadInputs(boolean strict) {
        this.strict = strict;
    }

    /**
     * Returns a policy that skips bad input and counts it (the default).
     *
     * @return a new, empty report
     */
    public static BadInputs skipAndCount() {
        return new BadInputs(false);
    }

    /**
     * Returns a policy that throws a {@link DataException} at the first bad input.
     *
     * @return a new strict policy
     */
    public static BadInputs strict() {
        return new BadInputs(true);
    }

    /**
     * Returns whether bad input fails at once.
     *
     * @return {@code true} in strict mode
     */
    public boolean isStrict() {
        return strict;
    }

    /**
     * Reports one bad input: throws in strict mode, otherwise counts it and returns.
     *
     * @param kind a short category such as {@code "corrupt image"} or {@code "malformed json"}
     * @param where the file, line or record that is bad
     * @param cause the underlying error, or {@code null}
     * @throws DataException in strict mode
     */
    public void report(String kind, String where, Throwable cause) {
        String detail = cause == null ? "" : ": " + cause;
        if (strict) {
            throw new DataException(
                    kind
                            + " at "
                            + where
                            + detail
                            + " (strict mode; fix or remove this input, or use"
                            + " BadInputs.skipAndCount() to skip bad inputs)",
                    cause);
        }
        synchronized (this) {
            counts.merge(kind, 1, Integer::sum);
            total++;
            Offender o = first.get(where);
            if (o != null) {
                o.occurrences++;
            } else if (seen.add(where) && first.size() < FIRST_OFFENDERS) {
                first.put(where, new Offender(kind + " at " + where + detail));
            }
        }
    }

    /**
     * Returns the number of bad inputs skipped so far.
     *
     * @return the total count
     */
    public synchronized int total() {
        return total;
    }

    /**
     * Returns the count of skipped inputs per kind.
     *
     * @return an unmodifiable snapshot, sorted by kind
     */
    public synchronized Map<String, Integer> counts() {
        return Collections.unmodifiableMap(new TreeMap<>(counts));
    }

    /**
     * Returns the number of distinct offenders (distinct {@code where}s) reported so far.
     *
     * @return the distinct count, at most {@link #total()}
     */
    public synchronized int distinctOffenders() {
        return seen.size();
    }

    /**
     * Returns the first distinct offenders, each as {@code "kind at where: cause"}, as first
     * reported; an offender reported again (in a later epoch, say) is not listed again.
     *
     * @return up to {@link #FIRST_OFFENDERS} entries in the order they were first reported
     */
    public synchronized List<String> firstOffenders() {
        List<String> out = new ArrayList<>(first.size());
        for (Offender o : first.values()) {
            out.add(o.description);
        }
        return List.copyOf(out);
    }

    /**
     * Returns how many times each of the {@link #firstOffenders() first offenders} was reported.
     *
     * @return occurrences by {@code where}, in the order first reported
     */
    public synchronized Map<String, Integer> firstOffenderOccurrences() {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (Map.Entry<String, Offender> e : first.entrySet()) {
            out.put(e.getKey(), e.getValue().occurrences);
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * Summarises what was skipped: counts per kind (occurrences) and the first distinct offenders,
     * each listed once with {@code (xN)} when it was reported N > 1 times.
     *
     * @return a multi-line summary, or {@code "no bad input"}
     */
    public synchronized String summary() {
        if (total == 0) {
            return "no bad input";
        }
        StringBuilder sb = new StringBuilder();
        sb.append("skipped ").append(total).append(" bad input(s)");
        if (seen.size() < total) {
            sb.append(" from ").append(seen.size()).append(" distinct offender(s)");
        }
        sb.append(": ").append(counts);
        for (Offender o : first.values()) {
            sb.append("\n  ").append(o.description);
            if (o.occurrences > 1) {
                sb.append(" (x").append(o.occurrences).append(")");
            }
        }
        if (seen.size() > first.size()) {
            sb.append("\n  ... and ")
                    .append(seen.size() - first.size())
                    .append(" more offender(s)");
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return (strict ? "strict" : "skip-and-count") + " (" + summary() + ")";
    }
}
