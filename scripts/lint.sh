#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Static checks CI runs before building: shellcheck (warnings and errors)
# over every shell script of the project, and the C formatting.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t scripts < <(git ls-files '*.sh' .ci/run)
shellcheck -x -S warning "${scripts[@]}"
echo "shellcheck: ${#scripts[@]} scripts clean"
scripts/check-format.sh
echo "clang-format: every C file formatted"
