# SPDX-License-Identifier: Apache-2.0
# Issue 12, point 5: a Python HTTPS server built the textbook way,
# socketserver.ForkingMixIn + http.server + ssl, with tpmkit from openssl.cnf
# (the sample configuration: TPM2-SEED seeds the DRBG). Each connection is a
# forked child that does the TLS handshake itself (so a slow client never
# holds up the parent) and answers with its pid and 16 bytes of
# ssl.RAND_bytes: the child reseeds OpenSSL's DRBG from the TPM after fork.
# Two servers per case: one with a TPM key file given to
# SSLContext.load_cert_chain (the child also signs in the TPM), one with a
# software key (TPM seeding alone: the sample configuration breaks even
# servers that hold no TPM key). On the raw swtpm and through tpm2-abrmd.
. "$TK_SOURCE_DIR/test/servers/servers_lib.sh"
# Debian's python3 uses the system libssl; another one on PATH may not.
PY=$(command -v /usr/bin/python3 || command -v python3 || true)
[ -n "$PY" ] || need_progs python3

cat >"$T/server.py" <<'PYTHON'
import http.server, os, signal, socketserver, ssl, sys

cert, key, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("pid %d random %s\n" % (os.getpid(), ssl.RAND_bytes(16).hex())).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stderr.write("pid %d: %s\n" % (os.getpid(), fmt % args))


class Server(socketserver.ForkingMixIn, http.server.HTTPServer):
    # The handshake happens in the forked child, not in accept().
    def finish_request(self, request, client_address):
        request = ctx.wrap_socket(request, server_side=True)
        super().finish_request(request, client_address)


# SIGTERM ends serve_forever; leaving the with block closes the server,
# which waits for (reaps) its children.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
with Server(("127.0.0.1", port), Handler) as server:
    print("serving on %d, pid %d" % (port, os.getpid()), flush=True)
    server.serve_forever()
PYTHON

# serve WHAT KEY: the server with KEY (and $C/cert.pem, or KEY's own
# certificate) on the current case's TPM; 12 requests one by one and 8 at
# once; every answer from a forked child; the children reseeded from the
# TPM (and signed there, for the TPM key); then a clean stop.
serve() {
    local what=$1 key=$2 cert=$3 port server pid
    local P=$C/py-$what
    local -a served
    mkdir -p "$P"
    port=$(free_port)
    SERVER_LOGS=("$TRACE" "$P/server.log")
    [ "$CASE" != tabrmd ] || SERVER_LOGS+=("$T/tabrmd/abrmd.log")
    (
        server_env
        exec "$PY" "$T/server.py" "$cert" "$key" "$port"
    ) >"$P/server.log" 2>&1 </dev/null &
    server=$!
    TK_BG_PIDS+=("$server")
    wait_for "$CASE: python server ($what) starts" "$P/server.log" "^serving on $port, pid $server\$" 30
    SERVER_CA=$cert
    : >"$C/bodies"
    fetch_pages "python ForkingMixIn, $what" "$port" 12 '^pid [0-9]+ random [0-9a-f]{32}$'
    fetch_parallel "python ForkingMixIn, $what" "$port" 8 '^pid [0-9]+ random [0-9a-f]{32}$'

    mapfile -t served < <(awk '{ print $2 }' "$C/bodies" | sort -u)
    assert_eq "$CASE: $what: 20 answers from 20 forked children" 20 "${#served[@]}"
    for pid in "${served[@]}"; do
        [ "$pid" != "$server" ] || fail "$CASE: $what: the parent answered a request itself"
        if [ "$what" = tpm-key ]; then
            assert_child_did_tpm_work "$pid" >/dev/null
        else
            quiet_grep "$CASE: $what: child $pid was seeded by the TPM" \
                "^tpmkit\\[$pid\\] .*TPM command 0x17b: rc 0x0 " "$TRACE"
        fi
    done
    if [ "$what" = tpm-key ]; then
        pass "$CASE: $what: each of the 20 children signed in the TPM and reseeded from it"
    else
        pass "$CASE: $what: each of the 20 children reseeded from the TPM"
        assert_no_grep "$CASE: $what: nothing signed in the TPM" 'TPM command 0x15d ' "$TRACE"
    fi
    # 20 distinct random answers: no child inherited its parent's stream.
    assert_eq "$CASE: $what: 20 different random answers" 20 \
        "$(awk '{ print $4 }' "$C/bodies" | sort -u | wc -l)"
    assert_clean_trace

    kill -TERM "$server"
    wait_gone "$CASE: python server ($what)" "$server" 30
    # (Not "ERROR": with TPMKIT_DEBUG set, tss2 logs its own messages too,
    # such as a failed probe for a persistent primary key.)
    assert_no_grep "$CASE: $what: no Python exception in the server's log" \
        'Traceback|Exception occurred' "$P/server.log"
}

for c in $SERVER_CASES; do
    use_case "$c"
    serve tpm-key "$C/key.pem" "$C/cert.pem"
    # The software key and its certificate: the default provider alone.
    OPENSSL_CONF=/dev/null run ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
        -nodes -keyout "$C/soft.key" -subj /CN=localhost -addext subjectAltName=DNS:localhost \
        -days 2 -out "$C/soft.crt"
    assert_ok "$c: software key and certificate"
    : >"$TRACE"
    serve software-key "$C/soft.key" "$C/soft.crt"
    end_case --reclaim
done
