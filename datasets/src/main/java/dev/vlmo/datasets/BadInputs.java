package dev.vlmo.datasets;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What to do with bad input (a corrupt or missing image, a malformed line, an empty caption, an
 * over-long text, an unknown answer, a truncated shard): skip it and count it, or fail at once.
 *
 * <p>Thread-safe: loader workers report into the same instance. {@link #summary()} names the first
 * offenders so that a user can find and fix them.
 */
public final class BadInputs {
    /** How many offenders the summary names. */
    public static final int FIRST_OFFENDERS = 10;

    private final boolean strict;
    private final Map<String, Integer> counts = new TreeMap<>();
    private final List<String> first = new ArrayList<>();
    private int total;

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
            if (first.size() < FIRST_OFFENDERS) {
                first.add(kind + " at " + where + detail);
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
     * Returns the first offenders, each as {@code "kind at where: cause"}.
     *
     * @return up to {@link #FIRST_OFFENDERS} entries in the order they were reported
     */
    public synchronized List<String> firstOffenders() {
        return List.copyOf(first);
    }

    /**
     * Summarises what was skipped: counts per kind and the first offenders.
     *
     * @return a multi-line summary, or {@code "no bad input"}
     */
    public synchronized String summary() {
        if (total == 0) {
            return "no bad input";
        }
        StringBuilder sb = new StringBuilder();
        sb.append("skipped ").append(total).append(" bad input(s): ").append(counts);
        for (String f : first) {
            sb.append("\n  ").append(f);
        }
        if (total > first.size()) {
            sb.append("\n  ... and ").append(total - first.size()).append(" more");
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return (strict ? "strict" : "skip-and-count") + " (" + summary() + ")";
    }
}
