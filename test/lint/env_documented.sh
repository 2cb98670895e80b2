#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every TPMKIT_* environment variable the C sources read (getenv,
# secure_getenv, or a setting() lookup by that name) is described in the
# ENVIRONMENT section of tpmkit(7).
set -euo pipefail
: "${TK_SOURCE_DIR:?run this through meson test}"
cd "$TK_SOURCE_DIR"
page=man/tpmkit.7
# C sources, build trees (directories with meson-private) left out.
mapfile -d '' sources < <(
    find . \( -type d \( -name .git -o -exec test -d '{}/meson-private' \; \) -prune \) \
           -o -type f \( -name '*.c' -o -name '*.h' \) -print0)
mapfile -t vars < <(grep -ohE '"TPMKIT_[A-Z0-9_]+"' "${sources[@]}" | tr -d '"' | sort -u)
[ ${#vars[@]} -gt 0 ] || { echo "no TPMKIT_ variable found in the C sources" >&2; exit 1; }
# The ENVIRONMENT section, from its .SH to the next one.
env_section=$(sed -n '/^\.SH ENVIRONMENT$/,/^\.SH /p' "$page")
[ -n "$env_section" ] || { echo "$page has no ENVIRONMENT section" >&2; exit 1; }
bad=0
for v in "${vars[@]}"; do
    # Documented as a tagged paragraph: ".B NAME" or ".BR NAME = ...".
    if grep -qE "^\\.BR? $v( |\$)" <<<"$env_section"; then
        echo "ok - $v is described in tpmkit(7)"
    else
        echo "FAIL - $v is read by $(grep -lE "\"$v\"" "${sources[@]}" | tr '\n' ' ')but not described under ENVIRONMENT in $page"
        bad=1
    fi
done
exit "$bad"
