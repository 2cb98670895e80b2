# SPDX-License-Identifier: Apache-2.0
# Issue 4: an empty HMAC key (0 bytes; RFC 2104 pads it to a block of
# zeros). As a raw key (-macopt key: with TPM2-HMAC, the `key` parameter
# from C) the MAC equals the software HMAC for short and long inputs;
# genpkey with an empty secret either makes a key with the software MAC or
# fails cleanly. EVP_MAC_CTX_dup of a context with an empty raw key works
# like any other dup (it failed, with no error raised, before commit
# ace4500: OPENSSL_secure_malloc(0) gives NULL).
. "$TK_SOURCE_DIR/test/mac/mac_lib.sh"

head -c 100 /dev/urandom >"$T/short"
head -c 40000 /dev/urandom >"$T/long"
for in in short long; do
    want=$(sw mac -macopt key: -macopt digest:SHA256 -in "$T/$in" HMAC | tr 'A-F' 'a-f')
    [ ${#want} -eq 64 ] || fail "software HMAC with an empty key"
    tkmac "$T/$in" key: digest:SHA256
    assert_mac "-macopt key: (empty raw key), $in input = software HMAC" "$want"
done

run tk genpkey -algorithm TPM2-HMAC -pkeyopt digest:SHA256 -pkeyopt key: -out "$T/empty.pem"
if [ "$RC" -eq 0 ]; then
    tkmac "$T/short" "key-uri:$T/empty.pem"
    assert_mac "genpkey with an empty secret: the key gives the software HMAC" \
        "$(sw mac -macopt key: -macopt digest:SHA256 -in "$T/short" HMAC | tr 'A-F' 'a-f')"
else
    assert_clean_failure "genpkey with an empty secret is refused" 'Error generating TPM2-HMAC key'
    [ ! -s "$T/empty.pem" ] || fail "genpkey with an empty secret: no key file"
fi
assert_no_tpm_leftovers "empty keys from the command line"

write_config "$T/openssl.cnf"
export OPENSSL_CONF=$T/openssl.cnf
run tkmacprog lengths "SHA256::-" "SHA512::-"
assert_ok "tk_mac lengths with empty raw keys (SHA-256, SHA-512)"
assert_eq "empty raw keys: 92 MACs equal the software HMAC" 92 "$(grep -c '^ok ' "$T/out")"
run tkmacprog dup "SHA256::-"
assert_ok "EVP_MAC_CTX_dup of contexts with an empty raw key"
assert_eq "dup, empty raw key: 16 MACs equal the software HMAC" 16 "$(grep -c '^ok ' "$T/out")"
assert_no_tpm_leftovers
