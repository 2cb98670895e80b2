# SPDX-License-Identifier: Apache-2.0
# Sourced by the per-session TLS-PSK tests (test/psk): common.sh (strict
# mode, scratch dir $T, a private swtpm) plus helpers to run
# tpmkit-psk-server / -client and to check the PSKs they print.
. "$TK_SOURCE_DIR/test/lib/common.sh"

: "${TK_PSK_SERVER:?}" "${TK_PSK_CLIENT:?}" "${TK_AWS_SIGV4:?}"

# Under sanitizers, a report gets an exit status of its own, so that a
# test expecting a plain failure (status 1) cannot mistake one for it.
if [ "${TK_SANITIZED:-0}" = 1 ]; then
    export ASAN_OPTIONS="${ASAN_OPTIONS:-}:exitcode=86"
    export UBSAN_OPTIONS="${UBSAN_OPTIONS:-}:exitcode=86"
fi

# The programs load tpmkit by name when the configuration has not: tell
# OpenSSL where the module is.
export OPENSSL_MODULES=$TK_MODULE_DIR

TK_PROVIDERS=(-provider tpmkit -provider default)

# tk SUBCMD ARGS...: openssl with tpmkit (for genpkey).
tk() {
    ossl "$1" "${TK_PROVIDERS[@]}" "${@:2}"
}

# sw SUBCMD ARGS...: openssl with the default provider only: the
# independent reference.
sw() {
    env -u OPENSSL_MODULES OPENSSL_CONF=/dev/null timeout -k 5 60 openssl "$@"
}

# hmac_key FILE HEX: a TPM HMAC key (SHA-256) holding the secret HEX.
hmac_key() {
    run tk genpkey -algorithm TPM2-HMAC -pkeyopt digest:SHA256 \
        -pkeyopt "hexkey:$2" -out "$1"
    assert_ok "genpkey TPM2-HMAC -> $(basename "$1")"
    assert_grep "$(basename "$1") is a TSS2 key file" \
        '^-----BEGIN TSS2 PRIVATE KEY-----$' "$1"
}

# start_psk_server LOG [VAR=VALUE...] ARGS...: tpmkit-psk-server ARGS on a
# free port in the background (environment VAR=VALUE), output in LOG and
# LOG.err; returns once it listens. Sets SERVER_PID and SERVER_PORT.
start_psk_server() {
    local log=$1
    local -a envs=()
    shift
    SERVER_LOG=$log
    while [ $# -gt 0 ] && [[ $1 != -* && $1 == *=* ]]; do
        envs+=("$1")
        shift
    done
    # A previous server's log would already say "listening".
    rm -f "$log" "$log.err"
    env "${envs[@]}" timeout -k 5 "${TK_TIMEOUT:-120}" \
        "$TK_PSK_SERVER" --port 0 "$@" >"$log" 2>"$log.err" </dev/null &
    SERVER_PID=$!
    TK_BG_PIDS+=("$SERVER_PID")
    for _ in $(seq 1 600); do
        grep -q '^listening on ' "$log" && break
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "FAIL - tpmkit-psk-server did not start:"
            sed 's/^/#   /' "$log.err" | tail -n 15
            exit 1
        fi
        sleep 0.1
    done
    wait_for "tpmkit-psk-server listens" "$log" '^listening on ' 1
    SERVER_PORT=$(sed -n 's/^listening on .*:\([0-9][0-9]*\) (.*/\1/p' "$log")
    [ -n "$SERVER_PORT" ] || fail "no port in the server's first line: $(head -n 1 "$log")"
}

# server_exit WHAT STATUS: the server exits by itself (its --count is done)
# with STATUS.
server_exit() {
    local rc=0
    wait "$SERVER_PID" || rc=$?
    if [ "$rc" -ne "$2" ]; then
        echo "FAIL - $1: expected the server to exit with $2, got $rc"
        sed 's/^/#   stdout: /' "$SERVER_LOG" | tail -n 15
        sed 's/^/#   stderr: /' "$SERVER_LOG.err" | tail -n 15
        exit 1
    fi
    pass "$1"
}

# psk_client ARGS...: tpmkit-psk-client against the last server.
psk_client() {
    timeout -k 5 "${TK_TIMEOUT:-60}" "$TK_PSK_CLIENT" --port "$SERVER_PORT" "$@"
}

# psk_lines FILE: the --show-psk lines of FILE, in order.
psk_lines() {
    grep '^session-psk ' "$1" || true
}

# field LINE NAME: the value of NAME=... in a session-psk line.
field() {
    sed -n "s/.* $2=\([0-9a-f]*\).*/\1/p" <<<"$1"
}

# expected_psk KEYHEX MODE CR [SR]: HMAC-SHA256 over the label and the
# randoms, computed by plain OpenSSL (not by the programs' code).
expected_psk() {
    local label
    if [ "$2" = tls13 ]; then
        label='tpmkit tls13 psk'
    else
        label='pre master secret'
    fi
    { printf '%s' "$label"; printf '%s%s' "$3" "${4:-}" | xxd -r -p; } >"$T/psk-input"
    sw mac -macopt "hexkey:$1" -macopt digest:SHA256 -in "$T/psk-input" HMAC \
        | tr 'A-F' 'a-f'
}

# check_psk_line WHAT LINE KEYHEX MODE: the PSK printed in LINE is the HMAC
# of the printed randoms under KEYHEX.
check_psk_line() {
    local cr sr psk
    cr=$(field "$2" client_random)
    sr=$(field "$2" server_random)
    psk=$(field "$2" psk)
    [ ${#cr} -eq 64 ] || fail "$1: no 32-byte client_random in '$2'"
    if [ "$4" = tls13 ]; then
        [ -z "$sr" ] || fail "$1: TLS 1.3 derivation must not use a server random: '$2'"
    else
        [ ${#sr} -eq 64 ] || fail "$1: no 32-byte server_random in '$2'"
        [ "$sr" != "$(printf '0%.0s' {1..64})" ] || fail "$1: server random is all zeros"
    fi
    assert_eq "$1" "$(expected_psk "$3" "$4" "$cr" "$sr")" "$psk"
}
