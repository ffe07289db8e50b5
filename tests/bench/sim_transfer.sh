#!/usr/bin/env bash
# Download throughput of the simulator's data plane against `cat` of the same disk
# file, measured in one run. Starts its own simulator on a free port, makes a VDI of
# SIZE_MIB (default 256) random MiB, downloads it as raw, VHD and XVA (plain, zstd)
# and uploads it back (raw, VHD, XVA) with curl, and prints MB/s and the ratio to cat.
# Removes what it created.
# usage: tests/bench/sim_transfer.sh [SIZE_MIB]
set -euo pipefail
size_mib=${1:-256}
here=$(cd "$(dirname "$0")" && pwd)
sim=$here/../xapi-sim/xapi-sim
py=/usr/bin/python3
work=$(mktemp -d /tmp/sim-transfer-XXXXXX)
sim_pid=
cleanup() {
  if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

mkdir "$work/state"
"$py" "$sim" --port 0 --vms 3 --state-dir "$work/state" >"$work/sim.out" 2>"$work/sim.err" &
sim_pid=$!
for _ in $(seq 100); do grep -qs 'listening on' "$work/sim.out" && break; sleep 0.1; done
url=$(sed -n 's/^xapi-sim listening on //p' "$work/sim.out")
[ -n "$url" ] || { echo "simulator did not start" >&2; cat "$work/sim.err" >&2; exit 1; }

# Session, a VDI with random data attached to a halted VM: prints "session vdi vm path".
read -r session vdi vm disk < <("$py" - "$url" "$work/state" "$size_mib" <<'PY'
import os, sys, xmlrpc.client
url, state, mib = sys.argv[1], sys.argv[2], int(sys.argv[3])
x = xmlrpc.client.ServerProxy(url)
s = x.session.login_with_password("root", "secret")["Value"]
def call(m, *a):
    f = x
    for p in m.split("."): f = getattr(f, p)
    r = f(s, *a)
    assert r["Status"] == "Success", r
    return r["Value"]
sr = list(call("pool.get_all_records").values())[0]["default_SR"]
vm = next(r for r, v in call("VM.get_all_records").items() if v["power_state"] == "Halted"
          and not v["is_a_template"] and not v["is_a_snapshot"])
for vbd in call("VM.get_VBDs", vm):  # keep only our disk in the VM export
    call("VBD.destroy", vbd)
vdi = call("VDI.create", {"name_label": "bench", "name_description": "", "SR": sr,
           "virtual_size": str(mib << 20), "type": "user", "sharable": False,
           "read_only": False, "other_config": {}, "sm_config": {}, "tags": [],
           "xenstore_data": {}})
call("VBD.create", {"VM": vm, "VDI": vdi, "userdevice": "0", "bootable": True, "mode": "RW",
     "type": "Disk", "unpluggable": True, "empty": False, "other_config": {},
     "qos_algorithm_type": "", "qos_algorithm_params": {}})
path = os.path.join(state, call("VDI.get_uuid", vdi) + ".raw")
with open(path, "r+b") as f:
    for _ in range(mib):
        f.write(os.urandom(1 << 20))
print(s, vdi, vm, path)
PY
)

seconds() {  # run a command 5 times (after one warm-up), print the best wall time
  local best=
  "$@" >/dev/null
  for _ in 1 2 3 4 5; do
    local t0 t1
    t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N)
    best=$(echo "$t0 $t1 $best" | awk '{d=$2-$1; if ($3=="" || d<$3) print d; else print $3}')
  done
  echo "$best"
}
fetch() { curl -sS -o /dev/null "$url$1"; }
# Through a pipe, so cat really reads the file (to /dev/null it may not copy at all).
read_file() { cat "$disk" | wc -c; }

bytes=$((size_mib << 20))
base=$(seconds read_file)
printf '%-34s %10s %10s %8s\n' transfer seconds MB/s vs-cat
report() {
  awk -v n="$1" -v t="$2" -v b="$bytes" -v base="$base" \
    'BEGIN { printf "%-34s %10.3f %10.1f %8.3f\n", n, t, b / t / 1e6, base / t }'
}
report "cat disk file | wc -c (baseline)" "$base"
q="session_id=$session"
report "export_raw_vdi format=raw" "$(seconds fetch "/export_raw_vdi?vdi=$vdi&format=raw&$q")"
report "export_raw_vdi format=vhd" "$(seconds fetch "/export_raw_vdi?vdi=$vdi&format=vhd&$q")"
report "export (XVA, no compression)" "$(seconds fetch "/export?ref=$vm&$q")"
report "export (XVA, zstd)" "$(seconds fetch "/export?ref=$vm&use_compression=zstd&$q")"

# Uploads of what was just downloaded (empty Expect: xapi never answers 100 Continue).
curl -sS -o "$work/d.raw" "$url/export_raw_vdi?vdi=$vdi&format=raw&$q"
curl -sS -o "$work/d.vhd" "$url/export_raw_vdi?vdi=$vdi&format=vhd&$q"
curl -sS -o "$work/d.xva.zst" "$url/export?ref=$vm&use_compression=zstd&$q"
put() { curl -sS -o /dev/null -H 'Expect:' -T "$1" "$url$2"; }
report "import_raw_vdi format=raw" "$(seconds put "$work/d.raw" "/import_raw_vdi?vdi=$vdi&format=raw&$q")"
report "import_raw_vdi format=vhd" "$(seconds put "$work/d.vhd" "/import_raw_vdi?vdi=$vdi&format=vhd&$q")"
rm -f "$work/d.raw" "$work/d.vhd"
report "import (XVA, zstd; creates a VM)" "$(seconds put "$work/d.xva.zst" "/import?$q")"
echo "($size_mib MiB of random data; MB/s counts the disk's bytes; best of 5 after a warm-up)"
