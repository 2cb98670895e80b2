# SPDX-License-Identifier: Apache-2.0
# PCR-bound keys from genpkey (-pkeyopt pcr-policy:BANK:LIST, with and
# without user-auth): the key's authPolicy is PolicyPCR over the PCRs'
# values at creation (the digest tpm2_policypcr computes), userWithAuth is
# clear, the key file's policy field carries the step, and every use
# (sign, decrypt, ECDH, HMAC) replays it. PCR 16 (the resettable debug
# PCR) makes the policy fail and pass again. With pcr-values:FILE the
# policy is for the values in the file (PCR 16 after an extend, computed
# in software), with the digest tpm2_createpolicy -f computes.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

echo "pcr policy message" >"$T/msg"
make_srk
tpm2 pcrreset 16 >/dev/null 2>&1 || fail "tpm2_pcrreset 16"

# keyfile_private KEY OUT: the TPM2B_PRIVATE blob (second OCTET STRING).
keyfile_private() {
    sw asn1parse -in "$1" >"$T/asn1.txt" 2>&1 || fail "asn1parse $(basename "$1")"
    sed -n 's/^ *[0-9]*:d=1 .*prim: OCTET STRING *\[HEX DUMP\]://p' "$T/asn1.txt" \
        | sed -n 2p | xxd -r -p >"$2"
    [ -s "$2" ] || fail "no private blob in $(basename "$1")"
}

# --- the policy digest matches tpm2_policypcr --------------------------
genkey "$T/ec.pem" EC group:P-256 pcr-policy:sha256:16
trial_pcr "$T/pcr16.pol" sha256:16
assert_eq "EC key: authPolicy is tpm2_policypcr's digest for sha256:16" \
    "$(xxd -p "$T/pcr16.pol" | tr -d '\n')" "$(auth_policy "$T/ec.pem")"
assert_no_grep "EC key: userWithAuth is clear (only the policy authorizes)" \
    userwithauth "$T/attrs"
sw asn1parse -in "$T/ec.pem" >"$T/asn1.txt"
assert_grep "EC key file: the policy field has a PolicyPCR step" 'INTEGER +:017F' "$T/asn1.txt"
# commandPolicy: TPM2B pcrDigest (32 bytes), then TPML_PCR_SELECTION of
# sha256 PCR 16.
assert_grep "EC key file: PolicyPCR parameters are pcrDigest then the selection" \
    'OCTET STRING +\[HEX DUMP\]:0020[0-9A-F]{64}00000001000B03000001$' "$T/asn1.txt"
assert_grep "EC key file: emptyAuth TRUE (no password)" 'BOOLEAN +:255' "$T/asn1.txt"

# More than 8 PCRs need several TPM2_PCR_Read commands; ranges; other banks.
genkey "$T/many.pem" EC pcr-policy:sha256:0-7,16,23
# tpm2_policypcr takes at most 8 PCRs: the digest by hand from
# tpm2_pcrread's values, H(0^32 || CC_PolicyPCR || selection || H(values)).
tpm2 pcrread sha256:0,1,2,3,4,5,6,7,16,23 -o "$T/values.bin" >/dev/null 2>&1 \
    || fail "tpm2_pcrread"
[ "$(stat -c %s "$T/values.bin")" = 320 ] || fail "tpm2_pcrread: expected 10 values"
{
    printf '%064d' 0 | xxd -r -p
    printf '0000017f00000001000b03ff0081' | xxd -r -p
    sw dgst -sha256 -binary "$T/values.bin"
} >"$T/many.in"
assert_eq "10 PCRs (0-7,16,23): authPolicy is the PolicyPCR digest of their values" \
    "$(sw dgst -sha256 -binary "$T/many.in" | xxd -p | tr -d '\n')" "$(auth_policy "$T/many.pem")"
PCAP=$T/read.pcap
rm -f "$PCAP"
run pcap tk genpkey -algorithm EC -pkeyopt pcr-policy:sha256:0-7,16,23 -out "$T/many2.pem"
assert_ok "10 PCRs, recorded"
capture_commands "$PCAP"
[ "$(command_count PCR_Read)" -ge 2 ] || fail "10 PCRs: expected several TPM2_PCR_Read, saw $(command_count PCR_Read)"
pass "10 PCRs: read in several TPM2_PCR_Read commands"
genkey "$T/sha1.pem" EC pcr-policy:sha1:16,0
trial_pcr "$T/sha1.pol" sha1:0,16
assert_eq "sha1 bank: authPolicy is tpm2_policypcr's digest" \
    "$(xxd -p "$T/sha1.pol" | tr -d '\n')" "$(auth_policy "$T/sha1.pem")"
