# SPDX-License-Identifier: Apache-2.0
# The random bytes travel encrypted: recorded with the pcap TCTI, the bytes
# a program got from the TPM appear nowhere in the capture, and the traffic
# runs in a session. The same search with encryption off finds them, which
# shows that the search works.
. "$TK_SOURCE_DIR/test/lib/common.sh"

write_config "$T/openssl.cnf"
export OPENSSL_CONF=$T/openssl.cnf

# draw_recorded NAME: 32 bytes from TPM2-SEED into $hex, traffic in NAME.pcap.
draw_recorded() {
    run with_pcap "$T/$1.pcap" tkprog tk_rand seed-hex 32
    assert_ok "$1: 32 bytes from TPM2-SEED, recorded"
    hex=$(cat "$T/out")
    [[ $hex =~ ^[0-9a-f]{64}$ ]] || fail "$1: expected 64 hex digits, saw '$hex'"
    capture_commands "$T/$1.pcap"
}

draw_recorded default
if file_has_bytes "$T/default.pcap" "$hex"; then
    fail "default: expected the random bytes nowhere in the capture, found $hex"
fi
pass "default: the random bytes are nowhere in the capture"
assert_grep "default: a session is started (TPM2_StartAuthSession)" '^StartAuthSession$' "$T/commands"
assert_grep "default: TPM2_GetRandom was recorded" '^GetRandom$' "$T/commands"
assert_no_tpm_leftovers "the encrypted draw"

TPMKIT_SESSION_ENCRYPTION=no draw_recorded env-off
file_has_bytes "$T/env-off.pcap" "$hex" \
    || fail "env-off: expected the random bytes in clear in the capture, did not find $hex"
pass "env-off: the random bytes are in the capture (the search works)"
assert_no_grep "env-off: no TPM2_StartAuthSession" '^StartAuthSession$' "$T/commands"
assert_grep "env-off: TPM2_GetRandom was recorded" '^GetRandom$' "$T/commands"

# The config parameter does the same; the environment overrides it.
write_config "$T/off.cnf" session-encryption=no
OPENSSL_CONF=$T/off.cnf draw_recorded config-off
file_has_bytes "$T/config-off.pcap" "$hex" \
    || fail "config-off: expected the random bytes in clear, did not find $hex"
pass "config-off: the random bytes are in the capture"
assert_no_grep "config-off: no TPM2_StartAuthSession" '^StartAuthSession$' "$T/commands"

TPMKIT_SESSION_ENCRYPTION=yes OPENSSL_CONF=$T/off.cnf draw_recorded env-on-over-config
if file_has_bytes "$T/env-on-over-config.pcap" "$hex"; then
    fail "env-on-over-config: expected the bytes nowhere in the capture, found $hex"
fi
pass "env-on-over-config: TPMKIT_SESSION_ENCRYPTION=yes wins, bytes not in the capture"
assert_grep "env-on-over-config: a session is started" '^StartAuthSession$' "$T/commands"

if [ -x "$TK_STATUS" ]; then
    run tkstatus
    assert_grep "tpmkit-status: session encryption on" '^session encryption: +on$' "$T/out"
    TPMKIT_SESSION_ENCRYPTION=no run tkstatus
    assert_grep "tpmkit-status: session encryption off" '^session encryption: +off$' "$T/out"
fi
assert_no_tpm_leftovers
