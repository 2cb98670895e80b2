#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Self-test of tpm_proxy.py, the attacker on the TPM bus of the bus
# protection tests: a private swtpm on free ports, the proxy in front of
# it, tpm2-tools through the proxy. Each mode must do what it says:
#   pass          forwards, over many sequential and concurrent connections,
#                 and the control channel too
#   flip-*        the output carries exactly the bit the log says was flipped
#   truncate-rsp, garbage-rsp, drop-rsp   the exchange breaks, nothing hangs
#   swap-srk      the primary comes back with the attacker's key, consistently
#   swap-parent   a persistent key's ReadPublic shows the attacker's key
#   mitm-random   a session salted to that key serves the attacker's bytes
# With a tpmkit build next to the sources it also reports (without judging)
# what tpmkit does under mitm-random.
#
#   bash test/lib/tpm_proxy_selftest.sh
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROXY=$here/tpm_proxy.py
W=$(mktemp -d "${TMPDIR:-/tmp}/tpm-proxy-selftest.XXXXXX")
SWTPM_PID='' PROXY_PID='' FAILED=0
ATTRS='fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda|restricted|decrypt'

# The tools use OpenSSL too: nothing of the caller's may steer them.
unset OPENSSL_CONF OPENSSL_MODULES TPM2TOOLS_TCTI TPMKIT_TCTI TPMKIT_DEBUG \
      TPMKIT_TPM_IDENTITY LD_PRELOAD

stop_proxy() {
    [ -n "$PROXY_PID" ] || return 0
    kill -TERM "$PROXY_PID" 2>/dev/null || true
    PROXY_RC=0
    wait "$PROXY_PID" 2>/dev/null || PROXY_RC=$?
    PROXY_PID=''
}

# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
    local rc=$?
    set +e
    stop_proxy
    if [ -n "$SWTPM_PID" ]; then
        kill -TERM "$SWTPM_PID" 2>/dev/null
        wait "$SWTPM_PID" 2>/dev/null
    fi
    rm -rf "$W"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

