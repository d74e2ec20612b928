/*
 * Lets Intel MKL choose its kernels on AMD CPUs by the instruction sets the CPU reports.
 *
 * The CPU libtorch of DJL's PyTorch engine has MKL linked in for matrix products. MKL asks these
 * two functions whether the CPU is made by Intel and, when it is not, runs generic kernels
 * whatever the CPU supports (on an AMD EPYC with AVX-512: about half the speed of its AVX-512
 * kernels). libtorch calls them through its dynamic symbol table, so a library preloaded with
 * LD_PRELOAD answers instead; MKL then checks the CPU's instruction sets as it does on Intel CPUs.
 *
 * Built and preloaded by ./vlmo (model/src/main/native/native-env.sh); by hand:
 *   cc -shared -fPIC -nostdlib -O2 -o libvlmo-mkl-amd.so mkl_amd.c
 *   LD_PRELOAD=$PWD/libvlmo-mkl-amd.so java ...
 */
int mkl_serv_intel_cpu_true(void) { return 1; }

int mkl_serv_intel_cpu(void) { return 1; }
