# SPDX-License-Identifier: Apache-2.0
# Issue 3, point 6: certificates and CRLs signed with TPM keys: req -new
# -x509, req (CSR), x509 -req -CA/-CAkey, and a small `openssl ca` that
# issues a certificate and a CRL; the default provider alone verifies all.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

genkey "$T/ca.pem" RSA bits:2048
genkey "$T/ecca.pem" EC group:P-384
genkey "$T/leaf.pem" EC group:P-256
pubout "$T/leaf.pem" "$T/leaf.pub"

# shellcheck disable=SC2054 # the commas belong to the extension values
ca_ext=(-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign)

# --- self-signed CA certificates -------------------------------------------
run tk req -new -x509 -key "$T/ca.pem" -subj "/CN=tpmkit RSA test CA" -days 30 \
    "${ca_ext[@]}" -out "$T/ca.crt"
assert_ok "req -new -x509 with the TPM RSA key"
run sw verify -CAfile "$T/ca.crt" "$T/ca.crt"
assert_ok "default provider verifies the RSA CA certificate"
assert_grep "verify: OK" ': OK$' "$T/out"
run tk req -new -x509 -key "$T/ecca.pem" -subj "/CN=tpmkit EC test CA" -days 30 \
    "${ca_ext[@]}" -out "$T/ecca.crt"
assert_ok "req -new -x509 with the TPM EC key"
run sw verify -CAfile "$T/ecca.crt" "$T/ecca.crt"
assert_ok "default provider verifies the EC CA certificate"
run sw x509 -in "$T/ecca.crt" -noout -text
assert_grep "EC CA certificate is signed with ECDSA" 'Signature Algorithm: ecdsa-with-SHA256' "$T/out"
run tk req -new -x509 -key "$T/ca.pem" -subj "/CN=pss" -days 1 -sigopt rsa_padding_mode:pss \
    -sigopt rsa_pss_saltlen:digest -out "$T/pss.crt"
assert_ok "req -new -x509 -sigopt rsa_padding_mode:pss"
run sw verify -CAfile "$T/pss.crt" "$T/pss.crt"
assert_ok "default provider verifies the RSA-PSS signed certificate"
run sw x509 -in "$T/pss.crt" -noout -text
assert_grep "the certificate says rsassaPss" 'Signature Algorithm: rsassaPss' "$T/out"
# The verification can fail: the EC CA did not sign the RSA CA.
run sw verify -CAfile "$T/ecca.crt" "$T/ca.crt"
assert_fails "a certificate does not verify under another CA"

# --- CSR signed by a TPM key, certificate by x509 -req ---------------------
run tk req -new -key "$T/leaf.pem" -subj "/CN=leaf.example" -out "$T/leaf.csr"
assert_ok "req -new (CSR) with the TPM EC key"
run sw req -in "$T/leaf.csr" -verify -noout
assert_ok "default provider verifies the CSR's signature"
run sw req -in "$T/leaf.csr" -pubkey -noout
cmp -s "$T/out" "$T/leaf.pub" || fail "the CSR carries the TPM key's public key"
pass "the CSR carries the TPM key's public key"
for ca in ca ecca; do
    run tk x509 -req -in "$T/leaf.csr" -CA "$T/$ca.crt" -CAkey "$T/$ca.pem" \
        -CAcreateserial -days 2 -out "$T/leaf.$ca.crt"
    assert_ok "x509 -req -CAkey (TPM $ca key)"
    run sw verify -CAfile "$T/$ca.crt" "$T/leaf.$ca.crt"
    assert_ok "default provider verifies the leaf signed by $ca"
    assert_grep "verify $ca leaf: OK" ': OK$' "$T/out"
done
run sw verify -CAfile "$T/ca.crt" "$T/leaf.ecca.crt"
assert_fails "the leaf signed by the EC CA does not verify under the RSA CA"

# --- openssl ca: issue a certificate and a CRL -------------------------------
D=$T/ca
mkdir -p "$D/newcerts"
: >"$D/index.txt"
echo 1000 >"$D/serial"
echo 01 >"$D/crlnumber"
cat >"$D/ca.cnf" <<CNF
[ca]
default_ca = tkca
[tkca]
dir = $D
database = \$dir/index.txt
serial = \$dir/serial
crlnumber = \$dir/crlnumber
new_certs_dir = \$dir/newcerts
certificate = $T/ca.crt
private_key = $T/ca.pem
default_md = sha256
default_days = 2
default_crl_days = 2
policy = tkpolicy
unique_subject = no
copy_extensions = copy
[tkpolicy]
commonName = supplied
CNF
run sw req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/sw.key" \
    -subj "/CN=software.example" -out "$T/sw.csr"
assert_ok "a software CSR"
run tk ca -config "$D/ca.cnf" -batch -in "$T/sw.csr" -out "$T/issued.crt"
assert_ok "openssl ca -batch issues a certificate with the TPM CA key"
run sw verify -CAfile "$T/ca.crt" "$T/issued.crt"
assert_ok "default provider verifies the issued certificate"
assert_grep "index.txt records the certificate" '^V.*CN=software\.example' "$D/index.txt"
run tk ca -config "$D/ca.cnf" -batch -in "$T/leaf.csr" -out "$T/issued2.crt"
assert_ok "openssl ca issues a second certificate"
run tk ca -config "$D/ca.cnf" -revoke "$T/issued.crt"
assert_ok "openssl ca -revoke"
run tk ca -config "$D/ca.cnf" -gencrl -out "$T/crl.pem"
assert_ok "openssl ca -gencrl with the TPM CA key"
run sw crl -in "$T/crl.pem" -CAfile "$T/ca.crt" -noout -verify
assert_ok "default provider verifies the CRL"
assert_grep "crl: verify OK" 'verify OK' "$T/err"
run sw crl -in "$T/crl.pem" -noout -text
assert_grep "the CRL lists the revoked serial" 'Serial Number: 1000' "$T/out"
run sw crl -in "$T/crl.pem" -CAfile "$T/ecca.crt" -noout -verify
assert_fails "the CRL does not verify under another CA"
run sw verify -crl_check -CRLfile "$T/crl.pem" -CAfile "$T/ca.crt" "$T/issued.crt"
assert_fails "the revoked certificate fails a CRL check"
cat "$T/out" "$T/err" >"$T/both"
assert_grep "revocation is the reason" 'certificate revoked' "$T/both"
run sw verify -crl_check -CRLfile "$T/crl.pem" -CAfile "$T/ca.crt" "$T/issued2.crt"
assert_ok "the other certificate passes the CRL check"
assert_no_tpm_leftovers
