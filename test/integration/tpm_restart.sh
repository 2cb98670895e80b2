# SPDX-License-Identifier: Apache-2.0
# The TPM is restarted or reset under a running process: the next draw
# notices, rebuilds the primary and session, and succeeds.
. "$TK_SOURCE_DIR/test/lib/common.sh"

write_config "$T/openssl.cnf"
export OPENSSL_CONF=$T/openssl.cnf

# tk_rounds draws once per line it reads and answers "ok <hex>" or "FAIL".
coproc ROUNDS { tkprog tk_rounds 2>"$T/rounds.err"; }
TK_BG_PIDS+=("$ROUNDS_PID")
rounds_in=${ROUNDS[1]} rounds_out=${ROUNDS[0]}

# round WHAT: one draw in the running process.
round() {
    local answer=
    echo go >&"$rounds_in"
    read -r -t 30 answer <&"$rounds_out" || true
    if [[ $answer != ok\ * ]]; then
        echo "FAIL - $1: expected 'ok <bytes>', saw '${answer:-nothing within 30 s}'"
        sed 's/^/#   /' "$T/rounds.err" | tail -n 20
        exit 1
    fi
    pass "$1"
}

tpm_reset() {
    timeout 10 swtpm_ioctl --tcp "127.0.0.1:$((SWTPM_PORT + 1))" -i \
        || fail "swtpm_ioctl -i (TPM reset) failed"
}

round "first draw"
swtpm_restart || fail "swtpm did not restart"
round "draw after swtpm was restarted"
swtpm_restart || fail "swtpm did not restart"
round "draw after a second swtpm restart"

# CMD_INIT resets the TPM. swtpm 0.7.1 then waits for TPM2_Startup (its
# startup-clear flag only applies when swtpm starts).
tpm_reset
tpm2 startup -c || fail "tpm2_startup -c after the reset failed"
round "draw after a TPM reset + TPM2_Startup"
tpm_reset
round "draw after a TPM reset with no TPM2_Startup (tpmkit must start it)"
round "one more draw"

exec {rounds_in}>&-
wait "$ROUNDS_PID" && RC=0 || RC=$?
assert_eq "tk_rounds exits 0 at end of input" 0 "$RC"
assert_no_tpm_leftovers
