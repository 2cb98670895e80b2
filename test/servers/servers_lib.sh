# SPDX-License-Identifier: Apache-2.0
# Sourced by the forking-server tests (issue 12, point 5): common.sh (strict
# mode, $T, a private swtpm), tpm2-abrmd on a private bus, and what every
# server test does: make a TPM key and certificate, configure tpmkit as the
# sample openssl.cnf does (TPM2-SEED seeds the DRBG), fetch pages with curl,
# and check from tpmkit's trace that the forked children did the TPM work.
. "$TK_SOURCE_DIR/test/lib/common.sh"
. "$TK_SOURCE_DIR/test/lib/tabrmd.sh"

# On failure, show the end of the server's logs and of tpmkit's trace
# (files in SERVER_LOGS) before common.sh's clean-up removes them.
SERVER_LOGS=()
_servers_on_exit() {
    local rc=$? f
    if [ "$rc" -ne 0 ]; then
        for f in "${SERVER_LOGS[@]}"; do
            [ -s "$f" ] || continue
            echo "# ${f#"$T"/} (last lines):"
            tail -n 25 "$f" | cut -c 1-300 | sed 's/^/#   /'
        done
        show_sanitizer_reports
    fi
    (exit "$rc")
    _tk_cleanup
}
trap _servers_on_exit EXIT

# need_progs PROG...: skip the test (77) when a program is not installed.
need_progs() {
    local prog
    for prog in "$@"; do
        if ! command -v "$prog" >/dev/null; then
            echo "# SKIP: $prog is not installed (scripts/deps.sh installs it)"
            exit 77
        fi
    done
}
need_progs curl tpm2-abrmd dbus-daemon tpm2_getrandom

# The cases each test runs: the raw swtpm (tpmkit queues on its lock file)
# and tpm2-abrmd in front of it (a resource manager over D-Bus, whose
# client library does not survive fork). TK_SERVER_CASES picks some.
# shellcheck disable=SC2034 # read by the scripts that source this file
SERVER_CASES=${TK_SERVER_CASES:-swtpm tabrmd}
SWTPM_TCTI=$TPMKIT_TCTI

# tk SUBCMD ARGS...: openssl SUBCMD with tpmkit loaded by -provider flags
# (no configuration), as a user makes keys and certificates.
tk() {
    OPENSSL_MODULES=$TK_MODULE_DIR ossl "$1" -provider tpmkit -provider default "${@:2}"
}

# use_case CASE: point TPMKIT_TCTI at CASE's TPM (starting tpm2-abrmd for
# "tabrmd"), write $C/openssl.cnf (the sample configuration with that
# TCTI) and make $C/key.pem (a TPM-resident P-256 key, by
# `openssl genpkey -provider tpmkit`) with its certificate $C/cert.pem
# for localhost. C is the case's own directory; extra args go to
# tabrmd_start (users allowed on the bus).
use_case() {
    CASE=$1
    shift
    C=$T/$CASE
    mkdir -p "$C"
    case $CASE in
    swtpm) export TPMKIT_TCTI=$SWTPM_TCTI ;;
    tabrmd)
        tabrmd_start "$@"
        export TPMKIT_TCTI=$TABRMD_TCTI
        ;;
    *) fail "unknown case $CASE" ;;
    esac
    echo "# --- case $CASE: TPMKIT_TCTI=$TPMKIT_TCTI"
    write_config "$C/openssl.cnf" "tcti=$TPMKIT_TCTI"
    run tk genpkey \
        -algorithm EC -pkeyopt group:P-256 -out "$C/key.pem"
    assert_ok "$CASE: genpkey -provider tpmkit makes a TPM key"
    assert_grep "$CASE: key.pem is a TSS2 key file" '^-----BEGIN TSS2 PRIVATE KEY-----$' "$C/key.pem"
    run tk req -new -x509 -key "$C/key.pem" -subj /CN=localhost \
        -addext subjectAltName=DNS:localhost -days 2 -out "$C/cert.pem"
    assert_ok "$CASE: self-signed certificate for localhost with the TPM key"
    # The trace names the pid of every TPM command: proof of which
    # process (parent or forked child) used the TPM.
    TRACE=$C/trace
    : >"$TRACE"
    SERVER_LOGS=("$TRACE")
    [ "$CASE" != tabrmd ] || SERVER_LOGS+=("$T/tabrmd/abrmd.log")
}

