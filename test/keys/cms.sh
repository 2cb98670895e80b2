# SPDX-License-Identifier: Apache-2.0
# Issue 14: the openssl commands that sign and decrypt messages and answer
# for certificates, with TPM keys: cms -decrypt to EC (ECDH + X9.63 KDF)
# and RSA (PKCS#1 v1.5, OAEP) recipients, cms -sign with RSA PKCS#1 v1.5,
# RSA-PSS (every salt-length form) and ECDSA, smime -sign / -decrypt,
# openssl ca issuing from a CSR, and an OCSP responder signing its answers
# (from a file and over HTTP). The default provider alone encrypts and
# verifies everything. Assertions are on exit codes and content, never on
# the wording of OpenSSL's messages.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

PCAP=$T/cms.pcap
printf 'a message for the TPM\nsecond line\n' >"$T/msg"

# selfsigned KEY CERT CN: a certificate for the TPM key, made with it.
selfsigned() {
    run tk req -new -x509 -key "$1" -subj "/CN=$3" -days 2 -out "$2"
    assert_ok "self-signed certificate for $3"
}

# same_as_msg WHAT FILE: FILE holds exactly the message.
same_as_msg() {
    cmp -s "$2" "$T/msg" || fail "$1: the plaintext is the message"
    pass "$1: the plaintext is the message"
}

genkey "$T/rsa.pem" RSA bits:2048
genkey "$T/ec256.pem" EC group:P-256
genkey "$T/ec384.pem" EC group:P-384
genkey "$T/other.pem" EC group:P-256
selfsigned "$T/rsa.pem" "$T/rsa.crt" "tpmkit RSA"
selfsigned "$T/ec256.pem" "$T/ec256.crt" "tpmkit P-256"
selfsigned "$T/ec384.pem" "$T/ec384.crt" "tpmkit P-384"
selfsigned "$T/other.pem" "$T/other.crt" "tpmkit other"

