#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Measures how sfsync workers scale. N workspaces of one PostgreSQL store,
# each connected to a small org of its own in one sfsim (--orgs N), are
# synced by 1, 2 and 4 'sfsync worker' processes. For each worker count it
# starts from the same store (a copy of the database after connecting),
# times the first sync round of every workspace (the first pull), then
# counts the idle rounds of a fixed window. It builds nothing and asserts
# nothing about speed. It exits non-zero only when a step failed or the
# results are incomplete: a workspace without all its records, a sync run
# that failed or has no worker, or two runs of one workspace at once.
# It prints a Markdown table and writes it into docs/benchmarks.md (except
# with --quick or --no-docs).
#
# usage: bench/workers.sh [--build DIR] [--workspaces N] [--workers 1,2,4]
#                         [--window SECONDS] [--poll SECONDS] [--quick]
#                         [--no-docs]
#   --build DIR      the build with src/sfsync and sim/sfsim (build-rel)
#   --workspaces N   workspaces, one org each (1000)
#   --workers LIST   worker counts to measure (1,2,4)
#   --window SECONDS length of the idle-round window (60)
#   --poll SECONDS   the workers' --poll and each workspace's
#                    poll_interval, time between rounds of a workspace (1)
#   --quick          50 workspaces and a 15-second window, and
#                    docs/benchmarks.md is left as it is
#   --no-docs        print the table only
# Needs bash, curl, awk, psql and the PostgreSQL server binaries that
# scripts/pg.sh uses.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=$here/build-rel
workspaces=1000
worker_counts=1,2,4
window=60
poll=1
write_docs=1
quick=0

# Each org's generated records; every workspace must end with all of them.
CONTACTS=20
LEADS=10
CLIENT_ID=sfsim-client-id
CLIENT_SECRET=sfsim-client-secret
# Connections made at once while the workspaces are connected.
SETUP_JOBS=4
# The longest the first rounds of one worker count may take.
FIRST_ROUND_TIMEOUT_S=1800

# Print the comment block from "usage:" to the end of the header.
usage() {
    sed -n '/^# usage:/,/^[^#]/s/^# \{0,1\}//p' "$0"
}

while [ $# -gt 0 ]; do
    case $1 in
    --build) build=${2:?--build needs a directory}; shift 2 ;;
    --workspaces) workspaces=${2:?--workspaces needs a count}; shift 2 ;;
    --workers) worker_counts=${2:?--workers needs a list}; shift 2 ;;
    --window) window=${2:?--window needs seconds}; shift 2 ;;
    --poll) poll=${2:?--poll needs seconds}; shift 2 ;;
    --quick) workspaces=50; window=15; write_docs=0; quick=1; shift ;;
    --no-docs) write_docs=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "workers.sh: unknown argument '$1'; see bench/workers.sh --help" >&2
       exit 2 ;;
    esac
done
for value in "$workspaces" ${worker_counts//,/ } "$window" "$poll"; do
    case $value in
    '' | *[!0-9]* | 0)
        echo "workers.sh: invalid count '$value': use whole numbers from 1" >&2
        exit 2 ;;
    esac
done

sfsync=$build/src/sfsync
sfsim=$build/sim/sfsim
if [ ! -x "$sfsync" ] || [ ! -x "$sfsim" ]; then
    echo "workers.sh: no sfsync and sfsim in '$build': build them first" \
         "(cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release &&" \
         "cmake --build build-rel) or pass --build DIR" >&2
    exit 2
fi
psql=$(command -v psql || ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | tail -n 1)
for tool in curl awk "$psql"; do
    if [ -z "$tool" ] || ! command -v "$tool" >/dev/null; then
        echo "workers.sh: '${tool:-psql}' not found: install it" \
             "(scripts/install-deps.sh lists the packages)" >&2
        exit 2
    fi
done
ticks=$(getconf CLK_TCK)

work=$(mktemp -d /tmp/sfsync-workers-XXXXXX)
# As root, scripts/pg.sh runs the server as the user postgres, which must
# be able to enter this directory to reach its own.
chmod 711 "$work"
sim_pid=
pg_started=0
worker_pids=()
stop_workers() {
    local pid
    for pid in "${worker_pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${worker_pids[@]}"; do
        wait "$pid" 2>/dev/null
    done
    worker_pids=()
}
cleanup() {
    stop_workers
    if [ -n "$sim_pid" ]; then
        kill "$sim_pid" 2>/dev/null
        wait "$sim_pid" 2>/dev/null
    fi
    [ "$pg_started" = 1 ] && "$here/scripts/pg.sh" stop "$work/pg"
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
failures=0

fail() {
    echo "workers.sh: $1" >&2
    failures=$((failures + 1))
}

now_ms() {
    date +%s%3N
}

# Run one SQL command on database $1; prints the rows unaligned.
sql() {
    "$psql" "$pg_base/$1" -X -q -At -v ON_ERROR_STOP=1 -c "$2"
}

# CPU seconds (user plus system) of the given processes, as ticks.
cpu_ticks() {
    local pid total=0 t
    for pid in "$@"; do
        t=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null)
        total=$((total + ${t:-0}))
    done
    echo "$total"
}

