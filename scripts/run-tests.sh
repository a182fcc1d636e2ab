#!/bin/sh
# run-tests.sh: the whole test suite, as CI runs it.
#   1. test dependencies (apt), 2. a normal build and every test through
#   ctest, 3. (unless SVP_NO_ASAN=1) the same suite built with
#   AddressSanitizer + UBSan in build-asan/.
# Extra arguments go to ctest (e.g. -L unit, -R regress).
#
# Time: the lab and active tests mostly wait on network timeouts, so ctest
# runs SVP_TEST_JOBS tests at once (default: cores + 2); the ASan build
# compiles (niced) while the first pass runs; the ASan pass reuses the lab's
# nmap runs (tests/lab/lab-runs.sh) and starts its tests in the order of the
# first pass's durations. Both passes always run; the exit status is 1 if
# either failed. The slowest tests of each pass are listed at the end.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
jobs=$(nproc 2>/dev/null || echo 2)
tjobs=${SVP_TEST_JOBS:-$((jobs + 2))}
t0=$(date +%s)

cmake -S . -B build -DSVP_WERROR=ON >/dev/null
cmake --build build -j"$jobs"

asan=0
[ "${SVP_NO_ASAN:-0}" = 1 ] || asan=1
if [ $asan = 1 ]; then
  cmake -S . -B build-asan -DSVP_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
  nice -n 10 cmake --build build-asan -j"$jobs" >build-asan/build.log 2>&1 &
  asan_build=$!
fi

# pass BUILDDIR [CTEST-ARG...]: ctest over BUILDDIR; its output is also kept
# in BUILDDIR/ctest.log for the summary. Returns ctest's status.
pass() {
  dir=$1; shift
  { if ctest --test-dir "$dir" --output-on-failure -j"$tjobs" "$@"; then rc=0; else rc=$?; fi
    echo $rc >"$dir/ctest.rc"; } | tee "$dir/ctest.log"
  return "$(cat "$dir/ctest.rc")"
}
slowest() { # BUILDDIR: its 12 longest tests
  sed -n 's/^ *[0-9]*\/[0-9]* Test *#[0-9]*: \([^ ]*\) .* \([0-9.]*\) sec$/\2 \1/p' "$1/ctest.log" |
    sort -k1,1gr | awk 'NR <= 12 { printf "  %7.1f s  %s\n", $1, $2 }'
}
status=0
t1=$(date +%s)
pass build "$@" || status=1
t2=$(date +%s)

if [ $asan = 1 ]; then
  if ! wait $asan_build; then
    cat build-asan/build.log; echo "run-tests.sh: the ASan build failed" >&2; exit 1
  fi
  t3=$(date +%s)
  # a fresh build-asan starts the tests that took longest in the first pass first
  if [ ! -s build-asan/Testing/Temporary/CTestCostData.txt ] &&
     [ -s build/Testing/Temporary/CTestCostData.txt ]; then
    mkdir -p build-asan/Testing/Temporary
    cp build/Testing/Temporary/CTestCostData.txt build-asan/Testing/Temporary/
  fi
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  pass build-asan "$@" || status=1
  t4=$(date +%s)
fi

echo "== run-tests.sh: build $((t1 - t0)) s, first pass $((t2 - t1)) s (ctest -j$tjobs), slowest:"
slowest build
if [ $asan = 1 ]; then
  echo "== ASan pass $((t4 - t3)) s (its build ended $((t3 - t2)) s after the first pass), slowest:"
  slowest build-asan
fi
echo "== total $(( $(date +%s) - t0 )) s: $([ $status = 0 ] && echo passed || echo FAILED)"
exit $status
