#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The man pages in man/ are well-formed: groff and man print no warning
# for any of them, and each has the sections a reader looks for.
set -euo pipefail
: "${TK_SOURCE_DIR:?run this through meson test}"
command -v groff >/dev/null || { echo "groff is not installed (groff-base)" >&2; exit 1; }
command -v man >/dev/null || { echo "man is not installed (man-db)" >&2; exit 1; }
shopt -s nullglob
pages=("$TK_SOURCE_DIR"/man/*.[1-8])
[ ${#pages[@]} -gt 0 ] || { echo "no man pages in $TK_SOURCE_DIR/man" >&2; exit 1; }
bad=0
for page in "${pages[@]}"; do
    name=$(basename "$page")
    before=$bad
    out=$(groff -man -ww -z -Tutf8 "$page" 2>&1 || echo "groff exited with status $?")
    if [ -n "$out" ]; then
        echo "FAIL - $name: groff -man -ww:"; echo "$out" | sed 's/^/#   /'; bad=$((bad + 1))
    fi
    out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null \
          || echo "man exited with status $?")
    if [ -n "$out" ]; then
        echo "FAIL - $name: man --warnings:"; echo "$out" | sed 's/^/#   /'; bad=$((bad + 1))
    fi
    for section in NAME SYNOPSIS DESCRIPTION "SEE ALSO"; do
        grep -qx "\\.SH \"\\?$section\"\\?" "$page" \
            || { echo "FAIL - $name: no $section section"; bad=$((bad + 1)); }
    done
    head -n 1 "$page" | grep -q 'SPDX-License-Identifier: Apache-2.0' \
        || { echo "FAIL - $name: no SPDX line"; bad=$((bad + 1)); }
    [ "$bad" -ne "$before" ] || echo "ok - $name"
done
[ "$bad" -eq 0 ]