pubout "$T/many.pem" "$T/many.pub"
sign_verify "10-PCR key" "$T/many.pem" "$T/many.pub"

# --- bad specifications are refused, naming the bad part ---------------
bad_spec() {
    run tk genpkey -algorithm EC -pkeyopt "pcr-policy:$1" -out "$T/bad.pem"
    assert_fails "pcr-policy:$1 is refused"
    assert_grep "pcr-policy:$1: the error names \"$2\"" "$2" "$T/err"
}
bad_spec sha3:1 'unknown PCR bank "sha3"'
bad_spec sha256:24 'bad PCR "24"'
bad_spec sha256:1,x 'bad PCR "x"'
bad_spec sha256:5-3 'bad PCR "5-3"'
bad_spec sha256: 'bad PCR ""'
bad_spec 16 'is not BANK:LIST'

# --- use: sign, fails after extend, works after reset ------------------
pubout "$T/ec.pem" "$T/ec.pub"
sign_verify "PCR-bound EC key" "$T/ec.pem" "$T/ec.pub"
extend16 1
run tk dgst -sha256 -sign "$T/ec.pem" -out "$T/sig" "$T/msg"
assert_fails "PCR-bound EC key after PCR 16 was extended"
assert_grep "after extend: the error names the PCR policy failure" \
    "PolicyPCR: the PCR values differ" "$T/err"
assert_no_grep "after extend: not reported as a bad key" "bad key|malformed" "$T/err"
tpm2 pcrreset 16 >/dev/null 2>&1 || fail "tpm2_pcrreset 16"
sign_verify "PCR-bound EC key after PCR 16 was reset" "$T/ec.pem" "$T/ec.pub"

# ECDH with the same key.
sw genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/peer.pem"
sw pkey -in "$T/peer.pem" -pubout -out "$T/peer.pub"
run tk pkeyutl -derive -inkey "$T/ec.pem" -peerkey "$T/peer.pub" -out "$T/tpm.secret"
assert_ok "PCR-bound EC key: ECDH"
run sw pkeyutl -derive -inkey "$T/peer.pem" -peerkey "$T/ec.pub" -out "$T/peer.secret"
cmp -s "$T/tpm.secret" "$T/peer.secret" || fail "ECDH: the secrets differ"
pass "PCR-bound EC key: ECDH secret matches the peer's"

# RSA: sign and decrypt; RSA-PSS: sign.
genkey "$T/rsa.pem" RSA bits:2048 pcr-policy:sha256:16
assert_eq "RSA key: authPolicy is tpm2_policypcr's digest" \
    "$(xxd -p "$T/pcr16.pol" | tr -d '\n')" "$(auth_policy "$T/rsa.pem")"
pubout "$T/rsa.pem" "$T/rsa.pub"
sign_verify "PCR-bound RSA key" "$T/rsa.pem" "$T/rsa.pub"
echo "secret for the PCR key" >"$T/plain"
sw pkeyutl -encrypt -pubin -inkey "$T/rsa.pub" -pkeyopt rsa_padding_mode:oaep \
    -in "$T/plain" -out "$T/cipher"
run tk pkeyutl -decrypt -inkey "$T/rsa.pem" -pkeyopt rsa_padding_mode:oaep \
    -in "$T/cipher" -out "$T/decrypted"
assert_ok "PCR-bound RSA key: decrypts (OAEP)"
cmp -s "$T/plain" "$T/decrypted" || fail "PCR-bound RSA key: decrypted text differs"
pass "PCR-bound RSA key: decrypted text matches"
genkey "$T/pss.pem" RSA-PSS bits:2048 pcr-policy:sha256:16
pubout "$T/pss.pem" "$T/pss.pub"
run tk dgst -sha256 -sign "$T/pss.pem" -sigopt rsa_padding_mode:pss -out "$T/sig" "$T/msg"
assert_ok "PCR-bound RSA-PSS key: signs"
run sw dgst -sha256 -verify "$T/pss.pub" -sigopt rsa_padding_mode:pss -signature "$T/sig" "$T/msg"
assert_ok "PCR-bound RSA-PSS key: the signature verifies"