ok() { echo "ok - $*"; }
not_ok() {
    echo "FAIL - $*"
    FAILED=1
}
# check DESCRIPTION CMD...: ok if CMD succeeds.
check() {
    if "${@:2}"; then ok "$1"; else not_ok "$1"; fi
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_pair: an even port P with P and P+1 free, below the kernel's
# ephemeral range so that no outgoing connection holds it meanwhile.
free_pair() {
    local p
    for _ in $(seq 1 50); do
        p=$(((RANDOM % 11000) * 2 + 10000))
        if port_free "$p" && port_free $((p + 1)); then
            echo "$p"
            return 0
        fi
    done
    return 1
}

start_swtpm() {
    mkdir -p "$W/tpm"
    for _ in 1 2 3 4 5; do
        TPM_PORT=$(free_pair)
        swtpm socket --tpm2 \
            --server type=tcp,port="$TPM_PORT",bindaddr=127.0.0.1 \
            --ctrl type=tcp,port=$((TPM_PORT + 1)),bindaddr=127.0.0.1 \
            --flags not-need-init,startup-clear --tpmstate dir="$W/tpm" \
            </dev/null >"$W/swtpm.out" 2>&1 &
        SWTPM_PID=$!
        for _ in $(seq 1 100); do
            kill -0 "$SWTPM_PID" 2>/dev/null || break
            port_free "$TPM_PORT" || return 0
            sleep 0.05
        done
        kill "$SWTPM_PID" 2>/dev/null || true
        wait "$SWTPM_PID" 2>/dev/null || true
        SWTPM_PID=''
    done
    echo "cannot start swtpm: $(cat "$W/swtpm.out")" >&2
    return 1
}

# start_proxy MODE [ARGS...]: the proxy on fresh ports, logging to
# $W/MODE.log; sets PORT, TCTI, LOG.
start_proxy() {
    local mode=$1
    shift
    stop_proxy
    LOG=$W/$mode.log
    : >"$LOG"
    for _ in 1 2 3 4 5; do
        rm -f "$W/ready"
        PORT=$(free_pair)
        /usr/bin/python3 "$PROXY" --listen "$PORT" --tpm "$TPM_PORT" \
            --mode "$mode" --log "$LOG" --ready "$W/ready" "$@" \
            </dev/null >"$W/proxy.err" 2>&1 &
        PROXY_PID=$!
        for _ in $(seq 1 200); do
            if [ -s "$W/ready" ]; then
                TCTI=swtpm:host=127.0.0.1,port=$PORT
                return 0
            fi
            kill -0 "$PROXY_PID" 2>/dev/null || break
            sleep 0.05
        done
        stop_proxy # lost a race for the port: try others
    done
    echo "cannot start the proxy: $(cat "$W/proxy.err")" >&2
    return 1
}

# tpm2 TOOL ARGS...: a tpm2-tools command, bounded in time.
tpm2() { timeout -k 5 30 "tpm2_$1" "${@:2}"; }

# run CMD...: output in $W/out and $W/err, exit status in RC.
run() {
    RC=0
    "$@" >"$W/out" 2>"$W/err" || RC=$?
}

# field KEY FILE: the value of "KEY: value" lines of tpm2-tools output.
field() { sed -n "s/^$1: //p" "$2" | head -n 1; }

# ctrl_caps PORT: swtpm's answer to CMD_GET_CAPABILITY on a control port.
ctrl_caps() {
    # shellcheck disable=SC2016 # expanded by the inner bash
    timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" &&
        printf "\0\0\0\001" >&3 && head -c 8 <&3 | od -An -tx1' _ "$1"
}

start_swtpm
DIRECT=swtpm:host=127.0.0.1,port=$TPM_PORT
echo "# swtpm on $TPM_PORT, scratch $W"

# --- pass ----------------------------------------------------------------
start_proxy pass
check "pass: the ready file holds the proxy's pid" \
    [ "$(cat "$W/ready")" = "$PROXY_PID" ]
run tpm2 getrandom -T "$TCTI" --hex 8
check "pass: tpm2_getrandom 8 through the proxy" \
    test "$RC" = 0 -a "$(grep -cE '^[0-9a-f]{16}$' "$W/out")" = 1
check "pass: the log has the command and its response" \
    grep -qx 'cmd 0x17b len 12' "$LOG"
check "pass: ... and the response line" \
    grep -qx 'rsp 0x17b rc 0x0 len 20' "$LOG"
bad=0
for _ in $(seq 1 20); do
    tpm2 getrandom -T "$TCTI" --hex 8 >/dev/null 2>&1 || bad=$((bad + 1))
done
check "pass: 20 sequential tpm2_getrandom ($bad failed)" [ "$bad" = 0 ]
pids=()
for i in $(seq 1 8); do
    tpm2 getrandom -T "$TCTI" --hex 16 >"$W/conc.$i" 2>&1 &
    pids+=($!)
done
bad=0
for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}" || ! grep -qE '^[0-9a-f]{32}$' "$W/conc.$((i + 1))"
    then
        bad=$((bad + 1))
    fi
done
check "pass: 8 concurrent tpm2_getrandom ($bad failed)" [ "$bad" = 0 ]
direct_caps=$(ctrl_caps $((TPM_PORT + 1)))
proxy_caps=$(ctrl_caps $((PORT + 1)))
check "pass: the control channel answers through the proxy ($proxy_caps)" \
    [ -n "$proxy_caps" -a "$proxy_caps" = "$direct_caps" ]
stop_proxy
check "pass: the proxy exits 0 on SIGTERM" [ "$PROXY_RC" = 0 ]

# --- flip-rsp: the output carries the flipped bit -------------------------
start_proxy flip-rsp --match 0x17b
run tpm2 getrandom -T "$TCTI" --hex 8
# act flip-rsp 0x17b: byte 19 0x4f -> 0x4e
read -r _ _ _ _ _ old _ new < <(grep '^act flip-rsp 0x17b: byte ' "$LOG") || true
if [ -z "${new:-}" ]; then
    not_ok "flip-rsp: no flip logged"
elif [ "$RC" != 0 ]; then
    ok "flip-rsp: tpm2_getrandom failed on the flipped response"