# CPU ticks of the PostgreSQL server: the postmaster, the backends still
# running, and the backends that exited (counted in the postmaster's
# children times once it has reaped them).
pg_ticks() {
    local pm own children
    pm=$(head -n 1 "$work/pg/data/postmaster.pid")
    own=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pm/stat")
    # shellcheck disable=SC2046
    children=$(cpu_ticks $(pgrep -P "$pm"))
    echo $((own + children))
}

seconds_of_ticks() {
    awk -v t="$1" -v hz="$ticks" 'BEGIN { printf "%.1f", t / hz }'
}

# The API calls counted by all orgs of sfsim so far, read from /sim/faults
# of each org over one connection.
api_used() {
    curl -s --config "$work/faults.curl" |
        grep -o '"api-used":[0-9]*' | awk -F: '{ s += $2 } END { print s + 0 }'
}

start_sim() {
    local line
    "$sfsim" --listen 127.0.0.1:0 --log-level warn --orgs "$workspaces" \
        --generate "contacts=$CONTACTS,leads=$LEADS" \
        >"$work/sim.out" 2>"$work/sim.err" &
    sim_pid=$!
    while :; do
        line=$(head -n 1 "$work/sim.out")
        case $line in
        "sfsim listening on "*) break ;;
        esac
        if ! kill -0 "$sim_pid" 2>/dev/null; then
            echo "workers.sh: sfsim did not start:" >&2
            cat "$work/sim.err" >&2
            sim_pid=
            return 1
        fi
        sleep 0.05
    done
    url=${line#sfsim listening on }
    for k in $(seq 1 "$workspaces"); do
        echo "url = \"$url/sim/faults?org=$k\""
    done >"$work/faults.curl"
}

# Create workspace wsK in database base and connect it to org K. The
# secret comes from the environment, not the command line.
connect_one() {
    local k=$1 id=$CLIENT_ID secret=$CLIENT_SECRET
    if [ "$k" -gt 1 ]; then
        id=$CLIENT_ID-$k
        secret=$CLIENT_SECRET-$k
    fi
    "$sfsync" --db "$pg_base/base" --workspace "ws$k" init >/dev/null &&
        SFSYNC_CLIENT_SECRET=$secret "$sfsync" --db "$pg_base/base" \
            --workspace "ws$k" connect --login-url "$url" --client-id "$id" \
            >/dev/null &&
        "$sfsync" --db "$pg_base/base" --workspace "ws$k" config set \
            poll_interval "$poll" >/dev/null
}

# Connect every workspace; the first alone, so that it creates the schema.
connect_all() {
    export -f connect_one
    export sfsync pg_base url poll CLIENT_ID CLIENT_SECRET
    connect_one 1 || return 1
    seq 2 "$workspaces" |
        xargs -r -P "$SETUP_JOBS" -I{} bash -c 'connect_one "$1"' _ {}
}

# Count the workspaces whose first sync round has ended.
first_rounds_done() {
    sql "$1" "SELECT count(DISTINCT workspace_id) FROM runs
              WHERE kind = 'sync' AND finished_ms IS NOT NULL"
}

# The rounds the workers of count $1 reported so far, one line each.
rounds_reported() {
    cat "$work/worker$1".*.out | grep -c "^workspace '.*': sync "
}

# The warnings and errors that the workers of count $1 logged.
worker_log_problems() {
    cat "$work/worker$1".*.out | grep -E '^[0-9T:.-]+Z (WARN|ERROR) '
}

