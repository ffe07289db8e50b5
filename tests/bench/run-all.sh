#!/usr/bin/env bash
# Runs every benchmark of this folder, one after the other, and prints one table: each
# benchmark's status, wall time and headline figures (each compares with a baseline measured
# in the same run; the full output of each is kept in the log folder).
# Usage: tests/bench/run-all.sh BUILD_DIR [NAME...]      (make bench: all of them)
#   QUICK=1     small pools and short runs, for CI budgets (the same benchmarks and baselines)
#   BENCH_LOGS  where each benchmark's output goes (default: a temp folder, printed)
# Exit status: 1 when any benchmark failed (its table row says so), else 0.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd) || { echo "run-all: no build folder ${1:-}" >&2; exit 2; }
shift $(( $# > 0 ? 1 : 0 ))
bench=$root/tests/bench
logs=${BENCH_LOGS:-$(mktemp -d "${TMPDIR:-/tmp}/xr-bench-logs.XXXXXX")}
mkdir -p "$logs"
quick=${QUICK:-}

# name | full command | quick command | headline: an extended regex picking the result lines
# (the figures and their same-run baselines) out of the benchmark's output.
if [ -n "$quick" ]; then q() { echo "$2"; }; else q() { echo "$1"; }; fi
benches=(
  "cache|$build/tests/bench/cache_bench $(q '10000 50' '2000 10')|ratio|memcpy|vs "
  "filter|node $bench/filter_bench.js --bin $build/tests/bench/filter_bench --npm $build/npm --vms $(q '10000 --rounds 3' '1000 --rounds 1')|[0-9]x  "
  "xo-model|$bench/xo_bench.sh $build $(q 10000 500)|ratio"
  "xapi-codec|$bench/xapi_parse_bench.sh $build $(q 10000 500)|^(libxml2-dom|xml-stream|json-stream) "
  "xapi-transfer|$bench/xapi_transfer_bench.sh $build $(q 1024 64)|^(curl|xapi lib) (get|put)"
  "sim-dump|$bench/sim_dump.sh $(q '10000 1000' '1000 100')|ratio"
  "sim-transfer|$bench/sim_transfer.sh $(q 256 32)|^(cat disk|export_raw_vdi format=raw|import_raw_vdi format=raw)"
  "gateway|env BENCH_VMS=$(q 10000 1000) BENCH_SECONDS=$(q 4 1) $bench/gateway_bench.sh $build|^ratio c32|^p99 c32|^vms/<id> vs|^memory:"
  "gateway-sync|env BENCH_VMS=$(q 10000 1000) $bench/gateway_sync.sh $build|sync|MiB|ratio"
  "gateway-100k|env BENCH_VMS=$(q 100000 3000) BENCH_SECONDS=$(q 3 1) BENCH_ROWS=$(q list,ndjson,filter,all,one list,one) $bench/gateway_bench.sh $build|^ratio c32|^p99 c32|^vms/<id> vs|^memory:"
  "gateway-sync-100k|env BENCH_VMS=$(q 100000 3000) $bench/gateway_sync.sh $build|sync|MiB|ratio"
  "change-latency|/usr/bin/python3 $bench/change_latency.py $build $(q '--vms 200 --renames 40' '--vms 50 --renames 10')|median|p90|ms"
  "ui-load|/usr/bin/python3 $bench/ui_load.py $build $(q '--vms 1000,10000 --rounds 3' '--vms 1000 --rounds 2')|^[0-9]+ +[0-9-]+ "
  "console|/usr/bin/python3 $bench/console_bench.py $build $(q '--opens 50 --updates 500' '--opens 10 --updates 50')|^console "
  "store|$bench/store_bench.sh $build $(q '20000 2000 4' '2000 200 2')|^(sqlite|postgresql|ratio) "
  "action-overhead|/usr/bin/python3 $bench/action_overhead.py $build $(q '--rounds 100 --burst 100' '--rounds 20 --burst 20')|p50|overhead|burst"
  "streams|/usr/bin/python3 $bench/stream_bench.py $build $(q '--rounds 4' '--watchers 200 --waiters 200 --seconds 4 --rounds 1')|^goal ratio"
  "patch-latency|/usr/bin/python3 $bench/patch_latency.py $build $(q '--vms 200 --n 200' '--vms 50 --n 30')|^ratio"
)

want() { [ $# -eq 0 ] && return 0; local n; for n in "${selected[@]}"; do [ "$n" = "$1" ] && return 0; done; return 1; }
selected=("$@")
rows=() failed=0
for entry in "${benches[@]}"; do
  IFS='|' read -r name cmd pattern <<<"$entry"
  pattern=${entry#*|*|}
  if [ ${#selected[@]} -gt 0 ] && ! want "$name"; then continue; fi
  echo "== $name: $cmd" >&2
  start=$(date +%s.%N)
  # shellcheck disable=SC2086 # the command is a word list on purpose
  timeout "$(q 1800 600)" $cmd >"$logs/$name.log" 2>&1
  status=$?
  secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN{printf "%.0f", e - s}')
  if [ $status -eq 0 ]; then result=ok; else result="FAILED ($status)"; failed=1; fi
  head=$(grep -E "$pattern" "$logs/$name.log" | tail -4 | tr -s ' \t' ' ' | tr '|' '/' | cut -c1-110 |
         paste -sd ';' | sed 's/;/ ; /g')
  [ $status -ne 0 ] && head="$(tail -2 "$logs/$name.log" | tr -s ' \t' ' ' | tr '|' '/' | cut -c1-110 | paste -sd ';')"
  rows+=("| $name | $result | ${secs} s | ${head:-see the log} |")
done
echo
echo "xapi-rest benchmarks $(date -u +%Y-%m-%dT%H:%MZ)${quick:+ (QUICK)}, logs in $logs"
echo "| benchmark | status | time | headline (figures with their same-run baselines) |"
echo "|---|---|---|---|"
printf '%s\n' "${rows[@]}"
# Every figure the benchmarks print as "figure: what | ours | baseline | ratio" (issue 14's
# among them), in one table; then how the gateway's per-VM figures grow with the pool.
figs=$(for entry in "${benches[@]}"; do f="$logs/${entry%%|*}.log"; [ -f "$f" ] && sed -n 's/^figure: \(.*\)$/| \1 |/p' "$f"; done)
if [ -n "$figs" ]; then
  echo
  echo "| figure | xapi-rest | same-run baseline | ratio |"
  echo "|---|---|---|---|"
  echo "$figs"
  scale() { sed -n "s/^scale: vms=\([0-9]*\) own_s=\([0-9.]*\) pss_per_vm=\([0-9]*\)$/\1 \2 \3/p" "$logs/$1.log" 2>/dev/null; }
  read -r v1 o1 m1 <<<"$(scale gateway)"; read -r v2 o2 m2 <<<"$(scale gateway-100k)"
  [ -n "${v1:-}" ] && [ -n "${v2:-}" ] && awk -v v1="$v1" -v o1="$o1" -v m1="$m1" -v v2="$v2" -v o2="$o2" -v m2="$m2" 'BEGIN {
    printf "| growth %d -> %d VMs (x%.1f): sync own time, memory per VM | own time x%.1f, %d B per VM | %d B per VM at %d | %.2f (own time per VM), %.2f (memory per VM); linear = 1 |\n",
      v1, v2, v2 / v1, (o1 > 0 ? o2 / o1 : 0), m2, m1, v1, (o1 > 0 ? (o2 / v2) / (o1 / v1) : 0), (m1 > 0 ? m2 / m1 : 0) }'
fi
exit $failed
