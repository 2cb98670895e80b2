# SPDX-License-Identifier: Apache-2.0
# Restricted signing keys (tpm2-tools: attribute "restricted", a fixed
# scheme) sign only digests the TPM made itself: tpmkit hashes the message
# in the TPM (TPM2_Hash, or a hash sequence over 1 KiB, with a validation
# ticket) and signs with the ticket, an empty message too. The default
# provider verifies; a bare digest (pkeyutl) and a message that imitates a
# TPM attestation (TPM_GENERATED_VALUE) are refused.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

tpm2 createprimary -C o -g sha256 -G ecc256:aes128cfb \
    -a "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda|restricted|decrypt" \
    -c "$T/primary.ctx" >/dev/null || fail "tpm2_createprimary"
tools_cleanup
head -c 3000 /dev/urandom >"$T/msg"      # three TPM hash chunks
: >"$T/empty"
printf abc >"$T/abc"
PCAP=$T/restricted.pcap

for alg in ecc256:ecdsa-sha256:null rsa2048:rsassa-sha256:null; do
    name=${alg%%:*}
    tpm2 create -C "$T/primary.ctx" -G "$alg" \
        -a "restricted|sign|fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda" \
        -u "$T/$name.pub.bin" -r "$T/$name.priv.bin" >/dev/null || fail "tpm2_create $alg"
    tools_cleanup
    tpm2 encodeobject -C 0x40000001 -u "$T/$name.pub.bin" -r "$T/$name.priv.bin" \
        -o "$T/$name.pem" >/dev/null || fail "tpm2_encodeobject $alg"
    tools_cleanup
    run tk pkey -in "$T/$name.pem" -passin pass: -text -noout
    assert_grep "$name: -text says restricted" 'restricted' "$T/out"
    pubout "$T/$name.pem" "$T/$name.pub"

    rm -f "$PCAP"
    run pcap tk dgst -sha256 -sign "$T/$name.pem" -passin pass: -out "$T/sig" "$T/msg"
    assert_ok "$name restricted key: dgst -sign"
    run sw dgst -sha256 -verify "$T/$name.pub" -signature "$T/sig" "$T/msg"
    assert_grep "$name restricted key: the default provider verifies" '^Verified OK$' "$T/out"
    capture_commands "$PCAP"
    assert_command_count "$name: the TPM hashed the message" HashSequenceStart 1
    assert_command_count "$name: one TPM2_Sign" Sign 1

    # Messages that fit one command: one TPM2_Hash, no sequence. Under 4
    # bytes (the size of TPM_GENERATED_VALUE) a hash sequence gives no
    # ticket; TPM2_Hash does, for the empty message too.
    for short in empty abc; do
        rm -f "$PCAP"
        run pcap tk dgst -sha256 -sign "$T/$name.pem" -passin pass: -out "$T/sig0" "$T/$short"
        assert_ok "$name restricted key: dgst -sign of the $short message"
        run sw dgst -sha256 -verify "$T/$name.pub" -signature "$T/sig0" "$T/$short"
        assert_grep "$name: the default provider verifies the $short message's signature" \
            '^Verified OK$' "$T/out"
        capture_commands "$PCAP"
        assert_command_count "$name: $short message: the TPM hashed it" Hash 1
        assert_command_count "$name: $short message: no hash sequence" HashSequenceStart 0
        assert_command_count "$name: $short message: one TPM2_Sign" Sign 1
    done

    sw dgst -sha256 -binary -out "$T/md" "$T/msg"
    run tk pkeyutl -sign -inkey "$T/$name.pem" -passin pass: -pkeyopt digest:sha256 \
        -in "$T/md" -out "$T/sig2"
    assert_fails "$name restricted key: a bare digest is refused"
    assert_grep "$name: the refusal says why" 'restricted TPM key signs messages' "$T/err"

    # TPM_GENERATED_VALUE: the TPM gives no ticket, so no signature.
    { printf '\377TCG'; head -c 100 /dev/urandom; } >"$T/fake"
    run tk dgst -sha256 -sign "$T/$name.pem" -passin pass: -out "$T/sig3" "$T/fake"
    assert_fails "$name restricted key: refuses to sign a message posing as a TPM attestation"
    assert_grep "$name: the TPM gave no ticket for it" 'invalid ticket' "$T/err"
done
tools_cleanup
assert_no_tpm_leftovers
