# SPDX-License-Identifier: Apache-2.0
# Issue 3, point 8: key files whose key is usable only through its policy
# (no userWithAuth), as other producers write them: the policy field's
# commands are replayed in a policy session for every use. Keys made with
# tpm2-tools under policies from tpm2_policy* trial sessions; PCR 16 (the
# resettable debug PCR) makes the policy fail and pass again.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

echo "policy message" >"$T/msg"
make_srk

# trial_policy OUT CMD ARGS...: the policy digest of one tpm2_policy*
# command (a trial session), as tpm2_create -L wants it.
trial_policy() {
    local out=$1
    shift
    tpm2 startauthsession -S "$T/trial.ctx" >"$T/tools.out" 2>&1 || fail "trial session"
    tpm2 "$@" -S "$T/trial.ctx" -L "$out" >>"$T/tools.out" 2>&1 \
        || { cat "$T/tools.out"; fail "tpm2_$1"; }
    tpm2 flushcontext "$T/trial.ctx" >/dev/null 2>&1
    tools_cleanup
}

# wrong_password WHAT KEY: signing with a wrong password fails as an
# authorization failure and moves the lockout counter exactly once (no
# retry); the counter is reset afterwards.
wrong_password() {
    local before
    before=$(lockout_counter)
    run tk dgst -sha256 -sign "$2" -passin pass:wrong-pw -out "$T/sig" "$T/msg"
    assert_fails "$1, wrong password"
    assert_grep "$1, wrong password: says authorization failed" \
        "authorization failed" "$T/err"
    assert_eq "$1, wrong password: the lockout counter moves exactly once (no retry)" \
        "$((before + 1))" "$(lockout_counter)"
    tpm2 dictionarylockout -c >/dev/null 2>&1 || true
}

# PolicyPCR parameters: an empty pcrDigest (the TPM uses the PCRs' current
# values) and a selection of sha256 PCR 16.
PCR16=0000''00000001''000B''03''000001
CC_PCR=0x17F CC_AUTHVALUE=0x16B CC_DUPSELECT=0x188 CC_PASSWORD=0x18C

# --- PolicyPCR: an EC key bound to PCR 16 --------------------------------
tpm2 pcrreset 16 >/dev/null 2>&1 || fail "tpm2_pcrreset 16"
trial_policy "$T/pcr.pol" policypcr -l sha256:16
tools create -C "$T/srk.ctx" -G ecc256 -L "$T/pcr.pol" \
    -a 'fixedtpm|fixedparent|sensitivedataorigin|sign|decrypt|noda' \
    -u "$T/pcr.tpub" -r "$T/pcr.tpriv"
make_keyfile "$T/pcr.der" 2.23.133.10.1.3 TRUE "$T/pcr.tpub" "$T/pcr.tpriv" \
    "policy=$CC_PCR:$PCR16"
pubout "$T/pcr.der" "$T/pcr.pub"
PCAP=$T/pcr.pcap
rm -f "$PCAP"
run pcap tk dgst -sha256 -sign "$T/pcr.der" -out "$T/sig" "$T/msg"
assert_ok "PolicyPCR key: signs"
run sw dgst -sha256 -verify "$T/pcr.pub" -signature "$T/sig" "$T/msg"
assert_ok "PolicyPCR key: the default provider verifies"
capture_commands "$PCAP"
assert_command_count "PolicyPCR key: the policy is replayed once" PolicyPCR 1
assert_command_count "PolicyPCR key: one TPM2_Sign" Sign 1
sign_verify "PolicyPCR key, default provider first" "$T/pcr.der" "$T/pcr.pub"

tpm2 pcrextend 16:sha256=0000000000000000000000000000000000000000000000000000000000000001 \
    >/dev/null 2>&1 || fail "tpm2_pcrextend 16"
run tk dgst -sha256 -sign "$T/pcr.der" -out "$T/sig" "$T/msg"
assert_fails "PolicyPCR key after PCR 16 changed"
assert_grep "PCR change: the error names the unmet policy" \
    "authorization policy.*\(PCR values changed\?\)" "$T/err"
assert_no_grep "PCR change: no crash" "Segmentation|Aborted|AddressSanitizer" "$T/err"
tpm2 pcrreset 16 >/dev/null 2>&1 || fail "tpm2_pcrreset 16"
sign_verify "PolicyPCR key after PCR 16 was reset" "$T/pcr.der" "$T/pcr.pub"

