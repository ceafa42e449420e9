#!/usr/bin/env bash
# Build everything and run the main job on the embedded default: sfsim
# serving a generated org of a few thousand Contacts and Leads on a free
# port of 127.0.0.1, and sfsync connecting to it, pulling Contacts and
# Leads into a fresh local store and showing the result, then 'sfsync
# serve' syncing both ways and serving the admin page. Both keep running
# until Ctrl-C, so the page and the printed commands can be tried.
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

trap 'kill "$sim_pid" ${serve_pid:-} 2>/dev/null || true' EXIT
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

# An admin for the page, with a password made up for this demo only.
password=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$password" >"$work/admin-password"
chmod 600 "$work/admin-password"
step users add admin --role admin --password-file "$work/admin-password"
step config set enabled true

"$sfsync" serve --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.log" &
serve_pid=$!
for _ in $(seq 1 100); do
  grep -q '^sfsync serving ' "$work/serve.out" 2>/dev/null && break
  sleep 0.1
done
page=$(sed -n 's/^sfsync serving //p' "$work/serve.out")
[ -n "$page" ] || { echo "sfsync serve did not start: see $work/serve.log" >&2; exit 1; }

cat <<MSG

What happened: sfsync connected to the simulated org with the client
credentials grant, read every Contact and Lead page by page (2000 records a
page) and stored them in $SFSYNC_DB, phones
normalised to E.164, each contact linked to its Salesforce record. Then
'sfsync serve' started: it syncs both ways every 30 seconds and serves the
admin page and the JSON API.

Open the admin page at $page and sign in as admin with the
password in $work/admin-password. Open a contact's "Open in
Salesforce" link to see the record in sfsim.

Try it yourself while both run (Ctrl-C stops them):
  export SFSYNC_DB=$SFSYNC_DB
  $sfsync contacts list --search smith
  $sfsync contacts update $first --title "Head of Support"   # reaches sfsim
  $sfsync runs
  $sfsync status
MSG
wait "$sim_pid"
