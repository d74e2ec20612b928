# Sourced by ./vlmo and the bench scripts: the native settings every JVM they start inherits
# (README, "Engines"). `vlmo_native_env ROOT` applies both parts below; ROOT is the checkout.
#
#   VLMO_NATIVE_VARS      the environment variables these settings touch
#   VLMO_MKL_AMD_LIB      set to the preloaded library, or empty
VLMO_NATIVE_VARS=(LD_PRELOAD MALLOC_ARENA_MAX MALLOC_MMAP_THRESHOLD_ MALLOC_TRIM_THRESHOLD_)

vlmo_native_env() {
  vlmo_mkl_amd "$1"
  vlmo_malloc_env
}

# MKL on AMD CPUs. On an AMD x86-64 Linux machine, builds mkl_amd.c (beside this file) into
# target/native/ with the system's C compiler and adds it to LD_PRELOAD, so that the Intel MKL inside DJL's CPU libtorch picks its kernels by the CPU's instruction sets rather than
# its vendor (about twice the matrix-multiply speed on an AMD EPYC with AVX-512). Every JVM started
# from the calling script inherits LD_PRELOAD (Maven's test JVMs, jshell, the Jupyter kernel through
# its kernelspec). VLMO_MKL_AMD=0 turns it off; other CPUs and systems are left alone.
#
#   vlmo_mkl_amd ROOT     ROOT: the checkout; sets VLMO_MKL_AMD_LIB to the library when preloaded
vlmo_mkl_amd() {
  local root="$1" src lib cc
  VLMO_MKL_AMD_LIB=""
  [ "${VLMO_MKL_AMD:-1}" != 0 ] || return 0
  [ "$(uname -s 2>/dev/null)/$(uname -m 2>/dev/null)" = Linux/x86_64 ] || return 0
  grep -qsm1 '^vendor_id.*AuthenticAMD' /proc/cpuinfo || return 0
  src="$root/model/src/main/native/mkl_amd.c"
  lib="$root/target/native/libvlmo-mkl-amd.so"
  case "$lib" in
    *[[:space:]:]*)
      echo "vlmo: LD_PRELOAD cannot name $lib (a space or colon in the path); MKL keeps its" \
        "slower kernels on this AMD CPU" >&2
      return 0 ;;
  esac
  if [ ! -f "$lib" ] || [ "$src" -nt "$lib" ]; then
    cc="$(command -v cc || command -v gcc || command -v clang || true)"
    if [ -z "$cc" ]; then
      # said once per checkout (the marker goes with target/)
      if [ ! -f "$lib.no-compiler" ]; then
        echo "vlmo: this AMD CPU runs the slower kernels of the Intel MKL in DJL's libtorch (about" \
          "half the matrix-multiply speed); install a C compiler (Debian: apt-get install gcc) and" \
          "./vlmo builds $src to fix it (VLMO_MKL_AMD=0 silences this)" >&2
        mkdir -p "$(dirname "$lib")" 2>/dev/null && : > "$lib.no-compiler" 2>/dev/null || true
      fi
      return 0
    fi
    local tmp
    mkdir -p "$(dirname "$lib")" 2>/dev/null && tmp="$(mktemp "$lib.XXXXXX" 2>/dev/null)" || {
      echo "vlmo: cannot write $(dirname "$lib"); MKL keeps its slower kernels on this AMD CPU" >&2
      return 0
    }
    if ! "$cc" -shared -fPIC -nostdlib -O2 -o "$tmp" "$src" 2>"$tmp.log"; then
      echo "vlmo: could not build $src:" "$(cat "$tmp.log")" "(MKL keeps its slower kernels on this" \
        "AMD CPU)" >&2
      rm -f "$tmp" "$tmp.log"
      return 0
    fi
    rm -f "$tmp.log"
    chmod 755 "$tmp"
    # another launcher may have built it meanwhile: the rename replaces its file whole
    mv -f "$tmp" "$lib" || { rm -f "$tmp"; return 0; }
    rm -f "$lib.no-compiler"
  fi
  [ -f "$lib" ] || return 0
  case " ${LD_PRELOAD:-} " in
    *" $lib "*) ;;
    *) export LD_PRELOAD="${LD_PRELOAD:+$LD_PRELOAD }$lib" ;;
  esac
  VLMO_MKL_AMD_LIB="$lib"
}

# glibc malloc settings under which libtorch's tensor buffers are reused instead of returned to the
# system and faulted in again on the next step.
#
# glibc serves each Java thread from a separate arena whose freed memory it returns to the system
# (and buffers over its mmap threshold are mapped and unmapped per allocation), so every step
# page-faults its activations in afresh; on this project's 2-core VM about 10 us per 4 KiB page,
# 6,500-20,000 faults and half or more of the time of a tiny pair-scoring call. One arena, a 32 MiB
# mmap threshold and no trimming below 4 GiB keep the memory mapped (the process's resident size
# stays at its peak). Values already in the environment win; VLMO_MALLOC=0 leaves all three to glibc.
#
#   vlmo_malloc_env
vlmo_malloc_env() {
  [ "${VLMO_MALLOC:-1}" != 0 ] || return 0
  export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-1}"
  export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-33554432}"
  export MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-4294967296}"
}
