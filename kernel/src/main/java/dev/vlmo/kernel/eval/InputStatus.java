package dev.vlmo.kernel.eval;

/** Whether a cell's text is ready to run, as a console asks before sending it. */
public enum InputStatus {
    /** Every statement is complete (or the input is empty). */
    COMPLETE,
    /** The input ends inside a statement: more lines are expected. */
    INCOMPLETE,
    /** The input has a syntax error that more lines cannot fix. */
    INVALID
}
