# SPDX-License-Identifier: Apache-2.0
# Signed policies (PolicyAuthorize): genpkey -pkeyopt policy-signer:FILE
# binds a key to a software signing key instead of to PCR values; the key
# file's authPolicy holds policies the signer approved, tried in order at
# each use. When the PCRs change, a new signed policy (tpmkit-key policy
# add; its options and refusals are tested in policy_tool.sh) makes the
# same key usable again; with --pcr-values the new policy is approved
# before the PCRs change (for values computed in software), anywhere,
# without a TPM.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

echo "signed policy message" >"$T/msg"
tpm2 pcrreset 16 >/dev/null 2>&1 || fail "tpm2_pcrreset 16"

# policy_add KEY SIGNER SPEC [NAME]
policy_add() {
    tkkey policy add --key "$1" --signer "$2" --pcr-policy "$3" ${4:+--name "$4"}
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
assert_ok "policy add: a signed policy for the new PCR 16"
keyfile_public "$T/key.pem" "$T/blob.after"
cmp -s "$T/blob.before" "$T/blob.after" || fail "the key itself changed"
pass "policy add: the key itself is unchanged (same public blob)"
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
assert_fails "policy add with another signer"
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
assert_ok "policy add to a key without signed policies"
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

# --- a signed policy for future values (policy add --pcr-values) -------
tpm2 pcrreset 16 >/dev/null 2>&1 || fail "tpm2_pcrreset 16"
genkey "$T/upd.pem" EC policy-signer:"$T/signer.pem" pcr-policy:sha256:16
pubout "$T/upd.pem" "$T/upd.pub"
pcr16_after 9 "$T/future.bin"
cp "$T/upd.pem" "$T/upd.copy"
# The signer approves on a machine without a TPM (none is reachable).
TPMKIT_TCTI="swtpm:host=127.0.0.1,port=1" run tkkey policy add --key "$T/upd.pem" \
    --signer "$T/signer.pem" --pcr-policy sha256:16 --pcr-values "$T/future.bin" \
    --name after-update
assert_ok "policy add --pcr-values for PCR 16 after the update, no TPM reachable"
want=$(sw dgst -sha256 -binary "$T/future.bin" | xxd -p | tr -d '\n')
run tkkey policy list --key "$T/upd.pem"
assert_grep "list: the new policy first, its pcrDigest SHA-256 of the file's values" \
    "^  1 name \"after-update\"\$" "$T/out"
assert_grep "list: PolicyPCR sha256:16 with the digest of the given values" \
    "^    PolicyPCR sha256:16 digest $want\$" "$T/out"
sign_verify "before the update: the first signed policy matches" "$T/upd.pem" "$T/upd.pub"
extend16 9
sign_verify "after the update: the policy for the given values matches" \
    "$T/upd.pem" "$T/upd.pub"
# genpkey's first signed policy for given values (pcr-values with
# policy-signer and pcr-policy): made before the update, works after it.
tpm2 pcrreset 16 >/dev/null 2>&1 || fail "tpm2_pcrreset 16"
genkey "$T/first.pem" EC policy-signer:"$T/signer.pem" pcr-policy:sha256:16 \
    "pcr-values:$T/future.bin"
pubout "$T/first.pem" "$T/first.pub"
run tk dgst -sha256 -sign "$T/first.pem" -out "$T/sig" "$T/msg"
assert_grep "first signed policy for given values, before the update: none matches" \
    "no signed policy matches the current PCR values" "$T/err"
pcr16_future "first signed policy for given values" "$T/first.pem" "$T/first.pub" 9
extend16 9
# The file as it was before policy add does not work now.
run tk dgst -sha256 -sign "$T/upd.copy" -out "$T/sig" "$T/msg"
assert_fails "after the update, without the new policy: no signed policy matches"
tpm2 pcrreset 16 >/dev/null 2>&1 || fail "tpm2_pcrreset 16"

# The key file's step: pcrDigest, then the selection (sha256, PCR 16).
sw asn1parse -in "$T/upd.pem" >"$T/asn1.txt"
assert_grep "key file: the new PolicyPCR step holds the given values' digest" \
    "OCTET STRING +\[HEX DUMP\]:0020${want^^}00000001000B03000001\$" "$T/asn1.txt"

# Refusals leave the file as it was.
cp "$T/upd.pem" "$T/upd.copy"
head -c 31 /dev/zero >"$T/31.bin"
run tkkey policy add --key "$T/upd.pem" --signer "$T/signer.pem" --pcr-policy sha256:16 \
    --pcr-values "$T/31.bin"
assert_status "policy add --pcr-values of the wrong size" 1
assert_grep "wrong size: the error names the file and both sizes" \
    '31\.bin" holds 31 bytes, but sha256:16 needs 32' "$T/err"
run tkkey policy add --key "$T/upd.pem" --signer "$T/signer.pem" --pcr-values "$T/future.bin"
assert_status "policy add --pcr-values without --pcr-policy: usage error" 2
assert_grep "without --pcr-policy: says it is needed" '--pcr-values FILE needs --pcr-policy SPEC' "$T/err"
run tkkey policy add --key "$T/upd.pem" --signer "$T/signer.pem" --pcr-policy sha256:16 \
    --pcr-values "$T/missing.bin"
assert_status "policy add --pcr-values of a missing file" 1
assert_grep "missing values file: named" 'cannot open the PCR values file ".*missing\.bin"' "$T/err"
cmp -s "$T/upd.pem" "$T/upd.copy" || fail "a refused policy add --pcr-values changed the file"
pass "refused policy add --pcr-values: the file is unchanged"
run tkkey policy list --key "$T/upd.pem" --pcr-values "$T/future.bin"
assert_status "policy list does not take --pcr-values" 2

assert_no_grep "no crash anywhere" "Segmentation|Aborted|AddressSanitizer" "$T/err"
assert_no_tpm_leftovers "signed policy keys"
