# SPDX-License-Identifier: Apache-2.0
# tpmkit-psk-server / -client when things are not as they should be: usage
# errors, no tpmkit, bad keys, an unreachable TPM, silent peers, nobody
# listening; and the other ways to name the TPM: a persistent handle, and
# tpmkit activated by openssl.cnf instead of loaded by the program.
. "$TK_SOURCE_DIR/test/psk/psk_lib.sh"

K=$(sw rand -hex 32)
hmac_key "$T/psk.pem" "$K"

srv() {
    timeout -k 5 60 "$TK_PSK_SERVER" --port 0 "$@"
}
cli() {
    timeout -k 5 60 "$TK_PSK_CLIENT" "$@"
}

# --- usage -----------------------------------------------------------------

run srv
assert_status "server without a key: usage error" 2
assert_contains "... saying what is missing" 'give exactly one of --key-uri and --hexkey' "$T/err"
run cli --key-uri "$T/psk.pem" --hexkey "$K"
assert_status "client with two keys: usage error" 2
run cli --hexkey "$K" --count 2
assert_status "--count is the server's option" 2
run srv --hexkey "$K" --count -1
assert_status "negative --count: usage error" 2
assert_contains "... saying why" '--count wants a number >= 0' "$T/err"
run cli --help
assert_ok "client --help"
assert_contains "--help documents the TLS 1.2 derivation" \
    'HMAC(permanent, "pre master secret" || client_random || server_random)' "$T/out"
assert_contains "--help documents the TLS 1.3 derivation" \
    'HMAC(permanent, "tpmkit tls13 psk" || client_random), psk_dhe_ke only' "$T/out"
run srv --hexkey 'not hex'
assert_status "a --hexkey that is not hex fails" 1
assert_contains "... saying so" '--hexkey wants hex digits' "$T/err"

# --- the TPM key ------------------------------------------------------------

run env OPENSSL_MODULES="$T/nowhere" "$TK_PSK_SERVER" --port 0 --key-uri "$T/psk.pem"
assert_status "no tpmkit to load: the server does not start" 1
assert_contains "... and says how to fix it" \
    'TPM2-HMAC is not available: cannot load the tpmkit provider (set OPENSSL_MODULES' "$T/err"
run srv --key-uri "$T/missing.pem"
assert_status "a missing key file: the server does not start" 1
assert_contains "... and names it" "cannot key TPM2-HMAC with $T/missing.pem (digest SHA256)" "$T/err"
run srv --key-uri "$T/psk.pem" --digest SHA384
assert_status "a digest the TPM key does not compute: the server does not start" 1
assert_contains "... and says which digest the key has" 'computes HMAC-SHA256 only' "$T/err"

# An unreachable TPM: the program starts (the key file is fine), and the
# first handshake fails on both sides with the TPM's error, quickly.
start_psk_server "$T/srv" TPMKIT_TCTI=swtpm:host=127.0.0.1,port=1 --key-uri "$T/psk.pem" --count 1
run psk_client --hexkey "$K"
assert_status "unreachable TPM behind the server: the client fails" 1
server_exit "unreachable TPM: the server reports the failed connection" 1
assert_contains "... saying it could not derive" \
    "connection 1: handshake failed: cannot derive this connection's PSK with TPM2-HMAC" "$T/srv.err"
assert_contains "... and why" 'TPM unreachable' "$T/srv.err"

start_psk_server "$T/srv" --tls1.3 --hexkey "$K" --count 1
run env TPMKIT_TCTI=swtpm:host=127.0.0.1,port=1 "$TK_PSK_CLIENT" --port "$SERVER_PORT" \
    --tls1.3 --key-uri "$T/psk.pem"
assert_status "unreachable TPM behind the TLS 1.3 client: it fails" 1
assert_contains "... saying it could not derive" \
    "cannot derive this connection's PSK with TPM2-HMAC" "$T/err"
assert_contains "... and why" 'TPM unreachable' "$T/err"
server_exit "... and the server saw a failed connection" 1

# A TPM key with a password (--key-pass); the software peer's key from the
# environment and from a file, off the command line.
run tk genpkey -algorithm TPM2-HMAC -pkeyopt digest:SHA256 -pkeyopt "hexkey:$K" \
    -pkeyopt user-auth:s3cret -out "$T/pw.pem"
