# KNOWN GAP (issue 3, open): registered as an expected failure. An RSA-PSS
# key must stay an RSA-PSS key once written to a file: id-RSASSA-PSS in its
# SubjectPublicKeyInfo, and no PKCS#1 v1.5 signatures. Today the TSS2 file
# reads back as a plain RSA key (the TPM blob does not record the
# difference). When this passes, meson reports an unexpected pass: move
# these checks back into genpkey.sh.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

genkey "$T/rsapss.pem" RSA-PSS bits:2048
printf 'message\n' >"$T/msg"
run tk pkey -in "$T/rsapss.pem" -pubout -out "$T/rsapss.pub"
assert_ok "RSA-PSS key: -pubout"
run sw asn1parse -in "$T/rsapss.pub"
assert_ok "RSA-PSS public key parses"
assert_grep "RSA-PSS key: -pubout writes an id-RSASSA-PSS public key" \
    'OBJECT +:rsassaPss$' "$T/out"
run tk dgst -sha256 -sign "$T/rsapss.pem" -sigopt rsa_padding_mode:pkcs1 -out "$T/sig" "$T/msg"
assert_fails "RSA-PSS key refuses a PKCS#1 v1.5 signature"
assert_no_tpm_leftovers
