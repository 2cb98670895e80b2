# SPDX-License-Identifier: Apache-2.0
# Issue 4, item 7: TPM2-HMAC from C (tk_mac.c, OpenSSL's public API, tpmkit
# activated by OPENSSL_CONF): EVP_MAC_fetch("TPM2-HMAC") with key-uri and
# digest (and raw `key`, an ephemeral TPM object); every MAC equals the
# default provider's HMAC. Inputs of 0 bytes to 100 KiB in one, 1000-byte
# and 7-byte updates; EVP_MAC_CTX_dup before any update, after a short one
# and in the middle of a running TPM sequence (the original and the copy go
# on with different data); 16 contexts at once over 4 keys (the TPM has 3
# object slots); 8 threads with their own contexts on one key file (also a
# key with a password), and 8 threads sharing one context through dup; one context initialised again
# with other keys and digests; a forked child finishing a MAC its parent
# started.
. "$TK_SOURCE_DIR/test/mac/mac_lib.sh"

write_config "$T/openssl.cnf"
export OPENSSL_CONF=$T/openssl.cnf

declare -A HEX
for md in SHA1 SHA256 SHA384 SHA512; do
    HEX[$md]=$(randhex 40)
done
HEX[SHA384]=$(randhex 131)    # longer than the block: hashed first
for md in SHA1 SHA256 SHA384 SHA512; do
    hmac_key "$T/$md.pem" "$md" "hexkey:${HEX[$md]}"
done
key() { echo "$1:${HEX[$1]}:$T/$1.pem"; }        # a key file
eph() { echo "$1:${HEX[$1]}:-"; }                # the raw secret as `key`

# assert_prog WHAT N: the last run of tk_mac exited 0, reported no failure
# and N verified MACs (or threads).
assert_prog() {
    assert_ok "$1"
    assert_grep "$1: no failures" '^done: 0 failure\(s\)$' "$T/out"
    assert_no_grep "$1: no FAIL lines" '^FAIL' "$T/out"
    assert_eq "$1: $2 verified MACs" "$2" "$(grep -c '^ok ' "$T/out")"
}

# --- lengths ------------------------------------------------------------------
# 16 lengths x 3 ways of feeding, less 7-byte pieces for the two > 20000.
run tkmacprog lengths "$(key SHA1)" "$(key SHA256)" "$(key SHA384)" "$(key SHA512)" \
    "$(eph SHA256)" "$(eph SHA512)"
assert_prog "lengths 0..100 KiB, 4 key files and 2 raw keys" $((6 * 46))
assert_no_tpm_leftovers "lengths"

# --- dup ----------------------------------------------------------------------
# 7 cases with two MACs each but one (the original freed), then a dup of a
# dup with three.
run with_pcap "$T/dup.pcap" tkmacprog dup "$(key SHA256)"
assert_prog "EVP_MAC_CTX_dup, SHA-256 key file" 16
# Each MAC is one whole TPM sequence, run at its final call (no sequence
# state is ever saved between calls, where the bus could replay it): as
# many sequences started as completed, one per long MAC.
capture_commands "$T/dup.pcap"
starts=$(command_count HMAC_Start)
completes=$(command_count SequenceComplete)
[ "$starts" -gt 0 ] && [ "$completes" -eq "$starts" ] \
    || fail "dup: every sequence is started and completed in one operation" \
            "(HMAC_Start $starts, SequenceComplete $completes)"
pass "dup: $completes sequences, each started and completed in one operation"
run tkmacprog dup "$(eph SHA384)"
assert_prog "EVP_MAC_CTX_dup, SHA-384 raw key" 16
run tkmacprog dup "$(key SHA512)"
assert_prog "EVP_MAC_CTX_dup, SHA-512 key file" 16
assert_no_tpm_leftovers "dup"

# --- many contexts at once -------------------------------------------------------
run tkmacprog many 16 12 "$(key SHA256)" "$(eph SHA384)" "$(key SHA512)" "$(key SHA1)"
assert_prog "16 contexts at once, interleaved" 16
assert_no_tpm_leftovers "16 contexts"

# --- threads ------------------------------------------------------------------------
run tkmacprog threads 8 6 "$(key SHA256)"
assert_prog "8 threads x 6 MACs, own contexts, one key file" $((8 * 6 + 8))
assert_eq "threads: every thread made all its MACs" 8 \
    "$(grep -c '^ok thread [0-7]: 6 of 6 MACs$' "$T/out")"
run tkmacprog threads-dup 8 6 "$(key SHA384)"
assert_prog "8 threads x 6 MACs, dups of one context" $((8 * 6 + 8 + 1))
assert_eq "threads-dup: every thread made all its MACs" 8 \
    "$(grep -c '^ok thread [0-7]: 6 of 6 MACs$' "$T/out")"
run tkmacprog threads 8 3 "$(eph SHA512)"
assert_prog "8 threads x 3 MACs, own contexts, raw key" $((8 * 3 + 8))
# A key with a password: every thread authorizes with it; no failed
# authorization (the lockout counter stays 0).
phex=$(randhex 32)
hmac_key "$T/pw.pem" SHA256 "hexkey:$phex" user-auth:thread-pass
TK_MAC_PASSWORD=thread-pass run tkmacprog threads 8 3 "SHA256:$phex:$T/pw.pem"
assert_prog "8 threads x 3 MACs, a key with a password" $((8 * 3 + 8))
assert_eq "threads with a password: lockout counter 0" 0 "$(lockout_counter)"
assert_no_tpm_leftovers "threads"

# --- one context, new keys ------------------------------------------------------
# Key files and raw keys in turn, a digest-only change for a raw key, some
# steps abandoning a running sequence.
run tkmacprog rekey "$(key SHA256)" "$(key SHA512)" "$(eph SHA384)" digest=SHA512 \
    digest=SHA1 "$(key SHA1)" "$(eph SHA256)" "$(key SHA256)" "$(key SHA384)"
assert_prog "one context initialised again with other keys" 9
assert_no_tpm_leftovers "rekey"

# --- fork ----------------------------------------------------------------------------
for k in "$(key SHA256)" "$(eph SHA512)"; do
    run tkmacprog fork "$k"
    assert_prog "fork (${k%%:*} ${k##*:})" 7
    assert_grep "fork: the child finishes its parent's MAC" \
        'child finishes the MAC the parent started$' "$T/out"
    assert_grep "fork: the child exits 0" '^ok child exits 0$' "$T/out"
done
assert_no_tpm_leftovers