assert_ok "genpkey TPM2-HMAC with a password"
echo "$K" >"$T/k.hex"
start_psk_server "$T/srv" KEYPW=s3cret --key-uri "$T/pw.pem" --key-pass env:KEYPW --count 2 --show-psk
run env PERMANENT="$K" "$TK_PSK_CLIENT" --port "$SERVER_PORT" --hexkey env:PERMANENT --show-psk
assert_ok "TPM key with --key-pass env:, client --hexkey env:"
cp "$T/out" "$T/client1"
run psk_client --hexkey "file:$T/k.hex"
assert_ok "client --hexkey file:"
server_exit "... the server served both" 0
check_psk_line "... PSK = HMAC(K, label || randoms)" "$(psk_lines "$T/client1")" "$K" tls12
run env -u KEYPW "$TK_PSK_SERVER" --port 0 --key-uri "$T/pw.pem" --key-pass env:KEYPW
assert_status "--key-pass env: with the variable unset: usage error" 2
assert_contains "... naming it" 'environment variable KEYPW is not set' "$T/err"

# A wrong password: one connection fails with the TPM's verdict (one
# dictionary-attack strike; the TPM locks out after three).
start_psk_server "$T/srv" --key-uri "$T/pw.pem" --key-pass pass:wrong --count 1
run psk_client --hexkey "$K"
assert_status "wrong --key-pass: the client's handshake fails" 1
server_exit "... and the server's" 1
assert_contains "... saying it could not derive" "cannot derive this connection's PSK" "$T/srv.err"
assert_contains "... because the TPM refused the password" 'TPM authorization failed' "$T/srv.err"

# A persistent key: handle:0x81xxxxxx.
persist() {
    tpm2 "$@" >"$T/tools.out" 2>&1 || { cat "$T/tools.out"; fail "tpm2_$*"; }
    tpm2 flushcontext -t >/dev/null 2>&1 || true
}
persist load -r "$T/psk.pem" -c "$T/psk.ctx"
persist evictcontrol -C o -c "$T/psk.ctx" 0x81000101
start_psk_server "$T/srv" --tls1.3 --key-uri handle:0x81000101 --count 1 --show-psk
run psk_client --tls1.3 --hexkey "$K" --show-psk
assert_ok "server with handle:0x81000101, TLS 1.3"
server_exit "... serves the connection" 0
assert_eq "... same PSK on both sides" "$(psk_lines "$T/srv")" "$(psk_lines "$T/out")"
persist evictcontrol -C o -c 0x81000101

# tpmkit activated by openssl.cnf (the program finds TPM2-HMAC without
# loading anything), DRBG seeded by the TPM too.
write_config "$T/openssl.cnf"
start_psk_server "$T/srv" OPENSSL_CONF="$T/openssl.cnf" OPENSSL_MODULES="$T/nowhere" \
    --key-uri "$T/psk.pem" --count 1 --show-psk
run env OPENSSL_CONF="$T/openssl.cnf" OPENSSL_MODULES="$T/nowhere" \
    "$TK_PSK_CLIENT" --port "$SERVER_PORT" --key-uri "$T/psk.pem" --show-psk
assert_ok "tpmkit from openssl.cnf on both sides"
server_exit "... the server served the connection" 0
check_psk_line "... PSK = HMAC(K, label || randoms)" "$(psk_lines "$T/out")" "$K" tls12
assert_no_tpm_leftovers "the TPM key cases"

# --- the network ------------------------------------------------------------

# A peer that connects and says nothing: both ends give up after --timeout
# and say so; nothing hangs.
start_psk_server "$T/srv" --hexkey "$K" --count 2 --timeout 2
exec 3<>"/dev/tcp/127.0.0.1/$SERVER_PORT"
run psk_client --hexkey "$K" --timeout 1
assert_status "a server busy with a silent peer: the client gives up" 1
assert_contains "... saying it timed out" 'failed: timed out waiting for the peer' "$T/err"
server_exit "the server gives up on the silent peer, then serves the next" 1
exec 3>&-
assert_contains "... saying it timed out" \
    'connection 1: handshake failed: timed out waiting for the peer' "$T/srv.err"

PORT=$(free_port)
run cli --port "$PORT" --hexkey "$K"
assert_status "nobody listening: the client fails" 1
assert_contains "... saying so" "cannot connect to 127.0.0.1 port $PORT: Connection refused" "$T/err"
