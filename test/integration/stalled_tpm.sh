# SPDX-License-Identifier: Apache-2.0
# A TPM that accepts connections but never answers (a hung swtpm, here
# stopped with SIGSTOP: the kernel still completes connect() for it, only
# the answers never come). What needs the TPM must fail within a few
# seconds, never hang: both for a new process and for one that is already
# connected.
. "$TK_SOURCE_DIR/test/lib/common.sh"

write_config "$T/openssl.cnf"
export OPENSSL_CONF=$T/openssl.cnf

run ossl rand -hex 16
assert_ok "openssl rand works while the TPM answers"

kill -STOP "$SWTPM_PID"
TK_TIMEOUT=10 run ossl rand -hex 16
assert_fails "a new process: openssl rand against a hung TPM fails within 10 s"
assert_contains "the error names the TCTI" "TCTI \"$TPMKIT_TCTI\"" "$T/err"
kill -CONT "$SWTPM_PID"

run ossl rand -hex 16
assert_ok "openssl rand works again once the TPM answers"

# A running process (tk_rounds draws once per input line) whose TPM hangs.
coproc ROUNDS { tkprog tk_rounds 2>"$T/rounds.err"; }
TK_BG_PIDS+=("$ROUNDS_PID")
rounds_in=${ROUNDS[1]} rounds_out=${ROUNDS[0]}
answer=
echo go >&"$rounds_in"
read -r -t 30 answer <&"$rounds_out" || true
[[ $answer == ok\ * ]] || fail "a running process: first draw: expected 'ok <bytes>', saw '$answer'"
pass "a running process: first draw works"

kill -STOP "$SWTPM_PID"
answer=
echo go >&"$rounds_in"
read -r -t 10 answer <&"$rounds_out" || true
kill -CONT "$SWTPM_PID"
[ -n "$answer" ] || fail "a running process: a draw from the hung TPM must fail within 10 s, it hung"
assert_eq "a running process: the draw from the hung TPM fails" FAIL "$answer"

answer=
echo go >&"$rounds_in"
read -r -t 30 answer <&"$rounds_out" || true
[[ $answer == ok\ * ]] || fail "a running process: expected 'ok <bytes>' once the TPM answers, saw '$answer'"
pass "a running process: draws work again once the TPM answers"
exec {rounds_in}>&-
wait "$ROUNDS_PID" || fail "tk_rounds did not exit 0"

# Key creation against a hung TPM: the long limit is for the creation
# command only, so connecting fails in seconds (not after 180 s).
kill -STOP "$SWTPM_PID"
OPENSSL_MODULES=$TK_MODULE_DIR TK_TIMEOUT=30 run ossl genpkey -provider tpmkit \
    -provider default -algorithm EC -pkeyopt group:P-256 -out "$T/k.pem"
kill -CONT "$SWTPM_PID"
[ "$RC" -ne 124 ] && [ "$RC" -ne 137 ] || fail "genpkey against a hung TPM was still waiting after 30 s"
assert_fails "genpkey against a hung TPM fails within 30 s"
assert_grep "genpkey: says the TPM did not answer in time" "did not answer in time" "$T/err"

# A process whose TPM hangs at exit: the exit-time flush of its parked
# session is bounded too.
coproc EXITER { exec "$TK_PROGS/tk_rounds" 2>"$T/exiter.err"; }
answer=
echo go >&"${EXITER[1]}"
read -r -t 30 answer <&"${EXITER[0]}" || true
[[ $answer == ok\ * ]] || fail "exit test: first draw: '$answer'"
exiter=$EXITER_PID
kill -STOP "$SWTPM_PID"
exiter_in=${EXITER[1]}
exec {exiter_in}>&-
exited=0
for _ in $(seq 1 300); do
    kill -0 "$exiter" 2>/dev/null || { exited=1; break; }
    sleep 0.1
done
kill -CONT "$SWTPM_PID"
[ "$exited" -eq 1 ] || { kill -KILL "$exiter" 2>/dev/null; fail "a process whose TPM hung at exit did not exit within 30 s"; }
pass "a process whose TPM hangs at exit still exits (within 30 s)"
run ossl rand -hex 8
assert_ok "the TPM works again"
assert_no_tpm_leftovers
