#!/usr/bin/env bash
# Where a workload's time goes on our side (libtorch's profiler), e.g.:
#   bench/profile.sh train-vl/small/b4 3
#   bench/profile.sh adamw 70 1000      (the optimizer step alone: native update against arrays)
# Prints calls and milliseconds per repetition for each operator and the share of wall time that
# native operators cover. Same environment as bench/run.sh; PRECISION=BF16 (or FP16) profiles
# training steps under mixed precision.
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS="${THREADS:-2}"
mvn -B -o -q package -DskipTests -pl bench -am
cp_file="$(mktemp)"
trap 'rm -f "$cp_file"' EXIT
mvn -B -o -q dependency:build-classpath -pl bench -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=runtime
deps="$(tr ':' '\n' < "$cp_file" | grep -v '/dev/vlmo/' | paste -sd: -)"
cp="bench/target/classes:dsl/target/classes:model/target/classes:datasets/target/classes:$deps"
export OPT_OUT_TRACKING=true DJL_OFFLINE=true OMP_NUM_THREADS="$THREADS"
# ./vlmo's native settings, for both sides (the PyTorch worker inherits them): MKL's AVX-512
# kernels on AMD CPUs (VLMO_MKL_AMD=0 measures without) and buffers reused rather than faulted in
# again every step (VLMO_MALLOC=0: glibc's defaults); README, "Engines"
. model/src/main/native/native-env.sh
vlmo_native_env "$PWD"
# our OpenMP threads wait for the next operator spinning briefly, then sleep: as fast alone as
# libgomp's default (what ./vlmo runs with: 300,000 rounds), and leaving the cores sooner to the
# PyTorch worker's repetition; sleeping at once (OMP_WAIT_POLICY=PASSIVE) made our tiny MIM step
# 1.2x slower (bench/README.md, "How it measures"); the worker sets its own
export GOMP_SPINCOUNT="${GOMP_SPINCOUNT:-20000}"
exec java ${JAVA_OPTS:-} -Xss4m -Dai.djl.offline=true -DOPT_OUT_TRACKING=true \
    -Dai.djl.pytorch.num_threads="$THREADS" -Dai.djl.pytorch.num_interop_threads=1 \
    -cp "$cp" dev.vlmo.bench.Profile "$@"
