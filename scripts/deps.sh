#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Install the Debian packages tpmkit needs to build, test and demo.
# Usage: scripts/deps.sh [--always]   (--always: apt-get update + install
# even when everything looks present, as CI does)
set -euo pipefail

PACKAGES=(
    gcc libc6-dev pkg-config meson ninja-build
    openssl libssl-dev libtss2-dev
    check
    swtpm swtpm-tools tpm2-tools tshark
    tpm2-openssl nginx curl xxd
    clang libclang-rt-14-dev
    clang-format shellcheck python3-cryptography
    tpm2-abrmd libtss2-tcti-tabrmd0 dbus apache2 stunnel4
)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$p")
done

if [ "${1:-}" != "--always" ] && [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "tpmkit needs these Debian packages: ${missing[*]}" >&2
    echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"
