#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fuzz the key-file decoder for a fixed number of runs: builds the libFuzzer
# targets with clang (+ AddressSanitizer/UBSan) and runs each from the
# committed seed corpus. Exits non-zero when an input crashes, leaks,
# trips a sanitizer or a round-trip check; the input is saved in the build
# directory (crash-*, leak-*, timeout-*) and can be replayed with
#   BUILD/test/fuzz/replay_keyfile FILE
#
# Usage: scripts/fuzz.sh [RUNS]      (default 2000000, about 7 s; env FUZZ_BUILD_DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
runs=${1:-${FUZZ_RUNS:-2000000}}
build=${FUZZ_BUILD_DIR:-build-fuzz}

if ! command -v clang >/dev/null; then
    echo "fuzz.sh: clang is required (apt-get install clang)" >&2
    exit 2
fi
if [ ! -f "$build/build.ninja" ]; then
    CC=clang meson setup "$build" -Dfuzz=true -Dexamples=false \
        -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized
fi
ninja -C "$build" test/fuzz/fuzz_keyfile

# libFuzzer adds what it finds to the first corpus directory: give it a
# scratch copy so the committed seeds stay as they are.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$src"/test/fuzz/corpus/* "$work"/

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
start=$(date +%s)
"$build"/test/fuzz/fuzz_keyfile -runs="$runs" -max_len=8192 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$build/" "$work"
echo "fuzz.sh: fuzz_keyfile: $runs runs in $(( $(date +%s) - start )) s, no failures"
