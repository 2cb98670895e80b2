# SPDX-License-Identifier: Apache-2.0
# Signed policies (PolicyAuthorize): genpkey -pkeyopt policy-signer:FILE
# binds a key to a software signing key instead of to PCR values; the key
# file's authPolicy holds policies the signer approved, tried in order at
# each use. When the PCRs change, a new signed policy (added with the
# library call tpmkit-key policy add is built on, through tk_policy_add)
# makes the same key usable again.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

echo "signed policy message" >"$T/msg"
tpm2 pcrreset 16 >/dev/null 2>&1 || fail "tpm2_pcrreset 16"

policy_add() {
    timeout -k 5 120 "$TK_POLICY_ADD_PROG" "$@"
}
extend16() {
    tpm2 pcrextend "16:sha256=$(printf '%064x' "$1")" >/dev/null 2>&1 \
        || fail "tpm2_pcrextend 16"
}

sw genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/signer.pem"
sw pkey -in "$T/signer.pem" -pubout -out "$T/signer.pub"
sw genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/other.pem"
sw genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/rsasigner.pem"

# --- a key bound to the signer, with a first policy for PCR 16 now -----
genkey "$T/key.pem" EC policy-signer:"$T/signer.pem" pcr-policy:sha256:16
sw asn1parse -in "$T/key.pem" >"$T/asn1.txt"
assert_grep "key file: the policy field has a PolicyAuthorize step" 'INTEGER +:016A' "$T/asn1.txt"
assert_grep "key file: an authPolicy field [3]" 'cont \[ 3 \]' "$T/asn1.txt"
assert_grep "key file: the signed policy has a PolicyPCR step" 'INTEGER +:017F' "$T/asn1.txt"
pubout "$T/key.pem" "$T/key.pub"
keyfile_public "$T/key.pem" "$T/blob.before"
PCAP=$T/sign.pcap
rm -f "$PCAP"
run pcap tk dgst -sha256 -sign "$T/key.pem" -out "$T/sig" "$T/msg"
assert_ok "signed policy for the current PCR 16: signs"
run sw dgst -sha256 -verify "$T/key.pub" -signature "$T/sig" "$T/msg"
assert_ok "signed policy: the signature verifies"
capture_commands "$PCAP"
for cc in PolicyPCR PolicyGetDigest LoadExternal VerifySignature PolicyAuthorize; do
    assert_command_count "signed policy: TPM2_$cc once per use" "$cc" "$(command_count Sign)"
done
sign_verify "signed policy, default provider first" "$T/key.pem" "$T/key.pub"

# --- the PCR changes: no signed policy matches ------------------------
extend16 1
run tk dgst -sha256 -sign "$T/key.pem" -out "$T/sig" "$T/msg"
assert_fails "after PCR 16 was extended"
assert_grep "after extend: the error says no signed policy matches" \
    "no signed policy matches the current PCR values" "$T/err"
assert_grep "after extend: and names the failing step" "PolicyPCR" "$T/err"

# --- a new signed policy for the new value: usable again --------------
run policy_add "$T/key.pem" "$T/signer.pem" sha256:16 "after extend 1"
assert_ok "tk_policy_add: a signed policy for the new PCR 16"
keyfile_public "$T/key.pem" "$T/blob.after"
cmp -s "$T/blob.before" "$T/blob.after" || fail "the key itself changed"
pass "tk_policy_add: the key itself is unchanged (same public blob)"
sw asn1parse -in "$T/key.pem" >"$T/asn1.txt"
assert_grep "the new signed policy carries its name" 'UTF8STRING +:after extend 1' "$T/asn1.txt"
sign_verify "new signed policy after extend" "$T/key.pem" "$T/key.pub"

# Back to the first value: the first policy fails, the second matches.
tpm2 pcrreset 16 >/dev/null 2>&1 || fail "tpm2_pcrreset 16"
PCAP=$T/second.pcap
rm -f "$PCAP"
run pcap tk dgst -sha256 -sign "$T/key.pem" -out "$T/sig" "$T/msg"
assert_ok "after reset: the older signed policy matches"
capture_commands "$PCAP"
assert_command_count "after reset: one PolicyRestart per use (second policy tried)" \
    PolicyRestart "$(command_count Sign)"
run sw dgst -sha256 -verify "$T/key.pub" -signature "$T/sig" "$T/msg"
assert_ok "after reset: the signature verifies"

# Written back by tpmkit, the signed policies go with the key.
run tk pkey -in "$T/key.pem" -out "$T/key2.pem"
assert_ok "pkey writes the key back"
cmp -s "$T/key.pem" "$T/key2.pem" || fail "the written-back key file differs"
pass "the written-back key file (with authPolicy) is identical"

