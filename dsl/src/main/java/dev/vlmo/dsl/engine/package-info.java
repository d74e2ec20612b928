/**
 * The engine that executes a plan: data per step, the objectives of each stage over data-parallel
 * shards, AdamW with parameter groups, learning-rate schedules, checkpoints and resumption.
 */
package dev.vlmo.dsl.engine;
