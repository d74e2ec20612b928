#!/usr/bin/env bash
# The GPU checks and the GPU benchmark on a machine that has a CUDA build of PyTorch (pip or
# conda) but neither Maven nor network access: pack a folder here, copy it there with the
# checkout, run it there.
#
#   bench/gpu-session.sh pack DIR DJL_SOURCES
#       here (Maven, a JDK): builds the project and writes DIR: a Java runtime (jlink) and the run
#       time class path without the CPU-only native jars, xz-compressed (about 50 MB), the
#       project's classes, and the sources of DJL's PyTorch JNI taken from DJL_SOURCES (a DJL
#       checkout at pom.xml's djl.version; see build-djl-jni.sh)
#   bench/gpu-session.sh run DIR
#       there, from the checkout's root: unpacks DIR, builds DJL's JNI against the machine's torch
#       (bench/build-djl-jni.sh; skipped when PYTORCH_LIBRARY_PATH already holds one), runs
#       bench/gpu-check.jsh and then the benchmark with both sides on the GPU.
#
# run's settings: PY (python with CUDA torch, default python3), OUT (where the log, the check's
# output and RESULTS-gpu.md go; default DIR/out), CHECK_TIMEOUT and BENCH_TIMEOUT (seconds, 240
# each), SUITE and REPS (the benchmark's workloads, default sized for a GPU, and repetitions),
# GPU_CHECK_DEVICE=cpu and BENCH_GPU=0 (the CPU stands in, to try the whole run on a CPU machine
# with PYTORCH_LIBRARY_PATH pointing at a CPU libtorch that holds libdjl_torch.so).
set -euo pipefail
cmd="${1:-}"
[ $# -ge 2 ] || { sed -n 2,21p "$0" >&2; exit 2; }
DIR="$2"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MODULES=(model datasets dsl kernel bench)

pack() {
  local djl="${1:?pack needs DJL_SOURCES}"
  [ -d "$djl/engines/pytorch/pytorch-native/src/main/native" ] || {
    echo "gpu-session: $djl is not a DJL source checkout" >&2; exit 1; }
  djl="$(cd "$djl" && pwd)"
  mkdir -p "$DIR"
  DIR="$(cd "$DIR" && pwd)"
  cd "$ROOT"
  mvn -B -q -o package -DskipTests -pl kernel,bench -am
  cpf="$(mktemp)"
  stage="$(mktemp -d)"
  trap 'rm -rf "$cpf" "$cpf".* "$stage"' EXIT
  for m in kernel bench; do
    mvn -B -q -o dependency:build-classpath -pl $m -Dmdep.outputFile="$cpf.$m" -Dmdep.includeScope=runtime
  done
  # the CPU builds of libtorch and MXNet stay behind: the GPU machine brings its own libtorch
  cat "$cpf".kernel "$cpf".bench | tr ':' '\n' | grep -v -e pytorch-native-cpu -e mxnet-native \
    -e '/dev/vlmo/' | sort -u > "$cpf"
  mkdir -p "$stage/cp"
  while read -r jar; do
    local n
    n="$(basename "$jar" .jar)"
    mkdir -p "$stage/cp/$n"
    (cd "$stage/cp/$n" && unzip -q -o "$jar")
  done < "$cpf"
  # uncompressed modules and extracted jars compress far better with xz than jars do
  jlink --add-modules java.se,jdk.jshell,jdk.unsupported,jdk.zipfs,jdk.management,jdk.crypto.ec \
    --compress=0 --strip-debug --no-man-pages --output "$stage/jdk"
  tar -cf - -C "$stage" jdk cp | xz -T0 -6 > "$DIR/bundle.tar.xz"
  rm -rf "$DIR/classes" "$DIR/djl"
  for m in "${MODULES[@]}"; do
    mkdir -p "$DIR/classes" && cp -r "$m/target/classes" "$DIR/classes/$m"
  done
  for p in engines/pytorch/pytorch-native/src/main/native api/src/main/native \
    engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni; do
    mkdir -p "$DIR/djl/$p" && cp -r "$djl/$p/." "$DIR/djl/$p/"
  done
  du -sh "$DIR" "$DIR"/*
}

run_all() {
  local t0 g java py out
  t0=$(date +%s)
  el() { echo "[t+$(( $(date +%s) - t0 ))s] $*"; }
  g="$DIR/unpacked"
  py="${PY:-python3}"
  out="${OUT:-$DIR/out}"
  el "start"
  nvidia-smi -L 2>/dev/null || echo "(no nvidia-smi)"
  if [ ! -x "$g/jdk/bin/java" ]; then
    mkdir -p "$g" && xz -T0 -dc "$DIR/bundle.tar.xz" | tar -x -C "$g"
  fi
  java="$g/jdk/bin/java"
  el "unpacked: $("$java" -version 2>&1 | head -1)"
  if [ -z "${PYTORCH_LIBRARY_PATH:-}" ] || [ ! -f "$PYTORCH_LIBRARY_PATH/libdjl_torch.so" ]; then
    JAVA_HOME="$g/jdk" PATH="$g/jdk/bin:$PATH" bash "$ROOT/bench/build-djl-jni.sh" "$DIR/djl" "$py" \
      | tee "$out/jni.txt"
    eval "$(grep '^  export ' "$out/jni.txt")"
    el "JNI built"
  fi
  local cuda_libs site d
  site="$(dirname "$(dirname "$PYTORCH_LIBRARY_PATH")")"
  # DJL finds the GPUs through the CUDA runtime (JNA): let it see the one torch ships with
  cuda_libs=/usr/local/cuda/lib64
  for d in "$site"/nvidia/*/lib; do [ -d "$d" ] && cuda_libs="$d:$cuda_libs"; done
  export LD_LIBRARY_PATH="$PYTORCH_LIBRARY_PATH:$cuda_libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export OPT_OUT_TRACKING=true DJL_OFFLINE=true PYTORCH_LIBRARY_PATH
  local cp
  cp="$(printf '%s\n' "${MODULES[@]}" | sed "s|^|$DIR/classes/|" | paste -sd:)"
  for d in "$g"/cp/*/; do cp="$cp:${d%/}"; done
  # -Djna.library.path: DJL counts the GPUs through the CUDA runtime, which pip ships versioned
  local flags=(-Xss4m -Dai.djl.offline=true -DOPT_OUT_TRACKING=true -Djava.awt.headless=true
    --add-opens=java.base/java.nio=ALL-UNNAMED -Dai.djl.default_engine=PyTorch
    "-Djna.library.path=$cuda_libs")
  cd "$ROOT"
  el "bench/gpu-check.jsh"
  local rc=0
  timeout "${CHECK_TIMEOUT:-240}" "$java" "${flags[@]}" -cp "$cp" dev.vlmo.kernel.RecipeRunner \
    bench/gpu-check.jsh > "$out/gpu-check.txt" 2>&1 || rc=$?
  grep -v -e '^\s*at ' "$out/gpu-check.txt" | tail -40 || true
  el "gpu-check.jsh ended (exit $rc)"
  local suite="${SUITE:-train-vl/tiny/b64,train-mim/base/b64,train-mlm/base/b64,train-vl/base/b32,infer-image/base/b128,infer-text/base/b256,infer-pair/base/b64}"
  local gpu_flag=(--gpu)
  [ "${BENCH_GPU:-1}" = 0 ] && gpu_flag=()
  el "benchmark: $suite"
  rc=0
  timeout "${BENCH_TIMEOUT:-240}" "$java" "${flags[@]}" -Dai.djl.pytorch.num_threads=8 -cp "$cp" \
    dev.vlmo.bench.Bench ${gpu_flag[@]+"${gpu_flag[@]}"} --python "$py" --threads 8 --reps "${REPS:-5}" --warmup 2 \
    --suite "$suite" --slow 60 --out "$out/RESULTS-gpu.md" --command "bench/gpu-session.sh run DIR" \
    > "$out/bench.txt" 2>&1 || rc=$?
  grep -v -e '^\s*at ' -e '^INFO' -e '^WARNING' "$out/bench.txt" | tail -40 || true
  el "benchmark ended (exit $rc)"
}

case "$cmd" in
  pack) pack "${3:-}" ;;
  run)
    DIR="$(cd "$DIR" && pwd)"
    mkdir -p "${OUT:-$DIR/out}"
    OUT="$(cd "${OUT:-$DIR/out}" && pwd)"
    # a pipe, not a process substitution: the log is complete when the script ends
    run_all 2>&1 | tee "$OUT/log.txt"
    ;;
  *) sed -n 2,21p "$0" >&2; exit 2 ;;
esac
