#!/bin/sh
# Builds the lib/xapi reader fuzzer with clang (libFuzzer + ASan + UBSan) and runs it for
# a bounded time on a copy of the seed corpus. Usage: xapi_fuzz.sh SRC_DIR WORK_DIR SECONDS
set -eu
src=$1 work=$2 secs=$3
mkdir -p "$work/corpus"
cp "$src/tests/fuzz/xapi_corpus/"* "$work/corpus/"
lib="$src/lib"
# UBSan's pointer-overflow check is off: it fires inside RapidJSON's internal stack
# (null + 0), not in our code. Everything else in UBSan is fatal.
clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize=pointer-overflow \
  -fno-sanitize-recover=undefined \
  -DRAPIDJSON_HAS_STDSTRING=1 -I"$lib" $(xml2-config --cflags) \
  "$src/tests/fuzz/xapi_reader_fuzz.cpp" \
  "$lib/xapi/value.cpp" "$lib/xapi/wire_text.cpp" "$lib/xapi/xmlrpc_reader.cpp" \
  "$lib/xapi/jsonrpc_reader.cpp" "$lib/xapi/chunk_pipe.cpp" "$lib/xapi/response_decoder.cpp" \
  "$lib/base/status.cpp" -pthread \
  $(xml2-config --libs) -o "$work/xapi_reader_fuzz"
cd "$work"
exec ./xapi_reader_fuzz -max_total_time="$secs" -rss_limit_mb=1024 -timeout=10 \
  -print_final_stats=1 corpus
