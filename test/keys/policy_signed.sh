# SPDX-License-Identifier: Apache-2.0
# Keys whose policy is TPM2_PolicySigned, the signer's approval stored in
# the key file: software signers (RSA-2048, EC P-256) sign
# aHash = SHA-256(nonceTPM (empty) || expiration (INT32 0) || cpHashA
# (empty) || policyRef (empty)) once; keys are made by tpm2-tools under a
# tpm2_policysigned trial policy. The key-file draft has no form for this
# step: tpmkit reads the signer's TPM2B_PUBLIC, a TPM2B policyRef, then
# the TPMT_SIGNATURE (the draft's PolicyAuthorize form).
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

echo "policy signed message" >"$T/msg"
OID=2.23.133.10.1.3 CC_SIGNED=0x160
make_srk
printf '\0\0\0\0' >"$T/ahash.in"

# tpmt_signature DER_SIG KIND OUT: the TPMT_SIGNATURE of an openssl
# signature (KIND rsa: RSASSA-PKCS1-v1_5, pss: RSAPSS, ec: DER ECDSA),
# SHA-256.
tpmt_signature() {
    python3 - "$1" "$2" "$3" <<'PY' || fail "TPMT_SIGNATURE of $(basename "$1")"
import struct, sys
sig, kind, out = open(sys.argv[1], 'rb').read(), sys.argv[2], sys.argv[3]
def b2(x):
    return struct.pack('>H', len(x)) + x
if kind in ('rsa', 'pss'):
    t = struct.pack('>HH', 0x0014 if kind == 'rsa' else 0x0016, 0x000b) + b2(sig)
else:
    # SEQUENCE { INTEGER r, INTEGER s }, short lengths (P-256)
    assert sig[0] == 0x30 and sig[1] == len(sig) - 2
    ints, i = [], 2
    while i < len(sig):
        assert sig[i] == 0x02
        n = sig[i + 1]
        ints.append(sig[i + 2:i + 2 + n].lstrip(b'\0').rjust(32, b'\0'))
        i += 2 + n
    r, s = ints
    t = struct.pack('>HH', 0x0018, 0x000b) + b2(r) + b2(s)
open(out, 'wb').write(t)
PY
}

# policy_digest NAME_FILE: the digest TPM 2.0 Part 3 gives PolicySigned
# from zeros, empty policyRef: H(H(0^32 || TPM_CC_PolicySigned || name) || "").
policy_digest() {
    python3 - "$1" <<'PY'
import hashlib, sys
name = open(sys.argv[1], 'rb').read()
d = hashlib.sha256(bytes(32) + bytes.fromhex('00000160') + name).digest()
print(hashlib.sha256(d).hexdigest())
PY
}

