#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Configure (once) and build tpmkit into a build directory.
# Usage: scripts/build.sh [BUILD_DIR [meson options...]]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" >/dev/null
fi
ninja -C "$dir" >/dev/null
