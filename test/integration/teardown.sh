# SPDX-License-Identifier: Apache-2.0
# Nothing tpmkit creates in the TPM outlives the process, however the
# program ends; and the leftover check itself does see leftovers.
. "$TK_SOURCE_DIR/test/lib/common.sh"

write_config "$T/openssl.cnf"
export OPENSSL_CONF=$T/openssl.cnf

# The check every test ends with must be able to fail: leave an object.
tpm2 createprimary -Q -C o -c "$T/primary.ctx" || fail "tpm2_createprimary failed"
if (assert_no_tpm_leftovers "tpm2_createprimary" >"$T/check.out"); then
    fail "the leftover check missed a transient object left by tpm2_createprimary"
fi
assert_grep "the leftover check reports a transient object" 'transient: \[.*0x80' "$T/check.out"
tpm2 flushcontext -t || fail "tpm2_flushcontext -t failed"
assert_no_tpm_leftovers "tpm2_flushcontext"

# A program that takes its own reference on tpmkit and never unloads it:
# OpenSSL then never calls the provider's teardown.
run tkprog tk_rand keep-loaded seed-hex 16
assert_ok "draw, then exit without OSSL_PROVIDER_unload"
assert_no_tpm_leftovers "an exit without OSSL_PROVIDER_unload"

run tkprog tk_rand keep-loaded rand-bytes 3 16
assert_ok "RAND_bytes, then exit without OSSL_PROVIDER_unload"
assert_no_tpm_leftovers "RAND_bytes and an exit without OSSL_PROVIDER_unload"

# Failing commands clean up too: genpkey with an unknown curve fails after
# its DRBG was seeded from the TPM.
run with_pcap "$T/fail.pcap" ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:no-such-curve
assert_fails "openssl genpkey with an unknown curve fails"
capture_commands "$T/fail.pcap"
assert_grep "after drawing a seed from the TPM" '^GetRandom$' "$T/commands"
assert_no_tpm_leftovers "a failing openssl command"
