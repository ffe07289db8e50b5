#!/usr/bin/env bash
# Installs tests/npm/package.json into DIR (the build tree) exactly as tests/npm/package-lock.json
# pins it (npm ci: every transitive package at its locked version and integrity), and unpacks
# XO's OpenAPI document (@xen-orchestra/rest-api) beside it. Skips the work when DIR is current.
# After a change of package.json: `npm install --package-lock-only` in tests/npm, commit both.
set -euo pipefail
dir=$1; src=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir"
stamp="$dir/.installed"
if [ -f "$stamp" ] && cmp -s "$src/package.json" "$dir/package.json" &&
   cmp -s "$src/package-lock.json" "$dir/package-lock.json" && [ -d "$dir/rest-api/package" ]; then
  exit 0
fi
cp "$src/package.json" "$src/package-lock.json" "$dir/"
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
mkdir -p "$dir/rest-api"
(cd "$dir/rest-api" && rm -rf package ./*.tgz && npm pack --silent @xen-orchestra/rest-api@0.39.0 >/dev/null && tar xzf ./*.tgz)
touch "$stamp"
echo "npm test dependencies installed in $dir"
