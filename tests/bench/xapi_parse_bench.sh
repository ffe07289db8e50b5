#!/bin/sh
# Figures for lib/xapi's decoders: captures an event.from dump (token "", classes "*")
# of a simulated N-VM pool over XML-RPC and JSON-RPC, then runs xapi_parse_bench on both
# (each mode in its own process: MB/s, records/s, peak RSS; libxml2 baselines included).
# Usage: xapi_parse_bench.sh BUILD_DIR [VMS]   (default 10000)
set -eu
build=$1 vms=${2:-10000}
here=$(cd "$(dirname "$0")" && pwd)
sim="$here/../xapi-sim/xapi-sim"
work=$(mktemp -d /tmp/xapi-parse-bench-XXXXXX)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT INT TERM
/usr/bin/python3 "$sim" --port 0 --vms "$vms" --hosts 4 --seed 1 --user root --password pw \
  --state-dir "$work/state" >"$work/sim.log" 2>&1 &
pid=$!
mkdir -p "$work/state"
i=0
until grep -q "listening on" "$work/sim.log"; do
  i=$((i + 1)); [ $i -lt 1200 ] || { cat "$work/sim.log"; exit 1; }; sleep 0.1
done
url=$(sed -n 's/^xapi-sim listening on //p' "$work/sim.log")
login='<?xml version="1.0"?><methodCall><methodName>session.login_with_password</methodName><params><param><value>root</value></param><param><value>pw</value></param></params></methodCall>'
session=$(curl -s -H 'Content-Type: text/xml' --data-binary "$login" "$url/" | sed -n 's/.*<name>Value<\/name><value>\([^<]*\)<.*/\1/p')
call="<?xml version=\"1.0\"?><methodCall><methodName>event.from</methodName><params><param><value>$session</value></param><param><value><array><data><value>*</value></data></array></value></param><param><value></value></param><param><value><double>0</double></value></param></params></methodCall>"
curl -s -H 'Content-Type: text/xml' --data-binary "$call" "$url/" -o "$work/dump.xml"
jcall="{\"jsonrpc\":\"2.0\",\"method\":\"event.from\",\"params\":[\"$session\",[\"*\"],\"\",0],\"id\":1}"
curl -s -H 'Content-Type: application/json' --data-binary "$jcall" "$url/jsonrpc" -o "$work/dump.json"
kill $pid; wait $pid 2>/dev/null || true
echo "pool of $vms VMs: XML-RPC dump $(stat -c %s "$work/dump.xml") bytes, JSON-RPC dump $(stat -c %s "$work/dump.json") bytes"
"$build/tests/bench/xapi_parse_bench" "$work/dump.xml" "$work/dump.json"
