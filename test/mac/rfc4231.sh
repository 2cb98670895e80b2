# SPDX-License-Identifier: Apache-2.0
# Issue 4, item 3: the RFC 4231 HMAC-SHA-256/384/512 test vectors (cases
# 1-7, in rfc4231.txt; case 5 compares the 128-bit truncated prefix) through
# key files imported with genpkey -pkeyopt hexkey and through -macopt hexkey
# with TPM2-HMAC (ephemeral TPM objects). The default provider's HMAC is
# checked against the same vectors first, so a wrong data file cannot pass.
. "$TK_SOURCE_DIR/test/mac/mac_lib.sh"

VECTORS=$TK_MAC_DATA/rfc4231.txt
[ -r "$VECTORS" ] || fail "no test vectors at $VECTORS"

# matches WHAT EXPECTED SEEN: SEEN equals EXPECTED, or (truncated vector)
# starts with it.
matches() {
    if [ "${#2}" -lt "${#3}" ]; then
        [ "${#2}" -eq 32 ] || fail "$1: a truncated vector is 128 bits (test data)"
        assert_eq "$1 (first 128 bits)" "$2" "${3:0:32}"
    else
        assert_eq "$1" "$2" "$3"
    fi
}

n=0
while read -r tc key data m256 m384 m512; do
    case $tc in ''|'#'*) continue ;; esac
    n=$((n + 1))
    printf '%s' "$data" | xxd -r -p >"$T/data.$tc"
    [ "$(stat -c %s "$T/data.$tc")" -eq $((${#data} / 2)) ] || fail "case $tc: data"
    declare -A WANT=([SHA256]=$m256 [SHA384]=$m384 [SHA512]=$m512)
    for md in SHA256 SHA384 SHA512; do
        want=${WANT[$md]}
        what="RFC 4231 case $tc HMAC-$md"
        matches "$what: the default provider (data file check)" "$want" \
            "$(swmac "$key" "$md" "$T/data.$tc")"

        hmac_key "$T/k$tc.$md.pem" "$md" "hexkey:$key"
        tkmac "$T/data.$tc" "key-uri:$T/k$tc.$md.pem" "digest:$md"
        assert_ok "$what: imported key file"
        matches "$what: imported key file" "$want" "$MAC"

        tkmac "$T/data.$tc" "hexkey:$key" "digest:$md"
        assert_ok "$what: -macopt hexkey (ephemeral)"
        matches "$what: -macopt hexkey (ephemeral)" "$want" "$MAC"
    done
    unset WANT
done <"$VECTORS"
assert_eq "all seven RFC 4231 cases were run" 7 "$n"
assert_no_tpm_leftovers