# openssl_tpm2_engine writes PolicyPCR's selection first and the bare
# pcrDigest after it (reset PCR 16 holds zeros): replayed in command order.
pcr16_digest=$(head -c 32 /dev/zero | sw dgst -sha256 -binary | xxd -p | tr -d '\n')
make_keyfile "$T/engine.der" 2.23.133.10.1.3 TRUE "$T/pcr.tpub" "$T/pcr.tpriv" \
    "policy=$CC_PCR:00000001000B03000001$pcr16_digest"
sign_verify "PolicyPCR key in openssl_tpm2_engine's step order" "$T/engine.der" "$T/pcr.pub"
tpm2 pcrextend 16:sha256=0000000000000000000000000000000000000000000000000000000000000001 \
    >/dev/null 2>&1 || fail "tpm2_pcrextend 16"
run tk dgst -sha256 -sign "$T/engine.der" -out "$T/sig" "$T/msg"
assert_fails "engine step order, PCR 16 changed"
assert_grep "engine step order: the error says the PCR values differ" \
    "PolicyPCR: the PCR values differ" "$T/err"
tpm2 pcrreset 16 >/dev/null 2>&1 || fail "tpm2_pcrreset 16"

# Written back by tpmkit, the policy goes with the key.
run tk pkey -in "$T/pcr.der" -out "$T/pcr2.pem"
assert_ok "PolicyPCR key: pkey writes the key file back"
sw asn1parse -in "$T/pcr2.pem" >"$T/asn1.txt"
assert_grep "the written file keeps the policy command" 'INTEGER +:017F' "$T/asn1.txt"
sign_verify "PolicyPCR key, as written back by tpmkit" "$T/pcr2.pem" "$T/pcr.pub"

# --- PolicyAuthValue: a password, through the policy ---------------------
trial_policy "$T/av.pol" policyauthvalue
tools create -C "$T/srk.ctx" -G rsa2048 -L "$T/av.pol" -p policy-pw \
    -a 'fixedtpm|fixedparent|sensitivedataorigin|sign|decrypt' \
    -u "$T/av.tpub" -r "$T/av.tpriv"
make_keyfile "$T/av.der" 2.23.133.10.1.3 FALSE "$T/av.tpub" "$T/av.tpriv" \
    "policy=$CC_AUTHVALUE:"
run tk pkey -in "$T/av.der" -passin pass:policy-pw -pubout -out "$T/av.pub"
assert_ok "PolicyAuthValue key: pkey -pubout"
sign_verify "PolicyAuthValue key, right password" "$T/av.der" "$T/av.pub" \
    -passin pass:policy-pw
echo "secret for the policy key" >"$T/plain"
run sw pkeyutl -encrypt -pubin -inkey "$T/av.pub" -pkeyopt rsa_padding_mode:oaep \
    -in "$T/plain" -out "$T/cipher"
assert_ok "PolicyAuthValue key: encrypt to it in software"
run tk pkeyutl -decrypt -inkey "$T/av.der" -passin pass:policy-pw \
    -pkeyopt rsa_padding_mode:oaep -in "$T/cipher" -out "$T/decrypted"
assert_ok "PolicyAuthValue key: decrypts (OAEP)"
cmp -s "$T/plain" "$T/decrypted" || fail "PolicyAuthValue key: decrypted text differs"
pass "PolicyAuthValue key: decrypted text matches"
wrong_password "PolicyAuthValue key" "$T/av.der"

# --- PolicyPassword: the password itself in the policy session -----------
trial_policy "$T/pp.pol" policypassword
tools create -C "$T/srk.ctx" -G ecc256 -L "$T/pp.pol" -p pp-pw \
    -a 'fixedtpm|fixedparent|sensitivedataorigin|sign|decrypt' \
    -u "$T/pp.tpub" -r "$T/pp.tpriv"
make_keyfile "$T/pp.der" 2.23.133.10.1.3 FALSE "$T/pp.tpub" "$T/pp.tpriv" \
    "policy=$CC_PASSWORD:"
run tk pkey -in "$T/pp.der" -passin pass:pp-pw -pubout -out "$T/pp.pub"
assert_ok "PolicyPassword key: pkey -pubout"
sign_verify "PolicyPassword key, right password" "$T/pp.der" "$T/pp.pub" \
    -passin pass:pp-pw
