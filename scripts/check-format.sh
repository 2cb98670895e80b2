#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fails when a C file differs from what clang-format makes of it with the
# project's .clang-format; prints the first differences.
# Usage: scripts/check-format.sh [--fix]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "clang-format is not installed" >&2; exit 2; }
bad=0
while IFS= read -r f; do
    if [ "${1:-}" = "--fix" ]; then
        clang-format -i --style=file "$f"
    elif ! diff -u "$f" <(clang-format --style=file "$f") > /tmp/tk-format.$$ 2>&1; then
        echo "not formatted: $f" >&2
        head -20 /tmp/tk-format.$$ >&2
        bad=1
    fi
done < <(git ls-files '*.c' '*.h')
rm -f /tmp/tk-format.$$
exit "$bad"
