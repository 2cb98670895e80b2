# SPDX-License-Identifier: Apache-2.0
# Issue 4, item 1: genpkey -algorithm TPM2-HMAC with a secret the TPM makes
# itself, for SHA-1/256/384/512. The file is a TSS2 key file (loadable OID
# 2.23.133.10.1.3) holding a keyedhash HMAC object of that hash whose secret
# came from the TPM (sensitivedataorigin); openssl mac computes with it, the
# same key gives the same MAC every time, two keys give different MACs, and
# the DER form of the file works as well. Also with tpmkit activated by
# openssl.cnf instead of -provider options.
. "$TK_SOURCE_DIR/test/mac/mac_lib.sh"

printf 'a message to authenticate\n' >"$T/msg"
declare -A LEN=([SHA1]=40 [SHA256]=64 [SHA384]=96 [SHA512]=128)
declare -A ALG=([SHA1]=sha1 [SHA256]=sha256 [SHA384]=sha384 [SHA512]=sha512)

for md in SHA1 SHA256 SHA384 SHA512; do
    hmac_key "$T/$md.a.pem" "$md"
    hmac_key "$T/$md.b.pem" "$md"
    run sw asn1parse -in "$T/$md.a.pem"
    assert_ok "$md: asn1parse reads the key file"
    assert_grep "$md: the key file has the loadable-key OID 2.23.133.10.1.3" \
        '^ *[0-9]+:d=1 .*OBJECT +:2\.23\.133\.10\.1\.3$' "$T/out"
    assert_grep "$md: the parent is the standard storage primary 0x40000001" \
        'INTEGER +:40000001$' "$T/out"

    # The public area: a keyedhash HMAC object of this hash, secret made by
    # the TPM, usable for signing (HMAC) only.
    keyfile_public "$T/$md.a.pem" "$T/pub.bin"
    run tpm2 print -t TPM2B_PUBLIC "$T/pub.bin"
    assert_ok "$md: tpm2_print reads the public area"
    assert_eq "$md: object type keyedhash" keyedhash \
        "$(sed -n '/^type:/{n;s/^ *value: //p}' "$T/out")"
    assert_eq "$md: scheme hmac" hmac "$(sed -n '/^algorithm:/{n;s/^ *value: //p}' "$T/out")"
    assert_eq "$md: HMAC hash ${ALG[$md]}" "${ALG[$md]}" \
        "$(sed -n '/^hash-alg:/{n;s/^ *value: //p}' "$T/out")"
    attrs=$(sed -n '/^attributes:/{n;s/^ *value: //p}' "$T/out")
    [[ "|$attrs|" == *"|sensitivedataorigin|"* && "|$attrs|" == *"|sign|"* \
       && "|$attrs|" != *"|decrypt|"* && "|$attrs|" != *"|restricted|"* ]] \
        || fail "$md: a TPM-made HMAC key: sensitivedataorigin|sign, not decrypt or" \
                "restricted (saw $attrs)"
    pass "$md: attributes $attrs"

    tkmac "$T/msg" "key-uri:$T/$md.a.pem" "digest:$md"
    assert_ok "$md: openssl mac with the key file"
    [[ $MAC =~ ^[0-9a-f]{${LEN[$md]}}$ ]] || fail "$md: a ${LEN[$md]}-digit MAC, saw '$MAC'"
    pass "$md: a $((LEN[$md] / 2))-byte MAC"
    mac_a=$MAC
    tkmac "$T/msg" "key-uri:$T/$md.a.pem" "digest:$md"
    assert_mac "$md: the same key and message give the same MAC again" "$mac_a"
    tkmac "$T/msg" "key-uri:$T/$md.a.pem"
    assert_mac "$md: without digest, the key's own hash is used" "$mac_a"
    # The secret is the TPM's: the MAC is not that of an empty or zero key.
    for k in "" 00; do
        sw_mac=$(swmac "$k" "$md" "$T/msg")
        [ "$mac_a" != "$sw_mac" ] || fail "$md: the TPM's MAC is HMAC with key '$k'"
    done
    pass "$md: the MAC is not HMAC with an empty or zero key"

    tkmac "$T/msg" "key-uri:$T/$md.b.pem" "digest:$md"
    assert_ok "$md: openssl mac with the second key"
    [ "$MAC" != "$mac_a" ] || fail "$md: two generated keys give different MACs (both $MAC)"
    pass "$md: two generated keys give different MACs"

    # A different message, a different MAC.
    printf 'a message to authenticatE\n' >"$T/msg2"
    tkmac "$T/msg2" "key-uri:$T/$md.a.pem" "digest:$md"
    assert_ok "$md: a second message"
    [ "$MAC" != "$mac_a" ] || fail "$md: a different message gives a different MAC"
    pass "$md: a different message gives a different MAC"

    # DER key file: the same key.
    sw asn1parse -in "$T/$md.a.pem" -out "$T/$md.a.der" >/dev/null || fail "PEM -> DER"
    tkmac "$T/msg" "key-uri:$T/$md.a.der" "digest:$md"
    assert_mac "$md: the DER key file gives the same MAC" "$mac_a"
done

# tpmkit active for every program through openssl.cnf, no -provider
# options: genpkey and mac still work (ESYS's own HMACs do not land back in
# tpmkit), and plain HMAC is still the software one.
write_config "$T/openssl.cnf"
hex=$(randhex 32)
head -c 20000 /dev/urandom >"$T/big"
want=$(swmac "$hex" SHA256 "$T/big")
OPENSSL_CONF=$T/openssl.cnf run ossl genpkey -algorithm TPM2-HMAC -pkeyopt digest:SHA256 \
    -pkeyopt "hexkey:$hex" -out "$T/conf.pem"
assert_ok "openssl.cnf: genpkey TPM2-HMAC hexkey"
OPENSSL_CONF=$T/openssl.cnf run ossl mac -macopt "key-uri:$T/conf.pem" -in "$T/big" TPM2-HMAC
assert_ok "openssl.cnf: openssl mac TPM2-HMAC"
assert_eq "openssl.cnf: the MAC = software HMAC" "$want" "$(tr 'A-F' 'a-f' <"$T/out")"
OPENSSL_CONF=$T/openssl.cnf run ossl mac -macopt "hexkey:$hex" -macopt digest:SHA256 \
    -in "$T/big" HMAC
assert_ok "openssl.cnf: openssl mac HMAC"
assert_eq "openssl.cnf: plain HMAC unchanged" "$want" "$(tr 'A-F' 'a-f' <"$T/out")"

# Digests the TPM cannot HMAC with are refused at genpkey.
run tk genpkey -algorithm TPM2-HMAC -pkeyopt digest:SHA224 -out "$T/bad.pem"
assert_clean_failure "genpkey digest:SHA224" 'SHA1, SHA256, SHA384 or SHA512'
run tk genpkey -algorithm TPM2-HMAC -pkeyopt digest:NOSUCH -out "$T/bad.pem"
assert_clean_failure "genpkey digest:NOSUCH" 'SHA1, SHA256, SHA384 or SHA512'
assert_no_tpm_leftovers