# Whatever the file says, the password never crosses the bus: the step is
# replayed as PolicyAuthValue (same policy digest), so the password only
# keys an HMAC — with session encryption on and off.
pp_hex=$(printf pp-pw | od -An -tx1 | tr -d ' \n')
for enc in yes no; do
    PCAP=$T/pp-$enc.pcap
    rm -f "$PCAP"
    TPMKIT_SESSION_ENCRYPTION=$enc run pcap tk dgst -sha256 -sign "$T/pp.der" \
        -passin pass:pp-pw -out "$T/sig" "$T/msg"
    assert_ok "PolicyPassword key (encryption $enc): signs"
    run sw dgst -sha256 -verify "$T/pp.pub" -signature "$T/sig" "$T/msg"
    assert_ok "PolicyPassword key (encryption $enc): the signature verifies"
    capture_commands "$PCAP"
    assert_command_count "PolicyPassword key (encryption $enc): replayed as PolicyAuthValue" \
        PolicyAuthValue 1
    assert_command_count "PolicyPassword key (encryption $enc): no PolicyPassword sent" \
        PolicyPassword 0
    if file_has_bytes "$PCAP" "$pp_hex"; then
        fail "PolicyPassword key (encryption $enc): the password crossed the bus in clear"
    fi
    pass "PolicyPassword key (encryption $enc): the password is not in the capture"
done
wrong_password "PolicyPassword key" "$T/pp.der"

# --- two steps in order: PolicyPCR then PolicyAuthValue ------------------
tpm2 startauthsession -S "$T/trial.ctx" >/dev/null 2>&1 || fail "trial session"
tpm2 policypcr -S "$T/trial.ctx" -l sha256:16 >/dev/null 2>&1 || fail "policypcr"
tpm2 policyauthvalue -S "$T/trial.ctx" -L "$T/both.pol" >/dev/null 2>&1 || fail "policyauthvalue"
tpm2 flushcontext "$T/trial.ctx" >/dev/null 2>&1
tools_cleanup
tools create -C "$T/srk.ctx" -G ecc256 -L "$T/both.pol" -p both-pw \
    -a 'fixedtpm|fixedparent|sensitivedataorigin|sign|decrypt|noda' \
    -u "$T/both.tpub" -r "$T/both.tpriv"
make_keyfile "$T/both.der" 2.23.133.10.1.3 FALSE "$T/both.tpub" "$T/both.tpriv" \
    "policy=$CC_PCR:$PCR16" "policy=$CC_AUTHVALUE:"
run tk pkey -in "$T/both.der" -passin pass:both-pw -pubout -out "$T/both.pub"
assert_ok "PolicyPCR+PolicyAuthValue key: pkey -pubout"
sign_verify "PolicyPCR+PolicyAuthValue key" "$T/both.der" "$T/both.pub" -passin pass:both-pw
# The same steps in the wrong order give another digest: the TPM refuses.
make_keyfile "$T/swapped.der" 2.23.133.10.1.3 FALSE "$T/both.tpub" "$T/both.tpriv" \
    "policy=$CC_AUTHVALUE:" "policy=$CC_PCR:$PCR16"
run tk dgst -sha256 -sign "$T/swapped.der" -passin pass:both-pw -out "$T/sig" "$T/msg"
assert_fails "policy steps in the wrong order"
assert_grep "wrong order: the error names the unmet policy" "authorization policy" "$T/err"

# --- session encryption off: unsalted policy sessions --------------------
# tpmkit computes policy sessions itself; without salt the session key is
# empty and PolicyAuthValue's HMAC is keyed by the password alone.
export TPMKIT_SESSION_ENCRYPTION=no
sign_verify "encryption off: PolicyAuthValue key" "$T/av.der" "$T/av.pub" \
    -passin pass:policy-pw
sign_verify "encryption off: PolicyPCR+PolicyAuthValue key" "$T/both.der" \
    "$T/both.pub" -passin pass:both-pw
wrong_password "encryption off: PolicyAuthValue key" "$T/av.der"
unset TPMKIT_SESSION_ENCRYPTION

# --- what tpmkit cannot replay: clear refusals ---------------------------
make_keyfile "$T/dupsel.der" 2.23.133.10.1.3 TRUE "$T/pcr.tpub" "$T/pcr.tpriv" \
    "policy=$CC_DUPSELECT:00000000"
run tk pkey -in "$T/dupsel.der" -pubout
assert_fails "a PolicyDuplicationSelect step"
assert_grep "PolicyDuplicationSelect: the error names the command" \
    "command 0x188.*cannot replay" "$T/err"

assert_no_grep "no crash anywhere" "Segmentation|Aborted|AddressSanitizer" "$T/err"
assert_no_tpm_leftovers "policy keys"
