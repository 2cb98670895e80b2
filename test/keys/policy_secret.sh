# SPDX-License-Identifier: Apache-2.0
# Keys whose policy is TPM2_PolicySecret: usable only with the password of
# another object (here the owner hierarchy), made with tpm2-tools under a
# tpm2_policysecret trial policy. The key-file step is the draft's form
# (TPM_HANDLE objectHandleHint, TPM2B_NAME objectName, TPM2B_DIGEST
# policyRef); the object's password is the key's password (-passin), as
# openssl_tpm2_engine has it, and is proven by an HMAC, never sent.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

echo "policy secret message" >"$T/msg"
OID=2.23.133.10.1.3 CC_SECRET=0x151
OWNER_PW=owner-secret-pw-4711
owner_hex=$(printf %s "$OWNER_PW" | od -An -tx1 | tr -d ' \n')

# The standard primary persisted, and used once while the owner password is
# empty: with an owner password tpmkit could not create it.
make_srk
tools evictcontrol -C o -c "$T/srk.ctx" 0x81000001

# PolicySecret(owner), empty policyRef.
tpm2 startauthsession -S "$T/trial.ctx" >"$T/tools.out" 2>&1 || fail "trial session"
tpm2 policysecret -S "$T/trial.ctx" -c o -L "$T/secret.pol" >>"$T/tools.out" 2>&1 \
    || { cat "$T/tools.out"; fail "tpm2_policysecret"; }
tpm2 flushcontext "$T/trial.ctx" >/dev/null 2>&1
tools_cleanup
tools create -C 0x81000001 -G ecc256 -L "$T/secret.pol" \
    -a 'fixedtpm|fixedparent|sensitivedataorigin|sign|decrypt|noda' \
    -u "$T/secret.tpub" -r "$T/secret.tpriv"

# hint 0x40000001, name 0x40000001 (4 bytes), empty policyRef
STEP=40000001''0004''40000001''0000
make_keyfile "$T/empty.der" $OID TRUE "$T/secret.tpub" "$T/secret.tpriv" \
    "policy=$CC_SECRET:$STEP"
make_keyfile "$T/pw.der" $OID FALSE "$T/secret.tpub" "$T/secret.tpriv" \
    "policy=$CC_SECRET:$STEP"
# No hint: a hierarchy's name is its handle.
make_keyfile "$T/nohint.der" $OID TRUE "$T/secret.tpub" "$T/secret.tpriv" \
    "policy=$CC_SECRET:00000000''0004''40000001''0000"
# Another hierarchy than the policy's: the TPM's digest differs.
make_keyfile "$T/endorse.der" $OID TRUE "$T/secret.tpub" "$T/secret.tpriv" \
    "policy=$CC_SECRET:4000000B''0004''4000000B''0000"

# Sealed data under the same policy (tpmkit-key unseal replays it too).
printf 'sealed under PolicySecret %s' "$RANDOM" >"$T/sealed.in"
tools create -C 0x81000001 -i "$T/sealed.in" -L "$T/secret.pol" \
    -a 'fixedtpm|fixedparent|noda' -u "$T/sealed.tpub" -r "$T/sealed.tpriv"
make_keyfile "$T/sealed.der" 2.23.133.10.1.5 FALSE "$T/sealed.tpub" "$T/sealed.tpriv" \
    "policy=$CC_SECRET:$STEP"

pubout "$T/empty.der" "$T/secret.pub"
PCAP=$T/empty.pcap
rm -f "$PCAP"
run pcap tk dgst -sha256 -sign "$T/empty.der" -out "$T/sig" "$T/msg"
assert_ok "PolicySecret(owner), empty owner password: signs"
run sw dgst -sha256 -verify "$T/secret.pub" -signature "$T/sig" "$T/msg"
assert_ok "PolicySecret(owner): the default provider verifies"
capture_commands "$PCAP"
assert_command_count "PolicySecret(owner): replayed once" PolicySecret 1
assert_command_count "PolicySecret(owner): one TPM2_Sign" Sign 1
sign_verify "PolicySecret(owner) without a handle hint" "$T/nohint.der" "$T/secret.pub"
sign_verify "PolicySecret(owner), emptyAuth FALSE, empty -passin" "$T/pw.der" \
    "$T/secret.pub" -passin pass:

# ECDH through the same replay.
sw genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/peer.pem" 2>/dev/null \
    || fail "peer key"
