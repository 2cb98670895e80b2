# SPDX-License-Identifier: Apache-2.0
# tpmkit active globally (openssl.cnf loads it and seeds the DRBG from it):
# key generation, a self-signed certificate and a TLS 1.3 handshake with
# the stock openssl commands all work. ESYS itself uses OpenSSL, so this is
# where recursion or a deadlock between the two would show.
. "$TK_SOURCE_DIR/test/lib/common.sh"

write_config "$T/openssl.cnf"
export OPENSSL_CONF=$T/openssl.cnf

run with_pcap "$T/genpkey.pcap" ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/key.pem"
assert_ok "openssl genpkey RSA 2048"
assert_grep "writes a private key" '^-----BEGIN PRIVATE KEY-----$' "$T/key.pem"
# Proves tpmkit really was the seed source of that command.
capture_commands "$T/genpkey.pcap"
assert_command_count "genpkey drew its seed from the TPM" GetRandom 1
assert_no_tpm_leftovers "openssl genpkey"

run ossl req -new -x509 -key "$T/key.pem" -subj /CN=x -days 1 -out "$T/cert.pem"
assert_ok "openssl req -x509 (self-signed certificate)"
assert_grep "writes a certificate" '^-----BEGIN CERTIFICATE-----$' "$T/cert.pem"
assert_no_tpm_leftovers "openssl req"

# TLS 1.3 on a free loopback port. s_server -www answers one HTTP request
# (without -www it quits at the end of its stdin).
port=$(free_port)
with_pcap "$T/server.pcap" ossl s_server -accept "127.0.0.1:$port" -naccept 1 \
    -tls1_3 -www -cert "$T/cert.pem" -key "$T/key.pem" \
    >"$T/server.out" 2>"$T/server.err" </dev/null &
server=$!
TK_BG_PIDS+=("$server")
wait_for "s_server listens" "$T/server.out" '^ACCEPT' 30

printf 'GET / HTTP/1.0\r\n\r\n' >"$T/request"
run with_pcap "$T/client.pcap" ossl s_client -connect "127.0.0.1:$port" -tls1_3 \
    -CAfile "$T/cert.pem" -verify_return_error -brief -ign_eof <"$T/request"
assert_ok "openssl s_client: TLS 1.3 handshake"
assert_grep "protocol is TLSv1.3" '^Protocol version: TLSv1\.3$' "$T/err"
assert_grep "the server certificate verifies" '^Verification: OK$' "$T/err"
assert_grep "the server answered over TLS" '^HTTP/1.0 200 ok' "$T/out"
wait "$server" && RC=0 || RC=$?
assert_eq "s_server exits 0 after the connection" 0 "$RC"
capture_commands "$T/server.pcap"
assert_command_count "s_server drew its seed from the TPM" GetRandom 1
capture_commands "$T/client.pcap"
assert_command_count "s_client drew its seed from the TPM" GetRandom 1
assert_no_tpm_leftovers
