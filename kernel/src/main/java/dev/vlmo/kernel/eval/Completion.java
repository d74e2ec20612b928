package dev.vlmo.kernel.eval;

import java.util.List;

/**
 * Completion candidates for the text between {@code start} and {@code end} of a cell.
 *
 * @param matches the replacement texts, best first
 * @param start the offset where the replaced text starts
 * @param end the offset where it ends (the cursor)
 */
public record Completion(List<String> matches, int start, int end) {

    /** Validates the range and copies the matches. */
    public Completion {
        matches = List.copyOf(matches);
        if (start < 0 || end < start) {
            throw new IllegalArgumentException(
                    "completion range must satisfy 0 <= start <= end, got " + start + ".." + end);
        }
    }
}
