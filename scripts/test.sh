#!/usr/bin/env bash
# Build with warnings as errors and run every test twice: once in a normal
# build and once under AddressSanitizer and UBSan. Ends with one line
# "N passed, N failed" over both runs and exits non-zero on any failure.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
jobs=${JOBS:-$(nproc)}

"$here/scripts/install-deps.sh" || exit 1

# Sample Salesforce data, when it is beside the repository.
if [ -z "${SFSYNC_SHARED_DATA:-}" ] && [ -d "$here/../shared/data" ]; then
  export SFSYNC_SHARED_DATA="$here/../shared/data"
fi

passed=0
failed=0

run_suite() {
  local name=$1; shift
  local dir="$here/build/$name"
  local log="$dir/ctest.log"

  echo "== $name build"
  cmake -S "$here" -B "$dir" -DSFSYNC_WERROR=ON "$@" >/dev/null || return 1
  cmake --build "$dir" -j "$jobs" || return 1
  echo "== $name tests"
  (cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 600) |
    tee "$log"
  local total fail
  total=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\2/p' "$log")
  fail=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\1/p' "$log")
  if [ -z "$total" ]; then
    failed=$((failed + 1))
    return 1
  fi
  passed=$((passed + total - fail))
  failed=$((failed + fail))
}

run_suite release -DCMAKE_BUILD_TYPE=RelWithDebInfo || failed=$((failed + 1))
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite sanitize -DCMAKE_BUILD_TYPE=Debug -DSFSYNC_SANITIZE=ON ||
  failed=$((failed + 1))

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
