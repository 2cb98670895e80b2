#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole test suite: installs what is missing, builds, runs every unit
# and integration test against private swtpm instances.
# Usage: scripts/test.sh [BUILD_DIR [meson options...]]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
dir=${1:-build}
scripts/build.sh "$@"
meson test -C "$dir" --print-errorlogs --num-processes 2
