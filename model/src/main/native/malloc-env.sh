# Sourced by ./vlmo and the bench scripts: glibc malloc settings under which libtorch's tensor
# buffers are reused instead of returned to the system and faulted in again on the next step.
#
# glibc serves each Java thread from a separate arena whose freed memory it returns to the system
# (and buffers over its mmap threshold are mapped and unmapped per allocation), so every step
# page-faults its activations in afresh; on this project's 2-core VM about 10 us per 4 KiB page,
# 6,500-20,000 faults and half or more of the time of a tiny pair-scoring call. One arena, a 32 MiB mmap
# threshold and no trimming below 4 GiB keep the memory mapped (the process's resident size stays
# at its peak). Values already in the environment win; VLMO_MALLOC=0 leaves all three to glibc.
#
#   vlmo_malloc_env
vlmo_malloc_env() {
  [ "${VLMO_MALLOC:-1}" != 0 ] || return 0
  export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-1}"
  export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-33554432}"
  export MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-4294967296}"
}
