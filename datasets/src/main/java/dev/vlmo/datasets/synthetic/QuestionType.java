package dev.vlmo.datasets.synthetic;

/** The kinds of VQA question the synthetic world asks. */
public enum QuestionType {
    /** "what color is the circle?" answered by a colour word. */
    COLOR,
    /** "what shape is the red object?" answered by a shape word. */
    SHAPE,
    /** "how many squares are there?" answered by a digit. */
    COUNT,
    /** "where is the blue cross?" answered by cell words such as "top left". */
    POSITION,
    /** "is there a green triangle?" answered by "yes" or "no" (balanced). */
    YES_NO
}