# server_env: the environment a server runs with (export it, or pass it
# with `env`): the case's configuration, TCTI and tpmkit's command trace.
server_env() {
    export OPENSSL_CONF=$C/openssl.cnf TPMKIT_DEBUG="2,file:$TRACE"
    # A sanitizer build preloads the runtime for tpmkit.so; the servers
    # themselves do not free everything at exit. Servers install their own
    # SIGSEGV handlers (Apache's re-raises the signal without a word) and
    # send stderr who knows where: the sanitizers keep their handler and
    # write each report to a file of SANITIZER_DIR, any server user's.
    if [ -n "${TK_PRELOAD:-}" ]; then
        mkdir -p "$SANITIZER_DIR"
        chmod 1777 "$SANITIZER_DIR"
        export LD_PRELOAD=$TK_PRELOAD
        export ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0:allow_user_segv_handler=0:fast_unwind_on_fatal=1:log_path=$SANITIZER_DIR/asan
        export UBSAN_OPTIONS=${UBSAN_OPTIONS:-}:log_path=$SANITIZER_DIR/ubsan
    fi
}
SANITIZER_DIR=$T/sanitizer

# show_sanitizer_reports: the reports the servers' sanitizers wrote.
show_sanitizer_reports() {
    local f
    for f in "$SANITIZER_DIR"/*; do
        [ -s "$f" ] || continue
        echo "# sanitizer report ${f#"$T"/}:"
        head -n 60 "$f" | cut -c 1-300 | sed 's/^/#   /'
    done
}

# end_case [--reclaim]: after the server stopped: stop tpm2-abrmd, then
# the TPM (seen raw, as the next program sees it) holds nothing of the
# server's. --reclaim: the server's children end without exit handlers
# (os._exit), like killed processes, and may leave their parked session
# saved in the TPM; tpmkit promises that the next tpmkit process on the TPM
# reclaims them: run one, then look.
end_case() {
    local kind handles n=0
    if [ "$CASE" = tabrmd ]; then
        tabrmd_stop
    fi
    export TPMKIT_TCTI=$SWTPM_TCTI
    unset OPENSSL_CONF TPMKIT_DEBUG LD_PRELOAD
    if compgen -G "$SANITIZER_DIR/*" >/dev/null; then
        sleep 5 # a sanitizer may still be writing (symbolizing) its report
        fail "$CASE: the server's sanitizers reported errors: $(ls "$SANITIZER_DIR")"
    fi
    if [ "${1:-}" = --reclaim ]; then
        for kind in transient loaded-session saved-session; do
            handles=$(tpm2 getcap "handles-$kind") || fail "tpm2_getcap handles-$kind failed"
            n=$((n + $(grep -c 0x <<<"$handles" || true)))
        done
        echo "# $CASE: $n handle(s) in the TPM after the server stopped, before a new tpmkit process"
        OPENSSL_CONF=$C/openssl.cnf run ossl rand -hex 8
        assert_ok "$CASE: a new tpmkit process (openssl rand) after the server"
        assert_no_tpm_leftovers "$CASE: the server and one more tpmkit process"
        return
    fi
    assert_no_tpm_leftovers "$CASE: the server"
}

# curl_get PORT [CURL ARGS...]: one HTTPS request by a stock curl (no
# tpmkit) that verifies the server against $C/cert.pem; body in $T/out.
curl_get() {
    local port=$1
    shift
    run env -u OPENSSL_CONF -u LD_PRELOAD -u TPMKIT_DEBUG timeout -k 5 30 \
        curl -sS --max-time 20 --cacert "${SERVER_CA:-$C/cert.pem}" \
        --resolve "localhost:$port:127.0.0.1" "$@" "https://localhost:$port/"
}

# wait_listening WHAT PORT [SECONDS]: until something listens on PORT.
# Asks the kernel (ss) where it can: a probe connection that sends nothing
# would be one more connection, and an error, in the server's log.
wait_listening() {
    for _ in $(seq 1 $(( ${3:-30} * 10 ))); do
        if command -v ss >/dev/null; then
            [ -z "$(ss -ltnH "sport = :$2" 2>/dev/null)" ] || return 0
        else
            _swtpm_port_free "$2" || return 0
        fi
        sleep 0.1
    done
    fail "$1: nothing listens on port $2 after ${3:-30} s"
}

# quiet_grep WHAT ERE FILE: assert_grep that says nothing when it holds
# (for checks repeated per request).
quiet_grep() {
    grep -Eq -- "$2" "$3" || assert_grep "$@"
}

# fetch_pages WHAT PORT N EXPECT: N requests one after the other, each must
# succeed within curl's 20 s and answer a body matching the ERE EXPECT.
# Appends each body's first line to $C/bodies.
fetch_pages() {
    local what=$1 port=$2 n=$3 expect=$4 i
    for i in $(seq 1 "$n"); do
        curl_get "$port"
        [ "$RC" -eq 0 ] || assert_ok "$CASE: $what: request $i/$n"
        quiet_grep "$CASE: $what: request $i/$n: the page" "$expect" "$T/out"
        head -n 1 "$T/out" >>"$C/bodies"
    done
    pass "$CASE: $what: $n pages, each as expected"
}

# fetch_parallel WHAT PORT N EXPECT: N requests at once (several children
# on the TPM at the same time); all must succeed.
fetch_parallel() {
    local what=$1 port=$2 n=$3 expect=$4 i rc bad=0
    local -a pids=()
    for i in $(seq 1 "$n"); do
        env -u OPENSSL_CONF -u LD_PRELOAD -u TPMKIT_DEBUG timeout -k 5 30 \
            curl -sS --max-time 20 --cacert "${SERVER_CA:-$C/cert.pem}" \
            --resolve "localhost:$port:127.0.0.1" "https://localhost:$port/" \
            >"$C/par.$i.out" 2>"$C/par.$i.err" &
        pids+=("$!")
    done
    for i in $(seq 1 "$n"); do
        rc=0
        wait "${pids[$((i - 1))]}" || rc=$?
        if [ "$rc" -ne 0 ] || ! grep -Eq -- "$expect" "$C/par.$i.out"; then
            echo "#   parallel request $i: exit status $rc: $(head -c 300 "$C/par.$i.err")"
            bad=$((bad + 1))
        else
            head -n 1 "$C/par.$i.out" >>"$C/bodies"
        fi
    done
    [ "$bad" -eq 0 ] || fail "$CASE: $what: $bad of $n parallel requests failed"
    pass "$CASE: $what: $n parallel requests all answered"
}

# assert_child_did_tpm_work PID: tpmkit's trace shows PID (a forked
# child) signing with the TPM key (TPM2_Sign, 0x15d) and drawing TPM
# randomness (TPM2_GetRandom, 0x17b: the DRBG reseeds after fork from
# TPM2-SEED), both successfully.
assert_child_did_tpm_work() {
    local pid=$1
    quiet_grep "$CASE: forked process $pid signed in the TPM" \
        "^tpmkit\\[$pid\\] .*TPM command 0x15d: rc 0x0 " "$TRACE"
    quiet_grep "$CASE: forked process $pid was seeded by the TPM" \
        "^tpmkit\\[$pid\\] .*TPM command 0x17b: rc 0x0 " "$TRACE"
    pass "$CASE: forked process $pid signed and seeded its DRBG through the TPM"
}

# assert_clean_trace: tpmkit's trace reports no error (its "error N at"
# lines), no TPM command left without a response and no connection trouble
# (the 25 s "did not answer" kind). A TPM command may fail on purpose (a
# probe for a persistent handle): response codes are not judged.
assert_clean_trace() {
    assert_no_grep "$CASE: tpmkit's trace reports no error and no lost TPM response" \
        '^tpmkit\[[0-9]+\] [0-9:.]+ error [0-9]+ at |: no response \(TCTI|unreachable|did not answer' \
        "$TRACE"
}

# wait_gone WHAT PID [SECONDS]: until PID is gone (a server stopping);
# fails (and KILLs it) after SECONDS.
wait_gone() {
    local what=$1 pid=$2
    for _ in $(seq 1 $(( ${3:-30} * 10 ))); do
        _swtpm_alive "$pid" || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    fail "$what: process $pid still there ${3:-30} s after it was told to stop"
}
