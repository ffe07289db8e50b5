#!/bin/sh
# Benchmark of the XO model: a 10,000-VM simulator pool is dumped once
# (tests/conformance/dump_records.py), then xo_bench maps it (records/s, against a
# logic-free JSON mapper in the same run) and applies 10,000 guest-metrics updates in one
# batch (against re-mapping the same VMs from their records).
# Usage: tests/bench/xo_bench.sh BUILD_DIR [VMS]
set -eu
BUILD=$1
VMS=${2:-10000}
HERE=$(cd "$(dirname "$0")" && pwd)
SIM="$HERE/../xapi-sim/xapi-sim"
TMP=$(mktemp -d)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT INT TERM
"$SIM" --port 0 --vms "$VMS" --hosts 8 --seed 1 --no-dataplane --state-dir "$TMP/state" >"$TMP/out" 2>"$TMP/err" &
PID=$!
while ! grep -q "listening on" "$TMP/out" 2>/dev/null; do
  kill -0 "$PID" 2>/dev/null || { cat "$TMP/err"; exit 1; }
  sleep 0.2
done
URL=$(sed -n 's/^xapi-sim listening on //p' "$TMP/out")
/usr/bin/python3 "$HERE/../conformance/dump_records.py" "$URL" "$TMP/records.json" 2>/dev/null
kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
"$BUILD/tests/bench/xo_bench" "$TMP/records.json"
