# SPDX-License-Identifier: Apache-2.0
# Issue 3, point 1: openssl genpkey -provider tpmkit -provider default (no
# -propquery) creates RSA 2048/3072, RSA-PSS and EC P-256/384/521 keys in the
# TPM under the standard storage primary and writes TSS2 PRIVATE KEY files;
# user-auth protects a key with a password; parent / parent-auth put the key
# under a persistent parent made by tpm2-tools.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

declare -A ALG=([rsa2048]=RSA [rsa3072]=RSA [rsapss]=RSA-PSS [p256]=EC [p384]=EC [p521]=EC)
declare -A OPT=([rsa2048]=bits:2048 [rsa3072]=bits:3072 [rsapss]=bits:2048
                [p256]=group:P-256 [p384]=group:P-384 [p521]=group:P-521)
declare -A TEXT=([rsa2048]='^Public-Key: \(2048 bit\)$' [rsa3072]='^Public-Key: \(3072 bit\)$'
                 [rsapss]='^Public-Key: \(2048 bit\)$' [p256]='^NIST CURVE: P-256$'
                 [p384]='^NIST CURVE: P-384$' [p521]='^NIST CURVE: P-521$')
declare -A PUBTEXT=([rsa2048]='Public-Key: \(2048 bit\)' [rsa3072]='Public-Key: \(3072 bit\)'
                    [rsapss]='Public-Key: \(2048 bit\)' [p256]='^NIST CURVE: P-256$'
                    [p384]='^NIST CURVE: P-384$' [p521]='^NIST CURVE: P-521$')
for k in rsa2048 rsa3072 rsapss p256 p384 p521; do
    genkey "$T/$k.pem" "${ALG[$k]}" "${OPT[$k]}"
    assert_grep "$k: PEM footer" '^-----END TSS2 PRIVATE KEY-----$' "$T/$k.pem"
    assert_no_grep "$k: no software private key in the file" 'BEGIN (RSA |EC )?PRIVATE KEY' "$T/$k.pem"
    run sw asn1parse -in "$T/$k.pem"
    assert_ok "$k: the file is DER inside"
    assert_grep "$k: loadable key OID 2.23.133.10.1.3" 'OBJECT +:2\.23\.133\.10\.1\.3$' "$T/out"
    assert_grep "$k: parent is the storage primary 0x40000001" 'INTEGER +:40000001$' "$T/out"
    run tk pkey -in "$T/$k.pem" -text -noout
    assert_ok "$k: pkey -text"
    assert_grep "$k: the key has the requested size/curve" "${TEXT[$k]}" "$T/out"
    pubout "$T/$k.pem" "$T/$k.pub"
    run sw pkey -pubin -in "$T/$k.pub" -text -noout
    assert_ok "$k: the default provider reads the public key"
    assert_grep "$k: public key has the requested size/curve" "${PUBTEXT[$k]}" "$T/out"
    sign_verify "$k" "$T/$k.pem" "$T/$k.pub"
done
# Two keys are two different keys.
cmp -s "$T/p256.pub" "$T/p384.pub" && fail "P-256 and P-384 public keys differ"
genkey "$T/p256b.pem" EC group:P-256
pubout "$T/p256b.pem" "$T/p256b.pub"
if cmp -s "$T/p256.pub" "$T/p256b.pub"; then fail "two P-256 keys differ"; fi
pass "two generated P-256 keys differ"
assert_no_tpm_leftovers "key generation"

# --- user-auth -----------------------------------------------------------
genkey "$T/auth.pem" EC group:P-256 user-auth:s3cret-pw
run tk pkey -in "$T/auth.pem" -passin pass:s3cret-pw -text -noout
assert_ok "password key: pkey -text with -passin"
assert_grep "password key: emptyAuth FALSE" 'emptyAuth: FALSE' "$T/out"
run tk pkey -in "$T/auth.pem" -passin pass:s3cret-pw -pubout -out "$T/auth.pub"
assert_ok "password key: pkey -pubout"
sign_verify "password key with the right password" "$T/auth.pem" "$T/auth.pub" \
    -passin pass:s3cret-pw
