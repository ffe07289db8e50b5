#!/usr/bin/env bash
# Token checks and XO task create+finish per second on SQLite and PostgreSQL, same run, with
# the ratio (issue 15). Usage: store_bench.sh BUILD_DIR [token checks] [tasks] [threads]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$1; shift
exec "$root/tests/pg/pg-cluster.sh" run "$build/tests/bench/store_bench" "$@"