# TPM2-HMAC.
genkey "$T/hmac.pem" TPM2-HMAC digest:SHA256 pcr-policy:sha256:16
assert_eq "HMAC key: authPolicy is tpm2_policypcr's digest" \
    "$(xxd -p "$T/pcr16.pol" | tr -d '\n')" "$(auth_policy "$T/hmac.pem")"
run tk mac -macopt "key-uri:$T/hmac.pem" -macopt digest:SHA256 -in "$T/msg" TPM2-HMAC
assert_ok "PCR-bound HMAC key: computes an HMAC"
cp "$T/out" "$T/mac1"
extend16 2
run tk mac -macopt "key-uri:$T/hmac.pem" -macopt digest:SHA256 -in "$T/msg" TPM2-HMAC
assert_fails "PCR-bound HMAC key after PCR 16 was extended"
assert_grep "HMAC after extend: the error names the PCR policy failure" \
    "PolicyPCR: the PCR values differ" "$T/err"
run tk dgst -sha256 -sign "$T/rsa.pem" -out "$T/sig" "$T/msg"
assert_fails "PCR-bound RSA key after PCR 16 was extended"
tpm2 pcrreset 16 >/dev/null 2>&1 || fail "tpm2_pcrreset 16"
run tk mac -macopt "key-uri:$T/hmac.pem" -macopt digest:SHA256 -in "$T/msg" TPM2-HMAC
assert_ok "PCR-bound HMAC key after reset"
cmp -s "$T/out" "$T/mac1" || fail "HMAC after reset differs"
pass "PCR-bound HMAC key: the same HMAC after reset"

# --- with a password: PolicyPCR then PolicyAuthValue -------------------
genkey "$T/pw.pem" EC pcr-policy:sha256:16 user-auth:pcr-secret-pw
tpm2 startauthsession -S "$T/trial.ctx" >/dev/null 2>&1 || fail "trial session"
tpm2 policypcr -S "$T/trial.ctx" -l sha256:16 >/dev/null 2>&1 || fail "policypcr"
tpm2 policyauthvalue -S "$T/trial.ctx" -L "$T/pw.pol" >/dev/null 2>&1 || fail "policyauthvalue"
tpm2 flushcontext "$T/trial.ctx" >/dev/null 2>&1
tools_cleanup
assert_eq "password key: authPolicy is PolicyPCR then PolicyAuthValue" \
    "$(xxd -p "$T/pw.pol" | tr -d '\n')" "$(auth_policy "$T/pw.pem")"
assert_no_grep "password key: userWithAuth is clear" userwithauth "$T/attrs"
if grep -q noda "$T/attrs"; then fail "password key: noda is set"; fi
pass "password key: noda clear"
sw asn1parse -in "$T/pw.pem" >"$T/asn1.txt"
assert_grep "password key file: PolicyAuthValue step" 'INTEGER +:016B' "$T/asn1.txt"
assert_grep "password key file: emptyAuth FALSE" 'BOOLEAN +:0$' "$T/asn1.txt"
run tk pkey -in "$T/pw.pem" -passin pass:pcr-secret-pw -pubout -out "$T/pw.pub"
assert_ok "password key: pkey -pubout"
pw_hex=$(printf pcr-secret-pw | od -An -tx1 | tr -d ' \n')
PCAP=$T/pw.pcap
rm -f "$PCAP"
run pcap tk dgst -sha256 -sign "$T/pw.pem" -passin pass:pcr-secret-pw -out "$T/sig" "$T/msg"
assert_ok "password key, right password: signs"
run sw dgst -sha256 -verify "$T/pw.pub" -signature "$T/sig" "$T/msg"
assert_ok "password key: the signature verifies"
capture_commands "$PCAP"
assert_command_count "password key: the policy replays PolicyPCR" PolicyPCR "$(command_count Sign)"
assert_command_count "password key: and PolicyAuthValue for each use" PolicyAuthValue "$(command_count Sign)"
PCAP2=$PCAP
PCAP=$T/pw-wrong.pcap
rm -f "$PCAP"
before=$(lockout_counter)
run pcap tk dgst -sha256 -sign "$T/pw.pem" -passin pass:wrong-pw -out "$T/sig" "$T/msg"
assert_fails "password key, wrong password"
assert_grep "wrong password: says authorization failed" "authorization failed" "$T/err"
assert_eq "wrong password: the lockout counter moves exactly once" \
    "$((before + 1))" "$(lockout_counter)"
tpm2 dictionarylockout -c >/dev/null 2>&1 || true
capture_commands "$PCAP"
assert_command_count "wrong password: one TPM2_Sign attempt (no retry)" Sign 1
if file_has_bytes "$PCAP" "$pw_hex" || file_has_bytes "$PCAP2" "$pw_hex"; then
    fail "password key: the password crossed the bus in clear"
