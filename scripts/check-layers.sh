#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fails when the files of tpm/ depend on each other in a circle: builds the
# "file uses a function defined in file" graph from the object files' symbol
# tables and hands it to tsort, which reports every cycle.
# Usage: scripts/check-layers.sh BUILD_DIR
set -euo pipefail
dir=${1:-build}
objs=$(find "$dir" -path '*tk_tpm.a.p/*.o' | sort)
[ -n "$objs" ] || { echo "no tpm/ objects under $dir" >&2; exit 2; }
declare -A owner
for o in $objs; do
    f=$(basename "$o" .c.o); f=${f#tpm_}
    while read -r sym; do owner[$sym]=$f; done \
        < <(nm --defined-only -g "$o" | awk '{print $3}')
done
edges=$(for o in $objs; do
    f=$(basename "$o" .c.o); f=${f#tpm_}
    echo "$f $f"
    nm -u "$o" | awk '{print $2}' | while read -r sym; do
        t=${owner[$sym]:-}
        if [ -n "$t" ] && [ "$t" != "$f" ]; then echo "$t $f"; fi
    done
done | sort -u)
if [ "${2:-}" = "--graph" ]; then echo "$edges"; fi
if ! out=$(tsort <<<"$edges" 2>&1 >/dev/null) || [ -n "$out" ]; then
    echo "tpm/ has circular dependencies between files:" >&2
    echo "$out" >&2
    exit 1
fi
echo "tpm/: $(wc -l < <(echo "$objs")) files, no circular dependency"
