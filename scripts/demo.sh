#!/usr/bin/env bash
# Build everything and run the main job on the embedded default: sfsim
# serving a generated org of a few thousand Contacts and Leads on a free
# port of 127.0.0.1, and sfsync connecting to it, pulling Contacts and
# Leads into a fresh local store and showing the result. sfsim keeps
# serving until Ctrl-C, so the printed commands can be tried.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build="$here/build/release"
work="$here/build/demo"

"$here/scripts/install-deps.sh"
echo "building (the first build takes a minute or two)..."
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target sfsim sfsync >/dev/null

sfsim="$build/sim/sfsim"
sfsync="$build/src/sfsync"
rm -rf "$work"
mkdir -p "$work"
out="$work/sfsim.out"

trap 'kill "$sim_pid" 2>/dev/null || true' EXIT
"$sfsim" --listen 127.0.0.1:0 --log-level warn \
  --generate contacts=3000,leads=2000,accounts=300 \
  --user rep@example.com:rep-pass >"$out" 2>"$work/sfsim.log" &
sim_pid=$!
for _ in $(seq 100); do
  grep -q "listening on" "$out" && break
  sleep 0.1
done
url=$(sed -n 's/^sfsim listening on //p' "$out")
[ -n "$url" ] || { echo "sfsim did not start: see $work/sfsim.log" >&2; exit 1; }

export SFSYNC_DB="$work/sfsync.db"
printf '%s\n' sfsim-client-secret >"$work/client-secret"
chmod 600 "$work/client-secret"

step() { printf '\n$ sfsync %s\n' "$*"; "$sfsync" "$@"; }

echo
echo "sfsim (the Salesforce simulator) is serving a generated org at $url"
step init
step connect --login-url "$url" --client-id sfsim-client-id \
  --client-secret-file "$work/client-secret"
step pull contacts
step pull leads
step status --offline
step contacts list --limit 5
first=$("$sfsync" contacts list --limit 1 --json |
  sed -n 's/^ *"id": \([0-9]*\),*$/\1/p' | head -n 1)
step contacts show "$first"

cat <<MSG

What happened: sfsync connected to the simulated org with the client
credentials grant, read every Contact and Lead page by page (2000 records a
page) and stored them in $SFSYNC_DB, phones
normalised to E.164, each contact linked to its Salesforce record. Open a
contact's salesforce_url in a browser to see the record in sfsim.

Try it yourself while sfsim runs (Ctrl-C stops it):
  export SFSYNC_DB=$SFSYNC_DB
  $sfsync contacts list --search smith
  $sfsync pull contacts          # again: everything is unchanged
  $sfsync config list
  $sfsync status
MSG
wait "$sim_pid"
