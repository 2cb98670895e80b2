# SPDX-License-Identifier: Apache-2.0
# Sourced by every integration test: strict mode, a scratch directory, a
# private swtpm, and the helpers the tests share. Run through `meson test`,
# which sets TK_SOURCE_DIR, TK_BUILD_DIR, TK_MODULE, TK_PROGS, TK_PRELOAD.
set -euo pipefail

: "${TK_SOURCE_DIR:?run this through meson test}" "${TK_MODULE:?}" "${TK_PROGS:?}"
. "$TK_SOURCE_DIR/test/lib/swtpm.sh"

# Nothing from the caller's environment may steer tpmkit or OpenSSL: each
# command gets exactly the settings its test gives it.
unset OPENSSL_CONF OPENSSL_MODULES TPMKIT_TCTI TPMKIT_SESSION_ENCRYPTION \
      TPMKIT_DEBUG TCTI_PCAP_FILE TSS2_LOG LD_PRELOAD TPMKIT_TPM_IDENTITY \
      TPMKIT_SYSFS

TK_STATUS=$TK_BUILD_DIR/examples/tpmkit-status
export TK_MODULE_DIR
TK_MODULE_DIR=$(dirname "$TK_MODULE")
T=$(mktemp -d "${TMPDIR:-/tmp}/tpmkit-test.XXXXXX")
TK_BG_PIDS=()     # background processes of the test, stopped at exit
# tpmkit's lock and journal files for this test's TPM (journal.h).
export TPMKIT_RUNDIR=$T/run

_tk_cleanup() {
    local rc=$? pid
    set +e
    for pid in "${TK_BG_PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    swtpm_stop
    if [ "$rc" -ne 0 ] && [ -s "$T/tpm/swtpm.log" ]; then
        echo "# swtpm log (last lines):"
        tail -n 20 "$T/tpm/swtpm.log" | sed 's/^/#   /'
    fi
    rm -rf "$T"
    exit "$rc"
}
trap _tk_cleanup EXIT
# meson test stops a test that runs over its time with SIGTERM.
trap 'exit 143' TERM
trap 'exit 130' INT

swtpm_start "$T/tpm"
echo "# swtpm on port $SWTPM_PORT, scratch $T"

# --- running things (all bounded in time: nothing may hang the suite) ----

# ossl ARGS...: the real openssl binary. In a sanitizer build tpmkit.so is
# instrumented but openssl is not: preload the sanitizer runtime into it.
# Leak checking stays on: the openssl commands used here leak nothing.
ossl() {
    if [ -n "${TK_PRELOAD:-}" ]; then
        LD_PRELOAD=$TK_PRELOAD timeout -k 5 "${TK_TIMEOUT:-60}" openssl "$@"
    else
        timeout -k 5 "${TK_TIMEOUT:-60}" openssl "$@"
    fi
}

# tkprog NAME ARGS...: a program from test/progs.
tkprog() {
    timeout -k 5 "${TK_TIMEOUT:-120}" "$TK_PROGS/$1" "${@:2}"
}

# tkstatus: the tpmkit-status example program.
tkstatus() {
    timeout -k 5 "${TK_TIMEOUT:-60}" "$TK_STATUS"
}

# tpm2 TOOL ARGS...: a tpm2-tools command on this test's TPM. The tools
# use OpenSSL too: keep them away from tpmkit.
tpm2() {
    env -u OPENSSL_CONF -u LD_PRELOAD -u TCTI_PCAP_FILE \
        TPM2TOOLS_TCTI="$(swtpm_tools_tcti)" timeout -k 5 30 "tpm2_$1" "${@:2}"
}

# run CMD...: run CMD (a command or one of the functions above) with its
# output in $T/out and $T/err and its exit status in $RC. Never fails.
run() {
    RC=0
    "$@" >"$T/out" 2>"$T/err" || RC=$?
}

# --- OpenSSL configuration -----------------------------------------------

