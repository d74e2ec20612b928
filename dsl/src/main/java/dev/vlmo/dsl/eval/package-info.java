/**
 * Evaluation metrics computed as the reference and the benchmarks compute them: retrieval recall at
 * k (with optional ITM re-ranking), the official VQA accuracy and the reference's VQA score, top-k
 * classification accuracy.
 */
package dev.vlmo.dsl.eval;
