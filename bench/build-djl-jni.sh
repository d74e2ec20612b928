#!/usr/bin/env bash
# Builds DJL's PyTorch JNI library (libdjl_torch.so) from DJL's sources against the libtorch of an
# installed PyTorch (pip or conda), so that a CUDA machine without network access can run the
# project with the PyTorch it already has.
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
# by this script's commands, all 15 sources of DJL 0.36.0's JNI compiled and the library linked
# with no undefined symbols.
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
SITE="$(dirname "$(dirname "$TL")")"
JAVA_HOME="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}"
echo "build-djl-jni: torch $VERSION (CUDA $CUDA, C++11 ABI $ABI) in $TL"

B="$(mktemp -d)"
trap 'rm -rf "$B"' EXIT
# the JNI header from the engine's Java declarations, as DJL's own build makes it
javac -sourcepath "$ENGINE_SRC:$DJL/api/src/main/java" -h "$B/include" -d "$B/classes" \
  "$ENGINE_SRC/ai/djl/pytorch/jni/PyTorchLibrary.java" 2>&1 | grep -v '^Note:' || true
[ -f "$B/include/ai_djl_pytorch_jni_PyTorchLibrary.h" ] || {
  echo "build-djl-jni: javac did not write the JNI header (see above)" >&2; exit 1; }

FLAGS=(-O2 -fPIC -std=c++17 -w "-D_GLIBCXX_USE_CXX11_ABI=$ABI" -I"$TI" -I"$TI/torch/csrc/api/include"
  -I"$B/include" -I"$DJL/api/src/main/native" -I"$JAVA_HOME/include" -I"$JAVA_HOME/include/linux")
LIBS=(-ltorch -ltorch_cpu -lc10)
if [ "$CUDA" != none ]; then
  FLAGS+=(-DUSE_CUDA -I/usr/local/cuda/include)
  for d in "$SITE"/nvidia/*/include; do [ -d "$d" ] && FLAGS+=(-I"$d"); done
  LIBS+=(-ltorch_cuda -lc10_cuda)
fi

pids=()
for f in "$NATIVE"/*.cc; do
  n="$(basename "$f" .cc)"
  g++ -c "${FLAGS[@]}" "$f" -o "$B/$n.o" 2> "$B/$n.err" &
  pids+=($!)
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
if [ "$failed" -gt 0 ]; then
  for e in "$B"/*.err; do
    [ -f "${e%.err}.o" ] && continue
    echo "build-djl-jni: $(basename "${e%.err}").cc did not compile:" >&2
    grep -m 10 error "$e" >&2 || head -20 "$e" >&2
  done
  exit 1
fi
g++ -shared -o "$B/libdjl_torch.so" "$B"/*.o -L"$TL" "${LIBS[@]}" -Wl,-rpath,"$TL"
if LD_LIBRARY_PATH="$TL" ldd -r "$B/libdjl_torch.so" 2>&1 | grep -q -e 'undefined symbol' -e 'not found'; then
  LD_LIBRARY_PATH="$TL" ldd -r "$B/libdjl_torch.so" 2>&1 | grep -e 'undefined symbol' -e 'not found' >&2
  echo "build-djl-jni: the library has unresolved symbols against $TL" >&2
  exit 1
fi
cp "$B/libdjl_torch.so" "$TL/libdjl_torch.so"
flavor=cpu
[ "$CUDA" != none ] && flavor="cu${CUDA//./}"
echo "build-djl-jni: wrote $TL/libdjl_torch.so; run the project with"
echo "  export PYTORCH_LIBRARY_PATH=$TL PYTORCH_FLAVOR=$flavor"
