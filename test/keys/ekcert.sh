# SPDX-License-Identifier: Apache-2.0
# Issue 3, point 9: the EK certificate in NV through the handle: store. A
# swtpm state made by swtpm_setup --create-ek-cert --create-platform-cert
# (with a private swtpm-localca, offline) holds the EK certificate at
# 0x01c00002; openssl x509 -in handle:0x01c00002 reads it.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

command -v swtpm_setup >/dev/null || { echo "# SKIP: swtpm_setup missing (swtpm-tools)"; exit 77; }
command -v swtpm_localca >/dev/null || { echo "# SKIP: swtpm_localca missing (swtpm-tools)"; exit 77; }

# A private local CA and swtpm_setup configuration (nothing in /etc or /var).
E=$T/ek
mkdir -p "$E/state" "$E/ca"
cat >"$E/localca.conf" <<CONF
statedir = $E/ca
signingkey = $E/ca/signkey.pem
issuercert = $E/ca/issuercert.pem
certserial = $E/ca/certserial
CONF
printf '%s\n' '--platform-manufacturer tpmkit' '--platform-version 2.1' \
    '--platform-model test' >"$E/localca.options"
cat >"$E/setup.conf" <<CONF
create_certs_tool = $(command -v swtpm_localca)
create_certs_tool_config = $E/localca.conf
create_certs_tool_options = $E/localca.options
active_pcr_banks = sha256
CONF
swtpm_stop
run env -u OPENSSL_CONF timeout -k 5 120 swtpm_setup --tpm2 --tpmstate "$E/state" \
    --create-ek-cert --create-platform-cert --config "$E/setup.conf" --logfile "$E/setup.log"
[ "$RC" -eq 0 ] || { tail -n 20 "$E/setup.log" | sed 's/^/#   /'; fail "swtpm_setup (exit $RC)"; }
pass "swtpm_setup made a TPM with an EK certificate"
swtpm_start "$E/state" || fail "swtpm on the prepared state"
tpm2 getcap handles-nv-index >"$T/nv" || fail "tpm2_getcap handles-nv-index"
assert_grep "NV index 0x01c00002 exists" '0x1C00002' "$T/nv"
tpm2 nvread 0x01c00002 -o "$T/ek.der" >/dev/null 2>&1 || fail "tpm2_nvread 0x01c00002"
tools_cleanup

for order in tk tk_rev; do
    run $order x509 -in handle:0x01c00002 -noout -subject -issuer -fingerprint -sha256
    assert_ok "$order: openssl x509 -in handle:0x01c00002"
    cp "$T/out" "$T/ek.$order.txt"
    assert_grep "$order: issued by the local CA" '^issuer=.*swtpm-localca' "$T/ek.$order.txt"
done
run sw x509 -inform DER -in "$T/ek.der" -noout -subject -issuer -fingerprint -sha256
assert_ok "the certificate read by tpm2_nvread"
assert_eq "tpmkit reads the same certificate as tpm2_nvread (subject, issuer, SHA-256)" \
    "$(cat "$T/out")" "$(cat "$T/ek.tk.txt")"
run tk x509 -in handle:0x01c00002 -out "$T/ek.pem"
assert_ok "x509 -in handle:0x01c00002 -out ek.pem"
run sw verify -CAfile "$E/ca/swtpm-localca-rootca-cert.pem" -untrusted "$E/ca/issuercert.pem" \
    "$T/ek.pem"
assert_ok "the EK certificate verifies against the local CA"
run tk x509 -in handle:0x01c00099 -noout
assert_fails "an NV index that does not exist"
assert_no_tpm_leftovers
