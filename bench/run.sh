#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# bench/run.sh [--build-dir DIR] [--tabrmd] [--model NAME] [--cold-rounds N |
#              --no-cold] [tpmkit-bench options]
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
# --model NAME: put a modelled TPM chip between the TCTI and swtpm
# (bench/tpm_latency.py with the figures of bench/chip-models.txt: slb9670,
# npct75x, ptt; "none" only counts). Each response is held for the chip's
# time for that command; the bench then also prints the TPM commands per
# operation and the modelled TPM time per operation. With --tabrmd the
# layer sits between tpm2-abrmd and swtpm, so the resource manager's own
# context swapping is modelled too. Defaults under a model: --rounds 2
# --seconds 0.3, and the cold-start table with 2 rounds.
#
# --cold-rounds N: rounds of the cold-start table (bench/cold.py: whole
# openssl processes, with and without a persisted storage primary at
# 0x81000001; 2 under --model, else 0 = not run); --no-cold: none.
#
# TK_BENCH_PROG=PATH and TK_MODULE_DIR=DIR: run that program with that
# tpmkit.so instead of building (the smoke test does).
#
# BENCH_WRAPPER="valgrind --tool=callgrind" runs the program under a
# profiler (use --iterations then).
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$src/build-bench
cmdline="bench/run.sh $*"
args=()
tabrmd=0
model=
cold_rounds=
timing=0
rounds=0
while [ $# -gt 0 ]; do
    case $1 in
    --build-dir) build=$(realpath -m "$2"); shift 2 ;;
    --tabrmd) tabrmd=1; shift ;;
    --model) model=$2; shift 2 ;;
    --cold-rounds) cold_rounds=$2; shift 2 ;;
    --no-cold) cold_rounds=0; shift ;;
    --seconds | --iterations) timing=1; args+=("$1" "$2"); shift 2 ;;
    --rounds) rounds=1; args+=("$1" "$2"); shift 2 ;;
    *) args+=("$1"); shift ;;
    esac
done
models=$src/bench/chip-models.txt
if [ -n "$model" ]; then
    if [ "$model" != none ] \
        && ! awk -v m="$model" '!/^#/ && $2 == m { f = 1 } END { exit !f }' "$models"; then
        echo "run.sh: no chip model '$model'; models: $(awk '!/^#/ && NF { print $2 }' "$models" | sort -u | tr '\n' ' ')none" >&2
        exit 2
    fi
    # Bounded cells: a modelled command takes milliseconds, not microseconds.
    [ "$timing" = 1 ] || args=(--seconds 0.3 "${args[@]}")
    [ "$rounds" = 1 ] || args=(--rounds 2 "${args[@]}")
    : "${cold_rounds:=2}"
fi
: "${cold_rounds:=0}"

# Nothing from the caller's environment may steer tpmkit, tpm2-openssl or
# swtpm (a swtpm that sees a tpmkit OPENSSL_CONF seeds itself from itself).
unset OPENSSL_CONF OPENSSL_MODULES TPMKIT_TCTI TPM2OPENSSL_TCTI TPM2TOOLS_TCTI \
      TPMKIT_SESSION_ENCRYPTION TPMKIT_DEBUG TCTI_PCAP_FILE LD_PRELOAD \
      TK_BENCH_TPMLOG TK_BENCH_MODEL

if [ -n "${TK_BENCH_PROG:-}" ]; then
    prog=$TK_BENCH_PROG
    build=${TK_MODULE_DIR:?TK_BENCH_PROG needs TK_MODULE_DIR}
else
    if [ ! -f "$build/build.ninja" ]; then
        meson setup "$build" "$src" -Dbench=true --buildtype=debugoptimized >/dev/null
    fi
    ninja -C "$build" >/dev/null
    prog=$build/bench/tpmkit-bench
fi
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
# tpmkit's lock and journal files for this TPM, not the machine's.
export TPMKIT_RUNDIR=$work/run

# The keys are made on swtpm itself, before any model: an RSA key takes
# ten seconds on a modelled SLB9670, and making keys is not measured.
export TPM2OPENSSL_TCTI=$TPMKIT_TCTI
mkdir "$work/keys"
if ! OPENSSL_MODULES=$build "$src/bench/make-keys.sh" "$work/keys" >"$work/keys.log" 2>&1; then
    echo "run.sh: making the keys failed:" >&2
    cat "$work/keys.log" >&2
    exit 1
fi

