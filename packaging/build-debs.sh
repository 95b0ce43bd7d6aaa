#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# packaging/build-debs.sh [OUTDIR]: builds ikemesh's Debian binary packages from this tree
# with `dpkg-buildpackage -b -us -uc` (packaging/debian/ becomes debian/ in a clean copy of
# the tree, so the checkout stays as it is) and puts the .deb files in OUTDIR (default
# build-debs/). Installs the build dependencies it lacks.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$top/build-debs}" && cd "${1:-$top/build-debs}" && pwd)
work=$(mktemp -d /tmp/ikemesh-debs.XXXXXX)
trap 'rm -rf "$work"' EXIT

need=(dpkg-dev debhelper fakeroot)
missing=()
for package in "${need[@]}"; do dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package"); done
if ((${#missing[@]})); then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The tree as git sees it (tracked files plus new ones not ignored): no build folders.
src="$work/ikemesh-$(sed -n 's/^ikemesh (\([^)]*\)).*/\1/p;q' "$top/packaging/debian/changelog")"
mkdir -p "$src"
(cd "$top" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$src")
cp -r "$top/packaging/debian" "$src/debian"
(cd "$src" && dpkg-checkbuilddeps) || {
  echo "build-debs: install the missing build dependencies (scripts/install-deps.sh has them)" >&2
  exit 1
}
(cd "$src" && DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" dpkg-buildpackage -b -us -uc) \
  >"$work/build.log" 2>&1 || {
  tail -50 "$work/build.log" >&2
  echo "build-debs: dpkg-buildpackage failed" >&2
  exit 1
}
# Debug symbols apart, so that "$out"/*.deb is what an administrator installs.
mkdir -p "$out/dbgsym"
mv "$work"/*-dbgsym_*.deb "$out/dbgsym"/
cp "$work"/*.deb "$out"/
cp "$work/build.log" "$out/build.log"
ls "$out"/*.deb