# write_config FILE [--no-seed] [KEY=VALUE...]: openssl.cnf.sample with the
# module path filled in. KEY=VALUE pairs become tpmkit parameters (tcti,
# session-encryption); --no-seed leaves the DRBG seeding to OpenSSL.
write_config() {
    local file=$1 kv
    local -a script=(-e "s|@TPMKIT_MODULE@|$TK_MODULE|")
    shift
    if [ "${1:-}" = --no-seed ]; then
        script+=(-e '/^random = random_sect/d')
        shift
    fi
    for kv in "$@"; do
        script+=(-e "/^module = /a ${kv%%=*} = ${kv#*=}")
    done
    sed "${script[@]}" "$TK_SOURCE_DIR/openssl.cnf.sample" >"$file"
    grep -qxF "module = $TK_MODULE" "$file" \
        || fail "config template changed: no module line in $file"
}

# --- assertions: one line per check, stop at the first failure ------------

pass() { echo "ok - $*"; }

fail() {
    echo "FAIL - $*"
    exit 1
}

# The captured output of the last `run`, for failure messages.
_tk_show_output() {
    local f
    for f in out err; do
        if [ -s "$T/$f" ]; then
            echo "#   std$f (last lines):"
            tail -n 15 "$T/$f" | sed 's/^/#     /'
        fi
    done
}

# assert_ok WHAT: the last `run` exited 0.
assert_ok() {
    if [ "$RC" -ne 0 ]; then
        echo "FAIL - $1: expected exit status 0, got $RC"
        _tk_show_output
        exit 1
    fi
    pass "$1"
}

# assert_status WHAT N: the last `run` exited with status N.
assert_status() {
    if [ "$RC" -ne "$2" ]; then
        echo "FAIL - $1: expected exit status $2, got $RC"
        _tk_show_output
        exit 1
    fi
    pass "$1"
}

# assert_fails WHAT: the last `run` failed by itself, not by our timeout.
assert_fails() {
    if [ "$RC" -eq 0 ]; then
        echo "FAIL - $1: expected a failure, got exit status 0"
        _tk_show_output
        exit 1
    fi
    if [ "$RC" -eq 124 ] || [ "$RC" -eq 137 ]; then
        echo "FAIL - $1: expected a failure, but it hung and was killed by timeout"
        _tk_show_output
        exit 1
    fi
    pass "$1 (exit status $RC)"
}

# assert_eq WHAT EXPECTED SEEN
assert_eq() {
    [ "$2" = "$3" ] || fail "$1: expected '$2', saw '$3'"
    pass "$1"
}

# assert_grep WHAT ERE FILE: some line of FILE matches ERE.
assert_grep() {
    if ! grep -Eq -- "$2" "$3"; then
        echo "FAIL - $1: expected a line matching /$2/ in $(basename "$3"), saw:"
        sed 's/^/#     /' "$3" | tail -n 20
        exit 1
    fi
    pass "$1"
}

# assert_contains WHAT TEXT FILE: FILE contains TEXT (a fixed string).
assert_contains() {
    if ! grep -qF -- "$2" "$3"; then
        echo "FAIL - $1: expected '$2' in $(basename "$3"), saw:"
        sed 's/^/#     /' "$3" | tail -n 20
        exit 1
    fi
    pass "$1"
}

# assert_no_grep WHAT ERE FILE: no line of FILE matches ERE.
assert_no_grep() {
    if grep -Eq -- "$2" "$3"; then
        echo "FAIL - $1: expected no line matching /$2/ in $(basename "$3"), saw:"
        grep -E -- "$2" "$3" | sed 's/^/#     /' | head -n 10
        exit 1
    fi
    pass "$1"
}

# assert_no_tpm_leftovers [AFTER]: no transient object and no session in
# the TPM. Without a resource manager the TPM has 3 slots of each, shared by
# every process: a leak breaks the next programs. tpmkit parks its session
# (context-saves it) between operations, so saved sessions count as well.
assert_no_tpm_leftovers() {
    local what=${1:-the test} kind handles found=
    for kind in transient loaded-session saved-session; do
        handles=$(tpm2 getcap "handles-$kind") || fail "tpm2_getcap handles-$kind failed"
        [ -z "$handles" ] || found="$found $kind: [${handles//$'\n'/ }]"
    done
    [ -z "$found" ] || fail "no TPM leftovers after $what: expected none, saw$found"
    pass "no TPM leftovers after $what"
}

