#!/usr/bin/env bash
# Installs every build, test and run dependency of xapi-rest on Debian 12 with apt.
# Idempotent and quiet when everything is present. Needs root when something is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
list="$here/packaging/deps-debian.txt"
mapfile -t wanted < <(grep -v '^\s*#' "$list" | sed '/^\s*$/d')
# Node.js may come from another source than Debian's package (the machine image ships
# one): accept any node >= 18 and npm already on PATH.
if command -v node >/dev/null && command -v npm >/dev/null; then
  wanted=("${wanted[@]/nodejs}"); wanted=("${wanted[@]/npm}")
fi
missing=()
for p in "${wanted[@]}"; do
  [ -n "$p" ] || continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "install-deps: missing packages: ${missing[*]} (run as root)" >&2; exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
echo 'man-db man-db/auto-update boolean false' | debconf-set-selections 2>/dev/null || true
apt_opts=(-o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-unsafe-io -qq)
# Refresh the lists when they are missing or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
  apt-get "${apt_opts[@]}" update >/dev/null
fi
apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