else
    out=$(cat "$W/out")
    check "flip-rsp: the last byte printed is the flipped one ($old -> $new, got 0x${out: -2})" \
        [ "0x${out: -2}" = "$new" -a "$new" != "$old" ]
fi
run tpm2 getrandom -T "$TCTI" --hex 8
check "flip-rsp: the second GetRandom passes untouched (--nth 1)" \
    [ "$RC" = 0 -a "$(grep -c '^act ' "$LOG")" = 1 ]

# --- flip-cmd: bytesRequested 8 becomes 9 --------------------------------
start_proxy flip-cmd --match 0x17b --nth 2
run tpm2 getrandom -T "$TCTI" --hex 8
check "flip-cmd --nth 2: the first GetRandom passes" [ "$RC" = 0 ]
run tpm2 getrandom -T "$TCTI" --hex 8
check "flip-cmd: flipped the low bit of bytesRequested" \
    grep -q '^act flip-cmd 0x17b: byte 11 0x08 -> 0x09$' "$LOG"
if [ "$RC" = 0 ]; then
    check "flip-cmd: the TPM sent 9 bytes" grep -qE '^[0-9a-f]{18}$' "$W/out"
else
    check "flip-cmd: tpm2_getrandom refused the 9 bytes it got" \
        grep -q 'Got 9 bytes' "$W/err"
fi

# --- truncate-rsp, garbage-rsp, drop-rsp: broken, never hung -------------
for mode in truncate-rsp garbage-rsp drop-rsp; do
    start_proxy "$mode" --match 0x17b
    run tpm2 getrandom -T "$TCTI" --hex 8
    check "$mode: logged" grep -q "^act $mode 0x17b: " "$LOG"
    if [ "$mode" = garbage-rsp ] && [ "$RC" = 0 ]; then
        # act garbage-rsp 0x17b: 10 bytes ... (were 0008XXXXXXXXXXXXXXXX)
        were=$(sed -n 's/.*(were \(.*\))$/\1/p' "$LOG")
        check "garbage-rsp: the genuine bytes were not delivered" \
            [ "$(cat "$W/out")" != "${were:4}" ]
    else
        check "$mode: tpm2_getrandom failed, in time (rc $RC)" \
            [ "$RC" != 0 -a "$RC" != 124 -a "$RC" != 137 ]
    fi
done

# --- swap-srk: the attacker's key, consistently --------------------------
stop_proxy
run tpm2 createprimary -T "$DIRECT" -C o -G ecc256:null:aes128cfb -a "$ATTRS" \
    -c "$W/direct.ctx"
check "swap-srk: the primary without the proxy" [ "$RC" = 0 ]
real_x=$(field x "$W/out")
tpm2 flushcontext -T "$DIRECT" -t
start_proxy swap-srk
attacker_x=$(sed -n 's/^act attacker key x \([0-9a-f]*\) y .*/\1/p' "$LOG")
run tpm2 createprimary -T "$TCTI" -C o -G ecc256:null:aes128cfb -a "$ATTRS" \
    -c "$W/proxy.ctx"
check "swap-srk: tpm2_createprimary through the proxy (HMACs and name hold)" \
    [ "$RC" = 0 ]
created_x=$(field x "$W/out")
run tpm2 readpublic -T "$TCTI" -c "$W/proxy.ctx"
read_x=$(field x "$W/out")
check "swap-srk: tpm2_readpublic through the proxy" [ "$RC" = 0 ]
check "swap-srk: the point shown is the attacker's, not the TPM's" \
    [ -n "$real_x" -a -n "$attacker_x" -a "$created_x" = "$attacker_x" \
    -a "$read_x" = "$attacker_x" -a "$read_x" != "$real_x" ]
run tpm2 readpublic -T "$DIRECT" -c "$W/proxy.ctx"
check "swap-srk: without the proxy the same object has the TPM's point" \
    [ "$RC" = 0 -a "$(field x "$W/out")" = "$real_x" ]
check "swap-srk: logged" grep -q '^act swap-srk 0x80' "$LOG"
tpm2 flushcontext -T "$DIRECT" -t

# --- swap-parent: a persistent key's public area --------------------------
run tpm2 createprimary -T "$DIRECT" -C o -G ecc256:null:aes128cfb -a "$ATTRS" \
    -c "$W/parent.ctx"
