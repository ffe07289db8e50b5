#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for tests and the demo: initdb + pg_ctl in a temporary
# folder, run as an unprivileged user (the `postgres` account, else `nobody`, when called
# as root), listening on 127.0.0.1 at a free port and on a unix socket in the folder.
#
#   pg-cluster.sh start DIR [--password]  prints a libpq connection string (also DIR/conninfo);
#                                         --password: scram-sha-256 for TCP, the password
#                                         in DIR/password (not in the string)
#   pg-cluster.sh stop DIR                stops it (immediate) and removes DIR
#   pg-cluster.sh run CMD ARGS...         starts one in a new temp folder, runs CMD with
#                                         XR_TEST_PG=<connection string>, stops it; CMD's status
set -euo pipefail

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -x "$bindir/initdb" ] || { echo "pg-cluster.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 2; }

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    local who=postgres
    getent passwd postgres >/dev/null || who=nobody
    runuser -u "$who" -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start() {
  local dir=$1 password=${2:-}
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then
    local who=postgres
    getent passwd postgres >/dev/null || who=nobody
    chown "$who" "$dir"
    chmod 0700 "$dir"
  fi
  local auth=(--auth=trust)
  if [ "$password" = --password ]; then
    python3 -c 'import secrets; print(secrets.token_urlsafe(24))' > "$dir/password"
    chmod 0644 "$dir/password"
    cp "$dir/password" "$dir/pwfile"; chmod 0644 "$dir/pwfile"
    auth=(--auth-local=trust --auth-host=scram-sha-256 --pwfile="$dir/pwfile")
  fi
  as_owner "$bindir/initdb" -D "$dir/data" -U xr -E UTF8 --no-sync "${auth[@]}" >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  rm -f "$dir/pwfile"
  local port tries=0
  while :; do
    port=$(free_port)
    if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=32MB" \
        start >/dev/null; then
      break
    fi
    tries=$((tries + 1))
    [ $tries -lt 3 ] || { cat "$dir/server.log" >&2; exit 1; }
  done
  as_owner "$bindir/psql" -h "$dir" -p "$port" -U xr -d postgres -qAt -c "CREATE DATABASE xr" >/dev/null
  echo "host=127.0.0.1 port=$port user=xr dbname=xr" > "$dir/conninfo"
  echo "$port" > "$dir/port"
  cat "$dir/conninfo"
}

stop() {
  local dir=$1
  if [ -d "$dir/data" ]; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) start "$2" "${3:-}" ;;
  stop) stop "$2" ;;
  run)
    shift
    dir=$(mktemp -d /tmp/xr-pg.XXXXXX)
    trap 'stop "$dir"' EXIT
    XR_TEST_PG=$(start "$dir")
    export XR_TEST_PG
    status=0
    "$@" || status=$?
    exit $status
    ;;
  *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
