#!/usr/bin/env bash
# Where a workload's time goes on our side (libtorch's profiler), e.g.:
#   bench/profile.sh train-vl/small/b4 3
#   bench/profile.sh adamw 70 1000      (the optimizer step alone: per parameter, grouped, one pass)
# Prints calls and milliseconds per repetition for each operator and the share of wall time that
# native operators cover. Same environment as bench/run.sh; PRECISION=BF16 (or FP16) profiles
# training steps under mixed precision.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/java.sh
bench_java dev.vlmo.bench.Profile "$@"
