#!/usr/bin/env bash
# `make package`: builds xapi-rest_<version>_<arch>.deb (dpkg-buildpackage with
# packaging/debian) and xapi-rest-<version>.<arch>.rpm (rpmbuild with
# packaging/rpm/xapi-rest.spec, reusing the program the deb build compiled) into
# BUILD/packages/. The source tree is copied first: git's tracked and untracked files,
# without the build folders.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(mkdir -p "${1:-build}" && cd "${1:-build}" && pwd)
version=$(sed -n 's/^project(xapi-rest VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
deb_version=$(sed -n '1s/^xapi-rest (\([^)]*\)).*/\1/p' "$root/packaging/debian/changelog")
rpm_version=$(sed -n 's/^Version: *//p' "$root/packaging/rpm/xapi-rest.spec")
rpm_release=$(sed -n 's/^Release: *//p' "$root/packaging/rpm/xapi-rest.spec")
if [ "${deb_version%-*}" != "$version" ] || [ "$rpm_version" != "$version" ]; then
  echo "build-packages: versions differ: CMakeLists.txt $version, debian/changelog $deb_version," \
       "xapi-rest.spec $rpm_version" >&2
  exit 1
fi
arch=$(dpkg --print-architecture)
rpm_arch=$(rpm --eval '%{_arch}')
work="$build/package-work"
src="$work/xapi-rest-$version"
out="$build/packages"
rm -rf "$src" "$out" "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes "$work/rpmbuild"
mkdir -p "$src" "$out"

# 1. The source tree (same path every time, so that ccache finds its earlier objects).
(cd "$root" && git ls-files -z --cached --others --exclude-standard | grep -zv '^packaging/debian/' |
   xargs -0 tar cf - --no-recursion) | tar xf - -C "$src"
cp -r "$root/packaging/debian" "$src/debian"

# 2. The .deb.
(cd "$src" && dpkg-buildpackage -b -us -uc --no-sign >"$work/deb-build.log" 2>&1) || {
  tail -40 "$work/deb-build.log" >&2; echo "build-packages: dpkg-buildpackage failed ($work/deb-build.log)" >&2; exit 1; }
mv "$work/xapi-rest_${deb_version}_${arch}.deb" "$out/"

# 3. The .rpm, from the program and the document the deb build made.
prebuilt="$work/prebuilt"
rm -rf "$prebuilt"; mkdir -p "$prebuilt"
# The stripped program of the .deb (dh_strip), the generated files from its build folder.
cp "$src/debian/xapi-rest/usr/bin/xapi-rest" "$src/debian/build/packaging/openapi.json" \
   "$src/debian/build/packaging/xapi-rest.toml.5" "$prebuilt/"
cp -r "$src/swagger-ui" "$prebuilt/swagger-ui"
rpmbuild -bb --nodeps --quiet \
  --define "_topdir $work/rpmbuild" --define "xr_prebuilt $prebuilt" --define "xr_srcdir $src" \
  "$root/packaging/rpm/xapi-rest.spec" >"$work/rpm-build.log" 2>&1 || {
  tail -40 "$work/rpm-build.log" >&2; echo "build-packages: rpmbuild failed ($work/rpm-build.log)" >&2; exit 1; }
mv "$work/rpmbuild/RPMS/$rpm_arch/xapi-rest-$version-$rpm_release.$rpm_arch.rpm" "$out/"
ls -1 "$out"
