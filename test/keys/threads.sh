# SPDX-License-Identifier: Apache-2.0
# Issue 3, robustness: 8 threads sign with one shared EVP_PKEY (EC and RSA
# TPM keys); every signature is made and verifies.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

genkey "$T/ec.pem" EC group:P-256
genkey "$T/rsa.pem" RSA bits:2048
write_config "$T/openssl.cnf"
export OPENSSL_CONF=$T/openssl.cnf

for k in ec rsa; do
    run tkkeys threads 8 6 "$T/$k.pem"
    assert_ok "$k: 8 threads x 6 signatures with one shared key"
    assert_eq "$k: all 8 threads made and verified all their signatures" 8 \
        "$(grep -c '^ok thread [0-7]: 6 of 6 signatures$' "$T/out")"
    assert_no_tpm_leftovers "$k threads"
done
assert_no_tpm_leftovers
