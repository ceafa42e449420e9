#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Measures sfsim with generated orgs. For each size it records the
# start-up time and peak memory (VmHWM), then the latency of query pages of
# 2000 Contacts fetched with curl. With --state it also times writing a new
# state file and loading it on restart. It asserts nothing and prints one
# table.
#
# Usage: bench/sim_bench.sh [SFSIM]     (default build/sim/sfsim)
# Environment: SIZES="10000 100000 1000000" contact counts to run,
#              PAGES=50 next pages fetched at most per size,
#              STATE=1 to measure --state (0 skips it).
set -euo pipefail

SFSIM=${1:-${SFSIM:-build/sim/sfsim}}
SIZES=${SIZES:-"10000 100000 1000000"}
PAGES=${PAGES:-50}
STATE=${STATE:-1}
SOQL='SELECT Id, FirstName, LastName, Email, Phone, Account.Name FROM Contact'
VERSION=v60.0

if [ ! -x "$SFSIM" ]; then
    echo "sim_bench: sfsim binary '$SFSIM' not found; build it or pass" \
         "its path" >&2
    exit 2
fi

WORK=$(mktemp -d /tmp/sfsim-bench-XXXXXX)
PID=
cleanup() {
    if [ -n "$PID" ]; then
        kill "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

now_ms() {
    echo $(( $(date +%s%N) / 1000000 ))
}

# Start sfsim with the given arguments; set PID, URL and START_MS (the ms
# it took until the listening line).
start_sim() {
    local start deadline line
    # Empty the output first, so the loop below cannot read the listening
    # line of the previous run.
    : >"$WORK/out"
    start=$(now_ms)
    "$SFSIM" --listen 127.0.0.1:0 --log-level warn "$@" \
        >"$WORK/out" 2>"$WORK/err" &
    PID=$!
    deadline=$(( start + 600000 ))
    while :; do
        line=$(head -n 1 "$WORK/out" 2>/dev/null || true)
        case $line in
        "sfsim listening on "*) break ;;
        esac
        if ! kill -0 "$PID" 2>/dev/null || [ "$(now_ms)" -gt "$deadline" ]
        then
            echo "sim_bench: sfsim did not start:" >&2
            cat "$WORK/err" >&2
            exit 1
        fi
        sleep 0.02
    done
    URL=${line#sfsim listening on }
    START_MS=$(( $(now_ms) - start ))
}

stop_sim() {
    kill "$PID"
    wait "$PID" 2>/dev/null || true
    PID=
}

peak_rss_mb() {
    awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$PID/status"
}

get_token() {
    curl -sf -X POST "$URL/services/oauth2/token" \
        -d grant_type=client_credentials -d client_id=sfsim-client-id \
        -d client_secret=sfsim-client-secret |
        sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p'
}

# GET a path (with optional --data-urlencode arguments) into page.json and
# print the seconds it took.
fetch() {
    local path=$1
    shift
    curl -sf -o "$WORK/page.json" -w '%{time_total}' -G \
        -H "Authorization: Bearer $TOKEN" "$@" "$URL$path"
}

next_url() {
    sed -n 's/.*"nextRecordsUrl" *: *"\([^"]*\)".*/\1/p' "$WORK/page.json"
}

page_records() {
    grep -o '"type" *: *"Contact"' "$WORK/page.json" | wc -l
}

# Median and 95th percentile in ms of the seconds on stdin.
percentiles() {
    sort -n | awk '{ v[NR] = $1 * 1000 }
        END {
            if (NR == 0) { print "- -"; exit }
            p95 = int(NR * 0.95 + 0.999); if (p95 > NR) p95 = NR
            printf "%.1f %.1f", v[int((NR + 1) / 2)], v[p95]
        }'
}

# Query the first page and up to PAGES next pages; print "first_ms
# median_ms p95_ms pages records_per_s".
measure_pages() {
    local first total records seconds next n=0
    : >"$WORK/times"
    first=$(fetch "/services/data/$VERSION/query" --data-urlencode "q=$SOQL")
    records=$(page_records)
    seconds=$first
    next=$(next_url)
    while [ -n "$next" ] && [ "$n" -lt "$PAGES" ]; do
        t=$(fetch "$next")
        echo "$t" >>"$WORK/times"
        records=$(( records + $(page_records) ))
        seconds=$(awk -v a="$seconds" -v b="$t" 'BEGIN { print a + b }')
        next=$(next_url)
        n=$(( n + 1 ))
    done
    read -r median p95 < <(percentiles <"$WORK/times")
    awk -v f="$first" -v m="$median" -v p="$p95" -v n="$n" \
        -v r="$records" -v s="$seconds" \
        'BEGIN { printf "%.1f %s %s %d %.0f", f * 1000, m, p, n, r / s }'
}

run_size() {
    local contacts=$1 accounts spec load_ms rss pages state_save state_load
    local state_mb rss_after
    accounts=$(( contacts / 20 > 0 ? contacts / 20 : 1 ))
    spec="contacts=$contacts,accounts=$accounts"

    start_sim --generate "$spec"
    load_ms=$START_MS
    rss=$(peak_rss_mb)
    TOKEN=$(get_token)
    pages=$(measure_pages)
    rss_after=$(peak_rss_mb)
    stop_sim

    state_save=- state_load=- state_mb=-
    if [ "$STATE" = 1 ]; then
        rm -f "$WORK/state.db"*
        start_sim --state "$WORK/state.db" --generate "$spec"
        state_save=$START_MS
        stop_sim
        state_mb=$(du -m "$WORK/state.db" | cut -f1)
        start_sim --state "$WORK/state.db"
        state_load=$START_MS
        stop_sim
    fi

    read -r first median p95 n rate <<<"$pages"
    printf '%9s %8s %8.2f %8s %9s %9s %8s %8s %6s %10s %8s %8s %7s\n' \
        "$contacts" "$accounts" "$(awk -v m="$load_ms" \
        'BEGIN { print m / 1000 }')" "$rss" "$rss_after" "$first" \
        "$median" "$p95" "$n" "$rate" \
        "$(fmt_seconds "$state_save")" "$(fmt_seconds "$state_load")" \
        "$state_mb"
}

fmt_seconds() {
    if [ "$1" = - ]; then
        echo -
    else
        awk -v m="$1" 'BEGIN { printf "%.2f", m / 1000 }'
    fi
}

echo "sfsim: $SFSIM"
echo "machine: $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' \
    /proc/cpuinfo), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' \
    /proc/meminfo)"
echo "query: $SOQL (pages of 2000)"
echo
printf '%9s %8s %8s %8s %9s %9s %8s %8s %6s %10s %8s %8s %7s\n' \
    contacts accounts load_s rss_MB rss_q_MB first_ms next_p50 next_p95 \
    pages records/s save_s reload_s file_MB
for n in $SIZES; do
    run_size "$n"
done
echo
echo "load_s: start until the listening line, generation included;" \
     "rss_MB: VmHWM after start; rss_q_MB: VmHWM after the queries;"
echo "next_p50/next_p95: next-page latency in ms; records/s: records" \
     "fetched over the summed page times;"
echo "save_s: start with a new --state file and --generate;" \
     "reload_s: restart from that file; file_MB: its size."
