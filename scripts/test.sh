#!/usr/bin/env bash
# The whole test suite: release build + tests, the ASan/UBSan build + tests, the aarch64
# cross build with its kernel tests under qemu-user, and a bounded fuzzing run.
# Tests that need ../shared skip with a message when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc)
FUZZ_SECONDS=${EDGELM_FUZZ_SECONDS:-60}

step() { echo; echo "=== $* ==="; }

step "release build"
cmake --preset release >/dev/null
cmake --build build/release -j "$JOBS"
step "release tests"
ctest --preset release -j "$JOBS"

step "asan+ubsan build"
cmake --preset asan >/dev/null
cmake --build build/asan -j "$JOBS"
step "asan+ubsan tests"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --preset asan -j "$JOBS" -LE slow

step "aarch64 cross build (kernels under qemu-aarch64)"
cmake --preset aarch64 >/dev/null
cmake --build build/aarch64 -j "$JOBS"
# Under emulation a cache-vs-memory speed comparison means nothing: that one probe test
# runs natively only; every kernel correctness test runs here.
ctest --preset aarch64 -j "$JOBS" -E "ProbeBandwidth.PositiveAndCachesAreFaster"

if [ -f fuzz/CMakeLists.txt ]; then
  step "fuzzing the GGUF parser for ${FUZZ_SECONDS}s"
  cmake --preset fuzz >/dev/null
  cmake --build build/fuzz -j "$JOBS"
  scripts/fuzz.sh "$FUZZ_SECONDS"
fi
echo
echo "all test stages passed"
