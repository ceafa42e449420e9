#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Measures sfsync against sfsim side by side with a jsforce peer
# (bench/peer) and with curl fetching the same pages raw: the first pull of
# N Contacts, a push of changed and of new contacts, and an idle sync round.
# It builds nothing and asserts nothing about speed. It prints two Markdown
# tables (figures and goal ratios), writes them into docs/benchmarks.md
# (except with --quick or --no-docs) and exits non-zero only when a step
# failed to run.
#
# usage: bench/run.sh [--build DIR] [--sizes N,N,...] [--quick]
#                     [--updates K] [--creates C] [--no-docs]
#   --build DIR  the build with src/sfsync and sim/sfsim (build/release)
#   --sizes      Contact counts, one org each (10000,100000,1000000)
#   --quick      10000 only, and docs/benchmarks.md is left as it is
#   --updates K  contacts changed with 'sfsync contacts update' and pushed
#                (2000; the command runs once per contact)
#   --creates C  new contacts imported from CSV and pushed, at most N
#                (100000)
#   --no-docs    print the tables only
# Needs bash, curl, awk, Node.js 20 and npm (for 'npm ci' in bench/peer,
# which runs when bench/peer/package-lock.json changed since the last one).
# GNU time (/usr/bin/time) gives peak memory when present; otherwise VmHWM
# is polled from /proc every 20 ms.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=$here/build/release
sizes=10000,100000,1000000
updates=2000
creates_max=100000
write_docs=1

usage() {
    sed -n '11,20s/^# \{0,1\}//p' "$0"
}

while [ $# -gt 0 ]; do
    case $1 in
    --build) build=${2:?--build needs a directory}; shift 2 ;;
    --sizes) sizes=${2:?--sizes needs a list}; shift 2 ;;
    --quick) sizes=10000; write_docs=0; shift ;;
    --updates) updates=${2:?--updates needs a count}; shift 2 ;;
    --creates) creates_max=${2:?--creates needs a count}; shift 2 ;;
    --no-docs) write_docs=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument '$1'; see bench/run.sh --help" >&2
       exit 2 ;;
    esac
done
for value in ${sizes//,/ } "$updates" "$creates_max"; do
    case $value in
    '' | *[!0-9]*)
        echo "run.sh: invalid count '$value': use whole numbers" >&2
        exit 2 ;;
    esac
done

sfsync=$build/src/sfsync
sfsim=$build/sim/sfsim
if [ ! -x "$sfsync" ] || [ ! -x "$sfsim" ]; then
    echo "run.sh: no sfsync and sfsim in '$build': build them first" \
         "(cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo" \
         "&& cmake --build build/release) or pass --build DIR" >&2
    exit 2
fi
for tool in curl awk node npm; do
    if ! command -v "$tool" >/dev/null; then
        echo "run.sh: '$tool' not found: install it" \
             "(scripts/install-deps.sh lists the packages)" >&2
        exit 2
    fi
done
gnu_time=
if /usr/bin/time -f %M true >/dev/null 2>&1; then
    gnu_time=/usr/bin/time
fi

# Records per Bulk API results page that curl reads, as sfsync's Bulk pull
# does (PULL_BULK_PAGE_RECORDS in src/sync/pull.c).
export BULK_PAGE=5000
CLIENT_ID=sfsim-client-id
CLIENT_SECRET=sfsim-client-secret

