# SPDX-License-Identifier: Apache-2.0
# Issue 3, point 4: pkeyutl -decrypt with a TPM RSA key, PKCS#1 v1.5 and
# OAEP (SHA-1 and SHA-256), both provider orders; the ciphertext comes from
# the default provider and the public key. One TPM2_RSA_Decrypt each.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

genkey "$T/rsa.pem" RSA bits:2048
pubout "$T/rsa.pem" "$T/rsa.pub"
genkey "$T/rsa3072.pem" RSA bits:3072
pubout "$T/rsa3072.pem" "$T/rsa3072.pub"
head -c 48 /dev/urandom >"$T/secret"

PCAP=$T/decrypt.pcap
n=0
# roundtrip WHAT KEY ORDER [PKEYOPT...]: encrypt in software, decrypt in the TPM.
roundtrip() {
    local what=$1 key=$2 order=$3 o
    local -a opts=()
    shift 3
    for o in "$@"; do opts+=(-pkeyopt "$o"); done
    run sw pkeyutl -encrypt -pubin -inkey "$T/$key.pub" "${opts[@]}" -in "$T/secret" -out "$T/ct"
    assert_ok "$what: encrypt with the public key (default provider)"
    rm -f "$T/pt"
    run pcap $order pkeyutl -decrypt -inkey "$T/$key.pem" "${opts[@]}" -in "$T/ct" -out "$T/pt"
    assert_ok "$what: decrypt with the TPM key"
    n=$((n + 1))
    cmp -s "$T/pt" "$T/secret" || fail "$what: the plaintext comes back"
    pass "$what: the plaintext comes back"
}

for order in tk tk_rev; do
    for key in rsa rsa3072; do
        roundtrip "$key $order default padding" $key $order
        roundtrip "$key $order PKCS#1" $key $order rsa_padding_mode:pkcs1
        roundtrip "$key $order OAEP SHA-1" $key $order rsa_padding_mode:oaep
        roundtrip "$key $order OAEP SHA-256" $key $order rsa_padding_mode:oaep rsa_oaep_md:sha256
    done
done
roundtrip "OAEP SHA-256 with MGF1 SHA-256 named" rsa tk rsa_padding_mode:oaep \
    rsa_oaep_md:sha256 rsa_mgf1_md:sha256
roundtrip "OAEP SHA-512" rsa tk rsa_padding_mode:oaep rsa_oaep_md:sha512
roundtrip "OAEP SHA-256 with a label" rsa tk rsa_padding_mode:oaep rsa_oaep_md:sha256 \
    rsa_oaep_label:6c6162656c
capture_commands "$PCAP"
assert_command_count "one TPM2_RSA_Decrypt per decryption" RSA_Decrypt "$n"

# Encrypting to the TPM key file through tpmkit honours the OAEP label: the
# ciphertext decrypts with that label and with no other.
run tk pkeyutl -encrypt -inkey "$T/rsa.pem" -pkeyopt rsa_padding_mode:oaep \
    -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_oaep_label:6c6162656c -in "$T/secret" -out "$T/ct"
assert_ok "OAEP with a label: encrypt to the key file (tpmkit)"
run tk pkeyutl -decrypt -inkey "$T/rsa.pem" -pkeyopt rsa_padding_mode:oaep \
    -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_oaep_label:6c6162656c -in "$T/ct" -out "$T/pt"
assert_ok "OAEP with a label: decrypt with the same label"
cmp -s "$T/pt" "$T/secret" || fail "OAEP with a label: the plaintext comes back"
pass "OAEP with a label: the plaintext comes back"
run tk pkeyutl -decrypt -inkey "$T/rsa.pem" -pkeyopt rsa_padding_mode:oaep \
    -pkeyopt rsa_oaep_md:sha256 -in "$T/ct" -out "$T/pt"
assert_fails "OAEP with a label: decrypting without the label fails"

# Never a silently wrong plaintext.
run sw pkeyutl -encrypt -pubin -inkey "$T/rsa.pub" -pkeyopt rsa_padding_mode:oaep \
    -pkeyopt rsa_oaep_md:sha256 -in "$T/secret" -out "$T/ct"
assert_ok "OAEP SHA-256 ciphertext"
run tk pkeyutl -decrypt -inkey "$T/rsa.pem" -pkeyopt rsa_padding_mode:oaep \
    -pkeyopt rsa_oaep_md:sha1 -in "$T/ct" -out "$T/pt"
if [ "$RC" -eq 0 ] && cmp -s "$T/pt" "$T/secret"; then
    fail "OAEP SHA-256 ciphertext decrypted as OAEP SHA-1"
fi
assert_fails "OAEP with the wrong hash fails"
printf '\x01' | dd of="$T/ct" bs=1 seek=100 conv=notrunc status=none
run tk pkeyutl -decrypt -inkey "$T/rsa.pem" -pkeyopt rsa_padding_mode:oaep \
    -pkeyopt rsa_oaep_md:sha256 -in "$T/ct" -out "$T/pt"
assert_fails "a corrupted OAEP ciphertext fails"
run sw pkeyutl -encrypt -pubin -inkey "$T/rsa3072.pub" -in "$T/secret" -out "$T/ct"
run tk pkeyutl -decrypt -inkey "$T/rsa.pem" -in "$T/ct" -out "$T/pt"
assert_fails "a ciphertext for another key fails"

# A password-protected key decrypts with -passin.
genkey "$T/auth.pem" RSA bits:2048 user-auth:dec-pw
run tk pkey -in "$T/auth.pem" -pubout -out "$T/auth.pub"
assert_ok "password key -pubout"
run sw pkeyutl -encrypt -pubin -inkey "$T/auth.pub" -pkeyopt rsa_padding_mode:oaep \
    -in "$T/secret" -out "$T/ct"
run tk pkeyutl -decrypt -inkey "$T/auth.pem" -passin pass:dec-pw \
    -pkeyopt rsa_padding_mode:oaep -in "$T/ct" -out "$T/pt"
assert_ok "password key decrypts with -passin"
cmp -s "$T/pt" "$T/secret" || fail "password key: the plaintext comes back"
pass "password key: the plaintext comes back"
assert_no_tpm_leftovers
