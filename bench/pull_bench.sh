#!/usr/bin/env bash
# Measure 'sfsync pull contacts' against sfsim: wall time, records per
# second, peak memory (maximum resident set size) and API calls, for a first
# pull into an empty store and for a repeated pull that changes nothing.
# It asserts nothing; it prints a Markdown table.
#
# usage: bench/pull_bench.sh [BUILD_DIR] [N ...]   (default: build/release 10000 100000)
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build/release}
shift || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000)

sfsim="$build/sim/sfsim"
sfsync="$build/src/sfsync"
[ -x "$sfsim" ] && [ -x "$sfsync" ] || {
  echo "build sfsim and sfsync first: cmake --build $build" >&2
  exit 1
}
work=$(mktemp -d)
trap 'kill "$sim_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

# Run one pull under GNU time; print "seconds rss_kb api_calls unchanged".
measure() {
  /usr/bin/time -f "%e %M" -o "$work/time" \
    "$sfsync" pull contacts --json >"$work/pull.json"
  read -r secs rss <"$work/time"
  calls=$(sed -n 's/^ *"api_calls": \([0-9]*\).*/\1/p' "$work/pull.json")
  unchanged=$(sed -n 's/^ *"unchanged": \([0-9]*\).*/\1/p' "$work/pull.json")
  echo "$secs $rss $calls $unchanged"
}

echo "| Contacts | pull | seconds | records/s | peak RSS (MB) | API calls |"
echo "| ---: | --- | ---: | ---: | ---: | ---: |"
for n in "${sizes[@]}"; do
  rm -f "$work"/sfsync.db* "$work/out"
  "$sfsim" --listen 127.0.0.1:0 --log-level warn \
    --generate "contacts=$n,accounts=$((n / 20 + 1))" >"$work/out" &
  sim_pid=$!
  for _ in $(seq 300); do
    grep -q "listening on" "$work/out" 2>/dev/null && break
    sleep 0.1
  done
  url=$(sed -n 's/^sfsim listening on //p' "$work/out")
  export SFSYNC_DB="$work/sfsync.db" SFSYNC_CLIENT_SECRET=sfsim-client-secret
  "$sfsync" init >/dev/null
  "$sfsync" connect --login-url "$url" --client-id sfsim-client-id >/dev/null
  for kind in first repeat; do
    read -r secs rss calls unchanged < <(measure)
    rate=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0) ? (n / s) : 0 }')
    mb=$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')
    echo "| $n | $kind | $secs | $rate | $mb | $calls |"
  done
  kill "$sim_pid"
  wait "$sim_pid" 2>/dev/null || true
done