for kind in rsa ec; do
    case $kind in
    rsa) sw genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/$kind.signer.pem" \
             2>/dev/null || fail "RSA signer"
         G=rsa F=rsassa KEYG=ecc256 ;;
    ec) sw genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/$kind.signer.pem" \
            2>/dev/null || fail "EC signer"
        G=ecc F=ecdsa KEYG=rsa2048 ;;
    esac
    sw pkey -in "$T/$kind.signer.pem" -pubout -out "$T/$kind.signer.pub" 2>/dev/null \
        || fail "$kind signer public key"
    tools loadexternal -C o -G $G -u "$T/$kind.signer.pub" -c "$T/$kind.signer.ctx" \
        -n "$T/$kind.signer.name"
    tools readpublic -c "$T/$kind.signer.ctx" -o "$T/$kind.signer.tpub"
    sw dgst -sha256 -sign "$T/$kind.signer.pem" -out "$T/$kind.sig.raw" "$T/ahash.in" \
        || fail "$kind signer signs aHash"

    tpm2 startauthsession -S "$T/trial.ctx" >"$T/tools.out" 2>&1 || fail "trial session"
    tpm2 policysigned -S "$T/trial.ctx" -g sha256 -s "$T/$kind.sig.raw" -f $F \
        -c "$T/$kind.signer.ctx" -L "$T/$kind.pol" >>"$T/tools.out" 2>&1 \
        || { cat "$T/tools.out"; tools_cleanup; fail "tpm2_policysigned ($kind)"; }
    tpm2 flushcontext "$T/trial.ctx" >/dev/null 2>&1
    tools_cleanup
    assert_eq "$kind signer: tpm2_policysigned's trial digest is Part 3's" \
        "$(policy_digest "$T/$kind.signer.name")" "$(xxd -p "$T/$kind.pol" | tr -d '\n')"

    tools create -C "$T/srk.ctx" -G $KEYG -L "$T/$kind.pol" \
        -a 'fixedtpm|fixedparent|sensitivedataorigin|sign|noda' \
        -u "$T/$kind.tpub" -r "$T/$kind.tpriv"
    tpmt_signature "$T/$kind.sig.raw" $kind "$T/$kind.tpmt"
    pub_hex=$(xxd -p "$T/$kind.signer.tpub" | tr -d '\n')
    sig_hex=$(xxd -p "$T/$kind.tpmt" | tr -d '\n')
    case $kind in
    rsa) rsa_pub_hex=$pub_hex rsa_sig_hex=$sig_hex ;;
    ec) ec_pub_hex=$pub_hex ec_sig_hex=$sig_hex ;;
    esac
    make_keyfile "$T/$kind.der" $OID TRUE "$T/$kind.tpub" "$T/$kind.tpriv" \
        "policy=$CC_SIGNED:${pub_hex}0000${sig_hex}"

    pubout "$T/$kind.der" "$T/$kind.pub"
    PCAP=$T/$kind.pcap
    rm -f "$PCAP"
    run pcap tk dgst -sha256 -sign "$T/$kind.der" -out "$T/sig" "$T/msg"
    assert_ok "PolicySigned by an $kind signer: signs"
    run sw dgst -sha256 -verify "$T/$kind.pub" -signature "$T/sig" "$T/msg"
    assert_ok "PolicySigned by an $kind signer: the default provider verifies"
    capture_commands "$PCAP"
    assert_command_count "PolicySigned ($kind): replayed once" PolicySigned 1
    assert_command_count "PolicySigned ($kind): the signer loaded once" LoadExternal 1
    assert_command_count "PolicySigned ($kind): one TPM2_Sign" Sign 1
    assert_no_tpm_leftovers "PolicySigned ($kind) signing"

    run tkkey policy list --key "$T/$kind.der"
    assert_ok "policy list ($kind PolicySigned key)"
    assert_grep "policy list names the $kind signer (tpm2_loadexternal's name)" \
        "^  PolicySigned signer $(xxd -p "$T/$kind.signer.name" | tr -d '\n')\$" "$T/out"

    # The signature's last byte altered: the TPM refuses it.
    last=${sig_hex: -2}
    bad_hex=${sig_hex:0:${#sig_hex}-2}$(printf '%02x' $((0x$last ^ 0x01)))
    make_keyfile "$T/$kind.bad.der" $OID TRUE "$T/$kind.tpub" "$T/$kind.tpriv" \
        "policy=$CC_SIGNED:${pub_hex}0000${bad_hex}"
    run tk dgst -sha256 -sign "$T/$kind.bad.der" -out "$T/sig" "$T/msg"
    assert_fails "PolicySigned ($kind), signature altered"
    assert_grep "altered signature ($kind): the error names the step" \
        "TPM2_PolicySigned: the signature in the key file does not verify with its signer key" \
        "$T/err"
    assert_no_tpm_leftovers "a refused PolicySigned signature ($kind)"

    # A policyRef the signer did not sign: the TPM refuses the signature.
    make_keyfile "$T/$kind.ref.der" $OID TRUE "$T/$kind.tpub" "$T/$kind.tpriv" \
        "policy=$CC_SIGNED:${pub_hex}000161${sig_hex}"
    run tk dgst -sha256 -sign "$T/$kind.ref.der" -out "$T/sig" "$T/msg"
    assert_fails "PolicySigned ($kind), another policyRef"
    assert_grep "another policyRef ($kind): the error names the step" \
        "TPM2_PolicySigned: the signature in the key file does not verify" "$T/err"

    # Truncated: refused when the file is read, before any TPM command.
    make_keyfile "$T/$kind.short.der" $OID TRUE "$T/$kind.tpub" "$T/$kind.tpriv" \
        "policy=$CC_SIGNED:${pub_hex}0000${sig_hex:0:${#sig_hex}-2}"
    run tk dgst -sha256 -sign "$T/$kind.short.der" -out "$T/sig" "$T/msg"
    assert_fails "PolicySigned ($kind), signature truncated"
    assert_grep "truncated ($kind): the error says the step is malformed" \
        "the key's PolicySigned step is malformed" "$T/err"
    PCAP=$T/$kind.short.pcap
    rm -f "$PCAP"
    run pcap tk pkey -in "$T/$kind.short.der" -pubout -out "$T/x.pub"
    assert_fails "PolicySigned ($kind), signature truncated: reading the file"
    assert_grep "truncated ($kind): refused when read (pkey -pubout)" \
        "the key's PolicySigned step is malformed: cannot parse it" "$T/err"
    if [ -s "$PCAP" ]; then
        capture_commands "$PCAP"
        assert_command_count "truncated ($kind): no PolicySigned sent" PolicySigned 0
        assert_command_count "truncated ($kind): no signer loaded" LoadExternal 0
    fi
done

# A valid approval by the other signer: it verifies, but the key's policy
# names the RSA signer, so the digest differs and the key refuses.
make_keyfile "$T/swap.der" $OID TRUE "$T/rsa.tpub" "$T/rsa.tpriv" \
    "policy=$CC_SIGNED:${ec_pub_hex}0000${ec_sig_hex}"
run tk dgst -sha256 -sign "$T/swap.der" -out "$T/sig" "$T/msg"
assert_fails "PolicySigned by a signer the key's policy does not name"
assert_grep "another signer: the error names the unmet policy" "authorization policy" "$T/err"
# The RSA signer's signature under the EC signer: refused at read.
make_keyfile "$T/mix.der" $OID TRUE "$T/rsa.tpub" "$T/rsa.tpriv" \
    "policy=$CC_SIGNED:${ec_pub_hex}0000${rsa_sig_hex}"
run tk dgst -sha256 -sign "$T/mix.der" -out "$T/sig" "$T/msg"
assert_fails "PolicySigned with an RSA signature by an EC signer"
assert_grep "RSA signature, EC signer: malformed" "an RSA signature by an EC signer" "$T/err"

# The RSA signer's approval as RSAPSS (salt: the hash length): the same
# policy digest (the signer's name), another signature scheme.
sw dgst -sha256 -sign "$T/rsa.signer.pem" -sigopt rsa_padding_mode:pss \
    -sigopt rsa_pss_saltlen:32 -out "$T/pss.sig.raw" "$T/ahash.in" || fail "RSAPSS approval"
tpmt_signature "$T/pss.sig.raw" pss "$T/pss.tpmt"
make_keyfile "$T/pss.der" $OID TRUE "$T/rsa.tpub" "$T/rsa.tpriv" \
    "policy=$CC_SIGNED:${rsa_pub_hex}0000$(xxd -p "$T/pss.tpmt" | tr -d '\n')"
sign_verify "PolicySigned by the RSA signer, RSAPSS approval" "$T/pss.der" "$T/rsa.pub"

sign_verify "PolicySigned (rsa) still signs after the refusals" "$T/rsa.der" "$T/rsa.pub"
assert_no_grep "no crash anywhere" "Segmentation|Aborted|AddressSanitizer" "$T/err"
assert_no_tpm_leftovers "PolicySigned keys"
