#!/usr/bin/env bash
# Regenerates fcgi-app/openapi/xo_objects.json (the OpenAPI document's XO object schemas and
# examples) from what the model emits for the simulator's pool:
#   tests/conformance/gen_xo_objects.sh build/tests/conformance/xo_map_dump [OUT]
# Run it after a change of the model (lib/xo) or of the simulator's inventory; the test
# conformance.openapi_objects (`--check`) fails while the committed file's schemas are not
# what the model emits now.
set -euo pipefail
check=
if [ "${1:-}" = --check ]; then check=1; shift; fi
map_dump=$1
here=$(cd "$(dirname "$0")" && pwd)
committed=$here/../../fcgi-app/openapi/xo_objects.json
out=${2:-$committed}
sim=$here/../xapi-sim/xapi-sim
tmp=$(mktemp -d)
sim_pid=
cleanup() {
  if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
: >"$tmp/sim.log"  # before the simulator starts: its redirection opens the file in the child, later
"$sim" --port 0 --vms 60 --hosts 3 --seed 7 --no-dataplane --state-dir "$tmp/state" >"$tmp/sim.log" 2>&1 &
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
if [ -n "$check" ]; then
  /usr/bin/python3 "$here/gen_xo_objects.py" "$tmp/objects.json" "$tmp/now.json"
  /usr/bin/python3 - "$committed" "$tmp/now.json" <<'PY'
import json, sys
old, new = (json.load(open(p)) for p in sys.argv[1:3])
bad = sorted(k for k in set(old) | set(new)
             if json.dumps(old.get(k, {}).get("schema"), sort_keys=True)
             != json.dumps(new.get(k, {}).get("schema"), sort_keys=True))
if bad:
    sys.exit("xo_objects.json does not describe what the model emits for: %s\n"
             "regenerate: tests/conformance/gen_xo_objects.sh BUILD/tests/conformance/xo_map_dump"
             % ", ".join(bad))
print("xo_objects.json: the schemas of %d object types are what the model emits" % len(new))
PY
else
  /usr/bin/python3 "$here/gen_xo_objects.py" "$tmp/objects.json" "$out"
fi
