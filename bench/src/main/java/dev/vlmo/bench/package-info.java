/**
 * The benchmark harness: training-step and inference throughput, memory and model FLOPs utilisation
 * of the Java model, measured interleaved with the same workloads in PyTorch ({@code
 * bench/pytorch_bench.py}) in one invocation; {@code bench/run.sh} runs it and writes {@code
 * bench/RESULTS.md}.
 */
package dev.vlmo.bench;
