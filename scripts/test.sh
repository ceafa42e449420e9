#!/usr/bin/env bash
# Build with warnings as errors and run every test twice: once in a normal
# build and once under AddressSanitizer and UBSan. A third pass runs the
# tests labelled "store" of the normal build against a throwaway
# PostgreSQL server (scripts/pg.sh). Ends with one line "N passed, N failed"
# over all passes and exits non-zero on any failure.
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
  count_log "$log"
}

# Add the totals of a CTest log to passed and failed.
count_log() {
  local log=$1
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

pg_dir=""
stop_pg() {
  if [ -n "$pg_dir" ]; then
    "$here/scripts/pg.sh" stop "$pg_dir"
    rm -rf "$pg_dir"
    pg_dir=""
  fi
}
trap stop_pg EXIT

# The store's unit tests and the CLI tests again, each test on its own new
# PostgreSQL database.
run_pg_pass() {
  local dir="$here/build/release"
  local log="$dir/ctest-postgresql.log"
  local uri start=$SECONDS

  echo "== postgresql tests"
  pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/sfsync-pg-XXXXXX")
  uri=$("$here/scripts/pg.sh" start "$pg_dir") || return 1
  # A 100,000-row import takes 25 to 45 s on PostgreSQL on two loaded
  # cores, against 16 s on SQLite, so single runs get 180 s instead of 60.
  (cd "$dir" && SFSYNC_TEST_PG=$uri SFSYNC_TEST_RUN_TIMEOUT_MS=180000 \
     ctest --output-on-failure -j "$jobs" --timeout 600 -L store) |
    tee "$log"
  stop_pg
  echo "== postgresql tests took $((SECONDS - start)) s"
  count_log "$log"
}

if run_suite release -DCMAKE_BUILD_TYPE=RelWithDebInfo; then
  run_pg_pass || failed=$((failed + 1))
else
  failed=$((failed + 1))
fi
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite sanitize -DCMAKE_BUILD_TYPE=Debug -DSFSYNC_SANITIZE=ON ||
  failed=$((failed + 1))

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
