package dev.vlmo.datasets.masking;

/**
 * Token ids after MLM masking and the labels to predict.
 *
 * @param ids the input ids with masked positions replaced
 * @param labels the original id at masked positions, {@link MlmMasker#IGNORE} (-100) elsewhere
 */
public record MaskedText(int[] ids, int[] labels) {}