chip_tcti=$swtpm_tcti
if [ -n "$model" ]; then
    # The latency layer on two free ports of its own, in front of swtpm.
    for _ in $(seq 20); do
        port=$(( (RANDOM % 11000) * 2 + 10000 ))
        _swtpm_port_free "$port" && _swtpm_port_free $((port + 1)) || continue
        python3 "$src/bench/tpm_latency.py" --listen "$port" --tpm "$SWTPM_PORT" \
            --models "$models" --model "$model" --log "$work/tpm.log" \
            --ready "$work/latency.ready" 2>"$work/latency.err" &
        lat_pid=$!
        for _ in $(seq 100); do
            [ -f "$work/latency.ready" ] && break
            kill -0 "$lat_pid" 2>/dev/null || break
            sleep 0.05
        done
        [ -f "$work/latency.ready" ] && break
        kill "$lat_pid" 2>/dev/null || true
        wait "$lat_pid" 2>/dev/null || true
    done
    if [ ! -f "$work/latency.ready" ]; then
        echo "run.sh: the latency layer does not start:" >&2
        cat "$work/latency.err" >&2
        exit 1
    fi
    rm_pids+=("$lat_pid")
    chip_tcti="swtpm:host=127.0.0.1,port=$port"
    export TPMKIT_TCTI=$chip_tcti TK_BENCH_TPMLOG=$work/tpm.log TK_BENCH_MODEL=$model
    echo "chip model: $model (bench/chip-models.txt; bench/tpm_latency.py on port $port, in front of swtpm)"
fi
if [ "$tabrmd" = 1 ]; then
    command -v tpm2-abrmd >/dev/null || { echo "run.sh: --tabrmd needs tpm2-abrmd" >&2; exit 1; }
    dbus-daemon --session --fork --print-address=3 --print-pid=4 \
        3>"$work/dbus.addr" 4>"$work/dbus.pid"
    rm_pids+=("$(cat "$work/dbus.pid")")
    export DBUS_SESSION_BUS_ADDRESS
    DBUS_SESSION_BUS_ADDRESS=$(cat "$work/dbus.addr")
    name=com.intel.tss2.Tabrmd.bench$$
    tpm2-abrmd --session --allow-root --tcti="$chip_tcti" --dbus-name="$name" \
        >"$work/abrmd.log" 2>&1 &
    rm_pids+=("$!")
    export TPMKIT_TCTI="tabrmd:bus_name=$name,bus_type=session"
    for _ in $(seq 100); do
        tpm2_getrandom -T "$TPMKIT_TCTI" 1 >/dev/null 2>&1 && break
        sleep 0.1
    done
    echo "resource manager: tpm2-abrmd ($TPMKIT_TCTI)"
fi
export TPM2OPENSSL_TCTI=$TPMKIT_TCTI TPM2TOOLS_TCTI=$TPMKIT_TCTI

echo "run: $(date -u '+%Y-%m-%d %H:%M UTC'): $cmdline"
echo "machine: $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "load before the run: $(uptime | sed 's/.*load average: //')"
echo "versions: $(openssl version), tpm2-tss $(pkg-config --modversion tss2-esys)," \
     "$(swtpm --version 2>&1 | head -n1 | sed 's/ version/,/;s/,.*//') $(swtpm --version 2>&1 | head -n1 | grep -o '[0-9][0-9.]*' | head -n1)," \
     "tpm2-openssl $(dpkg-query -W -f '${Version}' tpm2-openssl 2>/dev/null || echo none)"
echo "keys: $(tail -n 1 "$work/keys.log")"
${BENCH_WRAPPER:-} "$prog" --keys "$work/keys" --module-dir "$build" "${args[@]}"
if [ "$cold_rounds" -gt 0 ]; then
    echo
    cold=(--prog "$prog" --module-dir "$build" --keys "$work/keys" --work "$work/cold"
          --rounds "$cold_rounds")
    [ -z "$model" ] || cold+=(--log "$work/tpm.log" --model "$model")
    [ "$tabrmd" = 0 ] || cold+=(--tabrmd)
    python3 "$src/bench/cold.py" "${cold[@]}"
fi
echo "load after the run: $(uptime | sed 's/.*load average: //')"

# The bench must leave the TPM as it found it.
left=
for kind in transient loaded-session saved-session; do
    h=$(env -u OPENSSL_CONF tpm2_getcap -T "$swtpm_tcti" "handles-$kind" 2>/dev/null || true)
    [ -z "$h" ] || left="$left $kind: $(echo $h)"
done
[ -z "$left" ] || echo "run.sh: warning: TPM leftovers after the run:$left" >&2