sw pkey -in "$T/peer.pem" -pubout -out "$T/peer.pub" 2>/dev/null || fail "peer public key"
run tk pkeyutl -derive -inkey "$T/empty.der" -peerkey "$T/peer.pub" -out "$T/tpm.z"
assert_ok "PolicySecret(owner): ECDH"
run sw pkeyutl -derive -inkey "$T/peer.pem" -peerkey "$T/secret.pub" -out "$T/peer.z"
assert_ok "PolicySecret(owner): the peer derives"
cmp -s "$T/tpm.z" "$T/peer.z" || fail "PolicySecret(owner): ECDH secrets differ"
pass "PolicySecret(owner): ECDH secrets match"

run tk dgst -sha256 -sign "$T/endorse.der" -out "$T/sig" "$T/msg"
assert_fails "PolicySecret step naming another hierarchy"
assert_grep "another hierarchy: the error names the unmet policy" \
    "authorization policy" "$T/err"

# --- an owner password ---------------------------------------------------
tools changeauth -c o "$OWNER_PW"
run tk dgst -sha256 -sign "$T/empty.der" -out "$T/sig" "$T/msg"
assert_fails "owner password set, key file without a password"
assert_grep "no password: the error names the step and says wrong password" \
    "TPM2_PolicySecret with the owner hierarchy: wrong password" "$T/err"
assert_grep "no password: the error says how to give it" "-passin" "$T/err"
run tk dgst -sha256 -sign "$T/pw.der" -passin pass:not-the-owner-pw -out "$T/sig" "$T/msg"
assert_fails "owner password set, wrong -passin"
assert_grep "wrong -passin: the error names the step" \
    "TPM2_PolicySecret with the owner hierarchy: wrong password" "$T/err"
tpm2 dictionarylockout -c >/dev/null 2>&1 || true

for enc in yes no; do
    PCAP=$T/pw-$enc.pcap
    rm -f "$PCAP"
    TPMKIT_SESSION_ENCRYPTION=$enc run pcap tk dgst -sha256 -sign "$T/pw.der" \
        -passin "pass:$OWNER_PW" -out "$T/sig" "$T/msg"
    assert_ok "owner password as -passin (encryption $enc): signs"
    run sw dgst -sha256 -verify "$T/secret.pub" -signature "$T/sig" "$T/msg"
    assert_ok "owner password (encryption $enc): the signature verifies"
    capture_commands "$PCAP"
    assert_command_count "owner password (encryption $enc): one PolicySecret" PolicySecret 1
    if file_has_bytes "$PCAP" "$owner_hex"; then
        fail "owner password (encryption $enc): it crossed the bus in clear"
    fi
    pass "owner password (encryption $enc): not in the capture"
done
run tkkey unseal --in "$T/sealed.der" --password not-the-owner-pw
assert_fails "sealed data, wrong owner password"
assert_grep "sealed data, wrong owner password: the error names the step" \
    "TPM2_PolicySecret with the owner hierarchy: wrong password" "$T/err"
PCAP=$T/unseal.pcap
rm -f "$PCAP"
run pcap tkkey unseal --in "$T/sealed.der" --password "$OWNER_PW"
assert_ok "sealed data under PolicySecret(owner): unseals with the owner password"
cmp -s "$T/sealed.in" "$T/out" || fail "sealed data under PolicySecret: the secret differs"
pass "sealed data under PolicySecret: the secret matches"
file_has_bytes "$PCAP" "$owner_hex" && fail "unseal: the owner password crossed the bus"
file_has_bytes "$PCAP" "$(xxd -p "$T/sealed.in" | tr -d '\n')" \
    && fail "unseal: the secret crossed the bus in clear"
pass "unseal: neither the owner password nor the secret is in the capture"
tpm2 dictionarylockout -c >/dev/null 2>&1 || true
tools changeauth -c o -p "$OWNER_PW"
# The check can fail: the same bytes sent in clear (TPM2_Hash's input has
# no session to hide it) are seen.
printf %s "$OWNER_PW" >"$T/owner_pw"
TCTI_PCAP_FILE=$T/clear.pcap TPM2TOOLS_TCTI="pcap:$(swtpm_tools_tcti)" \
    env -u OPENSSL_CONF timeout 30 tpm2_hash -C o -g sha256 "$T/owner_pw" \
    >/dev/null 2>&1 || fail "tpm2_hash under pcap"
tools_cleanup
file_has_bytes "$T/clear.pcap" "$owner_hex" || fail "the bus check sees bytes sent in clear"
pass "the bus check sees bytes sent in clear (tpm2_hash)"
sign_verify "owner password reset: signs again" "$T/empty.der" "$T/secret.pub"

tools evictcontrol -C o -c 0x81000001
assert_no_grep "no crash anywhere" "Segmentation|Aborted|AddressSanitizer" "$T/err"
assert_no_tpm_leftovers "PolicySecret keys"