check "swap-parent: a primary to persist" [ "$RC" = 0 ]
real_x=$(field x "$W/out")
tpm2 evictcontrol -T "$DIRECT" -C o -c "$W/parent.ctx" 0x81000110 >/dev/null
tpm2 flushcontext -T "$DIRECT" -t
start_proxy swap-parent
attacker_x=$(sed -n 's/^act attacker key x \([0-9a-f]*\) y .*/\1/p' "$LOG")
run tpm2 readpublic -T "$TCTI" -c 0x81000110
check "swap-parent: tpm2_readpublic of 0x81000110 shows the attacker's point" \
    [ "$RC" = 0 -a -n "$attacker_x" -a "$(field x "$W/out")" = "$attacker_x" \
    -a "$attacker_x" != "$real_x" ]
run tpm2 createprimary -T "$TCTI" -C o -G ecc256:null:aes128cfb -a "$ATTRS" \
    -c "$W/left.ctx"
check "swap-parent: a created primary is left alone" \
    [ "$RC" = 0 -a "$(field x "$W/out")" = "$real_x" ]
check "swap-parent: logged" grep -q '^act swap-parent 0x81000110: TPM2_ReadPublic swapped' "$LOG"
tpm2 flushcontext -T "$DIRECT" -t
tpm2 evictcontrol -T "$DIRECT" -C o -c 0x81000110 >/dev/null

# --- mitm-random: a session salted to the fake key -----------------------
start_proxy mitm-random
tpm2 createprimary -T "$TCTI" -C o -G ecc256:null:aes128cfb -a "$ATTRS" \
    -c "$W/prim.ctx" >/dev/null
run tpm2 startauthsession -T "$TCTI" --hmac-session -c "$W/prim.ctx" \
    -S "$W/session.ctx"
check "mitm-random: a session salted to the (fake) primary" [ "$RC" = 0 ]
check "mitm-random: the proxy holds both session keys" \
    grep -q '^act mitm session 0x0[23]' "$LOG"
for i in 1 2; do
    run tpm2 getrandom -T "$TCTI" -S "$W/session.ctx" --hex 16
    check "mitm-random: GetRandom $i in the session gets the attacker's bytes" \
        [ "$RC" = 0 -a "$(cat "$W/out")" = "$(printf '41%.0s' $(seq 16))" ]
done
check "mitm-random: the TPM's own bytes are logged" \
    [ "$(grep -c '^act mitm GetRandom session .* genuine [0-9a-f]\{32\} sent 4141' "$LOG")" = 2 ]
check "mitm-random: every HMAC verified (caller's under key A, TPM's under key B)" \
    [ "$(grep -c 'does not verify' "$LOG")" = 0 ]
tpm2 flushcontext -T "$TCTI" "$W/session.ctx" || true
tpm2 flushcontext -T "$DIRECT" -t

# --- tpmkit under mitm-random: reported, not judged ----------------------
build=${TK_BUILD_DIR:-$here/../../build}
if [ -f "$build/tpmkit.so" ] && [ -x "$build/test/progs/tk_rand" ]; then
    sed "s|@TPMKIT_MODULE@|$build/tpmkit.so|" "$here/../../openssl.cnf.sample" \
        >"$W/openssl.cnf"
    start_proxy mitm-random
    RC=0
    OPENSSL_CONF=$W/openssl.cnf TPMKIT_TCTI=$TCTI timeout -k 5 60 \
        "$build/test/progs/tk_rand" seed-hex 32 >"$W/out" 2>"$W/err" || RC=$?
    if [ "$RC" = 0 ] && [ "$(cat "$W/out")" = "$(printf '41%.0s' $(seq 32))" ]; then
        echo "# tpmkit (tpm-identity unset) took the attacker's bytes: $(cat "$W/out")"
    else
        echo "# tpmkit under mitm-random: rc $RC, $(head -c 300 "$W/out" "$W/err")"
    fi
    stop_proxy
fi

if [ "$FAILED" = 0 ]; then
    echo "# tpm_proxy: every mode behaves"
else
    echo "# tpm_proxy: FAILURES above"
fi
exit "$FAILED"
