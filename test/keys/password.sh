# SPDX-License-Identifier: Apache-2.0
# Issue 3, robustness: passwords and dictionary-attack protection. A wrong
# password gives a clear "authorization failed" error and costs exactly one
# TPM lockout-counter step (tpmkit never retries a bad password); the right
# password works; keys without a password are created with noda (they
# cannot lock the TPM), keys with one without it.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

echo "message" >"$T/msg"
genkey "$T/ec.pem" EC group:P-256 user-auth:correct-horse
genkey "$T/rsa.pem" RSA bits:2048 user-auth:battery-staple
genkey "$T/open.pem" EC group:P-256
run tk pkey -in "$T/ec.pem" -passin pass:correct-horse -pubout -out "$T/ec.pub"
assert_ok "password key: -pubout"
run tk pkey -in "$T/rsa.pem" -passin pass:battery-staple -pubout -out "$T/rsa.pub"
assert_ok "RSA password key: -pubout"

# --- noda -------------------------------------------------------------------
attrs() {
    keyfile_public "$1" "$T/pub.bin"
    tpm2 print -t TPM2B_PUBLIC "$T/pub.bin" >"$T/print.out" || fail "tpm2_print $(basename "$1")"
    sed -n '/^attributes:/{n;p}' "$T/print.out"
}
a=$(attrs "$T/open.pem")
[[ "|${a#*value: }|" == *"|noda|"* ]] || fail "key without password has noda (tpm2_print: $a)"
pass "key without password has noda (tpm2_print: ${a#*value: })"
for k in ec rsa; do
    a=$(attrs "$T/$k.pem")
    [[ "|${a#*value: }|" != *"|noda|"* ]] || fail "$k password key is DA-protected (no noda): $a"
    pass "$k password key is DA-protected (no noda)"
done
run tk pkey -in "$T/open.pem" -text -noout
assert_grep "pkey -text mentions noda for the key without password" 'noda' "$T/out"
genkey "$T/rsaopen.pem" RSA bits:2048
a=$(attrs "$T/rsaopen.pem")
[[ "|${a#*value: }|" == *"|noda|"* ]] || fail "RSA key without password has noda (tpm2_print: $a)"
pass "RSA key without password has noda"

# --- wrong passwords ----------------------------------------------------------
c0=$(lockout_counter)
assert_eq "lockout counter starts at 0" 0 "$c0"

run tk dgst -sha256 -sign "$T/ec.pem" -passin pass:wrong -out "$T/sig" "$T/msg"
assert_fails "EC key, wrong password: signing fails"
assert_grep "EC key, wrong password: the error says authorization failed" \
    '[Aa]uthori[sz]ation failed' "$T/err"
assert_no_grep "EC key, wrong password: no crash" 'Segmentation|Aborted|AddressSanitizer' "$T/err"
assert_eq "one wrong password: lockout counter +1" 1 "$(lockout_counter)"

run sw pkeyutl -encrypt -pubin -inkey "$T/rsa.pub" -in "$T/msg" -out "$T/ct"
assert_ok "a ciphertext for the RSA password key"
run tk pkeyutl -decrypt -inkey "$T/rsa.pem" -passin pass:also-wrong -in "$T/ct" -out "$T/pt"
assert_fails "RSA key, wrong password: decryption fails"
assert_grep "RSA key, wrong password: the error says authorization failed" \
    '[Aa]uthori[sz]ation failed' "$T/err"
assert_eq "second wrong password: lockout counter +1 (2)" 2 "$(lockout_counter)"

# The right password still works (not locked out) and costs nothing.
sign_verify "EC key, right password" "$T/ec.pem" "$T/ec.pub" -passin pass:correct-horse
assert_eq "right password: lockout counter unchanged" 2 "$(lockout_counter)"
tpm2 dictionarylockout -c >/dev/null || fail "tpm2_dictionarylockout -c"
assert_eq "lockout counter reset by tpm2_dictionarylockout -c" 0 "$(lockout_counter)"

run tk dgst -sha256 -sign "$T/rsa.pem" -passin pass:wrong-again -out "$T/sig" "$T/msg"
assert_fails "RSA key, wrong password: signing fails"
assert_grep "RSA key, wrong password: authorization failed" '[Aa]uthori[sz]ation failed' "$T/err"
assert_eq "a wrong password in signing: lockout counter +1" 1 "$(lockout_counter)"

# Keys without a password never touch the counter, even given a password.
sign_verify "key without password" "$T/open.pem" <(tk pkey -in "$T/open.pem" -pubout)
assert_eq "key without password: lockout counter unchanged" 1 "$(lockout_counter)"

# A closed prompt (no -passin, stdin at EOF): an error, at most one attempt.
run tk dgst -sha256 -sign "$T/ec.pem" -out "$T/sig" "$T/msg" </dev/null
assert_fails "password key, no password given (stdin closed)"
c=$(lockout_counter)
[ "$c" -le 2 ] || fail "no password given: at most one TPM attempt (counter 1 -> $c)"
pass "no password given: at most one TPM attempt (counter 1 -> $c)"
tpm2 dictionarylockout -c >/dev/null || fail "tpm2_dictionarylockout -c"

# ?pass in a handle: URI is tested in store.sh; -passin file: works too.
echo correct-horse >"$T/pw.txt"
sign_verify "EC key, -passin file:" "$T/ec.pem" "$T/ec.pub" -passin "file:$T/pw.txt"
assert_eq "lockout counter stays 0" 0 "$(lockout_counter)"
# Session encryption off: the password goes to the TPM as it is (the
# user's choice), and still authorizes.
TPMKIT_SESSION_ENCRYPTION=no run tk dgst -sha256 -sign "$T/ec.pem" \
    -passin pass:correct-horse -out "$T/sig" "$T/msg"
assert_ok "encryption off: password key signs"
run sw dgst -sha256 -verify "$T/ec.pub" -signature "$T/sig" "$T/msg"
assert_ok "encryption off: the signature verifies"

# --- dictionary-attack lockout ----------------------------------------------
# swtpm allows 3 failures. The attempt after them finds the TPM in lockout:
# the error says so, for how long, and how to end it (not a bare 0x921).
assert_eq "lockout counter 0 before the lockout test" 0 "$(lockout_counter)"
for i in 1 2 3; do
    run tk dgst -sha256 -sign "$T/ec.pem" -passin "pass:wrong-$i" -out "$T/sig" "$T/msg"
    assert_fails "wrong password $i of 3"
done
assert_eq "three wrong passwords: lockout counter 3" 3 "$(lockout_counter)"
for pw in wrong-4 correct-horse; do
    run tk dgst -sha256 -sign "$T/ec.pem" -passin "pass:$pw" -out "$T/sig" "$T/msg"
    assert_fails "locked out, password $pw: signing fails"
    assert_grep "locked out, $pw: the error says lockout" 'dictionary-attack lockout' "$T/err"
    assert_grep "locked out, $pw: and for how long" \
        '3 failed authorization\(s\) counted, 3 allowed; keys with a password work again in at most 1000 s' "$T/err"
    assert_contains "locked out, $pw: and how to end it" "tpm2_dictionarylockout -c" "$T/err"
done
assert_eq "a refusal in lockout is not counted" 3 "$(lockout_counter)"
tpm2 dictionarylockout -c >/dev/null || fail "tpm2_dictionarylockout -c"
sign_verify "after tpm2_dictionarylockout -c, the right password" "$T/ec.pem" "$T/ec.pub" \
    -passin pass:correct-horse

assert_no_tpm_leftovers
