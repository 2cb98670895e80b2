#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Install the Debian packages (Debian 12 and 13) that one job of tpmkit needs.
# Usage: scripts/deps.sh [--always] [--list] [SET...]
#   run      use an installed tpmkit (the .deb's own dependencies bring the
#            tss2 libraries) with a TPM simulator and tpm2-tools
#   demo     scripts/demo.sh: run + build (the demo builds tpmkit) + tshark
#   build    compile tpmkit
#   test     build, the whole test suite, fuzzing, lint (scripts/test.sh)
#   package  build the Debian package and the Debian 13 CI chroot (.ci/run)
#   ci       test + package: everything .ci/run uses
#   all      every set
# Default set: test. --always: apt-get update + install even when everything
# looks present, as CI does. --list: print the packages of the sets and exit.
# No name is pinned to a version: the same names resolve on Debian 12 and 13.
set -euo pipefail

# Compile tpmkit (meson.build's dependencies).
BUILD=(
    gcc libc6-dev pkg-config meson ninja-build
    libssl-dev libtss2-dev
)
# Run tpmkit: the openssl command, the tabrmd TCTI (the tss2 libraries and
# their other TCTIs come with libtss2-dev or with the .deb's dependencies:
# their names differ between Debian 12 and 13), a TPM simulator for a
# machine without a TPM, tpm2-tools, and what test/lib/swtpm.sh calls.
RUN=(
    openssl libtss2-tcti-tabrmd0
    swtpm swtpm-tools tpm2-tools
    procps iproute2 python3
)
# scripts/demo.sh: builds tpmkit, runs it, decodes the TPM traffic.
DEMO=(
    "${RUN[@]}" "${BUILD[@]}"
    tshark
)
# The test suite: the unit-test framework, the programs the tests drive
# (servers, clients, a resource manager on a private D-Bus), the helpers
# they call (ps, ss, xxd, python3), fuzzing (clang and its libFuzzer
# runtime) and lint.
TEST=(
    "${DEMO[@]}"
    check
    tpm2-openssl nginx curl xxd python3-cryptography
    tpm2-abrmd libtss2-tcti-tabrmd0 dbus apache2 stunnel4
    clang libclang-rt-dev
    clang-format shellcheck git groff-base man-db
)
# The Debian package and the Debian 13 chroot .ci/run builds.
PACKAGE=(
    build-essential dpkg-dev debhelper lintian fakeroot debootstrap debian-archive-keyring
)

always=0
list=0
sets=()
for arg in "$@"; do
    case $arg in
        --always) always=1 ;;
        --list) list=1 ;;
        run | demo | build | test | package | ci | all) sets+=("$arg") ;;
        *)
            echo "usage: scripts/deps.sh [--always] [--list] [run|demo|build|test|package|ci|all]..." >&2
            exit 2
            ;;
    esac
done
[ ${#sets[@]} -gt 0 ] || sets=(test)

PACKAGES=()
for s in "${sets[@]}"; do
    case $s in
        run) PACKAGES+=("${RUN[@]}") ;;
        build) PACKAGES+=("${BUILD[@]}") ;;
        demo) PACKAGES+=("${DEMO[@]}") ;;
        test) PACKAGES+=("${TEST[@]}") ;;
        package) PACKAGES+=("${PACKAGE[@]}") ;;
        ci | all) PACKAGES+=("${TEST[@]}" "${PACKAGE[@]}") ;;
    esac
done
mapfile -t PACKAGES < <(printf '%s\n' "${PACKAGES[@]}" | sort -u)

if [ "$list" = 1 ]; then
    echo "${PACKAGES[*]}"
    exit 0
fi

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$p")
done

if [ "$always" = 0 ] && [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "tpmkit (${sets[*]}) needs these Debian packages: ${missing[*]}" >&2
    echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"
