package dev.vlmo.datasets.synthetic;

/**
 * A generated question about one scene.
 *
 * @param question the question text
 * @param answer the answer, a word of the world's answer vocabulary
 * @param type the question type
 */
public record SyntheticQuestion(String question, String answer, QuestionType type) {}
