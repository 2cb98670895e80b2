# SPDX-License-Identifier: Apache-2.0
# Sourced by the TPM2-HMAC tests (test/mac): keys_lib.sh (common.sh, the
# `tk`/`sw` openssl wrappers, `genkey`, pcap helpers) plus helpers for MACs.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

# hmac_key FILE DIGEST [PKEYOPT...]: a TPM2-HMAC key file made by tpmkit
# (genpkey -algorithm TPM2-HMAC -pkeyopt digest:DIGEST ...), checked to be a
# TSS2 key file.
hmac_key() {
    local file=$1 md=$2
    shift 2
    genkey "$file" TPM2-HMAC "digest:$md" "$@"
}

# tkmac FILE MACOPT...: `openssl mac ... TPM2-HMAC` over FILE with tpmkit,
# each MACOPT passed as -macopt; the MAC (lower case) in $MAC, output of
# the run in $T/out and $T/err, exit status in $RC.
tkmac() {
    local in=$1 o
    local -a opts=()
    shift
    for o in "$@"; do opts+=(-macopt "$o"); done
    run tk mac "${opts[@]}" -in "$in" TPM2-HMAC
    MAC=$(tr 'A-F' 'a-f' <"$T/out")
}

# swmac HEXKEY DIGEST FILE: the default provider's HMAC of FILE, lower case.
swmac() {
    local m
    m=$(sw mac -macopt "hexkey:$1" -macopt "digest:$2" -in "$3" HMAC) \
        || fail "software HMAC-$2 of $(basename "$3")"
    [ -n "$m" ] || fail "software HMAC-$2 of $(basename "$3"): no output"
    echo "$m" | tr 'A-F' 'a-f'
}

# assert_mac WHAT EXPECTED: the last tkmac succeeded and printed EXPECTED.
assert_mac() {
    if [ "$RC" -ne 0 ]; then
        echo "FAIL - $1: openssl mac exited with status $RC"
        _tk_show_output
        exit 1
    fi
    [ -n "$2" ] || fail "$1: no expected MAC given (test bug)"
    assert_eq "$1" "$2" "$MAC"
}

# assert_clean_failure WHAT ERE: the last run failed by itself (no crash,
# no hang, no sanitizer report) with an error matching ERE on stderr and
# no MAC on stdout.
assert_clean_failure() {
    assert_fails "$1"
    assert_no_grep "$1: no crash or sanitizer report" \
        'Segmentation|Aborted|core dumped|AddressSanitizer|runtime error|LeakSanitizer' "$T/err"
    assert_grep "$1: the error says /$2/" "$2" "$T/err"
    assert_no_grep "$1: no MAC printed" '^[0-9A-Fa-f]{40,}$' "$T/out"
}

# hexof TEXT: TEXT's bytes in hex.
hexof() {
    printf '%s' "$1" | xxd -p | tr -d '\n'
}

# randhex N: N random bytes in hex.
randhex() {
    head -c "$1" /dev/urandom | xxd -p | tr -d '\n'
}

# mktestdata N FILE: N bytes of random data in FILE.
mktestdata() {
    head -c "$1" /dev/urandom >"$2"
    [ "$(stat -c %s "$2")" -eq "$1" ] || fail "cannot make $1 bytes of test data"
}

# tkmacprog ARGS...: the tk_mac program (test/mac/tk_mac.c).
tkmacprog() {
    timeout -k 5 "${TK_TIMEOUT:-240}" "$TK_MAC_PROG" "$@"
}

# mac_tools CMD ARGS...: a tpm2-tools command that must succeed, then
# flush what the tools leave behind.
mac_tools() {
    tpm2 "$@" >"$T/tools.out" 2>&1 || { cat "$T/tools.out"; tools_cleanup; fail "tpm2_$1 $*"; }
    tools_cleanup
}

# mac_srk CTX: the standard storage primary (what parent 0x40000001 in a
# key file means: DESIGN.md), made with tpm2-tools, its context in CTX.
mac_srk() {
    mac_tools createprimary -C o -G ecc256:null:aes128cfb \
        -a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda|restricted|decrypt' \
        -c "$1"
}
