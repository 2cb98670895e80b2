# SPDX-License-Identifier: Apache-2.0
# Issue 3, point 8: importable key files (2.23.133.10.1.4): a software key
# duplicated offline to the storage primary's public key by tpm2_duplicate
# (duplicate + encrypted seed). tpmkit imports it on load and uses it; the
# key file tpmkit writes back is an ordinary loadable one.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

echo "importable message" >"$T/msg"
make_srk
tools readpublic -c "$T/srk.ctx" -o "$T/srk.tpub"

# importable NAME ALG: a software key NAME.pem, duplicated for the SRK into
# the importable key file NAME.der (public half in NAME.pub).
importable() {
    local name=$1 alg=$2
    case $alg in
    ecc) sw genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/$name.pem" ;;
    rsa) sw genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/$name.pem" ;;
    esac 2>/dev/null || fail "software $alg key"
    sw pkey -in "$T/$name.pem" -pubout -out "$T/$name.pub" || fail "software public key"
    tools duplicate -U "$T/srk.tpub" -G "$alg" -k "$T/$name.pem" \
        -u "$T/$name.tpub" -r "$T/$name.dpriv" -s "$T/$name.seed"
    make_keyfile "$T/$name.der" 2.23.133.10.1.4 TRUE "$T/$name.tpub" \
        "$T/$name.dpriv" "secret=$T/$name.seed"
}

importable ec ecc
importable rsa rsa

PCAP=$T/import.pcap
rm -f "$PCAP"
run pcap tk dgst -sha256 -sign "$T/ec.der" -out "$T/sig" "$T/msg"
assert_ok "importable EC key: signs"
run sw dgst -sha256 -verify "$T/ec.pub" -signature "$T/sig" "$T/msg"
assert_ok "importable EC key: the signature verifies with the original public key"
capture_commands "$PCAP"
assert_command_count "importable EC key: imported once" Import 1
sign_verify "importable EC key, default provider first" "$T/ec.der" "$T/ec.pub"
sign_verify "importable RSA key" "$T/rsa.der" "$T/rsa.pub"
echo "secret for the imported key" >"$T/plain"
sw pkeyutl -encrypt -pubin -inkey "$T/rsa.pub" -pkeyopt rsa_padding_mode:oaep \
    -in "$T/plain" -out "$T/cipher" || fail "software encryption"
run tk pkeyutl -decrypt -inkey "$T/rsa.der" -pkeyopt rsa_padding_mode:oaep \
    -in "$T/cipher" -out "$T/decrypted"
assert_ok "importable RSA key: decrypts"
cmp -s "$T/plain" "$T/decrypted" || fail "importable RSA key: decrypted text differs"
pass "importable RSA key: decrypted text matches"

# tpmkit writes the imported key back as a loadable key file.
run tk pkey -in "$T/ec.der" -out "$T/ec_loadable.pem"
assert_ok "importable EC key: pkey writes a key file"
sw asn1parse -in "$T/ec_loadable.pem" >"$T/asn1.txt"
assert_grep "the written file is loadable (2.23.133.10.1.3)" 'OBJECT +:2\.23\.133\.10\.1\.3' "$T/asn1.txt"
rm -f "$PCAP"
run pcap tk dgst -sha256 -sign "$T/ec_loadable.pem" -out "$T/sig" "$T/msg"
assert_ok "converted key: signs"
capture_commands "$PCAP"
assert_command_count "converted key: no import any more" Import 0
sign_verify "converted key" "$T/ec_loadable.pem" "$T/ec.pub"

# A duplicate made for another parent, and a damaged seed: clear errors.
tools createprimary -C o -G rsa2048 -c "$T/other.ctx"
tools readpublic -c "$T/other.ctx" -o "$T/other.tpub"
sw genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/x.pem" 2>/dev/null
tools duplicate -U "$T/other.tpub" -G ecc -k "$T/x.pem" -u "$T/x.tpub" \
    -r "$T/x.dpriv" -s "$T/x.seed"
make_keyfile "$T/x.der" 2.23.133.10.1.4 TRUE "$T/x.tpub" "$T/x.dpriv" "secret=$T/x.seed"
run tk dgst -sha256 -sign "$T/x.der" -out "$T/sig" "$T/msg"
assert_fails "a key duplicated for another parent"
assert_grep "another parent: the error names TPM2_Import" "TPM2_Import" "$T/err"
head -c 20 "$T/ec.seed" >"$T/short.seed"
make_keyfile "$T/short.der" 2.23.133.10.1.4 TRUE "$T/ec.tpub" "$T/ec.dpriv" \
    "secret=$T/short.seed"
run tk dgst -sha256 -sign "$T/short.der" -out "$T/sig" "$T/msg"
assert_fails "an importable key with a damaged seed"
assert_grep "damaged seed: a clear error" "TPM2_Import|seed" "$T/err"
assert_no_grep "no crash" "Segmentation|Aborted|AddressSanitizer" "$T/err"
assert_no_tpm_leftovers "importable keys"
