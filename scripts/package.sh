#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Build the tpmkit Debian package from this tree (dpkg-buildpackage -us -uc
# -b in a scratch copy, so the tree stays clean) and check it with lintian.
# Usage: scripts/package.sh [OUT_DIR]   (default build-deb; gets the .deb,
#        .buildinfo, .changes and lintian.txt). Fails on a lintian error.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
out=${1:-build-deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)
scripts/deps.sh build package

work=$(mktemp -d "${TMPDIR:-/tmp}/tpmkit-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/tpmkit"
# The tracked files when this is a git checkout, else the tree less build
# directories (a copy such as the CI chroot's).
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$src" ls-files -z --cached --others --exclude-standard \
        | tar -C "$src" --null -T - -cf - | tar -C "$work/tpmkit" -xf -
else
    tar -C "$src" --exclude='./build*' --exclude='./obj-*' --exclude=./.git -cf - . \
        | tar -C "$work/tpmkit" -xf -
fi

start=$(date +%s)
(cd "$work/tpmkit" && dpkg-buildpackage -us -uc -b) >"$out/dpkg-buildpackage.log" 2>&1 || {
    tail -n 40 "$out/dpkg-buildpackage.log" >&2
    echo "package.sh: dpkg-buildpackage failed (log: $out/dpkg-buildpackage.log)" >&2
    exit 1
}
rm -f "$out"/tpmkit*.deb "$out"/tpmkit_*.buildinfo "$out"/tpmkit_*.changes
cp "$work"/tpmkit*.deb "$work"/tpmkit_*.buildinfo "$work"/tpmkit_*.changes "$out"/
echo "package.sh: built in $(( $(date +%s) - start )) s: $(cd "$out" && ls tpmkit*.deb | tr '\n' ' ')"
dpkg-deb --contents "$out"/tpmkit_*_*.deb | awk '{print "    " $6}'

# lintian refuses nothing when run as root, it only says so: keep that out.
rc=0
lintian --info --display-info --pedantic --color never "$out"/tpmkit_*.changes \
    2>&1 | grep -v '^running with root privileges' >"$out/lintian.txt" || true
lintian --fail-on error --color never "$out"/tpmkit_*.changes >/dev/null 2>&1 || rc=$?
echo "lintian ($(lintian --version)):"
if [ -s "$out/lintian.txt" ]; then sed 's/^/    /' "$out/lintian.txt"; else echo "    no tags"; fi
if [ "$rc" -ne 0 ]; then
    echo "package.sh: lintian reports errors" >&2
    exit 1
fi
