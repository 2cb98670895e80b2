# SPDX-License-Identifier: Apache-2.0
# Issue 3, point 7: openssl s_server with a TPM key serves TLS 1.3 and
# TLS 1.2 (ECDHE-RSA, ECDHE-ECDSA) to a stock s_client, with RSA and EC
# keys, on plain swtpm (no resource manager): first with -provider flags,
# then with tpmkit activated globally by openssl.cnf and no flags at all,
# where the TPM capture shows exactly one signing command per handshake.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

genkey "$T/rsa.pem" RSA bits:2048
genkey "$T/ec.pem" EC group:P-256
for k in rsa ec; do
    run tk req -new -x509 -key "$T/$k.pem" -subj "/CN=localhost" -days 2 -out "$T/$k.crt"
    assert_ok "self-signed $k certificate"
done

# serve KEY N [CMD]: s_server -rev with the TPM key KEY for N connections;
# CMD (default tk) runs openssl.
serve() {
    local key=$1 n=$2 cmd=${3:-tk}
    start_server "$T/server.out" $cmd s_server -key "$T/$key.pem" -cert "$T/$key.crt" \
        -rev -naccept "$n"
}

# --- with -provider tpmkit -provider default --------------------------------
serve rsa 3
# Which signature the server made is proven by a client that accepts only
# that one (s_client's wording of it differs between OpenSSL versions).
tls_client "RSA key, TLS 1.3, RSA-PSS CertificateVerify" "$SERVER_PORT" "$T/rsa.crt" -tls1_3 \
    -sigalgs rsa_pss_rsae_sha256
tls_client "RSA key, TLS 1.2 ECDHE-RSA" "$SERVER_PORT" "$T/rsa.crt" -tls1_2 \
    -cipher ECDHE-RSA-AES128-GCM-SHA256
assert_grep "RSA key, TLS 1.2: ECDHE-RSA suite" '^Ciphersuite: ECDHE-RSA-AES128-GCM-SHA256$' "$T/err"
tls_client "RSA key, TLS 1.2 ECDHE-RSA, PKCS#1 v1.5 ServerKeyExchange" "$SERVER_PORT" \
    "$T/rsa.crt" -tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384 -sigalgs rsa_pkcs1_sha256
wait_server "RSA key, 3 connections"
assert_no_tpm_leftovers "s_server with the RSA key"

serve ec 1
tls_client "EC key, TLS 1.3, ECDSA CertificateVerify" "$SERVER_PORT" "$T/ec.crt" -tls1_3 \
    -sigalgs ecdsa_secp256r1_sha256
wait_server "EC key, 1 connection"
assert_no_tpm_leftovers "s_server with the EC key"

# The other provider order.
serve ec 2 tk_rev
tls_client "EC key, default provider first, TLS 1.3" "$SERVER_PORT" "$T/ec.crt" -tls1_3
tls_client "EC key, default provider first, TLS 1.2 ECDHE-ECDSA" "$SERVER_PORT" "$T/ec.crt" \
    -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
wait_server "EC key, default provider first"
serve rsa 2 tk_rev
tls_client "RSA key, default provider first, TLS 1.3" "$SERVER_PORT" "$T/rsa.crt" -tls1_3
tls_client "RSA key, default provider first, TLS 1.2 ECDHE-RSA" "$SERVER_PORT" "$T/rsa.crt" \
    -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256
wait_server "RSA key, default provider first"
assert_no_tpm_leftovers "s_server, default provider first"

# --- tpmkit active globally (openssl.cnf), no -provider flags ----------------
write_config "$T/openssl.cnf"
export OPENSSL_CONF=$T/openssl.cnf
PCAP=$T/server.pcap

