# SPDX-License-Identifier: Apache-2.0
# Issue 3, point 5: pkeyutl -derive (ECDH) with a TPM EC key and a software
# peer gives the secret the peer computes with the TPM key's public key.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

PCAP=$T/derive.pcap
n=0
for curve in P-256 P-384 P-521; do
    genkey "$T/tpm.pem" EC "group:$curve"
    pubout "$T/tpm.pem" "$T/tpm.pub"
    run sw genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:$curve" -out "$T/peer.pem"
    assert_ok "$curve: software peer key"
    run sw pkey -in "$T/peer.pem" -pubout -out "$T/peer.pub"
    assert_ok "$curve: software peer public key"
    run sw pkeyutl -derive -inkey "$T/peer.pem" -peerkey "$T/tpm.pub" -out "$T/peer.secret"
    assert_ok "$curve: the peer derives"
    for order in tk tk_rev; do
        rm -f "$T/tpm.secret"
        run pcap $order pkeyutl -derive -inkey "$T/tpm.pem" -peerkey "$T/peer.pub" \
            -out "$T/tpm.secret"
        assert_ok "$curve $order: pkeyutl -derive with the TPM key"
        n=$((n + 1))
        assert_eq "$curve $order: secret size" \
            "$(stat -c %s "$T/peer.secret")" "$(stat -c %s "$T/tpm.secret")"
        cmp -s "$T/tpm.secret" "$T/peer.secret" \
            || fail "$curve $order: the TPM's secret is the peer's secret"
        pass "$curve $order: the TPM's secret is the peer's secret"
    done
    # Another peer, another secret (the check can fail).
    run sw genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:$curve" -out "$T/peer2.pem"
    run sw pkey -in "$T/peer2.pem" -pubout -out "$T/peer2.pub"
    run tk pkeyutl -derive -inkey "$T/tpm.pem" -peerkey "$T/peer2.pub" -out "$T/tpm2.secret"
    assert_ok "$curve: derive with a second peer"
    if cmp -s "$T/tpm2.secret" "$T/peer.secret"; then
        fail "$curve: a second peer gives another secret"
    fi
    pass "$curve: a second peer gives another secret"
    cp "$T/peer.pub" "$T/peer.$curve.pub"
done
capture_commands "$PCAP"
assert_command_count "one TPM2_ECDH_ZGen per derivation" ECDH_ZGen "$n"

# A peer on another curve is refused, not silently used.
run tk pkeyutl -derive -inkey "$T/tpm.pem" -peerkey "$T/peer.P-256.pub" -out "$T/bad.secret"
assert_fails "P-521 TPM key with a P-256 peer"
assert_no_tpm_leftovers