# A signed policy whose signature was tampered with does not verify: with
# it alone, nothing matches (the error names TPM2_VerifySignature).
sw genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/s2.pem"
genkey "$T/tamper.pem" EC policy-signer:"$T/s2.pem" pcr-policy:sha256:16
sw asn1parse -in "$T/tamper.pem" >"$T/asn1.txt"
step=$(sed -n 's/^ *[0-9]*:d=8 .*prim: OCTET STRING *\[HEX DUMP\]://p' "$T/asn1.txt" | tail -n 1)
[ ${#step} -gt 200 ] || fail "tamper: no signed PolicyAuthorize step found"
last=${step: -2}
flipped=${step:0:${#step}-2}$([ "$last" = 00 ] && echo 01 || echo 00)
sed -e '1d' -e '$d' "$T/tamper.pem" | base64 -d | xxd -p | tr -d '\n' \
    | sed "s/${step,,}/${flipped,,}/" | xxd -r -p >"$T/tamper.der"
cmp -s <(sed -e '1d' -e '$d' "$T/tamper.pem" | base64 -d) "$T/tamper.der" \
    && fail "tamper: the key file did not change"
run tk dgst -sha256 -sign "$T/tamper.der" -out "$T/sig" "$T/msg"
assert_fails "tampered signature"
assert_grep "tampered signature: no signed policy matches, VerifySignature named" \
    "no signed policy matches.*VerifySignature" "$T/err"

# pkey -text describes such a key without trouble.
run tk pkey -in "$T/key.pem" -text -noout
assert_ok "pkey -text on a key with signed policies"

# --- refusals ----------------------------------------------------------
run policy_add "$T/key.pem" "$T/other.pem" sha256:16
assert_fails "tk_policy_add with another signer"
assert_grep "another signer: the error says the key is not bound to it" \
    "not bound to that policy signer" "$T/err"
run tk genpkey -algorithm EC -pkeyopt policy-signer:"$T/signer.pub" \
    -pkeyopt pcr-policy:sha256:16 -out "$T/bad.pem"
assert_fails "genpkey pcr-policy with a public-only signer"
assert_grep "public-only signer: the error says the private key is needed" \
    "needs the signer's private key" "$T/err"
run tk genpkey -algorithm EC -pkeyopt policy-signer:"$T/msg" -out "$T/bad.pem"
assert_fails "genpkey with a signer that is not a key"
assert_grep "not a key: the error says so" "neither a PEM private key nor a PEM public key" "$T/err"

# --- a public signer, signed policies added later ----------------------
genkey "$T/later.pem" EC policy-signer:"$T/signer.pub"
pubout "$T/later.pem" "$T/later.pub"
run tk dgst -sha256 -sign "$T/later.pem" -out "$T/sig" "$T/msg"
assert_fails "no signed policy yet"
assert_grep "no signed policy yet: the error says to add one" "has none: add one" "$T/err"
run policy_add "$T/later.pem" "$T/signer.pem" sha256:16
assert_ok "tk_policy_add to a key without signed policies"
sign_verify "signed policy added later" "$T/later.pem" "$T/later.pub"

# --- an RSA signer; RSA and HMAC keys -----------------------------------
genkey "$T/rsa.pem" RSA policy-signer:"$T/rsasigner.pem" pcr-policy:sha256:16
pubout "$T/rsa.pem" "$T/rsa.pub"
sign_verify "RSA key, RSA signer" "$T/rsa.pem" "$T/rsa.pub"
genkey "$T/hmac.pem" TPM2-HMAC policy-signer:"$T/signer.pem" pcr-policy:sha256:16
run tk mac -macopt "key-uri:$T/hmac.pem" -macopt digest:SHA256 -in "$T/msg" TPM2-HMAC
assert_ok "HMAC key with a signed policy"

# --- with a password: PolicyAuthorize, then PolicyAuthValue ------------
genkey "$T/pw.pem" EC policy-signer:"$T/signer.pem" pcr-policy:sha256:16 \
    user-auth:signed-pw
sw asn1parse -in "$T/pw.pem" >"$T/asn1.txt"
assert_grep "password key file: PolicyAuthValue step" 'INTEGER +:016B' "$T/asn1.txt"
run tk pkey -in "$T/pw.pem" -passin pass:signed-pw -pubout -out "$T/pw.pub"
assert_ok "password key: pkey -pubout"
sign_verify "signed policy and password" "$T/pw.pem" "$T/pw.pub" -passin pass:signed-pw
before=$(lockout_counter)
run tk dgst -sha256 -sign "$T/pw.pem" -passin pass:wrong-pw -out "$T/sig" "$T/msg"
assert_fails "signed policy, wrong password"
assert_grep "wrong password: says authorization failed" "authorization failed" "$T/err"
assert_eq "wrong password: the lockout counter moves exactly once" \
    "$((before + 1))" "$(lockout_counter)"
tpm2 dictionarylockout -c >/dev/null 2>&1 || true

assert_no_grep "no crash anywhere" "Segmentation|Aborted|AddressSanitizer" "$T/err"
assert_no_tpm_leftovers "signed policy keys"
