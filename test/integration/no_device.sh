# SPDX-License-Identifier: Apache-2.0
# No TPM at the device a device TCTI names (no TPM, no driver, a wrong
# path): the error says so, and how to name another TPM, instead of tss2's
# bare "IO failure".
# Registered with should_fail until tpm/connection.c reports the connect
# failure with tk_tcti_hint() (tpm/tcti_hint.h).
. "$TK_SOURCE_DIR/test/lib/common.sh"

live=$TPMKIT_TCTI
missing=/nonexistent/tpmrm0
hint="no TPM device at $missing; set TPMKIT_TCTI or tcti = in openssl.cnf, e.g. swtpm:host="
write_config "$T/openssl.cnf"
write_config "$T/device.cnf" "tcti=device:$missing"

for how in TPMKIT_TCTI openssl.cnf; do
    if [ "$how" = TPMKIT_TCTI ]; then
        export TPMKIT_TCTI=device:$missing
        cnf=$T/openssl.cnf
    else
        unset TPMKIT_TCTI
        cnf=$T/device.cnf
    fi
    echo "# device:$missing from $how"
    TK_TIMEOUT=10 OPENSSL_CONF=$cnf run ossl rand -hex 8
    assert_fails "$how: openssl rand fails"
    assert_contains "$how: the error says there is no TPM device there" "$hint" "$T/err"
    assert_contains "$how: and still names the TCTI" "TCTI \"device:$missing\"" "$T/err"
    if [ -x "$TK_STATUS" ]; then
        TK_TIMEOUT=10 OPENSSL_CONF=$cnf run tkstatus
        assert_status "$how: tpmkit-status exits 1" 1
        assert_grep "$how: tpmkit-status shows the hint" "^TPM: +FAILED: .*no TPM device at $missing" "$T/out"
    fi
done

# A node that exists is not called missing (the swtpm works as before).
export TPMKIT_TCTI=$live
OPENSSL_CONF=$T/openssl.cnf run ossl rand -hex 8
assert_ok "the live TPM: openssl rand works"
assert_no_grep "the live TPM: no device hint" "no TPM device" "$T/err"
