#!/usr/bin/env bash
# Runs the benchmark: our model (Java, DJL) and the same workloads in PyTorch (bench/pytorch_bench.py
# with Debian's python3-torch), interleaved in one invocation, and writes bench/RESULTS.md.
#
#   bench/run.sh                   # the quick suite: tiny preset only (about two minutes),
#                                  # into bench/target/RESULTS-partial.md
#   bench/run.sh --suite full      # tiny, small, base (about 7 minutes on 2 cores): bench/RESULTS.md
#   bench/run.sh --suite base      # the base preset's workloads
#   bench/run.sh --suite train-vl/base/b4,infer-image/small/b16 --reps 3 --out /tmp/r.md
#
# Builds the reactor first (mvn package, nothing installed into ~/.m2). THREADS (default 2) sets the
# intra-op threads of both sides; JAVA_OPTS adds JVM options. Both engines use OpenMP (libgomp):
# ours waits spinning for GOMP_SPINCOUNT (default 20000) rounds, the PyTorch worker's threads
# sleep at once (OMP_WAIT_POLICY=PASSIVE, set by the worker), each side's faster setting.
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS="${THREADS:-2}"
mvn -B -o -q package -DskipTests -pl bench -am
cp_file="$(mktemp)"
trap 'rm -f "$cp_file"' EXIT
mvn -B -o -q dependency:build-classpath -pl bench -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=runtime
# the reactor's own classes, never snapshot jars of this project left in ~/.m2
deps="$(tr ':' '\n' < "$cp_file" | grep -v '/dev/vlmo/' | paste -sd: -)"
cp="bench/target/classes:dsl/target/classes:model/target/classes:datasets/target/classes:$deps"
args=("$@")
has_out=0
full=0
prev=""
for a in "$@"; do
  [[ "$a" == "--out" ]] && has_out=1
  [[ "$prev" == "--suite" && "$a" == "full" ]] && full=1
  prev="$a"
done
# only the full suite replaces the committed report; other runs write under bench/target
if [[ $has_out == 0 ]]; then
  if [[ $full == 1 ]]; then args+=(--out bench/RESULTS.md); else mkdir -p bench/target; args+=(--out bench/target/RESULTS-partial.md); fi
fi
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
    -cp "$cp" dev.vlmo.bench.Bench --threads "$THREADS" --command "bench/run.sh $*" "${args[@]}"