fi
pass "password key: the password is not in the capture"
extend16 3
run tk dgst -sha256 -sign "$T/pw.pem" -passin pass:pcr-secret-pw -out "$T/sig" "$T/msg"
assert_fails "password key, right password, PCR 16 extended"
assert_grep "password key after extend: the PCR policy failure" \
    "PolicyPCR: the PCR values differ" "$T/err"
tpm2 pcrreset 16 >/dev/null 2>&1 || fail "tpm2_pcrreset 16"

# --- tpm2-tools use a tpmkit PCR key through their own policy session --
keyfile_public "$T/rsa.pem" "$T/rsa.tpub"
keyfile_private "$T/rsa.pem" "$T/rsa.tpriv"
tools load -C "$T/srk.ctx" -u "$T/rsa.tpub" -r "$T/rsa.tpriv" -c "$T/rsa.ctx"
tpm2 startauthsession --policy-session -S "$T/sess.ctx" >"$T/tools.out" 2>&1 \
    || { cat "$T/tools.out"; fail "tpm2_startauthsession --policy-session"; }
tpm2 policypcr -S "$T/sess.ctx" -l sha256:16 >>"$T/tools.out" 2>&1 \
    || { cat "$T/tools.out"; tools_cleanup; fail "tpm2_policypcr"; }
tpm2 sign -c "$T/rsa.ctx" -p "session:$T/sess.ctx" -g sha256 -s rsassa -f plain \
    -o "$T/tools.sig" "$T/msg" >>"$T/tools.out" 2>&1 \
    || { cat "$T/tools.out"; tools_cleanup; fail "tpm2_sign with the policy session"; }
tools_cleanup
run sw dgst -sha256 -verify "$T/rsa.pub" -signature "$T/tools.sig" "$T/msg"
assert_ok "tpm2-tools sign with a tpmkit PCR key (policy session): the signature verifies"
# The password alone does not authorize (userWithAuth clear).
tools load -C "$T/srk.ctx" -u "$T/rsa.tpub" -r "$T/rsa.tpriv" -c "$T/rsa.ctx"
if tpm2 sign -c "$T/rsa.ctx" -g sha256 -s rsassa -f plain -o "$T/tools.sig" "$T/msg" \
    >"$T/tools.out" 2>&1; then
    tools_cleanup
    fail "tpm2-tools sign without the policy succeeded"
fi
tools_cleanup
pass "tpm2-tools: without the policy session the key refuses"

# --- written back by tpmkit, the policy goes with the key --------------
run tk pkey -in "$T/ec.pem" -out "$T/ec2.pem"
assert_ok "pkey writes the PCR key back"
cmp -s "$T/ec.pem" "$T/ec2.pem" || fail "the written-back key file differs"
pass "the written-back key file is identical"

# --- given values (pcr-values:FILE): bound to PCR 16 as it will be ------
tpm2 pcrreset 16 >/dev/null 2>&1 || fail "tpm2_pcrreset 16"
pcr16_after 5 "$T/future.bin"
PCAP=$T/future.pcap
rm -f "$PCAP"
run pcap tk genpkey -algorithm EC -pkeyopt pcr-policy:sha256:16 \
    -pkeyopt "pcr-values:$T/future.bin" -out "$T/future.pem"
assert_ok "genpkey pcr-policy:sha256:16 pcr-values:FILE (PCR 16 after an extend)"
capture_commands "$PCAP"
assert_command_count "given values: the PCRs are not read" PCR_Read 0
createpolicy_pcr "$T/future.pol" sha256:16 "$T/future.bin"
assert_eq "given values: authPolicy is tpm2_createpolicy -f's digest for the file" \
    "$(xxd -p "$T/future.pol" | tr -d '\n')" "$(auth_policy "$T/future.pem")"
assert_no_grep "given values: userWithAuth is clear" userwithauth "$T/attrs"
pubout "$T/future.pem" "$T/future.pub"
run tk dgst -sha256 -sign "$T/future.pem" -out "$T/sig" "$T/msg"
assert_grep "given values, before the extend: the PCR values differ" \
    "PolicyPCR: the PCR values differ" "$T/err"
pcr16_future "given values" "$T/future.pem" "$T/future.pub" 5
# With user-auth as well: PolicyPCR over the values, then PolicyAuthValue.
genkey "$T/futurepw.pem" EC pcr-policy:sha256:16 "pcr-values:$T/future.bin" \
    user-auth:future-pw
