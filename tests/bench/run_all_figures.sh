#!/usr/bin/env bash
# Test (bench.run_all_figures): `QUICK=1 run-all.sh BUILD gateway` must end with the figures
# table issue 14 asks of `make bench`: every list row (plain, NDJSON, filter, fields=*) and
# one object at -c32 and -c64 with req/s and p99 next to the same-run baseline's and a ratio,
# the rename under list load, the time to a full cache and memory per VM.
# Usage: tests/bench/run_all_figures.sh BUILD_DIR
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(QUICK=1 BENCH_LOGS="$1/bench-logs" "$here/run-all.sh" "$1" gateway) || { echo "$out"; echo "FAIL: run-all failed"; exit 1; }
echo "$out"
fail=0
need() {  # need REGEX WHAT
  grep -Eq "$1" <<<"$out" || { echo "FAIL: no figure row for $2"; fail=1; }
}
num='[0-9.]+'
wrk_row="\\| $num req/s, p99 $num(us|ms|s), server CPU [0-9]+ us/req \\| (static|FastCGI floor) $num req/s, p99 $num(us|ms|s), [0-9]+ us/req \\| $num \\|$"
need '^\| figure \| xapi-rest \| same-run baseline \| ratio \|$' "the table's header"
for c in 32 64; do
  need "^\\| vms\\?fields=name_label,power_state -c$c, [0-9]+ VMs $wrk_row" "the list at -c$c"
  need "^\\| list, ndjson=true -c$c, [0-9]+ VMs $wrk_row" "NDJSON at -c$c"
  need "^\\| list, filter=power_state:Running -c$c, [0-9]+ VMs $wrk_row" "the filter at -c$c"
  need "^\\| vms\\?fields=\\* -c$c, [0-9]+ VMs $wrk_row" "fields=* at -c$c"
  need "^\\| vms/<id> -c$c, [0-9]+ VMs $wrk_row" "one object at -c$c"
done
need "^\\| rename in the simulator -> GET /vms/<id> while wrk -c32 hammers the list, [0-9]+ VMs \\| [0-9]+ ms \\(goal 1000 ms\\) \\| nothing else running [0-9]+ ms \\| ($num|-) \\|$" "the rename under load"
need "^\\| start -> all [0-9]+ VMs in the API \\(gateway run\\) \\| $num s of our own time \\| the simulator's dump alone $num s \\| - \\|$" "the time to a full cache"
need "^\\| memory per VM, [0-9]+ VMs \\(every object of the pool\\) \\| PSS of all processes [0-9]+ B, segment [0-9]+ B \\| - \\| - \\|$" "memory per VM"
[ $fail = 0 ] && echo "PASS: every figure row"
exit $fail
