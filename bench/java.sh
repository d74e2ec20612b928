# Sourced by bench/run.sh and bench/profile.sh, run from the checkout's root:
#
#   bench_java MAIN_CLASS ARGS...
#
# builds the reactor (mvn package, nothing installed into ~/.m2) and replaces the shell with a JVM
# running MAIN_CLASS on the reactor's own classes, in the environment both benchmark sides share.
# THREADS (default 2) sets the intra-op threads; JAVA_OPTS adds JVM options.
bench_java() {
  local main="$1" cp_file deps
  shift
  THREADS="${THREADS:-2}"
  mvn -B -o -q package -DskipTests -pl bench -am
  cp_file="$(mktemp)"
  mvn -B -o -q dependency:build-classpath -pl bench -Dmdep.outputFile="$cp_file" \
    -Dmdep.includeScope=runtime
  # the reactor's own classes, never snapshot jars of this project left in ~/.m2
  deps="$(tr ':' '\n' < "$cp_file" | grep -v '/dev/vlmo/' | paste -sd: -)"
  rm -f "$cp_file"
  export OPT_OUT_TRACKING=true DJL_OFFLINE=true OMP_NUM_THREADS="$THREADS"
  # ./vlmo's native settings, for both sides (the PyTorch worker inherits them): MKL's AVX-512
  # kernels on AMD CPUs (VLMO_MKL_AMD=0 measures without) and buffers reused rather than faulted
  # in again every step (VLMO_MALLOC=0: glibc's defaults); README, "Engines"
  . model/src/main/native/native-env.sh
  vlmo_native_env "$PWD"
  # our OpenMP threads wait for the next operator spinning briefly, then sleep: as fast alone as
  # libgomp's default (what ./vlmo runs with: 300,000 rounds), and leaving the cores sooner to the
  # PyTorch worker's repetition; sleeping at once (OMP_WAIT_POLICY=PASSIVE) made our tiny MIM
  # step 1.2x slower (bench/README.md, "How it measures"); the worker sets its own
  export GOMP_SPINCOUNT="${GOMP_SPINCOUNT:-20000}"
  exec java ${JAVA_OPTS:-} -Xss4m -Dai.djl.offline=true -DOPT_OUT_TRACKING=true \
    -Dai.djl.pytorch.num_threads="$THREADS" -Dai.djl.pytorch.num_interop_threads=1 \
    -cp "bench/target/classes:dsl/target/classes:model/target/classes:datasets/target/classes:$deps" \
    "$main" "$@"
}