work=$(mktemp -d /tmp/sfsync-bench-XXXXXX)
sim_pid=
cleanup() {
    if [ -n "$sim_pid" ]; then
        kill "$sim_pid" 2>/dev/null
        wait "$sim_pid" 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT
failures=0

note_failure() {
    echo "run.sh: $1 failed; its output is below" >&2
    tail -n 20 "$work/step.err" "$work/step.out" >&2 2>/dev/null
    failures=$((failures + 1))
}

install_peer() {
    local peer=$here/bench/peer stamp
    stamp=$(sha256sum "$peer/package-lock.json" | cut -d' ' -f1)
    if [ -f "$peer/node_modules/.bench-lock" ] &&
        [ "$(cat "$peer/node_modules/.bench-lock")" = "$stamp" ]; then
        return 0
    fi
    echo "== npm ci in bench/peer (builds better-sqlite3 when npm has no" \
         "prebuilt binary for it)" >&2
    # node-gyp reads Node's own headers when they are installed, instead of
    # downloading them.
    local nodedir
    nodedir=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
    if [ -f "$nodedir/include/node/node.h" ]; then
        export npm_config_nodedir=$nodedir
    fi
    (cd "$peer" && npm ci --no-audit --no-fund) >&2 || return 1
    echo "$stamp" >"$peer/node_modules/.bench-lock"
}

now_ns() {
    date +%s%N
}

seconds_since() {
    awk -v a="$1" -v b="$(now_ns)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'
}

start_sim() {
    local n=$1 line
    : >"$work/sim.out"
    "$sfsim" --listen 127.0.0.1:0 --log-level warn \
        --generate "contacts=$n,accounts=$((n / 20 + 1))" \
        >"$work/sim.out" 2>"$work/sim.err" &
    sim_pid=$!
    while :; do
        line=$(head -n 1 "$work/sim.out")
        case $line in
        "sfsim listening on "*) break ;;
        esac
        if ! kill -0 "$sim_pid" 2>/dev/null; then
            echo "run.sh: sfsim did not start:" >&2
            cat "$work/sim.err" >&2
            sim_pid=
            return 1
        fi
        sleep 0.05
    done
    url=${line#sfsim listening on }
    token=$(curl -sf -X POST "$url/services/oauth2/token" \
        -d grant_type=client_credentials -d client_id=$CLIENT_ID \
        -d client_secret=$CLIENT_SECRET |
        sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p')
}

stop_sim() {
    kill "$sim_pid"
    wait "$sim_pid" 2>/dev/null
    sim_pid=
}

# The API calls sfsim counted so far; /sim/ requests are not counted.
api_used() {
    curl -sf "$url/sim/faults" | sed -n 's/.*"api-used" *: *\([0-9]*\).*/\1/p'
}

# Run a command with its output in step.out and step.err and set M_SECS
# (wall), M_CPU (user + system seconds), M_RSS (peak resident MiB) and
# M_CALLS (API calls sfsim counted meanwhile). Return its exit status.
measure() {
    local before after status start
    before=$(api_used)
    start=$(now_ns)
    if [ -n "$gnu_time" ]; then
        "$gnu_time" -f '%U %S %M' -o "$work/step.time" "$@" \
            >"$work/step.out" 2>"$work/step.err"
        status=$?
        M_SECS=$(seconds_since "$start")
        read -r user sys rss_kb < <(tail -n 1 "$work/step.time")
    else
        measure_polled "$@"
        status=$?
    fi
    M_CPU=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    M_RSS=$(awk -v k="$rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')
    after=$(api_used)
    M_CALLS=
    if [ -n "$before" ] && [ -n "$after" ]; then
        M_CALLS=$((after - before))
    fi
    return "$status"
}

# measure() without GNU time: VmHWM of the command's own process polled
# while it runs (a script's children are not seen), CPU from the shell's
# children times. Sets user, sys, rss_kb and M_SECS.
measure_polled() {
    local pid hwm status start c0 c1
    # times runs in this shell, not in a subshell that has no children.
    times >"$work/times"
    c0=$(tail -n 1 "$work/times")
    start=$(now_ns)
    "$@" >"$work/step.out" 2>"$work/step.err" &
    pid=$!
    rss_kb=0
    while kill -0 "$pid" 2>/dev/null; do
        hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
        if [ -n "$hwm" ] && [ "$hwm" -gt "$rss_kb" ]; then
            rss_kb=$hwm
        fi
        sleep 0.02
    done
    wait "$pid"
    status=$?
    M_SECS=$(seconds_since "$start")
    times >"$work/times"
    c1=$(tail -n 1 "$work/times")
    read -r user sys < <(awk -v a="$c0" -v b="$c1" 'BEGIN {
        split(a, x, " "); split(b, y, " ");
        printf "%f %f", secs(y[1]) - secs(x[1]), secs(y[2]) - secs(x[2]) }
        function secs(t, m) { split(t, m, "m"); return m[1] * 60 + m[2] }')
    return "$status"
}

# One table row: Contacts, operation, client, records, then the measured
# figures. A failed step gets "failed" in place of them and is counted.
row() {
    local n=$1 op=$2 client=$3 records=$4 ok=$5 bytes=${6:-}
    if [ "$ok" = 0 ] && [ -z "$records" ]; then
        echo "run.sh: $op by $client printed no record count" >&2
        ok=1
    fi
    if [ "$ok" != 0 ]; then
        note_failure "$op by $client"
        echo "| $n | $op | $client | $records | failed | | | | | |" \
            >>"$work/table"
        return
    fi
    local rate= mb=
    # An idle round has no throughput.
    if [ "${records:-0}" -gt 0 ]; then
        rate=$(awk -v r="$records" -v s="$M_SECS" \
            'BEGIN { printf "%.0f", (s > 0) ? r / s : 0 }')
    fi
    [ -n "$bytes" ] && mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
    echo "| $n | $op | $client | $records | $M_SECS | $rate | $M_CALLS" \
         "| $M_CPU | $M_RSS | $mb |" >>"$work/table"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$op" "$client" "$M_SECS" "$rate" \
        "$M_RSS" >>"$work/figures"
}

# Make a new sfsync store connected to the running sfsim; SFSYNC_DB names it.
new_store() {
    export SFSYNC_DB=$work/$1.db SFSYNC_CLIENT_SECRET=$CLIENT_SECRET
    rm -f "$SFSYNC_DB"*
    "$sfsync" init >/dev/null &&
        "$sfsync" connect --login-url "$url" --client-id $CLIENT_ID \
            >/dev/null &&
        "$sfsync" config set objects contacts >/dev/null
}

# Run a script of the jsforce peer against the running sfsim. The heap
# limit is raised because jsforce's autoFetch keeps every record of a query
# in memory, and its Bulk query the whole results page too (a peak RSS of
# 1.4 and 2.9 GiB for 1,000,000 Contacts).
peer() {
    local script=$1
    shift
    measure node --max-old-space-size=8192 "$here/bench/peer/$script.mjs" \
        --url "$url" \
        --client-id $CLIENT_ID --client-secret $CLIENT_SECRET "$@"
}

# The count in a JSON summary line such as "records": 10000 in step.out.
json_count() {
    sed -n "s/.*\"$1\" *: *\\([0-9]*\\).*/\\1/p" "$work/step.out" | head -n 1
}

run_size() {
    local n=$1 ok k c
    echo "== $n Contacts" >&2
    start_sim "$n" || { failures=$((failures + 1)); return; }

    echo "   curl" >&2
    measure "$here/bench/raw.sh" rest "$url" "$token"
    ok=$?
    row "$n" pull "curl, REST pages" "$n" "$ok" "$(cat "$work/step.out")"
    measure "$here/bench/raw.sh" bulk "$url" "$token"
    ok=$?
    row "$n" pull "curl, Bulk pages" "$n" "$ok" "$(cat "$work/step.out")"

    echo "   sfsync pull" >&2
    new_store rest || { note_failure "sfsync connect"; stop_sim; return; }
    if [ "$bulk" = 1 ]; then
        "$sfsync" config set bulk_threshold $((n + 1)) >/dev/null
    fi
    measure "$sfsync" pull contacts --json
    ok=$?
    row "$n" pull "sfsync, REST" "$(json_count total)" "$ok"
    if [ "$bulk" = 1 ]; then
        new_store bulk || { note_failure "sfsync connect"; stop_sim; return; }
        "$sfsync" config set bulk_threshold 0 >/dev/null
        measure "$sfsync" pull contacts --json
        ok=$?
        row "$n" pull "sfsync, Bulk" "$(json_count total)" "$ok"
        rm -f "$work"/bulk.db*
        export SFSYNC_DB=$work/rest.db
    fi

    echo "   jsforce pull" >&2
    rm -f "$work"/peer*.db*
    peer pull --db "$work/peer.db" --count "$n" --mode rest
    ok=$?
    row "$n" pull "jsforce, REST" "$(json_count records)" "$ok"
    peer pull --db "$work/peer-bulk.db" --count "$n" --mode bulk
    ok=$?
    row "$n" pull "jsforce, Bulk" "$(json_count records)" "$ok"
    rm -f "$work"/peer-bulk.db*

    # The idle round follows one sync round that finds the pulled records
    # again in its overlap window and changes nothing.
    echo "   idle round" >&2
    "$sfsync" sync >/dev/null 2>"$work/step.err" ||
        note_failure "sfsync sync (first round)"
    measure "$sfsync" sync --json
    ok=$?
    row "$n" "idle round" "sfsync" "$(json_count pulled)" "$ok"
    peer idle --db "$work/peer.db"
    ok=$?
    row "$n" "idle round" "jsforce" "$(json_count records)" "$ok"

    k=$((updates < n ? updates : n))
    echo "   push of $k updated contacts" >&2
    "$sfsync" config set direction to-salesforce >/dev/null
    for ((i = 1; i <= k; i++)); do
        if ! "$sfsync" contacts update "$i" --title "sfsync bench $i" \
            >/dev/null 2>"$work/step.err"; then
            note_failure "sfsync contacts update $i"
            break
        fi
    done
    measure "$sfsync" sync --json
    ok=$?
    row "$n" "push, updated" "sfsync" "$(json_count pushed)" "$ok"
    peer push --mode update --db "$work/peer.db" --count "$k" \
        --title "jsforce bench"
    ok=$?
    row "$n" "push, updated" "jsforce" "$(json_count records)" "$ok"

    c=$((creates_max < n ? creates_max : n))
    echo "   push of $c new contacts" >&2
    "$sfsync" config set new_contacts_as contact >/dev/null
    for client in sfsync jsforce; do
        awk -v c="$c" -v client="$client" 'BEGIN {
            print "first_name,last_name,title,email"
            for (i = 1; i <= c; i++)
                printf "Bench,New %s %d,Created by %s,new%d@%s.example.com\n",
                    client, i, client, i, client
        }' >"$work/$client.csv"
    done
    "$sfsync" contacts import "$work/sfsync.csv" >/dev/null \
        2>"$work/step.err" || note_failure "sfsync contacts import"
    measure "$sfsync" sync --json
    ok=$?
    row "$n" "push, new" "sfsync" "$(json_count pushed)" "$ok"
    peer push --mode create --csv "$work/jsforce.csv"
    ok=$?
    row "$n" "push, new" "jsforce" "$(json_count records)" "$ok"

    stop_sim
    rm -f "$work"/*.db* "$work"/*.csv
}

# The figure of one row of "figures": column 4 seconds, 5 records/s, 6 MiB.
figure() {
    awk -F'\t' -v n="$1" -v client="$2" -v col="$3" \
        '$1 == n && $2 == "pull" && $3 == client { print $col; exit }' \
        "$work/figures"
}

ratio() {
    if [ -z "$1" ] || [ -z "$2" ]; then
        echo "not measured"
    else
        awk -v a="$1" -v b="$2" 'BEGIN {
            if (b == 0) print "not measured"; else printf "%.2f", a / b }'
    fi
}

or_missing() {
    if [ -n "$1" ]; then echo "$1"; else echo "not measured"; fi
}

goal_table() {
    local path
    echo "| figure | goal | measured |"
    echo "| --- | ---: | ---: |"
    for path in REST Bulk; do
        [ "$path" = Bulk ] && [ "$bulk" != 1 ] && continue
        echo "| sfsync ÷ jsforce records/s, $path pull, 100000 | ≥ 3 |" \
             "$(ratio "$(figure 100000 "sfsync, $path" 5)" \
                "$(figure 100000 "jsforce, $path" 5)") |"
        echo "| sfsync pull ÷ curl time, $path, 100000 | ≤ 2 |" \
             "$(ratio "$(figure 100000 "sfsync, $path" 4)" \
                "$(figure 100000 "curl, $path pages" 4)") |"
        echo "| sfsync $path pull of 1000000, seconds | < 60 |" \
             "$(or_missing "$(figure 1000000 "sfsync, $path" 4)") |"
        echo "| sfsync $path pull of 1000000, peak MiB | < 100 |" \
             "$(or_missing "$(figure 1000000 "sfsync, $path" 6)") |"
        echo "| sfsync $path pull peak, 1000000 ÷ 10000 | ≤ 1.5 |" \
             "$(ratio "$(figure 1000000 "sfsync, $path" 6)" \
                "$(figure 10000 "sfsync, $path" 6)") |"
    done
}

. "$here/bench/lib.sh"

install_peer || { echo "run.sh: npm ci in bench/peer failed" >&2; exit 1; }

# The Bulk path of the pull is there when the build has the bulk_threshold
# setting.
bulk=0
export SFSYNC_DB=$work/probe.db
if "$sfsync" init >/dev/null 2>&1 &&
    "$sfsync" config list 2>/dev/null | grep -q '^bulk_threshold='; then
    bulk=1
fi
rm -f "$work"/probe.db*

: >"$work/table"
: >"$work/figures"
started=$(date -u '+%Y-%m-%d %H:%M UTC')
for n in ${sizes//,/ }; do
    run_size "$n"
done

{
    echo "Measured $started on $(machine),"
    echo "Linux $(uname -r), a $(build_type) build of sfsync and sfsim,"
    echo "Node.js $(node --version)."
    echo "Command:"
    echo
    echo "    bench/run.sh --build ${build#"$here"/} --sizes $sizes" \
         "--updates $updates --creates $creates_max"
    echo
    echo "| Contacts | operation | client | records | seconds | records/s |" \
         "API calls | CPU (s) | peak RSS (MiB) | MiB read |"
    echo "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    cat "$work/table"
    if [ "$bulk" != 1 ]; then
        echo
        echo "This build of sfsync has no \`bulk_threshold\` setting, so its"
        echo "pull runs over REST only and has no Bulk row."
    fi
    echo
    goal_table
} >"$work/section"
cat "$work/section"

if [ "$write_docs" = 1 ]; then
    write_docs bench/run.sh "$work/section" &&
        echo "run.sh: wrote the tables into docs/benchmarks.md" >&2 ||
        failures=$((failures + 1))
fi
if [ "$failures" -gt 0 ]; then
    echo "run.sh: $failures step(s) failed to run" >&2
    exit 1
fi
