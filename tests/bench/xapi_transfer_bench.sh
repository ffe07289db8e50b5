#!/bin/sh
# Figures for lib/xapi's raw HTTP transfers against the simulator on loopback:
# /export_raw_vdi download and /import_raw_vdi upload of one disk, through the library
# (xapi_transfer_tool) and through curl, same URL and data, in the same run; plus the
# library's peak RSS for a small and a large transfer (flat = bounded memory).
# Usage: xapi_transfer_bench.sh BUILD_DIR [SIZE_MIB]   (default 1024; disk is sparse with
# 16 MiB of random data every 64 MiB)
set -eu
build=$1 mib=${2:-1024}
here=$(cd "$(dirname "$0")" && pwd)
tool="$build/tests/bench/xapi_transfer_tool"
work=$(mktemp -d /tmp/xapi-transfer-bench-XXXXXX)
pid=
trap '{ [ -n "$pid" ] && kill $pid 2>/dev/null; } || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT INT TERM
mkdir -p "$work/state"
/usr/bin/python3 "$here/../xapi-sim/xapi-sim" --port 0 --vms 2 --user root --password pw \
  --state-dir "$work/state" >"$work/sim.log" 2>&1 &
pid=$!
i=0
until grep -q "listening on" "$work/sim.log" 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 300 ] || { cat "$work/sim.log"; exit 1; }; sleep 0.1
done
url=$(sed -n 's/^xapi-sim listening on //p' "$work/sim.log")
# Session and two VDIs (export source, import target) through Python's own xmlrpc.
set -- $(/usr/bin/python3 - "$url" "$mib" "$work/state" <<'PY'
import sys, xmlrpc.client, os
url, mib, state = sys.argv[1], int(sys.argv[2]), sys.argv[3]
x = xmlrpc.client.ServerProxy(url + "/")
s = x.session.login_with_password("root", "pw")["Value"]
pool = list(x.pool.get_all_records(s)["Value"].values())[0]
size = mib << 20
def vdi(name):
    return x.VDI.create(s, {"name_label": name, "name_description": "", "SR": pool["default_SR"],
        "virtual_size": str(size), "type": "user", "sharable": False, "read_only": False,
        "other_config": {}, "sm_config": {}, "tags": [], "xenstore_data": {}})["Value"]
src, dst = vdi("bench source"), vdi("bench target")
path = os.path.join(state, x.VDI.get_uuid(s, src)["Value"] + ".raw")
with open(path, "r+b") as f:
    chunk = os.urandom(16 << 20)
    for off in range(0, size, 64 << 20):
        f.seek(off); f.write(chunk[: min(len(chunk), size - off)])
print(s, src, dst, path)
PY
)
session=$1 src=$2 dst=$3 src_path=$4
q() { printf 'vdi=%s&format=raw' "$1"; }
now() { date +%s.%N; }
rate() { awk -v b="$1" -v t="$2" 'BEGIN { printf "%.1f", b / t / 1e6 }'; }

bytes=$((mib << 20))
# Best of 3 by wall time: prints "wall_s cpu_s peak_rss_kib" of the client process
# (GNU time), the same measurement for curl and for the library tool.
best() {
  kind=$1 best_line=
  for r in 1 2 3; do
    case $kind in
      curl_get|curl_put) /usr/bin/time -f "%e %U %S %M" -o "$work/time" sh -c "$(declare_fns); $kind" ;;
      lib_get) /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$tool" "$url" root pw get /export_raw_vdi/ "$(q "$src")" /dev/null >/dev/null 2>&1 ;;
      lib_put) /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$tool" "$url" root pw put /import_raw_vdi/ "$(q "$dst")" "$src_path" >/dev/null 2>&1 ;;
    esac
    line=$(awk '{ printf "%s %.2f %s", $1, $2 + $3, $4 }' "$work/time")
    if [ -z "$best_line" ] || [ "$(echo "${line%% *} < ${best_line%% *}" | bc)" = 1 ]; then best_line=$line; fi
  done
  echo "$best_line"
}
declare_fns() {
  printf 'curl_get() { curl -s -o /dev/null "%s/export_raw_vdi/?%s&session_id=%s"; }; ' "$url" "$(q "$src")" "$session"
  printf 'curl_put() { curl -s -o /dev/null -H "Expect:" -T "%s" "%s/import_raw_vdi?%s&session_id=%s"; }' "$src_path" "$url" "$(q "$dst")" "$session"
}
# Body throughput, excluding connection setup, login and task RPCs: curl's own timers
# (GET: first byte → end; PUT: request sent → end) vs the library tool's first → last
# body chunk. Best of 3.
body_best() {
  kind=$1 best_t=
  for r in 1 2 3; do
    case $kind in
      curl_get) t=$(curl -s -o /dev/null -w '%{time_starttransfer} %{time_total}' \
                 "$url/export_raw_vdi/?$(q "$src")&session_id=$session" | awk '{ print $2 - $1 }') ;;
      curl_put) t=$(curl -s -o /dev/null -H 'Expect:' -w '%{time_pretransfer} %{time_total}' -T "$src_path" \
                 "$url/import_raw_vdi?$(q "$dst")&session_id=$session" | awk '{ print $2 - $1 }') ;;
      lib_get) t=$("$tool" "$url" root pw get /export_raw_vdi/ "$(q "$src")" /dev/null 2>/dev/null | awk '{ print $4 }') ;;
      lib_put) t=$("$tool" "$url" root pw put /import_raw_vdi/ "$(q "$dst")" "$src_path" 2>/dev/null | awk '{ print $4 }') ;;
    esac
    if [ -z "$best_t" ] || [ "$(echo "$t < $best_t" | bc)" = 1 ]; then best_t=$t; fi
  done
  echo "$best_t"
}
echo "disk: $mib MiB (sparse, 16 MiB of random data every 64 MiB), simulator on loopback; best of 3 (wall)"
printf '%-30s %9s %8s %12s %12s\n' "whole command" "MB/s" "wall s" "client CPU s" "peak RSS MB"
for dir in get put; do
  set -- $(best curl_$dir)
  printf '%-30s %9s %8.2f %12s %12.1f\n' "curl $dir" "$(rate $bytes "$1")" "$1" "$2" "$(echo "$3 / 1024" | bc -l)"
  set -- $(best lib_$dir)
  printf '%-30s %9s %8.2f %12s %12.1f\n' "xapi lib $dir (+login, task RPCs)" "$(rate $bytes "$1")" "$1" "$2" "$(echo "$3 / 1024" | bc -l)"
done
printf '%-30s %9s %9s %9s\n' "body only" "curl MB/s" "lib MB/s" "lib/curl"
for dir in get put; do
  ct=$(body_best curl_$dir) lt=$(body_best lib_$dir)
  printf '%-30s %9s %9s %9s\n' "$dir" "$(rate $bytes "$ct")" "$(rate $bytes "$lt")" "$(echo "scale=3; $ct / $lt" | bc)"
done
cmp -s "$src_path" "$work/state/$(/usr/bin/python3 -c "import xmlrpc.client as x,sys;p=x.ServerProxy(sys.argv[1]+'/');print(p.VDI.get_uuid(sys.argv[2],sys.argv[3])['Value'])" "$url" "$session" "$dst").raw" \
  && echo "uploaded disk equals the source" || echo "UPLOADED DISK DIFFERS"
