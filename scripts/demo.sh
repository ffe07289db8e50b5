#!/usr/bin/env bash
# make demo: runs the whole stack on this machine until Ctrl-C:
#   the XAPI simulator (3 hosts, $DEMO_VMS VMs), `xapi-rest serve`, and nginx on
#   http://127.0.0.1:$DEMO_PORT, with an admin user and a token; prints how to use it.
# Usage: scripts/demo.sh BUILD_DIR
# Environment: DEMO_PORT (8080), DEMO_VMS (50), DEMO_SEED (1), DEMO_TOKEN_FILE (also
# receives the token), DEMO_HOSTS (3), DEMO_UI_DIR (a built XO 6 web UI, served at / of the
# port with our sign-in page: README "XO 6's web UI on xapi-rest").
# Before the gateway binary exists in BUILD_DIR it runs the simulator alone.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
port=${DEMO_PORT:-8080}
vms=${DEMO_VMS:-50}
seed=${DEMO_SEED:-1}
hosts=${DEMO_HOSTS:-3}
sim="$root/tests/xapi-sim/xapi-sim"
app="$build/fcgi-app/xapi-rest"
dir=$(mktemp -d "${TMPDIR:-/tmp}/xapi-rest-demo.XXXXXX")
chmod 755 "$dir"  # nginx's workers (nobody) must reach the socket inside
pids=()

cleanup() {
  trap - EXIT INT TERM
  if [ -f "$dir/nginx/logs/nginx.pid" ]; then
    kill -QUIT "$(cat "$dir/nginx/logs/nginx.pid")" 2>/dev/null || true
  fi
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$dir"
  echo "demo stopped"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for() {  # wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s
  local n=$(( $1 * 10 )); shift
  for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

if [ ! -e "$sim" ]; then
  echo "demo: the simulator ($sim) is not in the tree yet" >&2; exit 1
fi
sim_user=root
sim_password=demo-password
/usr/bin/python3 "$sim" --port 0 --vms "$vms" --hosts "$hosts" --seed "$seed" \
  --user "$sim_user" --password "$sim_password" >"$dir/sim.log" 2>&1 &
pids+=($!)
if ! wait_for 60 grep -q 'xapi-sim listening on' "$dir/sim.log"; then
  echo "demo: the simulator did not start:" >&2; cat "$dir/sim.log" >&2; exit 1
fi
sim_url=$(sed -n 's/.*xapi-sim listening on \([^ ]*\).*/\1/p' "$dir/sim.log" | head -1)

if [ ! -x "$app" ]; then
  cat <<MSG
The XAPI simulator is running at $sim_url ($hosts hosts, $vms VMs, seed $seed).
Log in with user '$sim_user', password '$sim_password'. For example:
  curl -s -H 'Content-Type: text/xml' -d '<?xml version="1.0"?><methodCall><methodName>session.login_with_password</methodName><params><param><value>$sim_user</value></param><param><value>$sim_password</value></param></params></methodCall>' $sim_url
(The gateway is not built yet: $app is missing.) Ctrl-C stops everything.
MSG
  wait "${pids[0]}"
  exit 0
fi

# The gateway: config, data directory, admin user and token.
mkdir -p "$dir/nginx/logs" "$dir/nginx/tmp"
mkdir -m 0700 -p "$dir/data"  # the database holds password hashes
sock="$dir/xapi-rest.sock"
(umask 077 && printf '%s\n' "$sim_password" >"$dir/pool.password")
cat >"$dir/xapi-rest.toml" <<CONF
[server]
socket = "$sock"
socket_mode = "0660"
workers = 2
threads = 8

[storage]
data_dir = "$dir/data"

[log]
level = "info"

[transfer]
# nginx/dev.conf.in spools uploads in <nginx prefix>/tmp/client_body
spool_dir = "$dir/nginx/tmp/client_body"

[[pool]]
name = "demo"
url = "$sim_url"
user = "$sim_user"
password_file = "$dir/pool.password"
tls = "insecure"
CONF
"$app" check-config --config "$dir/xapi-rest.toml"
admin_password=admin
printf '%s\n' "$admin_password" | "$app" user add admin --config "$dir/xapi-rest.toml" >/dev/null
token=$("$app" token create --user admin --description "make demo" --config "$dir/xapi-rest.toml")
if [ -n "${DEMO_TOKEN_FILE:-}" ]; then
  printf '%s\n' "$token" >"$DEMO_TOKEN_FILE"
fi

"$app" serve --config "$dir/xapi-rest.toml" 2>"$dir/xapi-rest.log" &
pids+=($!)
if ! wait_for 20 grep -q 'listening on' "$dir/xapi-rest.log"; then
  echo "demo: xapi-rest did not open its socket:" >&2; cat "$dir/xapi-rest.log" >&2; exit 1
fi
# The sockets are 0660, never 0666 (issue 17): run as root, nginx's workers are
# nobody:nogroup and get the sockets' group; otherwise they run as this user, their owner.
nginx_globals='daemon off;'
if [ "$(id -u)" = 0 ]; then
  chgrp nogroup "$dir"/*.sock
  nginx_globals='daemon off; user nobody nogroup;'
fi

sed -e "s|@PORT@|$port|g" -e "s|@SOCKET@|$sock|g" -e "s|@SOCKET_DIR@|$(dirname "$sock")|g" "$root/nginx/dev.conf.in" >"$dir/nginx/nginx.conf"
# Swagger UI at /rest/v0/docs (npm's swagger-ui-dist; skipped when npm cannot fetch it).
if "$root/packaging/swagger-ui/stage.sh" "$build/swagger-ui" 2>/dev/null; then
  ln -sfn "$build/swagger-ui" "$dir/nginx/swagger-ui"
fi
# XO 6's web UI at / (nginx/dev.conf.in serves DIR/ui; absent: / is the sign-in page, then 404).
ui_line=""
if [ -n "${DEMO_UI_DIR:-}" ]; then
  if [ ! -f "$DEMO_UI_DIR/index.html" ]; then
    echo "demo: DEMO_UI_DIR=$DEMO_UI_DIR has no index.html (build it: README, XO 6's web UI)" >&2; exit 1
  fi
  ln -sfn "$(cd "$DEMO_UI_DIR" && pwd)" "$dir/nginx/ui"
  ui_line="  XO 6's web UI: http://127.0.0.1:$port/ (sign in as admin / $admin_password)"
fi
nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -g "$nginx_globals" 2>"$dir/nginx/logs/stderr.log" &
pids+=($!)
if ! wait_for 20 curl -sf "http://127.0.0.1:$port/rest/v0/ping"; then
  echo "demo: nginx did not answer on port $port:" >&2; cat "$dir/nginx/logs/"*.log >&2; exit 1
fi
wait_for 30 curl -sf -b "authenticationToken=$token" "http://127.0.0.1:$port/rest/v0/vms?limit=1" || true

base="http://127.0.0.1:$port/rest/v0"
cat <<MSG

xapi-rest demo is running at $base
  simulator: $sim_url ($hosts hosts, $vms VMs, seed $seed)
  admin user: admin / $admin_password
  token: $token
  logs: $dir/xapi-rest.log

Try:
  curl -b authenticationToken=$token '$base/vms?fields=name_label,power_state'
  curl -b authenticationToken=$token '$base/hosts?fields=name_label,memory&ndjson'
  curl -u admin:$admin_password '$base/vms?filter=power_state:Running&limit=3'
  curl -u admin:$admin_password 'http://127.0.0.1:$port/metrics'
  Swagger UI: $base/docs (Authorize with the token)
$ui_line

Ctrl-C stops everything.
MSG
wait "${pids[0]}"
