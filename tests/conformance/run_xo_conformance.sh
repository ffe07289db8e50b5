#!/usr/bin/env bash
# Starts the XAPI simulator, dumps its records, maps them with xo_map_dump and validates
# every XO object against XO's OpenAPI schemas. Usage: SIM MAP_DUMP NPM_DIR
set -euo pipefail
sim=$1; map_dump=$2; npm_dir=$3
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
sim_pid=
cleanup() {
  if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
if [ ! -x "$sim" ]; then echo "simulator $sim not found"; exit 1; fi
: >"$tmp/sim.log"  # before the simulator starts: its redirection opens the file in the child, later
"$sim" --port 0 --vms "${XO_CONF_VMS:-60}" --hosts 3 --seed 7 --no-dataplane --state-dir "$tmp/state" >"$tmp/sim.log" 2>&1 &
sim_pid=$!
url=
for _ in $(seq 1 100); do
  url=$(sed -n 's/^xapi-sim listening on \(http[^ ]*\).*/\1/p' "$tmp/sim.log")
  [ -n "$url" ] && break
  kill -0 "$sim_pid" 2>/dev/null || { cat "$tmp/sim.log"; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "simulator did not start"; cat "$tmp/sim.log"; exit 1; }
/usr/bin/python3 "$here/dump_records.py" "$url" "$tmp/records.json"
"$map_dump" "$tmp/records.json" >"$tmp/objects.json"
# The poller's path (the dump spooled as it streams in), in wire order and reversed, mapped
# on one thread and on two (as the poller maps a big pool): the same objects.
for order in "" --reverse --parallel "--reverse --parallel"; do
  "$map_dump" --spool $order "$tmp/records.json" >"$tmp/objects-spooled.json"
  cmp "$tmp/objects.json" "$tmp/objects-spooled.json" || { echo "spooled dump ($order) maps differently"; exit 1; }
done
node "$here/validate_xo_schemas.mjs" "$npm_dir" "$tmp/objects.json" "$here/xo_schema_differences.json"