genkey "$T/authrsa.pem" RSA bits:2048 user-auth:another
run tk pkey -in "$T/authrsa.pem" -pubout -out "$T/authrsa.pub"
assert_ok "RSA password key: pkey -pubout"
sign_verify "RSA password key with the right password" "$T/authrsa.pem" "$T/authrsa.pub" \
    -passin pass:another
assert_no_tpm_leftovers "password keys"

# --- a persistent parent made by tpm2-tools --------------------------------
tpm2 createprimary -C o -G ecc256 -c "$T/primary.ctx" >/dev/null \
    || fail "tpm2_createprimary"
tpm2 evictcontrol -C o -c "$T/primary.ctx" 0x81000001 >/dev/null \
    || fail "tpm2_evictcontrol to 0x81000001"
tools_cleanup
pass "persistent parent at 0x81000001 (tpm2-tools)"
for a in "EC group:P-256" "RSA bits:2048"; do
    set -- $a
    genkey "$T/child.pem" "$1" "$2" parent:0x81000001
    run sw asn1parse -in "$T/child.pem"
    assert_grep "$1 key under 0x81000001: the file names the parent" 'INTEGER +:81000001$' "$T/out"
    run tk pkey -in "$T/child.pem" -text -noout
    assert_ok "$1 key under 0x81000001: pkey -text"
    assert_grep "$1 key under 0x81000001: -text names the parent" 'parent: 0x81000001' "$T/out"
    pubout "$T/child.pem" "$T/child.pub"
    sign_verify "$1 key under 0x81000001" "$T/child.pem" "$T/child.pub"
done
assert_no_tpm_leftovers "keys under a persistent parent"

# A parent with a password: parent-auth.
tpm2 createprimary -C o -G ecc256 -p parent-pw -c "$T/primary2.ctx" >/dev/null \
    || fail "tpm2_createprimary with a password"
tpm2 evictcontrol -C o -c "$T/primary2.ctx" 0x81000003 >/dev/null \
    || fail "tpm2_evictcontrol to 0x81000003"
tools_cleanup
genkey "$T/child2.pem" EC group:P-256 parent:0x81000003 parent-auth:parent-pw
run sw asn1parse -in "$T/child2.pem"
assert_grep "key under 0x81000003: the file names the parent" 'INTEGER +:81000003$' "$T/out"
run tk genpkey -algorithm EC -pkeyopt group:P-256 -pkeyopt parent:0x81000003 \
    -pkeyopt parent-auth:wrong -out "$T/child3.pem"
assert_fails "genpkey with a wrong parent-auth"
assert_grep "wrong parent-auth: the error says authorization failed" \
    '[Aa]uthori[sz]ation|auth' "$T/err"
run tk genpkey -algorithm EC -pkeyopt group:P-256 -pkeyopt parent:0x81000009 -out "$T/child4.pem"
assert_fails "genpkey under a parent handle that does not exist"

# --- an RSA-PSS key is an RSA-PSS key, as in the default provider ---------
# Its SubjectPublicKeyInfo says id-RSASSA-PSS (so certificates and verifiers
# know it may only make PSS signatures), and it refuses PKCS#1 v1.5, also
# after a round trip through its key file.
run sw asn1parse -in "$T/rsapss.pub"
assert_ok "RSA-PSS public key parses"
assert_grep "RSA-PSS key: -pubout writes an id-RSASSA-PSS public key" \
    'OBJECT +:rsassaPss$' "$T/out"
printf 'a message\n' >"$T/msg"
run tk dgst -sha256 -sign "$T/rsapss.pem" -out "$T/sig" "$T/msg"
assert_ok "RSA-PSS key (read back from its file) signs"
run sw dgst -sha256 -verify "$T/rsapss.pub" -signature "$T/sig" "$T/msg"
assert_grep "RSA-PSS signature verifies with the default provider" '^Verified OK$' "$T/out"
run tk dgst -sha256 -sign "$T/rsapss.pem" -sigopt rsa_padding_mode:pkcs1 -out "$T/sig" "$T/msg"
assert_fails "RSA-PSS key refuses a PKCS#1 v1.5 signature"
assert_grep "the refusal says why" 'pss padding only' "$T/err"

tools_cleanup
assert_no_tpm_leftovers
