# KNOWN GAP (issue 3, open): registered as an expected failure. With
# -provider tpmkit first, libssl must still offer P-256/384/521: a TLS 1.2
# ECDHE-ECDSA handshake needs the certificate's curve among the server's
# groups, and a client may offer only a P-256 key share. OpenSSL 3.0 keeps
# a TLS group only if the "EC" key manager it fetches comes from the
# provider that announced the group; with tpmkit first it finds tpmkit's.
# When this passes, meson reports an unexpected pass: move it into tls.sh.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

genkey "$T/rsa.pem" RSA bits:2048
genkey "$T/ec.pem" EC group:P-256
for k in rsa ec; do
    run tk req -new -x509 -key "$T/$k.pem" -subj "/CN=localhost" -days 2 -out "$T/$k.crt"
    assert_ok "self-signed $k certificate"
done
serve() {
    start_server "$T/server.out" tk s_server -key "$T/$1.pem" -cert "$T/$1.crt" \
        -rev -naccept "$2"
}

serve ec 2
tls_client "tpmkit first, EC key, TLS 1.2 ECDHE-ECDSA" "$SERVER_PORT" "$T/ec.crt" -tls1_2 \
    -cipher ECDHE-ECDSA-AES128-GCM-SHA256
assert_grep "EC key, TLS 1.2: ECDHE-ECDSA suite" '^Ciphersuite: ECDHE-ECDSA-AES128-GCM-SHA256$' "$T/err"
tls_client "tpmkit first, EC key, TLS 1.3 with only a P-256 key share" "$SERVER_PORT" \
    "$T/ec.crt" -tls1_3 -groups P-256
wait_server "tpmkit first, EC key"
serve rsa 1
tls_client "tpmkit first, RSA key, TLS 1.2 ECDHE-RSA over P-256" "$SERVER_PORT" "$T/rsa.crt" \
    -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256 -groups P-256
wait_server "tpmkit first, RSA key"
assert_no_tpm_leftovers
