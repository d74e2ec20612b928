/**
 * The DSL: immutable descriptions of a VLMo model ({@link dev.vlmo.dsl.Vlmo}), its pretraining
 * stages ({@link dev.vlmo.dsl.Stage}), data sources and runtimes, the static factories of {@link
 * dev.vlmo.dsl.Dsl}, compiled plans and finished runs.
 */
package dev.vlmo.dsl;
