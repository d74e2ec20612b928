/** Evaluation metrics computed as the reference computes them: retrieval recall at k. */
package dev.vlmo.dsl.eval;