# global_serve WHAT KEY N PROTO [S_CLIENT ARGS]: N handshakes with one
# server recorded in a fresh $PCAP.
global_serve() {
    local what=$1 key=$2 n=$3 proto=$4 i
    shift 4
    rm -f "$PCAP"
    serve "$key" "$n" "pcap ossl"
    for i in $(seq 1 "$n"); do
        tls_client "openssl.cnf, $what, handshake $i" "$SERVER_PORT" "$T/$key.crt" "$proto" "$@"
    done
    wait_server "openssl.cnf, $what"
    capture_commands "$PCAP"
}

# check_software_only WHAT: nothing but the signature went to the TPM.
check_software_only() {
    local cc
    for cc in ECDH_KeyGen ECDH_ZGen EC_Ephemeral ZGen_2Phase VerifySignature \
              RSA_Encrypt Hash HashSequenceStart SequenceUpdate SequenceComplete; do
        assert_command_count "$1: no TPM2_$cc" "$cc" 0 >/dev/null
    done
    pass "$1: key exchange, verification and hashing stay in software"
}

global_serve "RSA key, TLS 1.3" rsa 3 -tls1_3
assert_command_count "RSA TLS 1.3: one TPM2_RSA_Decrypt (PSS) per handshake" RSA_Decrypt 3
assert_command_count "RSA TLS 1.3: no TPM2_Sign" Sign 0
check_software_only "RSA TLS 1.3"

global_serve "RSA key, TLS 1.2 PKCS#1" rsa 3 -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256 \
    -sigalgs RSA+SHA256
assert_command_count "RSA TLS 1.2 PKCS#1: one TPM2_Sign per handshake" Sign 3
assert_command_count "RSA TLS 1.2 PKCS#1: no TPM2_RSA_Decrypt" RSA_Decrypt 0
check_software_only "RSA TLS 1.2"

global_serve "EC key, TLS 1.3" ec 3 -tls1_3
assert_command_count "EC TLS 1.3: one TPM2_Sign per handshake" Sign 3
check_software_only "EC TLS 1.3"

global_serve "EC key, TLS 1.2 ECDHE-ECDSA" ec 3 -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
assert_command_count "EC TLS 1.2: one TPM2_Sign per handshake" Sign 3
check_software_only "EC TLS 1.2"

assert_no_tpm_leftovers "the servers with tpmkit in openssl.cnf"
unset OPENSSL_CONF

# --- tpmkit first: the NIST groups stay usable, key shares in software ------
# OpenSSL 3.0 keeps a TLS group only if the "EC" key manager it fetches comes
# from the provider that announced the group; with tpmkit first that is
# tpmkit, which announces P-256/384/521 with software key shares. A TLS 1.2
# ECDHE-ECDSA handshake needs the certificate's curve among the server's
# groups, and a client may offer only a P-256 key share.
rm -f "$PCAP"
serve ec 2 "pcap tk"
tls_client "tpmkit first, EC key, TLS 1.2 ECDHE-ECDSA" "$SERVER_PORT" "$T/ec.crt" -tls1_2 \
    -cipher ECDHE-ECDSA-AES128-GCM-SHA256
assert_grep "EC key, TLS 1.2: ECDHE-ECDSA suite" '^Ciphersuite: ECDHE-ECDSA-AES128-GCM-SHA256$' "$T/err"
tls_client "tpmkit first, EC key, TLS 1.3 with only a P-256 key share" "$SERVER_PORT" \
    "$T/ec.crt" -tls1_3 -groups P-256
wait_server "tpmkit first, EC key"
capture_commands "$PCAP"
assert_command_count "tpmkit first, EC key: one TPM2_Sign per handshake" Sign 2
assert_command_count "tpmkit first: no key share made in the TPM" Create 0
check_software_only "tpmkit first, EC key"
serve rsa 1
tls_client "tpmkit first, RSA key, TLS 1.2 ECDHE-RSA over P-256" "$SERVER_PORT" "$T/rsa.crt" \
    -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256 -groups P-256
wait_server "tpmkit first, RSA key"

assert_no_tpm_leftovers
