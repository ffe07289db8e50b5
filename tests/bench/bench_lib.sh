# Shared by the gateway benchmarks (source it): a temp folder $dir reachable by nginx's
# workers, $pids of background processes, and a cleanup on exit that stops nginx (its pid
# file in $dir/nginx/logs) and every pid, then removes $dir.
# Needs $dir_prefix set by the caller (e.g. xr-gw-bench).
dir=$(mktemp -d "${TMPDIR:-/tmp}/${dir_prefix:-xr-bench}.XXXXXX")
chmod 755 "$dir"
pids=()
cleanup() {
  [ -f "$dir/nginx/logs/nginx.pid" ] && kill -QUIT "$(cat "$dir/nginx/logs/nginx.pid")" 2>/dev/null || true
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  sleep 1
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  sleep 0.5
  rm -rf "$dir"
}
trap cleanup EXIT
# A free TCP port on 127.0.0.1.
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# wait_for SECONDS COMMAND...: polls COMMAND every 20 ms until it succeeds or time runs out.
wait_for() { local n=$(( $1 * 50 )); shift; for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.02; done; return 1; }
# sim_jsonrpc_dump SIM_URL: times the simulator's own full event.from dump on the wire the
# poller uses (JSON-RPC, user root / password pw); sets dump_s (wall seconds) and dump_mb.
sim_jsonrpc_dump() {
  local url=$1 session
  session=$(curl -s -H 'Content-Type: application/json' --data-binary \
    '{"jsonrpc":"2.0","method":"session.login_with_password","params":["root","pw"],"id":1}' \
    "$url/jsonrpc" | grep -o 'OpaqueRef:[^"]*' | head -1)
  dump_s=$(curl -s -H 'Content-Type: application/json' -o "$dir/dump.json" -w '%{time_total}' \
    --data-binary "{\"jsonrpc\":\"2.0\",\"method\":\"event.from\",\"params\":[\"$session\",[\"*\"],\"\",0.0],\"id\":2}" \
    "$url/jsonrpc")
  dump_mb=$(( $(stat -c %s "$dir/dump.json") / 1000000 ))
  rm -f "$dir/dump.json"
}
