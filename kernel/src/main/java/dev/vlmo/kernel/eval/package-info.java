/**
 * Evaluation of notebook cells with JShell in the current JVM: cells split into snippets, the last
 * expression's value kept as an object for rendering, completion, documentation, interrupts, and
 * compile or runtime errors reduced to short messages that name the cell line.
 */
package dev.vlmo.kernel.eval;
