#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# bench/run.sh [--build-dir DIR] [tpmkit-bench options]
#
# Builds tpmkit and the benchmark if needed (meson -Dbench=true, in
# build-bench/ unless --build-dir says otherwise), starts a throwaway swtpm
# on free loopback ports, makes the keys, runs tpmkit-bench and prints its
# table; then stops swtpm and removes everything it made.
#
# tpmkit-bench options: --rounds N (5), --seconds S per cell and round (0.5)
# or --iterations N, --only ID,... (rows; "first-use" for the first-use table).
# The default run takes about three minutes.
#
# --tabrmd: reach swtpm through a resource manager (tpm2-abrmd on a private
# D-Bus session bus; packages tpm2-abrmd and libtss2-tcti-tabrmd0), as a
# machine with /dev/tpmrm0 would: tpmkit then keeps keys and its session
# loaded between operations instead of parking them.
#
# BENCH_WRAPPER="valgrind --tool=callgrind" runs the program under a
# profiler (use --iterations then).
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$src/build-bench
args=()
tabrmd=0
while [ $# -gt 0 ]; do
    case $1 in
    --build-dir) build=$(realpath -m "$2"); shift 2 ;;
    --tabrmd) tabrmd=1; shift ;;
    *) args+=("$1"); shift ;;
    esac
done

# Nothing from the caller's environment may steer tpmkit, tpm2-openssl or
# swtpm (a swtpm that sees a tpmkit OPENSSL_CONF seeds itself from itself).
unset OPENSSL_CONF OPENSSL_MODULES TPMKIT_TCTI TPM2OPENSSL_TCTI TPM2TOOLS_TCTI \
      TPMKIT_SESSION_ENCRYPTION TPMKIT_DEBUG TCTI_PCAP_FILE LD_PRELOAD

if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" "$src" -Dbench=true --buildtype=debugoptimized >/dev/null
fi
ninja -C "$build" >/dev/null
prog=$build/bench/tpmkit-bench
[ -x "$prog" ] || { echo "run.sh: $prog was not built" >&2; exit 1; }

. "$src/test/lib/swtpm.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/tpmkit-bench.XXXXXX")
rm_pids=()
cleanup() {
    set +e
    [ ${#rm_pids[@]} -eq 0 ] || kill "${rm_pids[@]}" 2>/dev/null
    swtpm_stop
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

swtpm_start "$work/tpm"
swtpm_tcti=$TPMKIT_TCTI
if [ "$tabrmd" = 1 ]; then
    command -v tpm2-abrmd >/dev/null || { echo "run.sh: --tabrmd needs tpm2-abrmd" >&2; exit 1; }
    dbus-daemon --session --fork --print-address=3 --print-pid=4 \
        3>"$work/dbus.addr" 4>"$work/dbus.pid"
    rm_pids+=("$(cat "$work/dbus.pid")")
    export DBUS_SESSION_BUS_ADDRESS
    DBUS_SESSION_BUS_ADDRESS=$(cat "$work/dbus.addr")
    name=com.intel.tss2.Tabrmd.bench$$
    tpm2-abrmd --session --allow-root --tcti="$swtpm_tcti" --dbus-name="$name" \
        >"$work/abrmd.log" 2>&1 &
    rm_pids+=("$!")
    export TPMKIT_TCTI="tabrmd:bus_name=$name,bus_type=session"
    for _ in $(seq 50); do
        tpm2_getrandom -T "$TPMKIT_TCTI" 1 >/dev/null 2>&1 && break
        sleep 0.1
    done
    echo "resource manager: tpm2-abrmd ($TPMKIT_TCTI)"
fi
export TPM2OPENSSL_TCTI=$TPMKIT_TCTI
mkdir "$work/keys"
if ! OPENSSL_MODULES=$build "$src/bench/make-keys.sh" "$work/keys" >"$work/keys.log" 2>&1; then
    echo "run.sh: making the keys failed:" >&2
    cat "$work/keys.log" >&2
    exit 1
fi

echo "machine: $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "load before the run: $(uptime | sed 's/.*load average: //')"
echo "versions: $(openssl version), tpm2-tss $(pkg-config --modversion tss2-esys)," \
     "$(swtpm --version 2>&1 | head -n1 | sed 's/ version/,/;s/,.*//') $(swtpm --version 2>&1 | head -n1 | grep -o '[0-9][0-9.]*' | head -n1)," \
     "tpm2-openssl $(dpkg-query -W -f '${Version}' tpm2-openssl 2>/dev/null || echo none)"
echo "keys: $(tail -n 1 "$work/keys.log")"
${BENCH_WRAPPER:-} "$prog" --keys "$work/keys" --module-dir "$build" "${args[@]}"
echo "load after the run: $(uptime | sed 's/.*load average: //')"

# The bench must leave the TPM as it found it.
left=
for kind in transient loaded-session saved-session; do
    h=$(env -u OPENSSL_CONF tpm2_getcap -T "$swtpm_tcti" "handles-$kind" 2>/dev/null || true)
    [ -z "$h" ] || left="$left $kind: $(echo $h)"
done
[ -z "$left" ] || echo "run.sh: warning: TPM leftovers after the run:$left" >&2
