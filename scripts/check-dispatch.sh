#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every function that goes into an OpenSSL dispatch table through a
# (void (*)(void)) cast must also be declared with its OSSL_FUNC_*_fn type
# (static OSSL_FUNC_rand_newctx_fn seed_newctx;), so that the compiler
# checks its signature: the cast alone would accept any function.
#
# Usage: scripts/check-dispatch.sh [SOURCE_DIR]
# Lists each cast function without such a declaration and exits 1 if there
# is one. Build trees (directories with meson-private) are skipped.
set -euo pipefail

root=${1:-"$(dirname "$0")/.."}
cd "$root"

cast='\(void *\( *\* *\) *\( *void *\) *\)'

mapfile -d '' sources < <(
    find . \( -type d \( -name .git -o -exec test -d '{}/meson-private' \; \) \
              -prune \) \
           -o -type f \( -name '*.c' -o -name '*.h' \) -print0 | sort -z)
if [ "${#sources[@]}" -eq 0 ]; then
    echo "check-dispatch: no C sources under $root" >&2
    exit 2
fi

status=0

# A cast whose function is on the next line cannot be checked line by line.
if grep -nE "$cast *\\\\?\$" "${sources[@]}"; then
    echo "check-dispatch: keep each cast and its function name on one line" >&2
    status=1
fi

mapfile -t names < <(grep -ohE "$cast *[A-Za-z_][A-Za-z0-9_]*" "${sources[@]}" \
                     | sed -E "s/^$cast *//" | sort -u)
# What follows a type in every OSSL_FUNC_*_fn declaration of the tree.
declared=$(grep -ohE 'OSSL_FUNC_[a-z_]*_fn[^;]*' "${sources[@]}" \
           | sed -E 's/^OSSL_FUNC_[a-z_]*_fn//' || true)

missing=0
for name in "${names[@]}"; do
    if ! grep -qwF -- "$name" <<<"$declared"; then
        echo "$name: cast into a dispatch table without an OSSL_FUNC_*_fn declaration:"
        grep -nE "$cast *$name\\b" "${sources[@]}" | sed 's/^/    /'
        missing=$((missing + 1))
    fi
done

if [ "$missing" -gt 0 ]; then
    echo "check-dispatch: $missing of ${#names[@]} functions lack a typed declaration" \
         "(e.g. static OSSL_FUNC_rand_newctx_fn seed_newctx;)" >&2
    status=1
elif [ "$status" -eq 0 ]; then
    echo "check-dispatch: all ${#names[@]} functions in dispatch tables have" \
         "OSSL_FUNC_*_fn declarations"
fi
exit "$status"
