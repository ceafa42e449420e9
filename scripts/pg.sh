#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL server for the tests.
#   pg.sh start DIR   initdb into DIR/data, start the server on a free port
#                     of 127.0.0.1 with its socket in DIR, print its URI
#   pg.sh stop DIR    stop the server started in DIR
# The server trusts every local connection and runs with fsync off: it is
# for tests only. PostgreSQL refuses to run as root, so as root the server
# runs as the user "postgres" (created by Debian's postgresql package).
set -euo pipefail

usage() {
  echo "usage: $0 start DIR | stop DIR" >&2
  exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
dir=$2

# The newest installed server's binaries; pg_config --bindir names the
# client's directory, which holds no initdb on Debian.
bindir=""
for d in /usr/lib/postgresql/*/bin; do
  [ -x "$d/initdb" ] && bindir=$d
done
if [ -z "$bindir" ] && command -v pg_config >/dev/null &&
   [ -x "$(pg_config --bindir)/initdb" ]; then
  bindir=$(pg_config --bindir)
fi
if [ -z "$bindir" ]; then
  echo "pg.sh: no PostgreSQL server binaries (initdb) found; install the" \
       "postgresql package" >&2
  exit 1
fi

as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    echo "pg.sh: running as root needs the user 'postgres'; install the" \
         "postgresql package" >&2
    exit 1
  fi
  as_owner=(runuser -u postgres --)
fi

case $cmd in
start)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [ ${#as_owner[@]} -eq 0 ] || chown postgres "$dir"
  "${as_owner[@]}" "$bindir/initdb" -D "$dir/data" -U postgres \
    --auth=trust -E UTF8 --locale=C --lc-ctype=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    exit 1
  }
  cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
  # Try random ports until one is free; pg_ctl -w fails when the port is
  # taken.
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    port=$((20000 + RANDOM % 30000))
    if "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
         -o "-p $port" -w -t 30 start >/dev/null 2>&1; then
      echo "$port" >"$dir/port"
      echo "postgresql://postgres@127.0.0.1:$port/postgres"
      exit 0
    fi
  done
  echo "pg.sh: the server did not start; see $dir/server.log" >&2
  tail -20 "$dir/server.log" >&2 || true
  exit 1
  ;;
stop)
  [ -d "$dir/data" ] || exit 0
  "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop \
    >/dev/null 2>&1 || true
  ;;
*)
  usage
  ;;
esac
