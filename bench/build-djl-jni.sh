#!/usr/bin/env bash
# Builds DJL's PyTorch JNI library (libdjl_torch.so) from DJL's sources against the libtorch of an
# installed PyTorch (pip or conda), so that a CUDA machine without network access can run the
# project with the PyTorch it already has; or against Debian's torch 1.13 (python3-torch,
# libopenblas0-pthread, libtorch-dev), whose OpenBLAS multiplies at AVX-512 speed on AMD CPUs
# where the MKL in DJL's own CPU libtorch runs AVX2 kernels (README, "Engines").
#
#   bench/build-djl-jni.sh DJL_SOURCES [PYTHON]
#
# DJL_SOURCES: a checkout of DJL at the version on the project's class path (pom.xml's
#   djl.version), e.g. git clone --depth 1 --branch v0.36.0 https://github.com/deepjavalibrary/djl
# PYTHON: the interpreter whose torch to build against (default python3).
#
# Needs a JDK (javac, for the JNI header) and g++; a CUDA build of torch also needs the CUDA
# headers (the toolkit in /usr/local/cuda, or pip's nvidia-* packages). Writes libdjl_torch.so
# into torch's lib folder, where DJL looks first, and prints the variables to run with.
#
# Why: DJL's prebuilt CUDA JNI in pytorch-jni 2.7.1-0.36.0 is linked against libtorch 2.7.1; on a
# machine with torch 2.11.0+cu130 it has 6 undefined symbols (c10_cuda_check_implementation,
# PyObjectSlot, SymInt::sym_ne, the profiler's ExperimentalConfig), so it cannot load. Built there
# with this script's compiler flags, all 15 sources of DJL 0.36.0's JNI compiled and the library
# linked with no undefined symbols.
set -euo pipefail
[ $# -ge 1 ] || { sed -n 2,13p "$0" >&2; exit 2; }
DJL="$(cd "$1" && pwd)"
PY="${2:-python3}"
NATIVE="$DJL/engines/pytorch/pytorch-native/src/main/native"
ENGINE_SRC="$DJL/engines/pytorch/pytorch-engine/src/main/java"
[ -d "$NATIVE" ] && [ -d "$ENGINE_SRC" ] || {
  echo "build-djl-jni: $DJL is not a DJL source checkout (no $NATIVE)" >&2; exit 1; }
command -v javac >/dev/null || { echo "build-djl-jni: javac not found: install a JDK" >&2; exit 1; }
command -v g++ >/dev/null || { echo "build-djl-jni: g++ not found" >&2; exit 1; }

read -r TL ABI CUDA VERSION < <("$PY" -c "
import os, torch
print(os.path.join(os.path.dirname(torch.__file__), 'lib'), int(torch.compiled_with_cxx11_abi()),
      torch.version.cuda or 'none', torch.__version__)") || {
  echo "build-djl-jni: $PY cannot import torch" >&2; exit 1; }
TI="$(dirname "$TL")/include"
[ -w "$TL" ] || {
  echo "build-djl-jni: $TL is not writable: the library goes there (run as its owner)" >&2; exit 1; }
SITE="$(dirname "$(dirname "$TL")")"
JAVA_HOME="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}"
echo "build-djl-jni: torch $VERSION (CUDA $CUDA, C++11 ABI $ABI) in $TL"

B="$(mktemp -d)"
trap 'rm -rf "$B"' EXIT
if [[ "$VERSION" == 1.* ]]; then
  # torch 1.x (Debian's 1.13): InterpolateFuncOptions::mode takes a c10::variant, not the
  # std::variant DJL's interpolate passes; that one function uses its direct upsample calls
  # instead (DJL's branch for Android). Nothing else needs a change.
  cp -r "$NATIVE" "$B/native"
  NATIVE="$B/native"
  f="$NATIVE/ai_djl_pytorch_jni_PyTorchLibrary_nn_functional.cc"
  at="$(grep -n 'InterpolateFuncOptions' "$f" | head -1 | cut -d: -f1)"
  guard="$(head -n "$at" "$f" | grep -n '^#if defined(__ANDROID__)' | tail -1 | cut -d: -f1)"
  [ -n "$at" ] && [ -n "$guard" ] || {
    echo "build-djl-jni: cannot find DJL's interpolate function to adapt to torch $VERSION" >&2; exit 1; }
  sed -i "${guard}s/.*/#if 1 \/\/ torch 1.x: the direct upsample calls/" "$f"
  echo "build-djl-jni: torch $VERSION: interpolate adapted (line $guard of $(basename "$f"))"
fi
# the JNI header from the engine's Java declarations, as DJL's own build makes it
javac -sourcepath "$ENGINE_SRC:$DJL/api/src/main/java" -h "$B/include" -d "$B/classes" \
  "$ENGINE_SRC/ai/djl/pytorch/jni/PyTorchLibrary.java" 2>&1 | grep -v '^Note:' || true
[ -f "$B/include/ai_djl_pytorch_jni_PyTorchLibrary.h" ] || {
  echo "build-djl-jni: javac did not write the JNI header (see above)" >&2; exit 1; }

FLAGS=(-O1 -fPIC -std=c++17 -w "-D_GLIBCXX_USE_CXX11_ABI=$ABI" -I"$TI" -I"$TI/torch/csrc/api/include"
  -I"$B/include" -I"$DJL/api/src/main/native" -I"$JAVA_HOME/include" -I"$JAVA_HOME/include/linux")
LIBS=(-ltorch -ltorch_cpu -lc10)
if [ "$CUDA" != none ]; then
  # the CUDA headers torch was built with (pip's nvidia-* packages) before a system toolkit's
  FLAGS+=(-DUSE_CUDA)
  for d in "$SITE"/nvidia/*/include; do [ -d "$d" ] && FLAGS+=(-I"$d"); done
  FLAGS+=(-I/usr/local/cuda/include)
  LIBS+=(-ltorch_cuda -lc10_cuda)
fi

# one compiler per core (each needs about 1 GB); a source compiled leaves NAME.ok
compile() {
  g++ -c "${FLAGS[@]}" "$1" -o "$B/$2.o" 2> "$B/$2.err" && touch "$B/$2.ok"
}
jobs_max="$(nproc)"
pids=()
for f in "$NATIVE"/*.cc; do
  if [ "${#pids[@]}" -ge "$jobs_max" ]; then
    wait "${pids[0]}" || true
    pids=("${pids[@]:1}")
  fi
  compile "$f" "$(basename "$f" .cc)" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || true; done
failed=0
for f in "$NATIVE"/*.cc; do
  n="$(basename "$f" .cc)"
  [ -f "$B/$n.ok" ] && continue
  failed=$((failed + 1))
  echo "build-djl-jni: $n.cc did not compile:" >&2
  grep -m 10 error "$B/$n.err" >&2 || head -20 "$B/$n.err" >&2
done
[ "$failed" = 0 ] || exit 1
g++ -shared -o "$B/libdjl_torch.so" "$B"/*.o -L"$TL" "${LIBS[@]}" -Wl,-rpath,"$TL"
unresolved="$(LD_LIBRARY_PATH="$TL" ldd -r "$B/libdjl_torch.so" 2>&1 \
  | grep -e 'undefined symbol' -e 'not found' || true)"
if [ -n "$unresolved" ]; then
  echo "$unresolved" >&2
  echo "build-djl-jni: the library has unresolved symbols against $TL" >&2
  exit 1
fi
cp "$B/libdjl_torch.so" "$TL/libdjl_torch.so"
flavor=cpu
[ "$CUDA" != none ] && flavor="cu${CUDA//./}"
# PYTORCH_VERSION: what DJL reports as its engine's version (else the 2.7.1 of its own build)
echo "build-djl-jni: wrote $TL/libdjl_torch.so; run the project with"
printf '  export PYTORCH_LIBRARY_PATH=%q PYTORCH_FLAVOR=%q PYTORCH_VERSION=%q\n' \
  "$TL" "$flavor" "${VERSION%%+*}"
