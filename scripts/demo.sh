#!/usr/bin/env bash
# Build everything and run the demo: sfsim serving a generated org of a few
# thousand Contacts and Leads on a free port of 127.0.0.1, with example calls
# made against it. It keeps serving until Ctrl-C.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build="$here/build/release"

"$here/scripts/install-deps.sh"
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target sfsim >/dev/null

out=$(mktemp)
trap 'kill "$sim_pid" 2>/dev/null || true; rm -f "$out"' EXIT
"$build/sim/sfsim" --listen 127.0.0.1:0 --log-level warn \
  --generate contacts=3000,leads=2000,accounts=300 \
  --user rep@example.com:rep-pass >"$out" &
sim_pid=$!
for _ in $(seq 100); do
  grep -q "listening on" "$out" && break
  sleep 0.1
done
url=$(sed -n 's/^sfsim listening on //p' "$out")
[ -n "$url" ] || { echo "sfsim did not start" >&2; exit 1; }

token=$(curl -s "$url/services/oauth2/token" \
  -d grant_type=client_credentials -d client_id=sfsim-client-id \
  -d client_secret=sfsim-client-secret |
  sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')

query() {
  curl -s -G "$url/services/data/v60.0/query" \
    -H "Authorization: Bearer $token" --data-urlencode "q=$1"
  echo
}

echo "sfsim is serving a generated org at $url"
echo
echo "Contacts and Leads in the org:"
query "SELECT COUNT() FROM Contact" | sed 's/^/  Contact: /'
query "SELECT COUNT() FROM Lead" | sed 's/^/  Lead:    /'
echo
echo "Three Contacts with their Account names:"
query "SELECT Id, FirstName, LastName, Phone, Account.Name FROM Contact ORDER BY LastName LIMIT 3"
echo
cat <<MSG
Try it yourself (the token lasts two hours):
  export TOKEN='$token'
  curl -s -G $url/services/data/v60.0/query -H "Authorization: Bearer \$TOKEN" \\
       --data-urlencode "q=SELECT Id, Name, Status FROM Lead LIMIT 5"
  curl -s $url/services/data/v60.0/limits -H "Authorization: Bearer \$TOKEN"
A sales rep can sign in with the password grant: rep@example.com / rep-pass.
Press Ctrl-C to stop.
MSG
wait "$sim_pid"
