# SPDX-License-Identifier: Apache-2.0
# TCTIs that are not plain sockets (device, tabrmd, cmd) are opened by
# tpmkit-relay, a process of its own (tpm/tcti_relay.h). Here the cmd
# TCTI reaches this test's swtpm through test/lib/tcp_stdio.py: the relay
# carries every command, ends with its client, serves forked children, is
# cut off when the TPM hangs (with what its TCTI started), and a missing
# relay program is an error that says so, never a silent fallback.
. "$TK_SOURCE_DIR/test/lib/common.sh"

write_config "$T/openssl.cnf"
export OPENSSL_CONF=$T/openssl.cnf
export TPMKIT_TCTI="cmd:python3 $TK_SOURCE_DIR/test/lib/tcp_stdio.py 127.0.0.1 $SWTPM_PORT"
relay_pattern="tpmkit-relay cmd:python3 .*tcp_stdio.py 127.0.0.1 $SWTPM_PORT\$"
stdio_pattern="tcp_stdio.py 127.0.0.1 $SWTPM_PORT\$"

# no_process WHAT ERE: within 10 s no process has a command line matching ERE.
no_process() {
    for _ in $(seq 1 100); do
        pgrep -f -- "$2" >/dev/null || { pass "$1"; return; }
        sleep 0.1
    done
    fail "$1: still running: $(pgrep -af -- "$2")"
}

run "$TPMKIT_RELAY"
assert_status "tpmkit-relay run by hand refuses, exit 2" 2
assert_grep "and says it is started by tpmkit.so" "started by tpmkit.so" "$T/err"

run ossl rand -hex 16
assert_ok "openssl rand seeded from the TPM through the relay (cmd TCTI)"
no_process "the relay ends with its client" "$relay_pattern"

# The relay is found beside the module when TPMKIT_RELAY is not set.
TPMKIT_RELAY="" OPENSSL_MODULES="$TK_MODULE_DIR" run ossl genpkey \
    -provider tpmkit -provider default -algorithm EC -pkeyopt group:P-256 \
    -out "$T/ec.pem"
assert_ok "a TPM key made through the relay found beside tpmkit.so"
echo hello >"$T/msg"
run ossl dgst -sha256 -provider tpmkit -provider default -sign "$T/ec.pem" \
    -out "$T/sig" "$T/msg"
assert_ok "signing with the TPM key through the relay"
run ossl pkey -provider tpmkit -provider default -in "$T/ec.pem" -pubout \
    -out "$T/ec.pub"
assert_ok "its public key"
run ossl dgst -sha256 -verify "$T/ec.pub" -signature "$T/sig" "$T/msg"
assert_ok "the signature verifies in software"

run tkprog tk_fork 4
assert_ok "4 forked children each draw through a relay of their own"
assert_eq "parent, 4 children and parent again all drew" 6 "$(wc -l <"$T/out")"
no_process "no relay outlives the forked children and their parent" "$relay_pattern"

# A missing relay program: an error that names it; seeding fails closed.
TPMKIT_RELAY=$T/no-such-relay run ossl rand -hex 16
assert_fails "openssl rand without the relay program fails (no silent OS seeding)"
assert_grep "the error names the missing program" "cannot start $T/no-such-relay" "$T/err"
assert_grep "and says what to check" "installed completely" "$T/err"

# A hung TPM behind a relayed TCTI: bounded like a socket one.
kill -STOP "$SWTPM_PID"
TK_TIMEOUT=30 run ossl rand -hex 16
kill_status=$RC
kill -CONT "$SWTPM_PID"
RC=$kill_status
[ "$RC" -ne 124 ] && [ "$RC" -ne 137 ] || fail "openssl rand against a hung TPM behind the relay was still waiting after 30 s"
assert_fails "a hung TPM behind the relay: openssl rand fails (in seconds)"
assert_grep "the error says the TPM did not answer in time" "did not answer in time" "$T/err"
no_process "the stuck relay is killed" "$relay_pattern"
no_process "with the program its TCTI started" "$stdio_pattern"

# A running process whose relayed TPM hangs, then answers again.
coproc ROUNDS { tkprog tk_rounds 2>"$T/rounds.err"; }
TK_BG_PIDS+=("$ROUNDS_PID")
rounds_in=${ROUNDS[1]} rounds_out=${ROUNDS[0]}
answer=
echo go >&"$rounds_in"
read -r -t 30 answer <&"$rounds_out" || true
[[ $answer == ok\ * ]] || fail "a running process: first draw: expected 'ok <bytes>', saw '$answer'"
kill -STOP "$SWTPM_PID"
answer=
echo go >&"$rounds_in"
read -r -t 30 answer <&"$rounds_out" || true
kill -CONT "$SWTPM_PID"
assert_eq "a running process: the draw from the hung TPM fails" FAIL "$answer"
answer=
echo go >&"$rounds_in"
read -r -t 30 answer <&"$rounds_out" || true
[[ $answer == ok\ * ]] || fail "a running process: expected 'ok <bytes>' once the TPM answers, saw '$answer'"
pass "a running process: draws work again through a new relay"
exec {rounds_in}>&-
wait "$ROUNDS_PID" || fail "tk_rounds did not exit 0"
no_process "no relay left at the end" "$relay_pattern"
assert_no_tpm_leftovers
