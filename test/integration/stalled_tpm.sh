# A TPM that accepts the connection but never answers (a hung swtpm, here
# stopped with SIGSTOP). An operation that needs it must fail within a few
# seconds, never hang.
. "$TK_SOURCE_DIR/test/lib/common.sh"

write_config "$T/openssl.cnf"
export OPENSSL_CONF=$T/openssl.cnf

run ossl rand -hex 16
assert_ok "openssl rand works while the TPM answers"

kill -STOP "$SWTPM_PID"
# The kernel still accepts connections for the stopped process: connect()
# succeeds and only the answer never comes.
TK_TIMEOUT=10 run ossl rand -hex 16
assert_fails "openssl rand against a hung TPM fails within 10 s"
assert_contains "the error names the TCTI" "TCTI \"$TPMKIT_TCTI\"" "$T/err"
kill -CONT "$SWTPM_PID"

run ossl rand -hex 16
assert_ok "openssl rand works again once the TPM answers"
assert_no_tpm_leftovers
