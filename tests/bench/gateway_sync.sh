#!/usr/bin/env bash
# Initial-sync benchmark: time from `xapi-rest serve` to a complete cache of $BENCH_VMS VMs
# (10,000 by default; "complete" = /rest/v0/dashboard through nginx counts them all), and
# the memory of every process once synchronised. Baselines in the same run: the
# simulator's own time to encode and send the same JSON-RPC event.from dump to curl
# (wall and CPU), and the simulator's CPU during our sync, so our own time is separated.
# Memory: poller peak (VmHWM) and, 2 s after the sync, segment resident + PSS/RSS each.
# Usage: tests/bench/gateway_sync.sh BUILD_DIR [BASELINE_BUILD_DIR]   (BENCH_VMS, BENCH_RUNS=1
#   override; BENCH_PERF=FILE records a system-wide `perf record -g` profile of the first sync).
#   With a baseline build (e.g. main's), each run syncs with the baseline's xapi-rest, then with
#   BUILD_DIR's, against the same simulator, and prints ours/baseline ratios.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
vms=${BENCH_VMS:-10000}
runs=${BENCH_RUNS:-1}
sync_limit=${BENCH_SYNC_LIMIT:-900}  # seconds a sync may take before the run gives up on it
cache_mb=${BENCH_CACHE_MB:-$(( vms > 20000 ? vms / 40 : 256 ))}  # as gateway_bench.sh: 100,000 VMs need ~1 GB
app="$build/fcgi-app/xapi-rest"
base_app=""
[ -n "${2:-}" ] && base_app="$(cd "$2" && pwd)/fcgi-app/xapi-rest"
dir_prefix=xr-sync-bench
. "$root/tests/bench/bench_lib.sh"
now() { date +%s.%N; }
hz=$(getconf CLK_TCK)
cpu_s() { awk -v hz="$hz" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"; }

/usr/bin/python3 "$root/tests/xapi-sim/xapi-sim" --port 0 --vms "$vms" --hosts 3 --seed 1 \
  --user root --password pw >"$dir/sim.log" 2>&1 &
sim_pid=$!
pids+=($sim_pid)
wait_for 300 grep -q 'listening on' "$dir/sim.log"
sim_url=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$dir/sim.log" | head -1)

# --- baseline: the simulator's own dump, on the wire the poller uses (JSON-RPC) ---
c0=$(cpu_s "$sim_pid")
sim_jsonrpc_dump "$sim_url"
dump_cpu=$(echo "$(cpu_s "$sim_pid") - $c0" | bc)

# --- xapi-rest + nginx ---
mkdir -p "$dir/data" "$dir/nginx/logs" "$dir/nginx/tmp"
sock="$dir/fcgi.sock"
cat >"$dir/xapi-rest.toml" <<CONF
[server]
socket = "$sock"
socket_mode = "0666"
workers = 2
threads = 8
[storage]
data_dir = "$dir/data"
[cache]
size_mb = $cache_mb
[log]
level = "info"
[[pool]]
name = "bench"
url = "$sim_url"
user = "root"
password = "pw"
tls = "insecure"
CONF
printf 'pw\n' | "$app" user add admin --config "$dir/xapi-rest.toml" >/dev/null
token=$("$app" token create --user admin --config "$dir/xapi-rest.toml")
port=$(free_port)
sed -e "s|@PORT@|$port|g" -e "s|@SOCKET@|$sock|g" -e "s|@SOCKET_DIR@|$(dirname "$sock")|g" "$root/nginx/dev.conf.in" >"$dir/nginx/nginx.conf"
nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf"
base="http://127.0.0.1:$port/rest/v0"
cookie="Cookie: authenticationToken=$token"
synced() { curl -sf -H "$cookie" "$base/dashboard" | grep -q "\"total\":$vms}"; }

echo "xapi-rest initial sync: $vms VMs (3 hosts), $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "simulator alone: JSON-RPC event.from dump of $dump_mb MB in ${dump_s} s wall, ${dump_cpu} s CPU"
# sync_run LABEL APP: one sync from `serve` to every VM in the API; sets sync_s, own_s, hwm_mib.
sync_run() {
  local label=$1 app=$2
  c0=$(cpu_s "$sim_pid")
  perf_pid=""
  if [ -n "${BENCH_PERF:-}" ] && [ "$run" = 1 ] && [ "$label" = ours ]; then
    perf record -q -a -g -F 1999 -o "$BENCH_PERF" >/dev/null 2>&1 &
    perf_pid=$!
    sleep 0.5
  fi
  t0=$(now)
  "$app" serve --config "$dir/xapi-rest.toml" 2>"$dir/serve.log" &
  serve_pid=$!
  pids+=($serve_pid)
  if ! wait_for "$sync_limit" synced; then
    echo "run $run $label: not every VM in the API after ${sync_limit} s (poller: $(grep -c 'timed out' "$dir/serve.log") timed-out calls)"
    kill -TERM "$serve_pid"; wait "$serve_pid" 2>/dev/null || true
    return 1
  fi
  t1=$(now)
  [ -n "$perf_pid" ] && { kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true; }
  sim_cpu=$(echo "$(cpu_s "$sim_pid") - $c0" | bc)
  sync_s=$(echo "$t1 - $t0" | bc)
  own_s=$(echo "$sync_s - $dump_s" | bc)
  poller=$(sed -n 's/.*\[poller[^0-9]*\([0-9][0-9]*\)\].*/\1/p' "$dir/serve.log" | head -1)  # its first line
  hwm_kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$poller/status")
  hwm_mib=$((hwm_kb / 1024))
  poller_cpu=$(cpu_s "$poller")
  sleep 2
  [ -n "${BENCH_SMAPS:-}" ] && cp "/proc/$poller/smaps" "$BENCH_SMAPS.$label"
  [ -n "${BENCH_LOGS:-}" ] && cp "$dir/serve.log" "$BENCH_LOGS.$label.log"
  segment_kb=0; pss_kb=0; rss_list=""
  for p in $serve_pid $(pgrep -P "$serve_pid"); do
    pss=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup")
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status")
    pss_kb=$((pss_kb + pss))
    role=worker; [ "$p" = "$serve_pid" ] && role=master; [ "$p" = "$poller" ] && role=poller
    rss_list="$rss_list $role=$((rss / 1024))"
    seg=$(awk '/memfd:/ {m=1; next} /^[0-9a-f]+-/ {m=0} m && /^Rss:/ {s+=$2} END {print s+0}' "/proc/$p/smaps")
    [ "$seg" -gt "$segment_kb" ] && segment_kb=$seg
  done
  echo "run $run $label: sync ${sync_s} s (simulator CPU meanwhile ${sim_cpu} s; ours ≈ ${own_s} s after the simulator's dump time); poller CPU ${poller_cpu} s, peak RSS ${hwm_mib} MiB ($((hwm_kb * 1024 / vms)) B per VM; segment resident $((segment_kb / 1024)) MiB of it after the sync)"
  echo "run $run $label: memory: segment resident $((segment_kb / 1024)) MiB; PSS of all processes $((pss_kb / 1024)) MiB; RSS MiB:$rss_list"
  poller_rss_mib=$(( $(awk '/^VmRSS:/ {print $2}' "/proc/$poller/status") / 1024 ))
  kill -TERM "$serve_pid"; wait "$serve_pid" 2>/dev/null || true
}

for run in $(seq "$runs"); do
  base_own=""
  if [ -n "$base_app" ] && sync_run baseline "$base_app"; then
    base_own=$own_s; base_hwm=$hwm_mib
  fi
  sync_run ours "$app"
  if [ -n "$base_own" ] && [ "$base_hwm" -gt 0 ]; then
    echo "run $run: ours/baseline: own time $(echo "scale=2; $own_s / $base_own" | bc), poller peak RSS $(echo "scale=2; $hwm_mib / $base_hwm" | bc)"
  fi
done
# The last run's figures for run-all's table (what | ours | baseline | ratio): the first sync's
# own time next to the simulator's dump, the poller's peak next to what it keeps after the sync
# (the segment and the model: the floor of any first sync), or next to the baseline build's.
echo
echo "figure: first sync, start -> all $vms VMs in the API | $(printf '%.2f' "$own_s") s of our own time (goal 2 s; $(printf '%.2f' "$sync_s") s in all) | the simulator's dump alone $(printf '%.2f' "$dump_s") s | $(echo "scale=2; $own_s / $dump_s" | bc)"
if [ -n "$base_own" ]; then
  echo "figure: first sync, poller peak RSS, $vms VMs | ${hwm_mib} MiB (goal 150 MiB) | baseline build ${base_hwm} MiB | $(echo "scale=2; $hwm_mib / $base_hwm" | bc)"
else
  echo "figure: first sync, poller peak RSS, $vms VMs | ${hwm_mib} MiB (goal 150 MiB) | its RSS 2 s after the sync ${poller_rss_mib} MiB | $(echo "scale=2; $hwm_mib / $poller_rss_mib" | bc)"
fi