sw asn1parse -in "$T/futurepw.pem" >"$T/asn1.txt"
assert_grep "given values and a password: PolicyAuthValue step" 'INTEGER +:016B' "$T/asn1.txt"
run tk pkey -in "$T/futurepw.pem" -passin pass:future-pw -pubout -out "$T/futurepw.pub"
assert_ok "given values and a password: pkey -pubout"
pcr16_future "given values and a password" "$T/futurepw.pem" "$T/futurepw.pub" 5 \
    -passin pass:future-pw

# Several PCRs in another bank: the file holds them in ascending PCR order,
# whatever order the list names them in.
head -c 40 /dev/urandom >"$T/sha1.bin"
genkey "$T/sha1v.pem" RSA pcr-policy:sha1:16,0 "pcr-values:$T/sha1.bin"
createpolicy_pcr "$T/sha1v.pol" sha1:0,16 "$T/sha1.bin"
assert_eq "given sha1 values for PCRs 0 and 16: tpm2_createpolicy's digest" \
    "$(xxd -p "$T/sha1v.pol" | tr -d '\n')" "$(auth_policy "$T/sha1v.pem")"

# Refusals: the file must hold exactly the values of the selection.
head -c 33 /dev/zero >"$T/33.bin"
run tk genpkey -algorithm EC -pkeyopt pcr-policy:sha256:16 -pkeyopt "pcr-values:$T/33.bin" \
    -out "$T/bad.pem"
assert_fails "pcr-values: a 33-byte file for one sha256 PCR is refused"
assert_grep "wrong size: the error names the file, its size and the size needed" \
    '33\.bin" holds 33 bytes, but sha256:16 needs 32' "$T/err"
assert_no_grep "wrong size: no key written" 'BEGIN TSS2' "$T/bad.pem"
run tk genpkey -algorithm EC -pkeyopt pcr-policy:sha256:0,16 -pkeyopt "pcr-values:$T/future.bin" \
    -out "$T/bad.pem"
assert_fails "pcr-values: one value for two PCRs is refused"
assert_grep "one value for two PCRs: 64 bytes needed" 'holds 32 bytes, but sha256:0,16 needs 64' "$T/err"
run tk genpkey -algorithm EC -pkeyopt pcr-policy:sha256:16 -pkeyopt "pcr-values:$T/missing.bin" \
    -out "$T/bad.pem"
assert_fails "pcr-values: a missing file"
assert_grep "missing file: named" 'cannot open the PCR values file ".*missing\.bin"' "$T/err"
run tk genpkey -algorithm EC -pkeyopt "pcr-values:$T/future.bin" -out "$T/bad.pem"
assert_fails "pcr-values without pcr-policy"
assert_grep "pcr-values without pcr-policy: says pcr-policy is needed" \
    'without a PCR policy.*pcr-policy' "$T/err"
assert_no_grep "refused pcr-values: no key written" 'BEGIN TSS2' "$T/bad.pem"

# The PCR values a new policy binds to come in a response the salted
# session authenticates: a bus that changes them (every TPM2_PCR_Read
# response flipped) makes genpkey fail, never bind the key to other values.
if /usr/bin/python3 -c 'import cryptography' 2>/dev/null; then
    start_proxy flip-rsp --match 17e --nth 0
    rm -f "$T/flipped.pem"
    TPMKIT_TCTI="swtpm:host=127.0.0.1,port=$PROXY_PORT" \
        run tk genpkey -algorithm EC -pkeyopt pcr-policy:sha256:16 -out "$T/flipped.pem"
    assert_grep "the proxy flipped a TPM2_PCR_Read response" '^act flip-rsp 0x17e' "$T/proxy.log"
    assert_fails "flipped PCR values: genpkey fails"
    assert_grep "flipped PCR values: the error says the answer does not authenticate" \
        "TPM2_PCR_Read failed .*does not authenticate under the salted session" "$T/err"
    assert_no_grep "flipped PCR values: no key written" 'BEGIN TSS2' "$T/flipped.pem"
    kill "$PROXY_PID" 2>/dev/null || true
else
    echo "# /usr/bin/python3 without python3-cryptography: no flipped PCR_Read case"
fi

assert_no_grep "no crash anywhere" "Segmentation|Aborted|AddressSanitizer" "$T/err"
assert_no_tpm_leftovers "PCR policy keys"
