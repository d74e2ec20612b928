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
# Builds the reactor first (mvn package, nothing installed into ~/.m2; bench/java.sh). THREADS
# (default 2) sets the intra-op threads of both sides; JAVA_OPTS adds JVM options. Both engines use
# OpenMP (libgomp): ours waits spinning for GOMP_SPINCOUNT (default 20000) rounds, the PyTorch worker's threads
# sleep at once (OMP_WAIT_POLICY=PASSIVE, set by the worker), each side's faster setting.
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS="${THREADS:-2}"
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
. bench/java.sh
bench_java dev.vlmo.bench.Bench --threads "$THREADS" --command "bench/run.sh $*" "${args[@]}"
