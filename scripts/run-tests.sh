#!/bin/sh
# run-tests.sh: the whole test suite, as CI runs it.
#   1. test dependencies (apt), 2. a normal build and every test through
#   ctest, 3. (unless SVP_NO_ASAN=1) the same suite built with
#   AddressSanitizer + UBSan in build-asan/.
# Extra arguments go to ctest (e.g. -L unit, -R regress).
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
jobs=$(nproc 2>/dev/null || echo 2)

cmake -S . -B build -DSVP_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs" "$@"

if [ "${SVP_NO_ASAN:-0}" != 1 ]; then
  cmake -S . -B build-asan -DSVP_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
  cmake --build build-asan -j"$jobs"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs" "$@"
fi
