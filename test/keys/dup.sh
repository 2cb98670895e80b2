# SPDX-License-Identifier: Apache-2.0
# Copies of tpmkit keys and signature contexts (EVP_PKEY_dup,
# EVP_PKEY_copy_parameters, EVP_MD_CTX_copy_ex, EVP_PKEY_CTX_dup): a copy
# changes independently of its original, a copied context finishes with a
# valid signature at any stage, and a copy that fails half-way (an
# allocation failing) loses no reference. tk_dup counts tpmkit's key
# objects and contexts; the sanitizer build also checks for any leak.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

genkey "$T/ec.pem" EC group:P-256
genkey "$T/rsa.pem" RSA bits:2048
genkey "$T/rsapss.pem" RSA-PSS bits:2048
# A restricted signing key (tpm2-tools): its contexts carry the message
# itself, for the TPM to hash.
tpm2 createprimary -C o -g sha256 -G ecc256:aes128cfb \
    -a "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda|restricted|decrypt" \
    -c "$T/primary.ctx" >/dev/null || fail "tpm2_createprimary"
tools_cleanup
tpm2 create -C "$T/primary.ctx" -G ecc256:ecdsa-sha256:null \
    -a "restricted|sign|fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda" \
    -u "$T/restricted.pub.bin" -r "$T/restricted.priv.bin" >/dev/null \
    || fail "tpm2_create (restricted)"
tools_cleanup
tpm2 encodeobject -C 0x40000001 -u "$T/restricted.pub.bin" -r "$T/restricted.priv.bin" \
    -o "$T/restricted.pem" >/dev/null || fail "tpm2_encodeobject (restricted)"
tools_cleanup
KEYS=("$T/ec.pem" "$T/rsa.pem" "$T/rsapss.pem" "$T/restricted.pem")

write_config "$T/openssl.cnf"
export OPENSSL_CONF=$T/openssl.cnf

# tk_dup_ok WHAT ARGS...: tk_dup ARGS... passes every one of its checks.
tk_dup_ok() {
    local what=$1
    shift
    run tkdup "$@"
    grep '^FAIL' "$T/out" || true
    assert_ok "$what"
    assert_grep "$what: no tpmkit key object or context outlives its last user" \
        '^ok every tpmkit key object and signature context was freed' "$T/out"
    echo "#   $(grep -c '^ok' "$T/out") checks passed"
}

tk_dup_ok "an ephemeral EC key and its copies (EVP_PKEY_dup, copy_parameters)" ephemeral
assert_grep "a public point set on a copy leaves the original alone" \
    '^ok EVP_PKEY_dup: the original keeps its own point$' "$T/out"
assert_grep "libssl's peer key share (copy_parameters + set1_encoded_public_key) leaves our key alone" \
    '^ok EVP_PKEY_copy_parameters: the original keeps its own point$' "$T/out"

for k in ec rsa; do
    tk_dup_ok "$k: copies of a TPM key outlive each other" key "$T/$k.pem"
done
assert_no_tpm_leftovers "key copies"

tk_dup_ok "signature contexts copied after init and after update" sigctx "${KEYS[@]}"
for what in "digest-sign context copied after init" "digest-sign context copied after update" \
    "digest-verify context copied after update" "sign context copied after init"; do
    assert_grep "ec: $what: the copy works" "^ok ec.pem: $what: the copy works\$" "$T/out"
done
for stage in init update; do
    assert_grep "restricted key: digest-sign context copied after $stage: the copy works" \
        "^ok restricted.pem: digest-sign context copied after $stage: the copy works\$" "$T/out"
done
assert_no_tpm_leftovers "context copies"

tk_dup_ok "copies with the 1st, 2nd, ... allocation failing" oom "${KEYS[@]}"
assert_no_tpm_leftovers
