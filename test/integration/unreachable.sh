# SPDX-License-Identifier: Apache-2.0
# A TPM that cannot be reached: tpmkit still loads, and whatever needs the
# TPM fails fast with an error that names the TCTI and the reason. Also:
# which TCTI is used (TPMKIT_TCTI over the config's tcti parameter).
. "$TK_SOURCE_DIR/test/lib/common.sh"

live=$TPMKIT_TCTI
closed="swtpm:host=127.0.0.1,port=$(free_port)"
nodevice="device:$T/no-such-tpm"
write_config "$T/openssl.cnf"

for dead in "$closed" "$nodevice"; do
    export TPMKIT_TCTI=$dead
    echo "# TPMKIT_TCTI=$dead"
    run ossl list -providers -provider-path "$TK_MODULE_DIR" -provider tpmkit
    assert_ok "tpmkit loads although the TPM is unreachable"
    assert_grep "and is active" '^ +status: active$' "$T/out"

    # 10 s: "fails fast", with room for a slow machine.
    TK_TIMEOUT=10 OPENSSL_CONF=$T/openssl.cnf run ossl rand -hex 16
    assert_fails "openssl rand fails within 10 s"
    assert_eq "openssl rand prints no random bytes" "" "$(cat "$T/out")"
    assert_contains "the error names the TCTI" "TCTI \"$dead\"" "$T/err"
    assert_grep "the error says unreachable/connect" 'unreachable|connect' "$T/err"

    if [ -x "$TK_STATUS" ]; then
        TK_TIMEOUT=10 OPENSSL_CONF=$T/openssl.cnf run tkstatus
        assert_status "tpmkit-status exits 1" 1
        assert_grep "tpmkit-status says the TPM FAILED" '^TPM: +FAILED: .*unreachable|^TPM: +FAILED: .*connect' "$T/out"
        assert_grep "tpmkit-status says the DRBG seed FAILED" '^DRBG seed: +FAILED' "$T/out"
    fi
done

# The tcti parameter of the config is used when TPMKIT_TCTI is unset...
unset TPMKIT_TCTI
write_config "$T/live.cnf" "tcti=$live"
OPENSSL_CONF=$T/live.cnf run ossl rand -hex 16
assert_ok "config tcti=<swtpm>, no TPMKIT_TCTI: openssl rand works"
assert_grep "and prints 16 bytes" '^[0-9a-f]{32}$' "$T/out"
write_config "$T/dead.cnf" "tcti=$closed"
TK_TIMEOUT=10 OPENSSL_CONF=$T/dead.cnf run ossl rand -hex 16
assert_fails "config tcti=<closed port>, no TPMKIT_TCTI: openssl rand fails"
assert_contains "naming the config's TCTI" "TCTI \"$closed\"" "$T/err"

# ...and TPMKIT_TCTI wins over it, both ways.
TPMKIT_TCTI=$closed TK_TIMEOUT=10 OPENSSL_CONF=$T/live.cnf run ossl rand -hex 16
assert_fails "TPMKIT_TCTI=<closed port> beats config tcti=<swtpm>"
assert_contains "naming the TPMKIT_TCTI TCTI" "TCTI \"$closed\"" "$T/err"
TPMKIT_TCTI=$live OPENSSL_CONF=$T/dead.cnf run ossl rand -hex 16
assert_ok "TPMKIT_TCTI=<swtpm> beats config tcti=<closed port>"
if [ -x "$TK_STATUS" ]; then
    TPMKIT_TCTI=$live OPENSSL_CONF=$T/dead.cnf run tkstatus
    assert_ok "tpmkit-status with TPMKIT_TCTI over the config"
    assert_grep "reports the TCTI from TPMKIT_TCTI" "^TCTI: +${live}\$" "$T/out"
fi

export TPMKIT_TCTI=$live
assert_no_tpm_leftovers
