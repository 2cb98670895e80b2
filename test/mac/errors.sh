# SPDX-License-Identifier: Apache-2.0
# Issue 4, item 6: TPM2-HMAC errors are clean (non-zero exit, a message that
# says what is wrong, no MAC printed, no crash, no hang, no sanitizer
# report): a digest other than the key's, digests the TPM lacks, key-uri to
# a missing file, a directory, an RSA/EC TPM key file, a software key,
# malformed, truncated, oversized and tampered key files, a bad handle
# form, no key at all. A key with a password (user-auth): the right one
# works for short and long inputs, a wrong or missing one gives
# "authorization failed" and costs exactly one dictionary-attack step.
. "$TK_SOURCE_DIR/test/mac/mac_lib.sh"
TK_TIMEOUT=30

head -c 2000 /dev/urandom >"$T/msg"
head -c 30000 /dev/urandom >"$T/long"
hex=$(randhex 32)
hmac_key "$T/k256.pem" SHA256 "hexkey:$hex"
hmac_key "$T/k512.pem" SHA512
tkmac "$T/msg" "key-uri:$T/k256.pem" digest:SHA256
assert_mac "the key works (so failures below are the requests' faults)" \
    "$(swmac "$hex" SHA256 "$T/msg")"

# --- digests ---------------------------------------------------------------
for md in SHA384 SHA512 SHA1; do
    tkmac "$T/msg" "key-uri:$T/k256.pem" "digest:$md"
    assert_clean_failure "HMAC-SHA256 key, digest:$md" \
        "computes HMAC-SHA256 only, not HMAC-$md"
done
tkmac "$T/long" "key-uri:$T/k512.pem" digest:SHA256
assert_clean_failure "HMAC-SHA512 key, digest:SHA256, long input" \
    "computes HMAC-SHA512 only, not HMAC-SHA256"
for md in SHA224 SHA3-256 MD5 NOSUCH; do
    tkmac "$T/msg" "key-uri:$T/k256.pem" "digest:$md"
    assert_clean_failure "digest:$md" "digest \"$md\": use SHA1, SHA256, SHA384 or SHA512"
done

# --- key-uri that names no HMAC key -------------------------------------------
tkmac "$T/msg" "key-uri:$T/nosuch.pem"
assert_clean_failure "key-uri to a missing file" "cannot open the HMAC key file \".*nosuch\\.pem\""
tkmac "$T/msg" "key-uri:"
assert_clean_failure "empty key-uri" 'cannot open the HMAC key file ""'
tkmac "$T/msg" "key-uri:$T"
assert_clean_failure "key-uri to a directory" 'is not a TSS2 key file'
genkey "$T/rsa.pem" RSA bits:2048
genkey "$T/ec.pem" EC group:P-256
for k in rsa ec; do
    tkmac "$T/msg" "key-uri:$T/$k.pem"
    assert_clean_failure "key-uri to a TPM ${k^^} key file" "holds no HMAC key"
done
sw genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/sw.pem" 2>/dev/null \
    || fail "a software EC key"
tkmac "$T/msg" "key-uri:$T/sw.pem"
assert_clean_failure "key-uri to a software key (PEM PRIVATE KEY)" 'is not a TSS2 PRIVATE KEY file'
for form in handle:zz handle:81008001 handle:0x8100800100 handle:; do
    tkmac "$T/msg" "key-uri:$form"
    assert_clean_failure "key-uri:$form" 'expected handle:0x81xxxxxx'
done
tkmac "$T/msg" "key-uri:handle:0x40000001"
assert_clean_failure "key-uri:handle:0x40000001 (not persistent)" 'not a persistent handle'

# --- malformed key files ------------------------------------------------------
sw asn1parse -in "$T/k256.pem" -out "$T/k256.der" >"$T/asn1.txt" || fail "PEM -> DER"
mapfile -t blob < <(sed -n 's/^ *[0-9]*:d=1 .*prim: OCTET STRING *\[HEX DUMP\]://p' "$T/asn1.txt")
[ "${#blob[@]}" -eq 2 ] || fail "two OCTET STRINGs in the key file"
# mkkey NAME PUBHEX PRIVHEX: a DER key file with these blobs (parent
# 0x40000001, emptyAuth TRUE), assembled by asn1parse -genconf.
mkkey() {
    printf '%s\n' "asn1=SEQUENCE:key" "[key]" "type=OID:2.23.133.10.1.3" \
        "emptyAuth=EXPLICIT:0,BOOLEAN:TRUE" "parent=INTEGER:0x40000001" \
        "pub=FORMAT:HEX,OCTETSTRING:$2" "priv=FORMAT:HEX,OCTETSTRING:$3" >"$T/$1.cnf"
    sw asn1parse -genconf "$T/$1.cnf" -out "$T/$1.der" -noout \
        || fail "asn1parse -genconf $1"
}
mkkey rebuilt "${blob[0]}" "${blob[1]}"
cmp -s "$T/rebuilt.der" "$T/k256.der" || fail "the key file builder reproduces the real file"
tkmac "$T/msg" "key-uri:$T/rebuilt.der" digest:SHA256
assert_mac "the rebuilt key file works (the builder is sound)" "$(swmac "$hex" SHA256 "$T/msg")"

