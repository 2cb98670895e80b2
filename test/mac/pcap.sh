# SPDX-License-Identifier: Apache-2.0
# Issue 4, item 4: what crosses the TPM interface, recorded by the tss2 pcap
# TCTI and decoded by tshark.
# - Importing a secret (genpkey hexkey / key:TEXT, or a raw -macopt hexkey)
#   never puts its bytes (nor, for a long key, its hash) on the wire; with
#   session encryption off (environment or configuration) the import is
#   refused with a clear message and nothing is sent.
# - A MAC over <= 1024 bytes is one TPM2_HMAC and no sequence; 1025 bytes
#   and 100 KiB go through HMAC_Start, SequenceUpdate..., SequenceComplete
#   carrying all the input.
# - The MAC itself never appears in the capture (it comes back encrypted);
#   with TPMKIT_SESSION_ENCRYPTION=no it does (the check can see it).
. "$TK_SOURCE_DIR/test/mac/mac_lib.sh"

# pcapmac PCAP IN MACOPT...: openssl mac TPM2-HMAC over IN, traffic in PCAP;
# the MAC in $MAC, the commands in $T/commands.
pcapmac() {
    local file=$1 in=$2 o
    local -a opts=()
    shift 2
    for o in "$@"; do opts+=(-macopt "$o"); done
    run with_pcap "$file" tk mac "${opts[@]}" -in "$in" TPM2-HMAC
    assert_ok "openssl mac $* over $(basename "$in") (recorded)"
    MAC=$(tr 'A-F' 'a-f' <"$T/out")
    capture_commands "$file"
}

# assert_not_in WHAT PCAP HEX / assert_in WHAT PCAP HEX
assert_not_in() {
    ! file_has_bytes "$2" "$3" || fail "$1: found in the capture"
    pass "$1: not in the capture"
}
assert_in() {
    file_has_bytes "$2" "$3" || fail "$1: expected in the capture, not found"
    pass "$1: present in the capture"
}

# assert_one_shot WHAT / assert_sequence WHAT MINUPDATES: the commands of
# the last capture.
assert_one_shot() {
    assert_command_count "$1: one TPM2_HMAC" HMAC 1
    for cc in HMAC_Start SequenceUpdate SequenceComplete HashSequenceStart Hash; do
        assert_command_count "$1: no TPM2_$cc" "$cc" 0 >/dev/null
    done
    pass "$1: no HMAC or hash sequence"
}
assert_sequence() {
    local updates
    assert_command_count "$1: one TPM2_HMAC_Start" HMAC_Start 1
    assert_command_count "$1: one TPM2_SequenceComplete" SequenceComplete 1
    assert_command_count "$1: no TPM2_HMAC" HMAC 0
    updates=$(command_count SequenceUpdate)
    # A TPM2B_MAX_BUFFER holds 1024 bytes: all the input reaches the TPM
    # only with at least this many updates besides SequenceComplete.
    [ "$updates" -gt 0 ] && [ "$updates" -ge "$2" ] \
        || fail "$1: at least $2 (and > 0) x TPM2_SequenceUpdate, saw $updates"
    pass "$1: $updates x TPM2_SequenceUpdate (>= $2)"
}

# --- importing secrets --------------------------------------------------
SECRET=$(randhex 32)
run with_pcap "$T/import.pcap" tk genpkey -algorithm TPM2-HMAC -pkeyopt digest:SHA256 \
    -pkeyopt "hexkey:$SECRET" -out "$T/imp.pem"
assert_ok "genpkey hexkey import (recorded)"
capture_commands "$T/import.pcap"
assert_command_count "genpkey hexkey: one TPM2_Create" Create 1
assert_not_in "genpkey hexkey: the 32-byte secret" "$T/import.pcap" "$SECRET"
assert_not_in "genpkey hexkey: its first 8 bytes" "$T/import.pcap" "${SECRET:0:16}"
# Positive control: the public area the TPM returned (from the key file) is
# in the capture, so the search does see what crosses.
keyfile_public "$T/imp.pem" "$T/imp.pub"
assert_in "genpkey hexkey: the key's public area" "$T/import.pcap" \
    "$(od -An -v -tx1 "$T/imp.pub" | tr -d ' \n' | cut -c5-)"

