package dev.vlmo.datasets;

/** An unchecked error about data: a bad file, record or setting, with a message naming it. */
public class DataException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an error with a message naming the bad input and the fix.
     *
     * @param message what is wrong, where, and what to do
     */
    public DataException(String message) {
        super(message);
    }

    /**
     * Creates an error with a message and its cause.
     *
     * @param message what is wrong, where, and what to do
     * @param cause the underlying error
     */
    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}