head -c 100 "$T/k256.pem" >"$T/trunc.pem"
tkmac "$T/msg" "key-uri:$T/trunc.pem"
assert_clean_failure "truncated PEM key file" 'is not a TSS2 PRIVATE KEY file'
head -c 120 "$T/k256.der" >"$T/trunc.der"
tkmac "$T/msg" "key-uri:$T/trunc.der"
assert_clean_failure "truncated DER key file" 'malformed TSS2 key file'
head -c 300 /dev/urandom >"$T/junk.bin"
printf '\x01' | dd of="$T/junk.bin" bs=1 count=1 conv=notrunc 2>/dev/null   # not a SEQUENCE
tkmac "$T/msg" "key-uri:$T/junk.bin"
assert_clean_failure "random bytes as a key file" 'is not a TSS2 key file'
: >"$T/empty"
tkmac "$T/msg" "key-uri:$T/empty"
assert_clean_failure "empty key file" 'is not a TSS2 key file'
{ echo "-----BEGIN TSS2 PRIVATE KEY-----"; echo "bm90IGEga2V5IGF0IGFsbA=="
  echo "-----END TSS2 PRIVATE KEY-----"; } >"$T/label.pem"
tkmac "$T/msg" "key-uri:$T/label.pem"
assert_clean_failure "TSS2 PEM label around garbage" 'TSS2 key file'
head -c 70000 /dev/zero >"$T/huge.der"
tkmac "$T/msg" "key-uri:$T/huge.der"
assert_clean_failure "a 70000-byte key file" 'too large'
# Tampered: the public area claims HMAC-SHA384 (the TPM's integrity check
# on the private part refuses it), and a flipped byte in the private part.
pub=${blob[0]}
[ "${pub:28:4}" = 000B ] \
    || fail "the HMAC hash sits at byte 14 of the public blob (saw ${pub:28:4})"
mkkey tamper_pub "${pub:0:28}000C${pub:32}" "${blob[1]}"
tkmac "$T/msg" "key-uri:$T/tamper_pub.der"
assert_clean_failure "public area changed to HMAC-SHA384" 'TPM2_Load \(.*altered.*integrity check'
priv=${blob[1]}
mid=$(( ${#priv} / 2 / 2 * 2 ))
flip=$(printf '%02X' $(( 0x${priv:$mid:2} ^ 0x01 )))
mkkey tamper_priv "${blob[0]}" "${priv:0:$mid}$flip${priv:$((mid + 2))}"
tkmac "$T/msg" "key-uri:$T/tamper_priv.der"
assert_clean_failure "a flipped bit in the private part" 'TPM2_Load \(.*\) failed'
assert_no_tpm_leftovers "malformed key files"

# --- no key -----------------------------------------------------------------
run tk mac -in "$T/msg" TPM2-HMAC
assert_clean_failure "no key at all" 'TPM2-HMAC needs a key'
tkmac "$T/msg" digest:SHA256
assert_clean_failure "a digest but no key" 'TPM2-HMAC needs a key'

# --- passwords -----------------------------------------------------------------
phex=$(randhex 24)
hmac_key "$T/pw.pem" SHA384 "hexkey:$phex" user-auth:right-pass
assert_eq "lockout counter starts at 0" 0 "$(lockout_counter)"
tkmac "$T/msg" "key-uri:$T/pw.pem" password:right-pass
assert_mac "password key, right password = software HMAC" "$(swmac "$phex" SHA384 "$T/msg")"
tkmac "$T/long" "key-uri:$T/pw.pem" password:right-pass digest:SHA384
assert_mac "password key, right password, 30000 bytes (a sequence)" \
    "$(swmac "$phex" SHA384 "$T/long")"
assert_eq "right password: lockout counter unchanged" 0 "$(lockout_counter)"

tkmac "$T/msg" "key-uri:$T/pw.pem" password:wrong-pass
assert_clean_failure "password key, wrong password" '[Aa]uthori[sz]ation failed'
assert_eq "one wrong password: lockout counter +1" 1 "$(lockout_counter)"
tkmac "$T/long" "key-uri:$T/pw.pem" password:wrong-pass
assert_clean_failure "password key, wrong password, 30000 bytes" '[Aa]uthori[sz]ation failed'
assert_eq "a wrong password on a sequence: lockout counter +1 (2)" 2 "$(lockout_counter)"
tpm2 dictionarylockout -c >/dev/null || fail "tpm2_dictionarylockout -c"
tkmac "$T/msg" "key-uri:$T/pw.pem"
assert_clean_failure "password key, no password" '[Aa]uthori[sz]ation failed'
c=$(lockout_counter)
[ "$c" -le 1 ] || fail "no password: at most one TPM attempt (counter 0 -> $c)"
pass "no password: at most one TPM attempt (counter 0 -> $c)"
tpm2 dictionarylockout -c >/dev/null || fail "tpm2_dictionarylockout -c"
# The right password still works afterwards (nothing locked).
tkmac "$T/msg" "key-uri:$T/pw.pem" password:right-pass
assert_mac "password key, right password again" "$(swmac "$phex" SHA384 "$T/msg")"
# A TPM-made key with a password.
hmac_key "$T/pwgen.pem" SHA256 user-auth:gen-pass
tkmac "$T/msg" "key-uri:$T/pwgen.pem" password:gen-pass
assert_ok "TPM-made password key, right password"
tkmac "$T/msg" "key-uri:$T/pwgen.pem" password:gen-pasS
assert_clean_failure "TPM-made password key, wrong password" '[Aa]uthori[sz]ation failed'
tpm2 dictionarylockout -c >/dev/null || fail "tpm2_dictionarylockout -c"
assert_no_tpm_leftovers
