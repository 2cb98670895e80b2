# SPDX-License-Identifier: Apache-2.0
# Issue 3, robustness: the TPM (swtpm) is restarted under a running
# s_server that uses a TPM key. The handshake after the restart succeeds
# (no handshake was in flight during the restart), and so do later ones.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

genkey "$T/ec.pem" EC group:P-256
genkey "$T/rsa.pem" RSA bits:2048
for k in ec rsa; do
    run tk req -new -x509 -key "$T/$k.pem" -subj /CN=localhost -days 2 -out "$T/$k.crt"
    assert_ok "$k certificate"
done

# restart_under_server WHAT KEY PROTO CMD: connection, restart, 3 more.
restart_under_server() {
    local what=$1 key=$2 proto=$3 cmd=$4
    start_server "$T/server.out" $cmd s_server -key "$T/$key.pem" -cert "$T/$key.crt" \
        -rev -naccept 4
    tls_client "$what: before the restart" "$SERVER_PORT" "$T/$key.crt" "$proto"
    swtpm_restart || fail "swtpm did not restart"
    pass "swtpm restarted under the running s_server"
    tls_client "$what: first handshake after the restart" "$SERVER_PORT" "$T/$key.crt" "$proto"
    tls_client "$what: second handshake after the restart" "$SERVER_PORT" "$T/$key.crt" "$proto"
    swtpm_restart || fail "swtpm did not restart"
    tls_client "$what: after a second restart" "$SERVER_PORT" "$T/$key.crt" "$proto"
    wait_server "$what"
}

restart_under_server "EC key, TLS 1.3, -provider flags" ec -tls1_3 tk
assert_no_tpm_leftovers "the EC server"
restart_under_server "RSA key, TLS 1.2, -provider flags" rsa -tls1_2 tk
assert_no_tpm_leftovers "the RSA server"

write_config "$T/openssl.cnf"
export OPENSSL_CONF=$T/openssl.cnf
restart_under_server "EC key, TLS 1.3, tpmkit in openssl.cnf" ec -tls1_3 ossl
assert_no_tpm_leftovers
