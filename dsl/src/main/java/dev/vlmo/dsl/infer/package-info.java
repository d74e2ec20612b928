/**
 * Inference: {@link dev.vlmo.dsl.infer.Predictor} serves a fine-tuned run or a checkpoint (ours or
 * the reference's {@code .pt}) — embeddings, an {@link dev.vlmo.dsl.infer.Index} to search, VQA
 * answers, ITM match scores, NLVR2 judgements and image classes.
 */
package dev.vlmo.dsl.infer;