# --- cms -decrypt: EC recipients (KeyAgreeRecipientInfo) --------------------
# The sender's default is the standard ECDH scheme with SHA-1; the options
# pick other KDF digests and cofactor ECDH (the same on these curves).
for spec in "ec256|" "ec256|ecdh_kdf_md:sha256" "ec256|ecdh_kdf_md:sha384 ecdh_cofactor_mode:1" \
    "ec384|" "ec384|ecdh_kdf_md:sha512"; do
    key=${spec%%|*}
    extra=${spec#*|}
    opts=()
    for o in $extra; do
        opts+=(-keyopt "$o")
    done
    what="cms to $key${extra:+ ($extra)}"
    run sw cms -encrypt -binary -aes-128-cbc -in "$T/msg" -recip "$T/$key.crt" "${opts[@]}" \
        -out "$T/ec.cms"
    assert_ok "$what: the default provider encrypts"
    rm -f "$T/plain"
    run with_pcap "$PCAP" tk cms -decrypt -binary -in "$T/ec.cms" -inkey "$T/$key.pem" \
        -recip "$T/$key.crt" -out "$T/plain"
    assert_ok "$what: cms -decrypt with the TPM key"
    same_as_msg "$what" "$T/plain"
    capture_commands "$PCAP"
    assert_command_count "$what: the TPM did the ECDH" ECDH_ZGen 1
done
# Without -recip: CMS tries the key on its recipient infos.
run tk cms -decrypt -binary -in "$T/ec.cms" -inkey "$T/ec384.pem" -out "$T/plain"
assert_ok "cms -decrypt (EC) without -recip"
same_as_msg "cms -decrypt (EC) without -recip" "$T/plain"
# Another TPM key on the same curve does not open it (the check can fail).
run sw cms -encrypt -binary -aes-128-cbc -in "$T/msg" -recip "$T/ec256.crt" -out "$T/ec.cms"
assert_ok "cms to ec256 again"
run tk cms -decrypt -binary -in "$T/ec.cms" -inkey "$T/other.pem" -out "$T/plain"
assert_fails "cms -decrypt with another TPM EC key"

# --- cms -decrypt: RSA recipients (KeyTransRecipientInfo) -------------------
for spec in "pkcs1|" "oaep|rsa_padding_mode:oaep" \
    "oaep-sha256|rsa_padding_mode:oaep rsa_oaep_md:sha256 rsa_mgf1_md:sha256"; do
    opts=()
    for o in ${spec#*|}; do
        opts+=(-keyopt "$o")
    done
    what="cms to RSA, ${spec%%|*}"
    run sw cms -encrypt -binary -aes-256-cbc -in "$T/msg" -recip "$T/rsa.crt" "${opts[@]}" \
        -out "$T/rsa.cms"
    assert_ok "$what: the default provider encrypts"
    rm -f "$T/plain"
    run tk cms -decrypt -binary -in "$T/rsa.cms" -inkey "$T/rsa.pem" -recip "$T/rsa.crt" \
        -out "$T/plain"
    assert_ok "$what: cms -decrypt with the TPM key"
    same_as_msg "$what" "$T/plain"
done
# One message to an RSA and an EC recipient: each TPM key opens it.
run sw cms -encrypt -binary -aes-256-cbc -in "$T/msg" -recip "$T/rsa.crt" \
    -keyopt rsa_padding_mode:oaep -recip "$T/ec256.crt" -out "$T/two.cms"
assert_ok "cms to two recipients"
for key in rsa ec256; do
    rm -f "$T/plain"
    run tk cms -decrypt -binary -in "$T/two.cms" -inkey "$T/$key.pem" -recip "$T/$key.crt" \
        -out "$T/plain"
    assert_ok "two recipients: the TPM $key key decrypts"
    same_as_msg "two recipients, $key" "$T/plain"
done
run tk cms -decrypt -binary -in "$T/two.cms" -inkey "$T/other.pem" -recip "$T/other.crt" \
    -out "$T/plain"
assert_fails "two recipients: a key that is neither does not decrypt"

# --- cms -sign -----------------------------------------------------------------
PSS_OID=1.2.840.113549.1.1.10

# cms_sign WHAT KEY CERT [CMS OPTIONS...]: cms -sign -binary with the TPM
# key (attached content), verified by the default provider, which gives
# the content back; the detached form fails on a changed message.
cms_sign() {
    local what=$1 key=$2 cert=$3
    shift 3
    rm -f "$T/signed.cms" "$T/verified"
    run tk cms -sign -binary -in "$T/msg" -signer "$cert" -inkey "$key" "$@" -out "$T/signed.cms"
    assert_ok "$what: cms -sign"
    run sw cms -verify -binary -in "$T/signed.cms" -CAfile "$cert" -out "$T/verified"
    assert_ok "$what: the default provider verifies"
    same_as_msg "$what: cms -verify" "$T/verified"
    run tk cms -sign -binary -in "$T/msg" -signer "$cert" -inkey "$key" "$@" \
        -outform DER -out "$T/detached.der"
    assert_ok "$what: cms -sign -outform DER (detached)"
    run sw cms -verify -binary -inform DER -in "$T/detached.der" -content "$T/msg" \
        -CAfile "$cert" -out /dev/null
    assert_ok "$what: the default provider verifies the detached DER signature"
    printf 'a changed message\n' >"$T/changed"
    run sw cms -verify -binary -inform DER -in "$T/detached.der" -content "$T/changed" \
        -CAfile "$cert" -out /dev/null
    assert_fails "$what: the signature does not verify a changed message"
}

cms_sign "RSA PKCS#1 v1.5" "$T/rsa.pem" "$T/rsa.crt"
run sw cms -cmsout -print -in "$T/signed.cms"
assert_no_grep "RSA PKCS#1 v1.5: the signature is not PSS" "$PSS_OID" "$T/out"
for opts in "" "rsa_pss_saltlen:digest" "rsa_pss_saltlen:max" "rsa_pss_saltlen:auto" \
    "rsa_pss_saltlen:20 rsa_mgf1_md:sha384" "rsa_pss_saltlen:0"; do
    args=(-keyopt rsa_padding_mode:pss)
    for o in $opts; do
        args+=(-keyopt "$o")
    done
    cms_sign "RSA-PSS${opts:+ ($opts)}" "$T/rsa.pem" "$T/rsa.crt" "${args[@]}"
    run sw cms -cmsout -print -in "$T/signed.cms"
    assert_contains "RSA-PSS${opts:+ ($opts)}: the SignerInfo says RSASSA-PSS" "$PSS_OID" "$T/out"
done
cms_sign "RSA-PSS with SHA-384" "$T/rsa.pem" "$T/rsa.crt" -md sha384 \
    -keyopt rsa_padding_mode:pss -keyopt rsa_pss_saltlen:digest
cms_sign "ECDSA P-256" "$T/ec256.pem" "$T/ec256.crt"
cms_sign "ECDSA P-384, SHA-384" "$T/ec384.pem" "$T/ec384.crt" -md sha384
# A signature with two signers, both TPM keys.
run tk cms -sign -binary -in "$T/msg" -signer "$T/rsa.crt" -inkey "$T/rsa.pem" \
    -keyopt rsa_padding_mode:pss -signer "$T/ec256.crt" -inkey "$T/ec256.pem" -nodetach \
    -out "$T/two.sig"
assert_ok "cms -sign with two TPM signers"
cat "$T/rsa.crt" "$T/ec256.crt" >"$T/both.crt"
run sw cms -verify -binary -in "$T/two.sig" -CAfile "$T/both.crt" -out "$T/verified"
assert_ok "two TPM signers: the default provider verifies both"
same_as_msg "two TPM signers" "$T/verified"

# --- smime ----------------------------------------------------------------------
for key in rsa ec256; do
    run tk smime -sign -in "$T/msg" -signer "$T/$key.crt" -inkey "$T/$key.pem" -out "$T/smime.txt"
    assert_ok "smime -sign with the TPM $key key"
    run sw smime -verify -in "$T/smime.txt" -CAfile "$T/$key.crt" -out "$T/verified"
    assert_ok "smime -verify ($key) by the default provider"
    # Text mode: the content comes back with CRLF line ends.
    tr -d '\r' <"$T/verified" >"$T/verified.lf"
    same_as_msg "smime ($key)" "$T/verified.lf"
    run tk smime -sign -binary -nodetach -in "$T/msg" -signer "$T/$key.crt" -inkey "$T/$key.pem" \
        -out "$T/smime.p7"
    assert_ok "smime -sign -binary -nodetach ($key)"
    run sw smime -verify -binary -in "$T/smime.p7" -CAfile "$T/$key.crt" -out "$T/verified"
    assert_ok "smime -verify -binary ($key)"
    same_as_msg "smime -binary ($key)" "$T/verified"
    run sw smime -verify -binary -in "$T/smime.p7" -CAfile "$T/other.crt" -out /dev/null
    assert_fails "smime ($key): does not verify under another certificate"
done
run sw smime -encrypt -binary -aes256 -in "$T/msg" -out "$T/smime.enc" "$T/rsa.crt"
assert_ok "smime -encrypt to the TPM RSA key's certificate"
rm -f "$T/plain"
run tk smime -decrypt -binary -in "$T/smime.enc" -inkey "$T/rsa.pem" -recip "$T/rsa.crt" \
    -out "$T/plain"
assert_ok "smime -decrypt with the TPM RSA key"
same_as_msg "smime -decrypt" "$T/plain"

# --- openssl ca: a TPM CA key issues certificates from CSRs -------------------
D=$T/ca
mkdir -p "$D/newcerts"
: >"$D/index.txt"
echo 1000 >"$D/serial"
cat >"$D/ca.cnf" <<CNF
[ca]
default_ca = tkca
[tkca]
dir = $D
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir/newcerts
certificate = $T/rsa.crt
private_key = $T/rsa.pem
default_md = sha256
default_days = 2
policy = tkpolicy
unique_subject = no
copy_extensions = copy
[tkpolicy]
commonName = supplied
[ocsp_ext]
extendedKeyUsage = OCSPSigning
CNF
# A software leaf, and an OCSP signer whose key is in the TPM too.
run sw req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/leaf.key" \
    -subj "/CN=leaf.example" -out "$T/leaf.csr"
assert_ok "a software CSR"
run tk ca -config "$D/ca.cnf" -batch -in "$T/leaf.csr" -out "$T/leaf.crt"
assert_ok "openssl ca issues a certificate with the TPM CA key"
run sw verify -CAfile "$T/rsa.crt" "$T/leaf.crt"
assert_ok "the default provider verifies the issued certificate"
run sw verify -CAfile "$T/ec256.crt" "$T/leaf.crt"
assert_fails "the issued certificate does not verify under another CA"
run sw req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/leaf2.key" \
    -subj "/CN=revoked.example" -out "$T/leaf2.csr"
assert_ok "a second software CSR"
run tk ca -config "$D/ca.cnf" -batch -in "$T/leaf2.csr" -out "$T/leaf2.crt"
assert_ok "openssl ca issues a second certificate"
run tk ca -config "$D/ca.cnf" -revoke "$T/leaf2.crt"
assert_ok "openssl ca -revoke"
genkey "$T/ocsp.pem" EC group:P-256
run tk req -new -key "$T/ocsp.pem" -subj "/CN=tpmkit OCSP" -out "$T/ocsp.csr"
assert_ok "CSR signed by the TPM OCSP key"
run tk ca -config "$D/ca.cnf" -batch -extensions ocsp_ext -in "$T/ocsp.csr" -out "$T/ocsp.crt"
assert_ok "openssl ca issues the OCSP signer's certificate"

# --- openssl ocsp: a responder that signs with a TPM key --------------------
# ocsp_check WHAT RESP CERT STATUS: the default provider checks the
# response RESP for CERT (signature and chain up to the CA), and it says
# STATUS. (These requests carry no nonce: given -cert, openssl ocsp builds
# a request of its own, with a new nonce, instead of reading -reqin. The
# HTTP requests below check nonces.)
ocsp_check() {
    run sw ocsp -respin "$2" -issuer "$T/rsa.crt" -cert "$3" -CAfile "$T/rsa.crt"
    assert_ok "$1: the default provider verifies the response"
    assert_contains "$1: the certificate is $4" "$3: $4" "$T/out"
}

run sw ocsp -no_nonce -issuer "$T/rsa.crt" -cert "$T/leaf.crt" -reqout "$T/req.der"
assert_ok "OCSP request for the leaf"
run sw ocsp -no_nonce -issuer "$T/rsa.crt" -cert "$T/leaf2.crt" -reqout "$T/req2.der"
assert_ok "OCSP request for the revoked leaf"
for signer in rsa ocsp; do
    for r in req req2; do
        rm -f "$T/resp.der"
        run tk ocsp -index "$D/index.txt" -CA "$T/rsa.crt" -rsigner "$T/$signer.crt" \
            -rkey "$T/$signer.pem" -reqin "$T/$r.der" -respout "$T/resp.der"
        assert_ok "ocsp responder ($signer key in the TPM) answers $r"
        if [ $r = req ]; then
            ocsp_check "responder $signer, leaf" "$T/resp.der" "$T/leaf.crt" good
        else
            ocsp_check "responder $signer, revoked leaf" "$T/resp.der" "$T/leaf2.crt" revoked
        fi
    done
done
# The check can fail: a response is not accepted under another CA.
run sw ocsp -respin "$T/resp.der" -issuer "$T/rsa.crt" -cert "$T/leaf2.crt" \
    -CAfile "$T/ec256.crt"
assert_fails "an OCSP response does not verify under another CA"

# Over HTTP: the responder serves two requests and exits; the client sends
# a nonce and checks it.
port=$(free_port)
OPENSSL_MODULES=$TK_MODULE_DIR TK_TIMEOUT=90 ossl ocsp -provider tpmkit -provider default -index "$D/index.txt" \
    -CA "$T/rsa.crt" -rsigner "$T/ocsp.crt" -rkey "$T/ocsp.pem" -port "$port" -nrequest 2 \
    >"$T/responder.out" 2>"$T/responder.err" </dev/null &
responder=$!
TK_BG_PIDS+=("$responder")
# listening PORT: a TCP socket listens on PORT (the kernel's table: a probe
# connection would count as one of the responder's requests).
listening() {
    awk -v p=":$(printf '%04X' "$1")" '$4 == "0A" && substr($2, length($2) - 4) == p { f = 1 }
        END { exit !f }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
for _ in $(seq 1 300); do
    listening "$port" && break
    _swtpm_alive "$responder" || fail "the OCSP responder exited: $(cat "$T/responder.err")"
    sleep 0.1
done
listening "$port" || fail "the OCSP responder does not listen on $port after 30 s"
for c in leaf:good leaf2:revoked; do
    run sw ocsp -url "http://127.0.0.1:$port" -timeout 20 -issuer "$T/rsa.crt" \
        -cert "$T/${c%%:*}.crt" -CAfile "$T/rsa.crt"
    assert_ok "ocsp client over HTTP (${c%%:*}): response verified"
    assert_contains "ocsp over HTTP: ${c%%:*} is ${c#*:}" "$T/${c%%:*}.crt: ${c#*:}" "$T/out"
done
RC=0
wait "$responder" || RC=$?
[ "$RC" -eq 0 ] || fail "the OCSP responder exited with $RC: $(tail -n 5 "$T/responder.err")"
pass "the OCSP responder answered 2 requests and exited 0"

assert_no_tpm_leftovers