# Check the runs and records of database $1 and the output of its
# workers after a measurement, and print the problems found (nothing when
# there are none). A round that changes nothing replaces the run row of
# the round before. So the store keeps only the first and the last round
# of each workspace, and the other rounds are checked in the output of
# the workers, which prints each round's run id.
check_results() {
    local db=$1 count=$2 n
    n=$(cat "$work/worker$count".*.out | grep "^workspace '.*': sync " |
        grep -v -c "^workspace '.*': sync ok: ")
    [ "$n" = 0 ] || echo "$n sync rounds did not end with 'sync ok'"
    n=$(cat "$work/worker$count".*.out | grep -o 'run [0-9]*$' | sort | uniq -d | wc -l)
    [ "$n" = 0 ] || echo "$n run ids were reported by two rounds"
    n=$(sql "$db" "SELECT count(*) FROM workspaces w
                   WHERE (SELECT count(*) FROM links l
                          WHERE l.workspace_id = w.id) <> $((CONTACTS + LEADS))")
    [ "$n" = 0 ] || echo "$n workspaces lack some of their $((CONTACTS + LEADS)) records"
    n=$(sql "$db" "SELECT count(*) FROM runs
                   WHERE kind = 'sync' AND (status <> 'ok' OR worker IS NULL)")
    [ "$n" = 0 ] || echo "$n sync runs failed, did not end or name no worker"
    n=$(sql "$db" "SELECT count(*) FROM runs a JOIN runs b
                   ON a.workspace_id = b.workspace_id AND a.id < b.id
                   WHERE a.kind = 'sync' AND b.kind = 'sync'
                     AND a.started_ms < coalesce(b.finished_ms, 9e18)
                     AND b.started_ms < coalesce(a.finished_ms, 9e18)")
    [ "$n" = 0 ] || echo "$n pairs of sync runs of one workspace overlap"
}

# Measure one worker count and append its figures to $work/figures.
measure_workers() {
    local count=$1 db=run$1 i t0 t_first first_s finished=0 deadline
    local calls0 calls1 calls2 calls3 sim0 sim1 sim2 sim3 pg0 pg1 pg2 pg3
    local w1 w2 w3 w_start w_end rounds problems used_workers load logged

    sql postgres "CREATE DATABASE $db TEMPLATE base" || return 1
    # Other programs on the machine take CPU from the measured ones.
    load=$(cut -d' ' -f1 /proc/loadavg)
    calls0=$(api_used)
    sim0=$(cpu_ticks "$sim_pid")
    pg0=$(pg_ticks)
    t0=$(now_ms)
    for i in $(seq 1 "$count"); do
        "$sfsync" --db "$pg_base/$db" worker --poll "$poll" \
            --worker-id "w$i" >"$work/worker$count.$i.out" 2>&1 &
        worker_pids+=($!)
    done
    deadline=$((t0 + FIRST_ROUND_TIMEOUT_S * 1000))
    while [ "$finished" -lt "$workspaces" ] && [ "$(now_ms)" -lt "$deadline" ]; do
        sleep 0.5
        finished=$(first_rounds_done "$db")
    done
    calls1=$(api_used)
    sim1=$(cpu_ticks "$sim_pid")
    pg1=$(pg_ticks)
    w1=$(cpu_ticks "${worker_pids[@]}")
    if [ "$finished" -lt "$workspaces" ]; then
        fail "$count worker(s): only $finished of $workspaces workspaces" \
             "finished a first round in $FIRST_ROUND_TIMEOUT_S s"
        stop_workers
        return 1
    fi
    t_first=$(sql "$db" "SELECT max(f) FROM (SELECT min(finished_ms) AS f
                         FROM runs WHERE kind = 'sync'
                         GROUP BY workspace_id) AS first")
    first_s=$(awk -v a="$t0" -v b="$t_first" 'BEGIN { printf "%.1f", (b - a) / 1000 }')

    # Steady state: every workspace has been synced once, and from now on
    # each round finds nothing new.
    sleep 2
    w2=$(cpu_ticks "${worker_pids[@]}")
    sim2=$(cpu_ticks "$sim_pid")
    pg2=$(pg_ticks)
    calls2=$(api_used)
    rounds=$(rounds_reported "$count")
    w_start=$(now_ms)
    sleep "$window"
    w_end=$(now_ms)
    rounds=$(($(rounds_reported "$count") - rounds))
    calls3=$(api_used)
    sim3=$(cpu_ticks "$sim_pid")
    pg3=$(pg_ticks)
    w3=$(cpu_ticks "${worker_pids[@]}")
    stop_workers
    used_workers=$(sql "$db" "SELECT count(DISTINCT worker) FROM runs
                              WHERE kind = 'sync'")
    problems=$(check_results "$db" "$count")
    logged=$(worker_log_problems "$count" | wc -l)
    if [ "$logged" -gt 0 ]; then
        echo "workers.sh: $count worker(s) logged $logged warnings or" \
             "errors:" >&2
        worker_log_problems "$count" | head -n 20 >&2
    fi
    if [ -n "$problems" ]; then
        fail "$count worker(s): the results are incomplete: $problems"
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
        "$count" "$first_s" "$((calls1 - calls0))" \
        "$(seconds_of_ticks "$w1")" "$(seconds_of_ticks "$((sim1 - sim0))")" \
        "$(seconds_of_ticks "$((pg1 - pg0))")" \
        "$rounds" "$((w_end - w_start))" "$((calls3 - calls2))" \
        "$(seconds_of_ticks "$((w3 - w2))")" \
        "$(seconds_of_ticks "$((sim3 - sim2))")" \
        "$(seconds_of_ticks "$((pg3 - pg2))")" \
        "$used_workers${problems:+ INCOMPLETE}" "$logged" "$load" \
        >>"$work/figures"
    echo "workers.sh: $count worker(s): first rounds in $first_s s," \
         "$rounds idle rounds in $window s" >&2
    sql postgres "DROP DATABASE $db WITH (FORCE)" >/dev/null
}

# The table of the figures, with speed-ups over the first worker count.
table() {
    echo "| workers | first rounds (s) | workspaces/min | speed-up |" \
         "API calls | CPU s: workers / sfsim / PostgreSQL |" \
         "idle rounds/min | speed-up | API calls/round |" \
         "CPU s: workers / sfsim / PostgreSQL | workers seen |" \
         "warnings and errors logged | load before |"
    echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    awk -F'\t' -v n="$workspaces" '
        {
            rate = $2 > 0 ? n * 60 / $2 : 0
            idle = $8 > 0 ? $7 * 60000 / $8 : 0
            if (NR == 1) { base = rate; base_idle = idle }
            speedup = base > 0 ? rate / base : 0
            speedup_idle = base_idle > 0 ? idle / base_idle : 0
            per_round = $7 > 0 ? $9 / $7 : 0
            printf "| %d | %.1f | %.0f | %.2f | %d | %s / %s / %s | %.0f | %.2f | %.1f | %s / %s / %s | %s | %s | %s |\n",
                $1, $2, rate, speedup, $3, $4, $5, $6, idle, speedup_idle,
                per_round, $10, $11, $12, $13, $14, $15
        }' "$work/figures"
}

. "$here/bench/lib.sh"

started=$(date -u '+%Y-%m-%d %H:%M UTC')
pg_uri=$("$here/scripts/pg.sh" start "$work/pg") || exit 1
pg_started=1
pg_base=${pg_uri%/postgres}
export SFSYNC_SECRET_KEY_FILE=$work/secret.key

sim_start_ms=$(now_ms)
start_sim || exit 1
sim_start_s=$(awk -v a="$sim_start_ms" -v b="$(now_ms)" 'BEGIN { printf "%.1f", (b - a) / 1000 }')
sim_rss_mb=$(awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$sim_pid/status")
echo "workers.sh: sfsim serves $workspaces orgs after $sim_start_s s" \
     "in $sim_rss_mb MiB" >&2

sql postgres "CREATE DATABASE base" || exit 1
setup_ms=$(now_ms)
if ! connect_all; then
    echo "workers.sh: connecting the workspaces failed" >&2
    exit 1
fi
setup_s=$(awk -v a="$setup_ms" -v b="$(now_ms)" 'BEGIN { printf "%.1f", (b - a) / 1000 }')
connected=$(sql base "SELECT count(*) FROM workspaces")
echo "workers.sh: $connected workspaces connected in $setup_s s" >&2
if [ "$connected" != "$workspaces" ]; then
    echo "workers.sh: $connected workspaces in the store, not $workspaces" >&2
    exit 1
fi

: >"$work/figures"
for count in ${worker_counts//,/ }; do
    measure_workers "$count" || fail "measuring $count worker(s) failed"
done

command="bench/workers.sh --build ${build#"$here"/} --workspaces $workspaces"
command+=" --workers $worker_counts --window $window --poll $poll"
if [ "$quick" = 1 ]; then
    command="bench/workers.sh --build ${build#"$here"/} --quick"
    [ "$worker_counts" = 1,2,4 ] || command+=" --workers $worker_counts"
fi
{
    echo "Measured $started on $(machine),"
    echo "Linux $(uname -r), a $(build_type) build, PostgreSQL" \
         "$("$psql" --version | awk '{ print $3 }') from scripts/pg.sh" \
         "(fsync off). Command:"
    echo
    echo "    $command"
    echo
    echo "$workspaces workspaces, each connected to its own org of" \
         "$CONTACTS Contacts and $LEADS Leads in one sfsim (--orgs" \
         "$workspaces: $sim_rss_mb MiB resident, started in $sim_start_s s);" \
         "init and connect of all workspaces took $setup_s s," \
         "$SETUP_JOBS at a time. Idle rounds were counted over $window s" \
         "with --poll $poll. The first CPU columns cover the first rounds," \
         "the second ones the window; load before is the 1-minute load" \
         "average when the measurement started, of all programs on the" \
         "machine."
    echo
    table
} >"$work/section"
cat "$work/section"

if [ "$write_docs" = 1 ] && [ "$failures" = 0 ]; then
    write_docs bench/workers.sh "$work/section" &&
        echo "workers.sh: wrote the table into docs/benchmarks.md" >&2 ||
        failures=$((failures + 1))
fi
if [ "$failures" -gt 0 ]; then
    echo "workers.sh: $failures step(s) failed or were incomplete" >&2
    exit 1
fi
