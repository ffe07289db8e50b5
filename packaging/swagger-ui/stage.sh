#!/usr/bin/env bash
# Stages Swagger UI for /rest/v0/docs/ into OUT: the browser files of npm's
# swagger-ui-dist (pinned below; fetched with `npm pack`, which checks the registry's
# integrity hash), their licences, and our swagger-initializer.js (this folder), which
# points the UI at /rest/v0/docs/swagger.json. Skips the work when OUT is current.
set -euo pipefail
version=5.32.0
out=$1
here=$(cd "$(dirname "$0")" && pwd)
stamp="${out%/}.staged-$version-$(sha1sum "$here/swagger-initializer.js" | cut -c1-12)"
[ -f "$stamp" ] && exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "swagger-ui-dist@$version" >/dev/null && tar xzf swagger-ui-dist-*.tgz)
rm -rf "$out"; mkdir -p "$out"
for f in index.html index.css swagger-ui.css swagger-ui-bundle.js swagger-ui-standalone-preset.js \
         oauth2-redirect.html oauth2-redirect.js favicon-16x16.png favicon-32x32.png LICENSE NOTICE \
         swagger-ui-bundle.js.LICENSE.txt swagger-ui-standalone-preset.js.LICENSE.txt; do
  install -m 0644 "$tmp/package/$f" "$out/$f"
done
install -m 0644 "$here/swagger-initializer.js" "$out/swagger-initializer.js"
touch "$stamp"
