#!/bin/sh
# Benchmark: time of the initial event.from dump (token "", classes ["*"]) served by
# tests/xapi-sim for a big pool (default 10,000 VMs), over XML-RPC and JSON-RPC, measured
# with curl. Baseline in the same run: the same dump of a 1,000-VM pool; the ratio shows
# how the cost scales (10x the objects should cost about 10x, not more). Wall time
# (curl's time_total, what a client sees) and the simulator's CPU time for the request
# (from /proc, less sensitive to other load on a shared machine) are both printed.
# Usage: tests/bench/sim_dump.sh [VMS] [BASELINE_VMS]     (needs curl, /usr/bin/python3)
set -eu
VMS=${1:-10000}
BASE=${2:-1000}
HERE=$(cd "$(dirname "$0")" && pwd)
SIM="$HERE/../xapi-sim/xapi-sim"
TMP=$(mktemp -d)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT INT TERM

now() { /usr/bin/python3 -c 'import time; print("%.3f" % time.time())'; }

start_sim() {  # $1 = VMs; sets URL, PID, STARTUP
  t0=$(now)
  "$SIM" --port 0 --vms "$1" --hosts 8 --seed 1 --state-dir "$TMP/state-$1" >"$TMP/out" 2>"$TMP/err" &
  PID=$!
  while ! grep -q "listening on" "$TMP/out" 2>/dev/null; do
    kill -0 "$PID" 2>/dev/null || { cat "$TMP/err"; exit 1; }
    sleep 0.2
  done
  STARTUP=$(echo "$(now) - $t0" | bc)
  URL=$(sed -n 's/^xapi-sim listening on //p' "$TMP/out")
}

cpu() {  # CPU seconds used so far by the simulator (robust on a loaded, shared machine)
  awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$PID/stat"
}

stop_sim() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""; }

dump() {  # $1 = xml|json → prints "<seconds> <bytes> <events> <server cpu seconds>"
  S=$(curl -s -X POST -H 'content-type: application/json' --data \
    '{"jsonrpc":"2.0","method":"session.login_with_password","params":["root","secret"],"id":1}' \
    "$URL/jsonrpc" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["result"])')
  C0=$(cpu)
  if [ "$1" = xml ]; then
    BODY="<?xml version=\"1.0\"?><methodCall><methodName>event.from</methodName><params><param><value>$S</value></param><param><value><array><data><value>*</value></data></array></value></param><param><value></value></param><param><value><double>5</double></value></param></params></methodCall>"
    T=$(curl -s -o "$TMP/body" -w '%{time_total}' -X POST -H 'content-type: text/xml' --data "$BODY" "$URL/")
    N=$(grep -o '<name>operation</name><value>add</value>' "$TMP/body" | wc -l)
  else
    T=$(curl -s -o "$TMP/body" -w '%{time_total}' -X POST -H 'content-type: application/json' \
      --data "{\"jsonrpc\":\"2.0\",\"method\":\"event.from\",\"params\":[\"$S\",[\"*\"],\"\",5.0],\"id\":2}" "$URL/jsonrpc")
    N=$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["result"]["events"]))' "$TMP/body")
  fi
  C1=$(cpu)
  echo "$T $(stat -c %s "$TMP/body") $N $(echo "$C1 - $C0" | bc)"
}

for n in "$BASE" "$VMS"; do
  start_sim "$n"
  X=$(dump xml); J=$(dump json)
  stop_sim
  echo "vms=$n startup_s=$STARTUP xml: s=$(echo $X | cut -d' ' -f1) server_cpu_s=$(echo $X | cut -d' ' -f4) bytes=$(echo $X | cut -d' ' -f2) events=$(echo $X | cut -d' ' -f3)  json: s=$(echo $J | cut -d' ' -f1) server_cpu_s=$(echo $J | cut -d' ' -f4) bytes=$(echo $J | cut -d' ' -f2) events=$(echo $J | cut -d' ' -f3)"
  eval "X_$n=\$(echo \$X | cut -d' ' -f1); J_$n=\$(echo \$J | cut -d' ' -f1)"
done
eval "XB=\$X_$BASE; XV=\$X_$VMS; JB=\$J_$BASE; JV=\$J_$VMS"
echo "ratio ${VMS}/${BASE} VMs: xml $(echo "scale=1; $XV / $XB" | bc)x  json $(echo "scale=1; $JV / $JB" | bc)x"
