#!/usr/bin/env bash
# Installs tests/npm/package.json into DIR (the build tree), and unpacks XO's OpenAPI
# document (@xen-orchestra/rest-api) beside it. Skips the work when DIR is current.
set -euo pipefail
dir=$1; src=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir"
stamp="$dir/.installed"
if [ -f "$stamp" ] && cmp -s "$src/package.json" "$dir/package.json" && [ -d "$dir/rest-api/package" ]; then
  exit 0
fi
cp "$src/package.json" "$dir/package.json"
(cd "$dir" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
mkdir -p "$dir/rest-api"
(cd "$dir/rest-api" && rm -rf package ./*.tgz && npm pack --silent @xen-orchestra/rest-api@0.39.0 >/dev/null && tar xzf ./*.tgz)
touch "$stamp"
echo "npm test dependencies installed in $dir"
