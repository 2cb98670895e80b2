# SPDX-License-Identifier: Apache-2.0
# A TPM handle is flushed once, also across a broken connection: a second
# TPM2_FlushContext of the same number fails with TPM_RC_HANDLE at best,
# and on a TPM shared with other processes (no resource manager) the
# number may by then name another process's session. Two cases, counted
# in the recorded TPM traffic (tss2 pcap TCTI):
# - a process whose TPM stopped answering mid-operation (swtpm stopped)
#   abandons its connection; its session, still in the TPM, is flushed
#   once after reconnecting, and nothing is left in the TPM;
# - a flush the TPM ran but whose answer came too late (held past the
#   deadline by a proxy) is not sent again after reconnecting.
. "$TK_SOURCE_DIR/test/lib/common.sh"

/usr/bin/python3 -c 'import cryptography' 2>/dev/null \
    || { echo "# SKIP: /usr/bin/python3 with python3-cryptography missing"; exit 77; }

write_config "$T/openssl.cnf"
export OPENSSL_CONF=$T/openssl.cnf
# Short deadlines keep the stalls short; swtpm answers in milliseconds.
export TPMKIT_TIMEOUTS=quick:2,crypto:4
DIRECT=$TPMKIT_TCTI

# start_rounds PCAP: tk_rounds (one TPM draw per input line) with its TPM
# traffic recorded in PCAP.
start_rounds() {
    coproc ROUNDS { with_pcap "$1" tkprog tk_rounds 2>"$T/rounds.err"; }
    TK_BG_PIDS+=("$ROUNDS_PID")
    rounds_in=${ROUNDS[1]} rounds_out=${ROUNDS[0]}
}
# draw SECONDS: one round; its answer in $answer.
draw() {
    answer=
    echo go >&"$rounds_in"
    read -r -t "$1" answer <&"$rounds_out" || true
}
# draw_ok WHAT: a round that must work.
draw_ok() {
    draw 30
    [[ $answer == ok\ * ]] || fail "$1: expected 'ok <bytes>', saw '$answer'"
}
# draw_until_ok WHAT: rounds until one works (reconnecting may take a few).
draw_until_ok() {
    for _ in 1 2 3 4 5 6; do
        draw 30
        [[ $answer == ok\ * ]] && break
    done
    if [[ $answer != ok\ * ]]; then
        tail -n 5 "$T/rounds.err" | sed 's/^/#   /'
        fail "$1: no round worked (last: '$answer')"
    fi
    pass "$1"
}
stop_rounds() {
    exec {rounds_in}>&-
    wait "$ROUNDS_PID" || fail "tk_rounds did not exit 0"
}
# flushes PCAP AFTER HANDLES UNTIL: how many TPM2_FlushContext of a handle
# matching HANDLES (a regular expression) were sent after the first command
# AFTER (a command code) up to the next command matching UNTIL (one that may
# reuse the number).
flushes() {
    timeout 60 tshark -r "$1" -Y tpm.req.cc -T fields -e tpm.req.cc \
        -e tpm.handle.TPMI_DH_CONTEXT >"$T/fields" 2>"$T/tshark.err" \
        || fail "tshark cannot read $(basename "$1"): $(cat "$T/tshark.err")"
    awk -v after="$2" -v handles="$3" -v until="$4" '
        window && $1 ~ until { exit }
        window && $1 == "0x00000165" && $2 ~ handles { n++ }
        $1 == after { window = 1 }
        END { print n + 0 }' "$T/fields"
}
# session_flushes PCAP AFTER: flushes of a session handle up to the next
# StartAuthSession.
session_flushes() {
    flushes "$1" "$2" '^0x0[23]' '^0x00000176$'
}

# --- a TPM that stops answering mid-operation ---------------------------
start_rounds "$T/stall.pcap"
draw_ok "stalled TPM: first round"
draw_ok "stalled TPM: second round (its session stays parked in the TPM)"
kill -STOP "$SWTPM_PID"
draw 15
kill -CONT "$SWTPM_PID"
assert_eq "stalled TPM: the round against the stopped TPM fails" FAIL "$answer"
draw_until_ok "stalled TPM: rounds work again once the TPM answers"
stop_rounds
# The stalled round's first command was the ContextLoad of the session;
# what follows is the reconnection.
assert_eq "stalled TPM: the abandoned session is flushed once after reconnecting" \
    1 "$(session_flushes "$T/stall.pcap" 0x00000161)"
assert_no_tpm_leftovers "the stalled TPM"

# --- a flush whose answer comes too late ----------------------------------
# The process's first FlushContext is that of the storage primary at the
# end of its first round (a connection's first operation flushes it
# unsaved, and its session ended with the GetRandom): the proxy holds the
# answer 5 s, past the 2 s deadline.
start_proxy slow-rsp --match 165 --nth 1 --delay 5
TPMKIT_TCTI="swtpm:host=127.0.0.1,port=$PROXY_PORT"
start_rounds "$T/late.pcap"
draw 30 # may fail: the connection is cut at its end, maybe mid-round
draw_until_ok "late answer: rounds work after the cut connection"
stop_rounds
TPMKIT_TCTI=$DIRECT
assert_grep "late answer: the proxy held the answer to a FlushContext" \
    "act slow-rsp 0x165" "$T/proxy.log"
# Counted from the first round's GetRandom: the primary's flush, then the
# reconnection up to the next command that makes or loads an object.
assert_eq "late answer: the primary's flush is not sent again after reconnecting" \
    1 "$(flushes "$T/late.pcap" 0x0000017b '^0x80' '^0x00000(131|157|161|167)$')"
run ossl rand -hex 8
assert_ok "the TPM works afterwards"
assert_no_tpm_leftovers
