package dev.vlmo.kernel.eval;

import java.util.List;

/**
 * What a cell produced: the value of its last snippet when that snippet is an expression, and notes
 * worth showing (such as a method that cannot run until a missing declaration exists).
 *
 * @param hasValue whether the cell ended with an expression (its value may be null)
 * @param value the value of that expression, as an object
 * @param notes short remarks for the user, one per line
 */
public record EvalResult(boolean hasValue, Object value, List<String> notes) {

    /** Validates and copies the notes. */
    public EvalResult {
        notes = List.copyOf(notes);
        if (!hasValue && value != null) {
            throw new IllegalArgumentException("value must be null when hasValue is false");
        }
    }

    /** A result without a value. */
    public static EvalResult none(List<String> notes) {
        return new EvalResult(false, null, notes);
    }
}