# --- TPM traffic, recorded by the tss2 pcap TCTI --------------------------

# with_pcap FILE CMD...: run CMD with tpmkit's TPM traffic recorded in FILE.
with_pcap() {
    local file=$1
    shift
    rm -f "$file"
    TCTI_PCAP_FILE=$file TPMKIT_TCTI="pcap:$TPMKIT_TCTI" "$@"
}

# capture_commands FILE: the TPM commands in the capture, one name per line
# (GetRandom, StartAuthSession, ...), into $T/commands.
capture_commands() {
    [ -s "$1" ] || fail "no TPM traffic was recorded in $(basename "$1")"
    timeout 60 tshark -r "$1" >"$T/tshark.out" 2>"$T/tshark.err" \
        || fail "tshark cannot read $(basename "$1"): $(cat "$T/tshark.err")"
    sed -n 's/.*Command TPM2_CC_\([A-Za-z_]*\).*/\1/p' "$T/tshark.out" >"$T/commands"
    [ -s "$T/commands" ] || fail "tshark decoded no TPM command in $(basename "$1")"
}

# command_count NAME: how often NAME occurs in the last capture_commands.
command_count() {
    grep -cx -- "$1" "$T/commands" || true
}

# assert_command_count WHAT NAME N
assert_command_count() {
    local seen
    seen=$(command_count "$2")
    if [ "$seen" != "$3" ]; then
        echo "FAIL - $1: expected $3 x TPM2_$2, saw $seen; commands sent:"
        uniq -c "$T/commands" | sed 's/^/#   /'
        exit 1
    fi
    pass "$1"
}

# file_has_bytes FILE HEX: true if the bytes HEX occur in FILE.
file_has_bytes() {
    local dump
    dump=$(od -An -v -tx1 "$1" | tr -d ' \n')
    [[ $dump == *"$2"* ]]
}

# --- odds and ends --------------------------------------------------------

# free_port: a loopback TCP port nobody listens on, from 32000-32767: above
# the ports swtpm_start picks and below the kernel's ephemeral range.
free_port() {
    local port
    while :; do
        port=$(( RANDOM % 768 + 32000 ))
        _swtpm_port_free "$port" && { echo "$port"; return; }
    done
}

# wait_for WHAT FILE ERE [SECONDS]: wait until FILE has a line matching ERE.
wait_for() {
    for _ in $(seq 1 $(( ${4:-30} * 10 ))); do
        grep -Eq -- "$3" "$2" 2>/dev/null && return 0
        sleep 0.1
    done
    fail "$1: no line matching /$3/ in $(basename "$2") after ${4:-30} s"
}

# start_proxy MODE [ARGS...]: test/lib/tpm_proxy.py in MODE in front of this
# test's swtpm, on a free port (in $PROXY_PORT, its pid in $PROXY_PID). A
# port another test took between free_port and the bind makes the proxy
# exit: then it is tried again on another port.
start_proxy() {
    local attempt
    for attempt in 1 2 3 4 5; do
        PROXY_PORT=$(free_port)
        rm -f "$T/proxy.ready"
        /usr/bin/python3 "$TK_SOURCE_DIR/test/lib/tpm_proxy.py" --listen "$PROXY_PORT" \
            --tpm "$SWTPM_PORT" --mode "$1" --log "$T/proxy.log" \
            --ready "$T/proxy.ready" "${@:2}" 2>>"$T/proxy.err" &
        PROXY_PID=$!
        TK_BG_PIDS+=("$PROXY_PID")
        for _ in $(seq 1 300); do
            [ -s "$T/proxy.ready" ] && return 0
            kill -0 "$PROXY_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill "$PROXY_PID" 2>/dev/null || true
        echo "# proxy ($1) attempt $attempt did not start: $(tail -n 2 "$T/proxy.err" 2>/dev/null)"
    done
    fail "the TPM proxy ($1) did not start"
}
