# SPDX-License-Identifier: Apache-2.0
# Issue 3, robustness: a process loads a TPM key and signs, forks children
# that sign with the inherited key (all at once), and signs again itself.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

genkey "$T/ec.pem" EC group:P-256
genkey "$T/rsa.pem" RSA bits:2048
write_config "$T/openssl.cnf"
export OPENSSL_CONF=$T/openssl.cnf

for k in ec rsa; do
    run tkkeys fork 4 "$T/$k.pem"
    assert_ok "$k: parent + 4 forked children sign with the parent's key"
    assert_eq "$k: every child made and verified its signatures" 4 \
        "$(grep -c '^ok child [0-3]: 2 of 2 signatures$' "$T/out")"
    assert_grep "$k: the parent still signs after the fork" '^ok parent after fork$' "$T/out"
    assert_no_tpm_leftovers "$k fork"
done
assert_no_tpm_leftovers
