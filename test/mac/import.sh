# SPDX-License-Identifier: Apache-2.0
# Issue 4, item 2: existing secrets imported into the TPM with genpkey
# (-pkeyopt hexkey:HEX and key:TEXT) and used as raw keys (-macopt hexkey /
# key with TPM2-HMAC: an ephemeral TPM object). For SHA-256/384/512 (and
# SHA-1) the MAC equals the default provider's HMAC for inputs of 0, 1,
# 1024 (one TPM2_HMAC), 1025 (a TPM sequence), 40000 and 100 KiB bytes
# (several 16 KiB pieces). Keys of 1 byte, exactly the block size, one more
# than the block size and 131 bytes (RFC 4231 cases 6/7: hashed first, as
# RFC 2104 says) give the software result too.
. "$TK_SOURCE_DIR/test/mac/mac_lib.sh"

SIZES=(0 1 1024 1025 40000 102400)
for n in "${SIZES[@]}" 16384 16385 17409; do
    mktestdata "$n" "$T/in.$n"
done
declare -A BLOCK=([SHA1]=64 [SHA256]=64 [SHA384]=128 [SHA512]=128)

# check_all WHAT HEX MD [SIZE...]: the MAC of every input file (by default
# all of SIZES) with the last `tkmac` arguments in MACARGS equals the
# software HMAC with HEX.
check_all() {
    local what=$1 hex=$2 md=$3 n
    shift 3
    for n in "${@:-${SIZES[@]}}"; do
        tkmac "$T/in.$n" "${MACARGS[@]}"
        assert_mac "$what: $n bytes = software HMAC-$md" "$(swmac "$hex" "$md" "$T/in.$n")"
    done
}

# imported_attrs FILE: the object attributes of a key file's public area.
imported_attrs() {
    keyfile_public "$1" "$T/pub.bin"
    tpm2 print -t TPM2B_PUBLIC "$T/pub.bin" >"$T/print.out" || fail "tpm2_print $(basename "$1")"
    sed -n '/^attributes:/{n;s/^ *value: //p}' "$T/print.out"
}

TEXT='correct horse battery staple: a text secret'
TEXT_HEX=$(hexof "$TEXT")
for md in SHA256 SHA384 SHA512 SHA1; do
    hex=$(randhex 32)
    # --- hexkey: a key file --------------------------------------------
    hmac_key "$T/$md.hex.pem" "$md" "hexkey:$hex"
    a=$(imported_attrs "$T/$md.hex.pem")
    [[ "|$a|" != *"|sensitivedataorigin|"* && "|$a|" == *"|sign|"* ]] \
        || fail "$md hexkey: an imported secret (no sensitivedataorigin), sign: $a"
    pass "$md hexkey: imported object ($a)"
    MACARGS=("key-uri:$T/$md.hex.pem" "digest:$md")
    if [ "$md" = SHA1 ]; then
        check_all "$md hexkey key file" "$hex" "$md" 0 1025 40000
        continue
    fi
    check_all "$md hexkey key file" "$hex" "$md" "${SIZES[@]}" 16384 16385 17409

    # --- the same secret as a raw key: ephemeral TPM object -----------------
    MACARGS=("hexkey:$hex" "digest:$md")
    check_all "$md -macopt hexkey (ephemeral)" "$hex" "$md"

    # --- key:TEXT ----------------------------------------------------------
    hmac_key "$T/$md.text.pem" "$md" "key:$TEXT"
    MACARGS=("key-uri:$T/$md.text.pem" "digest:$md")
    check_all "$md key:TEXT key file" "$TEXT_HEX" "$md" 0 1025 102400
    MACARGS=("key:$TEXT" "digest:$md")
    check_all "$md -macopt key:TEXT (ephemeral)" "$TEXT_HEX" "$md" 1 1025

    # --- key lengths around the block size, and 131 bytes ------------------
    for klen in 1 "${BLOCK[$md]}" $((BLOCK[$md] + 1)) 131; do
        khex=$(randhex "$klen")
        hmac_key "$T/$md.k$klen.pem" "$md" "hexkey:$khex"
        MACARGS=("key-uri:$T/$md.k$klen.pem" "digest:$md")
        check_all "$md $klen-byte key file" "$khex" "$md" 1 40000
        MACARGS=("hexkey:$khex" "digest:$md")
        check_all "$md $klen-byte -macopt hexkey (ephemeral)" "$khex" "$md" 1025
    done
done

# The same secret given as text and as hex makes keys with the same MAC;
# without `digest` the raw key is an HMAC-SHA256 key.
hmac_key "$T/t.pem" SHA256 "hexkey:$TEXT_HEX"
tkmac "$T/in.1025" "key-uri:$T/t.pem"
assert_mac "hexkey of the text = key:TEXT" "$(swmac "$TEXT_HEX" SHA256 "$T/in.1025")"
tkmac "$T/in.1024" "hexkey:$TEXT_HEX"
assert_mac "-macopt hexkey without digest: HMAC-SHA256" "$(swmac "$TEXT_HEX" SHA256 "$T/in.1024")"
# Other names of the digests work too.
for alias in sha256 SHA2-256 SHA-256; do
    tkmac "$T/in.1025" "key-uri:$T/t.pem" "digest:$alias"
    assert_mac "digest:$alias = HMAC-SHA256" "$(swmac "$TEXT_HEX" SHA256 "$T/in.1025")"
done
assert_no_tpm_leftovers