# A long key crosses neither as it is nor as its hash (what the TPM gets).
LONG=$(randhex 131)
LONG_HASH=$(printf '%s' "$LONG" | xxd -r -p | sw dgst -sha384 -r | cut -d' ' -f1)
[ ${#LONG_HASH} -eq 96 ] || fail "SHA-384 of the long key"
run with_pcap "$T/long.pcap" tk genpkey -algorithm TPM2-HMAC -pkeyopt digest:SHA384 \
    -pkeyopt "hexkey:$LONG" -out "$T/long.pem"
assert_ok "genpkey 131-byte hexkey import (recorded)"
assert_not_in "131-byte secret" "$T/long.pcap" "${LONG:0:64}"
assert_not_in "its SHA-384 (the key the TPM holds)" "$T/long.pcap" "$LONG_HASH"

TEXT='a text secret that must stay off the bus'
run with_pcap "$T/text.pcap" tk genpkey -algorithm TPM2-HMAC -pkeyopt digest:SHA512 \
    -pkeyopt "key:$TEXT" -out "$T/text.pem"
assert_ok "genpkey key:TEXT import (recorded)"
assert_not_in "key:TEXT secret" "$T/text.pcap" "$(hexof "$TEXT")"
assert_not_in "key:TEXT, its first 12 bytes" "$T/text.pcap" "$(hexof "${TEXT:0:12}")"

# A raw key for one MAC: a LoadExternal over the encrypted session.
head -c 700 /dev/urandom >"$T/in.700"
pcapmac "$T/raw.pcap" "$T/in.700" "hexkey:$SECRET" digest:SHA256
assert_eq "raw key: the MAC is the software HMAC" "$(swmac "$SECRET" SHA256 "$T/in.700")" "$MAC"
assert_command_count "raw key: one TPM2_LoadExternal" LoadExternal 1
assert_not_in "raw key: the secret" "$T/raw.pcap" "$SECRET"
assert_not_in "raw key: the MAC" "$T/raw.pcap" "$MAC"
assert_in "raw key: the (non-secret) input" "$T/raw.pcap" \
    "$(head -c 48 "$T/in.700" | xxd -p | tr -d '\n')"

# Session encryption off: importing is refused, nothing secret is sent.
# tk_off_env / tk_off_config SUBCMD ARGS...: tk with session encryption
# turned off by the environment / by the configuration file. (The refusal
# may come before any TPM traffic: then there is no capture to inspect.)
tk_off_env() { TPMKIT_SESSION_ENCRYPTION=no tk "$@"; }
tk_off_config() { OPENSSL_CONF=$T/noenc.cnf tk "$@"; }
write_config "$T/noenc.cnf" session-encryption=no
for how in env config; do
    run with_pcap "$T/refused.pcap" "tk_off_$how" genpkey -algorithm TPM2-HMAC \
        -pkeyopt digest:SHA256 -pkeyopt "hexkey:$SECRET" -out "$T/refused.pem"
    assert_clean_failure "encryption off ($how): genpkey hexkey is refused" \
        'importing a secret into the TPM needs session encryption'
    [ ! -s "$T/refused.pem" ] || fail "encryption off ($how): no key file is written"
    if [ -s "$T/refused.pcap" ]; then
        capture_commands "$T/refused.pcap"
        assert_command_count "encryption off ($how): no TPM2_Create" Create 0
        assert_not_in "encryption off ($how): the secret" "$T/refused.pcap" "$SECRET"
    fi
    run with_pcap "$T/refused.pcap" "tk_off_$how" mac -macopt "hexkey:$SECRET" \
        -in "$T/in.700" TPM2-HMAC
    assert_clean_failure "encryption off ($how): -macopt hexkey is refused" \
        'raw HMAC key into the TPM needs session encryption'
    if [ -s "$T/refused.pcap" ]; then
        capture_commands "$T/refused.pcap"
        assert_command_count "encryption off ($how): no TPM2_LoadExternal" LoadExternal 0
        assert_not_in "encryption off ($how): the raw secret" "$T/refused.pcap" "$SECRET"
    fi
done

# --- command counts and the MAC on the wire --------------------------------
hmac_key "$T/k.pem" SHA256
for n in 0 1 1024 1025 102400; do
    mktestdata "$n" "$T/in.$n"
done
for n in 0 1 1024; do
    pcapmac "$T/m$n.pcap" "$T/in.$n" "key-uri:$T/k.pem" digest:SHA256
    assert_one_shot "key file, $n-byte input"
    assert_not_in "key file, $n-byte input: the MAC" "$T/m$n.pcap" "$MAC"
    eval "MAC_$n=\$MAC"
done
pcapmac "$T/m1025.pcap" "$T/in.1025" "key-uri:$T/k.pem" digest:SHA256
assert_sequence "key file, 1025-byte input" 0
assert_not_in "key file, 1025-byte input: the MAC" "$T/m1025.pcap" "$MAC"
pcapmac "$T/m102400.pcap" "$T/in.102400" "key-uri:$T/k.pem" digest:SHA256
assert_sequence "key file, 100 KiB input" 99
assert_not_in "key file, 100 KiB input: the MAC" "$T/m102400.pcap" "$MAC"
assert_in "key file, 100 KiB input: its first 64 bytes" "$T/m102400.pcap" \
    "$(head -c 64 "$T/in.102400" | xxd -p | tr -d '\n')"
assert_in "key file, 100 KiB input: its last 64 bytes" "$T/m102400.pcap" \
    "$(tail -c 64 "$T/in.102400" | xxd -p | tr -d '\n')"
# shellcheck disable=SC2034 # read below through ${!want}
MAC_102400=$MAC

# Negative control: without session encryption the same MACs cross in
# clear, and the search finds them.
for n in 1024 102400; do
    run with_pcap "$T/clear$n.pcap" tk_off_env mac -macopt "key-uri:$T/k.pem" \
        -macopt digest:SHA256 -in "$T/in.$n" TPM2-HMAC
    assert_ok "encryption off: openssl mac with the key file, $n bytes"
    want=MAC_$n
    assert_eq "encryption off, $n bytes: the same MAC" "${!want}" "$(tr 'A-F' 'a-f' <"$T/out")"
    assert_in "encryption off, $n bytes: the MAC (negative control)" "$T/clear$n.pcap" "${!want}"
done
assert_no_tpm_leftovers
