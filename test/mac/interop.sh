# SPDX-License-Identifier: Apache-2.0
# Issue 4, item 5: interop with tpm2-tools 5.4.
# - Secrets imported with tpm2_import -G hmac[:sha384|:sha512] under the
#   standard storage primary and written as key files by tpm2_encodeobject
#   (both emptyAuth encodings; a key with a password) MAC in tpmkit exactly
#   as the default provider's HMAC does.
# - The other way: tpmkit's key files (TPM-made and imported) load in
#   tpm2_load, and tpm2_hmac gives tpmkit's MAC.
# - A tpm2-tools key made persistent at 0x81008001 works as
#   key-uri:handle:0x81008001; it is evicted at the end.
# - tpmkit keys under a persistent parent (genpkey parent:0x81000001).
. "$TK_SOURCE_DIR/test/mac/mac_lib.sh"

PERSIST=0x81008001
head -c 3000 /dev/urandom >"$T/msg"
head -c 300 /dev/urandom >"$T/short"
mac_srk "$T/srk.ctx"

# tools_import NAME ALG BYTES [TPM2_IMPORT ARGS...]: a BYTES-byte random
# secret ($T/NAME.bin, hex in $HEX) imported with tpm2_import -G ALG.
tools_import() {
    local name=$1 alg=$2 bytes=$3
    shift 3
    head -c "$bytes" /dev/urandom >"$T/$name.bin"
    HEX=$(xxd -p "$T/$name.bin" | tr -d '\n')
    mac_tools import -C "$T/srk.ctx" -G "$alg" -i "$T/$name.bin" \
        -u "$T/$name.tpub" -r "$T/$name.tpriv" "$@"
}

# --- tpm2-tools keys in tpmkit ---------------------------------------------
declare -A ALG=([SHA256]=hmac [SHA384]=hmac:sha384 [SHA512]=hmac:sha512)
declare -A BYTES=([SHA256]=32 [SHA384]=64 [SHA512]=48)
for md in SHA256 SHA384 SHA512; do
    tools_import "$md" "${ALG[$md]}" "${BYTES[$md]}"
    hex=$HEX
    run tpm2 print -t TPM2B_PUBLIC "$T/$md.tpub"
    assert_ok "$md: tpm2_print reads the imported public area"
    assert_eq "$md: tpm2_import made an HMAC-${md,,} object" "${md,,}" \
        "$(sed -n '/^hash-alg:/{n;s/^ *value: //p}' "$T/out")"
    # tpm2_encodeobject 5.4 writes emptyAuth FALSE without -p, TRUE with it.
    mac_tools encodeobject -C "$T/srk.ctx" -u "$T/$md.tpub" -r "$T/$md.tpriv" -p \
        -o "$T/$md.tools.pem"
    mac_tools encodeobject -C "$T/srk.ctx" -u "$T/$md.tpub" -r "$T/$md.tpriv" \
        -o "$T/$md.tools_f.pem"
    for f in "$md.tools" "$md.tools_f"; do
        assert_grep "$f.pem: a TSS2 key file" '^-----BEGIN TSS2 PRIVATE KEY-----$' "$T/$f.pem"
    done
    for in in msg short; do
        want=$(swmac "$hex" "$md" "$T/$in")
        tkmac "$T/$in" "key-uri:$T/$md.tools.pem" "digest:$md"
        assert_mac "$md tpm2_import key (emptyAuth TRUE), $in = software HMAC" "$want"
    done
    want=$(swmac "$hex" "$md" "$T/msg")
    tkmac "$T/msg" "key-uri:$T/$md.tools_f.pem"
    assert_mac "$md tpm2_import key (emptyAuth FALSE), no password = software HMAC" "$want"
    tkmac "$T/msg" "key-uri:$T/$md.tools_f.pem" "password:"
    assert_mac "$md tpm2_import key (emptyAuth FALSE), empty password = software HMAC" "$want"
done
assert_no_tpm_leftovers "tpm2-tools keys in tpmkit"

# A tpm2-tools key with a password (tpm2_import -p).
tools_import pw hmac 20 -p tools-secret-pw
mac_tools encodeobject -C "$T/srk.ctx" -u "$T/pw.tpub" -r "$T/pw.tpriv" -o "$T/pw.pem"
tkmac "$T/msg" "key-uri:$T/pw.pem" digest:SHA256 password:tools-secret-pw
assert_mac "tpm2_import key with a password, right password" "$(swmac "$HEX" SHA256 "$T/msg")"
tkmac "$T/msg" "key-uri:$T/pw.pem" digest:SHA256 password:not-the-password
assert_clean_failure "tpm2_import key with a password, wrong password" '[Aa]uthori[sz]ation failed'
tpm2 dictionarylockout -c >/dev/null 2>&1 || fail "tpm2_dictionarylockout -c"
assert_no_tpm_leftovers "tpm2-tools password key"

