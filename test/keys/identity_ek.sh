# SPDX-License-Identifier: Apache-2.0
# tpm-identity ek-ca:PATH: sessions are salted to the endorsement key, whose
# certificate in NV (0x01c00002, made here by swtpm_setup with a private
# swtpm-localca) must chain to PATH. With the right CA bundle everything
# works; with another CA, or a TPM whose EK is not the certified one, every
# TPM use fails saying the identity could not be verified.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

command -v swtpm_setup >/dev/null || { echo "# SKIP: swtpm_setup missing (swtpm-tools)"; exit 77; }
command -v swtpm_localca >/dev/null || { echo "# SKIP: swtpm_localca missing (swtpm-tools)"; exit 77; }

# make_ek_tpm DIR: a swtpm state with an RSA EK certificate from a private
# local CA in DIR/ca (nothing in /etc or /var).
make_ek_tpm() {
    local e=$1
    mkdir -p "$e/state" "$e/ca"
    cat >"$e/localca.conf" <<CONF
statedir = $e/ca
signingkey = $e/ca/signkey.pem
issuercert = $e/ca/issuercert.pem
certserial = $e/ca/certserial
CONF
    printf '%s\n' '--platform-manufacturer tpmkit' '--platform-version 2.1' \
        '--platform-model test' >"$e/localca.options"
    cat >"$e/setup.conf" <<CONF
create_certs_tool = $(command -v swtpm_localca)
create_certs_tool_config = $e/localca.conf
create_certs_tool_options = $e/localca.options
active_pcr_banks = sha256
CONF
    run env -u OPENSSL_CONF timeout -k 5 120 swtpm_setup --tpm2 --tpmstate "$e/state" \
        --create-ek-cert --config "$e/setup.conf" --logfile "$e/setup.log"
    [ "$RC" -eq 0 ] || { tail -n 20 "$e/setup.log" | sed 's/^/#   /'; fail "swtpm_setup (exit $RC)"; }
    cat "$e/ca/swtpm-localca-rootca-cert.pem" "$e/ca/issuercert.pem" >"$e/bundle.pem"
}

make_ek_tpm "$T/ek1"
make_ek_tpm "$T/ek2"
pass "two TPMs with EK certificates from two different local CAs"
swtpm_stop
swtpm_start "$T/ek1/state" || fail "swtpm on the first TPM"

echo "message" >"$T/msg"
genkey "$T/pw.pem" EC group:P-256 user-auth:ek-pw
run tk pkey -in "$T/pw.pem" -passin pass:ek-pw -pubout -out "$T/pw.pub"
assert_ok "password key: -pubout"
write_config "$T/openssl.cnf"
export OPENSSL_CONF=$T/openssl.cnf

export TPMKIT_TPM_IDENTITY=ek-ca:$T/ek1/bundle.pem
PCAP=$T/ek.pcap
rm -f "$PCAP"
run pcap tkprog tk_rand seed-hex 48
assert_ok "ek-ca with the TPM's own CA: raw TPM2-SEED draw"
capture_commands "$PCAP"
assert_command_count "the EK certificate is read from NV" NV_Read 2
run ossl rand -hex 16
assert_ok "ek-ca with the TPM's own CA: openssl rand"
run tk dgst -sha256 -sign "$T/pw.pem" -passin pass:ek-pw -out "$T/sig" "$T/msg"
assert_ok "ek-ca: signing with a password key"
run sw dgst -sha256 -verify "$T/pw.pub" -signature "$T/sig" "$T/msg"
assert_ok "ek-ca: the signature verifies"
run tkstatus
assert_ok "ek-ca: tpmkit-status"
assert_grep "ek-ca: the status says verified" "^TPM identity: +ek-ca:.*\(verified: sessions are salted to the EK" "$T/out"

export TPMKIT_TPM_IDENTITY=ek-ca:$T/ek2/bundle.pem
run tkprog tk_rand seed-hex 48
assert_fails "ek-ca with another CA: raw draw"
assert_grep "another CA: says the TPM's identity could not be verified" \
    "identity could not be verified" "$T/err"
assert_grep "another CA: says the certificate does not chain" "does not chain" "$T/err"
run ossl rand -hex 16
assert_fails "ek-ca with another CA: openssl rand"

# The other TPM's EK certificate chains to its own CA, but this TPM's EK is
# not the certified key: a TPM presenting a certificate it does not own.
swtpm_stop
swtpm_start "$T/ek2/state" || fail "swtpm on the second TPM"
run tkprog tk_rand seed-hex 48
assert_ok "ek-ca on the second TPM with its own CA"
ek1_cert=$T/ek1.der
tpm2 nvread 0x01c00002 -o "$T/ek2.der" >/dev/null 2>&1 || fail "tpm2_nvread"
swtpm_stop
swtpm_start "$T/ek1/state" || fail "swtpm on the first TPM again"
tpm2 nvread 0x01c00002 -o "$ek1_cert" >/dev/null 2>&1 || fail "tpm2_nvread"
size=$(stat -c %s "$T/ek2.der")
tpm2 nvundefine -C p 0x01c00002 >/dev/null 2>&1 || fail "tpm2_nvundefine"
tpm2 nvdefine -C p -s "$size" -a 'ppwrite|ppread|ownerread|authread|no_da|platformcreate' \
    0x01c00002 >/dev/null 2>&1 || fail "tpm2_nvdefine"
tpm2 nvwrite -C p -i "$T/ek2.der" 0x01c00002 >/dev/null 2>&1 || fail "tpm2_nvwrite"
export TPMKIT_TPM_IDENTITY=ek-ca:$T/ek2/bundle.pem
run tkprog tk_rand seed-hex 48
assert_fails "a TPM holding another TPM's (valid) EK certificate"
assert_grep "another TPM's certificate: another key answered" "another key answered" "$T/err"
unset TPMKIT_TPM_IDENTITY
tpm2 flushcontext -t >/dev/null 2>&1 || true
assert_no_tpm_leftovers
