# SPDX-License-Identifier: Apache-2.0
# A key file belongs to the TPM (and storage hierarchy) that made it. Used on
# another TPM, or on the same TPM after TPM2_Clear, TPM2_Load finds that its
# private part does not verify (TPM_RC_INTEGRITY, 0x1df): the error must say
# what that means (the key is another TPM's, or from before a clear) and that
# the file cannot be used here, not only "integrity check failed".
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

echo "message" >"$T/msg"
genkey "$T/ec.pem" EC group:P-256
genkey "$T/rsa.pem" RSA bits:2048 user-auth:pw
pubout "$T/ec.pem" "$T/ec.pub"
sign_verify "on the TPM that made it" "$T/ec.pem" "$T/ec.pub"

# expect_foreign WHAT: the last run failed, saying why the key is unusable.
expect_foreign() {
    assert_fails "$1: fails"
    assert_grep "$1: the error says the key file is another TPM's or from before a clear" \
        'belongs to another TPM, or to this TPM before its storage hierarchy was cleared' "$T/err"
    assert_contains "$1: and that it cannot be used here" "cannot be used on this TPM" "$T/err"
    assert_contains "$1: with the TPM's code" "(0x1df)" "$T/err"
}

# --- another TPM --------------------------------------------------------------
swtpm_stop
swtpm_start "$T/other-tpm" || fail "a second swtpm"
echo "# a second swtpm on port $SWTPM_PORT"
run tk pkey -in "$T/ec.pem" -pubout -out "$T/x.pub"
assert_ok "another TPM: the public key still reads (no TPM needed)"
run tk dgst -sha256 -sign "$T/ec.pem" -out "$T/sig" "$T/msg"
expect_foreign "another TPM: EC signing"
run tk dgst -sha256 -sign "$T/rsa.pem" -passin pass:pw -out "$T/sig" "$T/msg"
expect_foreign "another TPM: RSA signing, key with a password"
assert_eq "another TPM: a foreign key is no wrong password (lockout counter 0)" 0 \
    "$(lockout_counter)"
assert_no_tpm_leftovers "another TPM's keys"

# --- this TPM after TPM2_Clear --------------------------------------------------
genkey "$T/here.pem" EC group:P-256
pubout "$T/here.pem" "$T/here.pub"
sign_verify "before the clear" "$T/here.pem" "$T/here.pub"
tools clear
run tk dgst -sha256 -sign "$T/here.pem" -out "$T/sig" "$T/msg"
expect_foreign "after TPM2_Clear"
assert_no_tpm_leftovers