# --- tpmkit keys in tpm2-tools -----------------------------------------------
# tools_mac KEYFILE MD IN: tpm2_load the key file, tpm2_hmac IN; hex in $TMAC.
tools_mac() {
    mac_tools load -r "$1" -c "$T/loaded.ctx"
    tpm2 hmac -c "$T/loaded.ctx" -g "$2" -o "$T/tools.mac" "$3" >"$T/tools.out" 2>&1 \
        || { cat "$T/tools.out"; tools_cleanup; fail "tpm2_hmac with $(basename "$1")"; }
    tools_cleanup
    TMAC=$(xxd -p "$T/tools.mac" | tr -d '\n')
}
hmac_key "$T/gen.pem" SHA384
tkmac "$T/msg" "key-uri:$T/gen.pem" digest:SHA384
assert_ok "tpmkit's TPM-made key: openssl mac"
tools_mac "$T/gen.pem" sha384 "$T/msg"
assert_eq "tpmkit's TPM-made key: tpm2_hmac gives tpmkit's MAC" "$MAC" "$TMAC"
khex=$(randhex 40)
hmac_key "$T/imp.pem" SHA256 "hexkey:$khex"
tools_mac "$T/imp.pem" sha256 "$T/short"
assert_eq "tpmkit's imported key: tpm2_hmac gives the software HMAC" \
    "$(swmac "$khex" SHA256 "$T/short")" "$TMAC"
assert_no_tpm_leftovers "tpmkit keys in tpm2-tools"

# --- a persistent key ---------------------------------------------------------
tools_import persist hmac:sha384 64
phex=$HEX
mac_tools load -C "$T/srk.ctx" -u "$T/persist.tpub" -r "$T/persist.tpriv" -c "$T/persist.ctx"
mac_tools evictcontrol -C o -c "$T/persist.ctx" "$PERSIST"
tpm2 getcap handles-persistent | grep -qix -- "- $PERSIST" \
    || fail "tpm2_evictcontrol made $PERSIST persistent"
pass "the tpm2-tools HMAC key is persistent at $PERSIST"
for in in msg short; do
    tkmac "$T/$in" "key-uri:handle:$PERSIST" digest:SHA384
    assert_mac "key-uri:handle:$PERSIST, $in = software HMAC-SHA384" \
        "$(swmac "$phex" SHA384 "$T/$in")"
done
head -c 50000 /dev/urandom >"$T/long"
tkmac "$T/long" "key-uri:handle:$PERSIST"
assert_mac "key-uri:handle:$PERSIST, 50000 bytes (a sequence), no digest" \
    "$(swmac "$phex" SHA384 "$T/long")"
tkmac "$T/msg" "key-uri:handle:$PERSIST" digest:SHA256
assert_clean_failure "key-uri:handle:$PERSIST with digest:SHA256" 'HMAC-SHA384 only'
tkmac "$T/msg" "key-uri:handle:0x81008002" digest:SHA384
assert_clean_failure "key-uri:handle: with nothing at the handle" \
    'persistent key failed.*handle is not correct'
assert_no_tpm_leftovers "the persistent key in use"
mac_tools evictcontrol -C o -c "$PERSIST"
! tpm2 getcap handles-persistent | grep -qix -- "- $PERSIST" \
    || fail "$PERSIST is evicted at the end"
pass "$PERSIST is evicted"
tkmac "$T/msg" "key-uri:handle:$PERSIST" digest:SHA384
assert_clean_failure "key-uri:handle:$PERSIST after eviction" \
    'persistent key failed.*handle is not correct'

# tpmkit keys under a persistent parent (the standard primary made
# persistent by tpm2_evictcontrol): genpkey -pkeyopt parent:0x81000001.
SRK_HANDLE=0x81000001
mac_tools evictcontrol -C o -c "$T/srk.ctx" "$SRK_HANDLE"
khex=$(randhex 32)
hmac_key "$T/under.pem" SHA512 "hexkey:$khex" "parent:$SRK_HANDLE"
run sw asn1parse -in "$T/under.pem"
assert_grep "the key file names parent $SRK_HANDLE" 'INTEGER +:81000001$' "$T/out"
tkmac "$T/msg" "key-uri:$T/under.pem" digest:SHA512
assert_mac "key under parent $SRK_HANDLE = software HMAC" "$(swmac "$khex" SHA512 "$T/msg")"
hmac_key "$T/under_gen.pem" SHA256 "parent:$SRK_HANDLE"
tkmac "$T/msg" "key-uri:$T/under_gen.pem"
assert_ok "TPM-made key under parent $SRK_HANDLE: openssl mac"
tools_mac "$T/under_gen.pem" sha256 "$T/msg"
assert_eq "TPM-made key under parent $SRK_HANDLE: tpm2_hmac gives tpmkit's MAC" "$MAC" "$TMAC"
mac_tools evictcontrol -C o -c "$SRK_HANDLE"
[ -z "$(tpm2 getcap handles-persistent)" ] || fail "no persistent handles left at the end"
pass "no persistent handles left at the end"
tools_cleanup
assert_no_tpm_leftovers
