#!/usr/bin/env bash
# Builds tests/fuzz/http_request_fuzz.cpp with clang (libFuzzer + ASan + UBSan) from the
# worker's request/response sources, then fuzzes for a bounded time. Exit 77 (ctest SKIP)
# without clang.   run_http_fuzz.sh <source root> <work dir> [seconds]
set -euo pipefail
src=$1; work=$2; seconds=${3:-20}
clang=$(command -v clang++-14 || command -v clang++ || true)
if [ -z "$clang" ]; then echo "clang++ not found: skipping the HTTP request fuzz test"; exit 77; fi
mkdir -p "$work/corpus"
bin="$work/http_request_fuzz"
"$clang" -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -I"$src/lib" -I"$src/fcgi-app" \
  "$src/tests/fuzz/http_request_fuzz.cpp" "$src/fcgi-app/worker/request.cpp" \
  "$src/fcgi-app/worker/response.cpp" "$src/fcgi-app/worker/fcgi_records.cpp" \
  "$src/lib/base/status.cpp" "$src/lib/base/log.cpp" -lfcgi -lsodium -pthread -o "$bin"
# Seed corpus (kept in the work dir, never committed): target, Cookie, Authorization, header.
seed() { printf '%s\n%s\n%s\n%s' "$1" "$2" "$3" "$4" > "$work/corpus/seed$5"; }
seed '/rest/v0/vms?fields=name_label,uuid&filter=power_state:Running&ndjson' \
  'authenticationToken=abc; other="x y"' 'Basic YWRtaW46cHc=' 'X-Test: 1' 0
seed '/rest/v0/users/me/x%0d%0aSet-Cookie:%20a=b?limit=1' 'a=%ff%fe; authenticationToken="%41"' \
  'Bearer t' 'Idempotency-Key: k' 1
seed '//rest/v0/vm%73/../%2e%2e/%00?=&&a&b=%zz&c=%e2%82' ';;=;authenticationToken' 'Basic ####' \
  $'Bad Name: v\r' 2
seed '/rest/v0/vms/%c3%28?filter=name_label:/%5E(a%7Ca)*$/' '' 'Basic Og==' 'Retry-After: 1' 3
cd "$work"
# -timeout: one input may not take more than 5 s (a stall is a failure).
exec "$bin" -max_total_time="$seconds" -timeout=5 -max_len=4096 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus"
