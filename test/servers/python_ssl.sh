# SPDX-License-Identifier: Apache-2.0
# Issue 14: Python's ssl module with TPM keys, server and client, loading
# tpmkit from openssl.cnf (the sample configuration, TPM seeding on):
# SSLContext.load_cert_chain(cert, key.pem) with a TSS2 key file. The
# server asks for a client certificate and answers with what it verified.
#  - TPM server (EC key) <- TPM client (RSA and EC keys), TLS 1.2 and 1.3;
#  - TPM server <- stock curl with a software client key (no tpmkit);
#  - software server (no tpmkit) <- TPM client: the client alone signs.
# On the raw swtpm and through tpm2-abrmd.
. "$TK_SOURCE_DIR/test/servers/servers_lib.sh"
# Debian's python3 uses the system libssl; another one on PATH may not.
PY=$(command -v /usr/bin/python3 || command -v python3 || true)
[ -n "$PY" ] || need_progs python3

# server.py CERT KEY CLIENT_CAS PORT: one connection at a time, each
# bounded by a socket timeout; a failed handshake is reported and the
# next connection served. SIGTERM ends it.
cat >"$T/server.py" <<'PYTHON'
import os, signal, socket, ssl, sys

cert, key, cas, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ctx.verify_mode = ssl.CERT_REQUIRED
ctx.load_verify_locations(cas)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
with socket.create_server(("127.0.0.1", port)) as srv:
    print("listening on %d, pid %d" % (port, os.getpid()), flush=True)
    while True:
        conn, _ = srv.accept()
        conn.settimeout(30)
        try:
            with ctx.wrap_socket(conn, server_side=True) as tls:
                request = tls.recv(4096)
                cn = dict(x[0] for x in tls.getpeercert()["subject"])["commonName"]
                body = ("client %s %s\n" % (cn, tls.version())).encode()
                if request.startswith(b"GET "):
                    body = b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
                tls.sendall(body)
        except (OSError, ssl.SSLError, KeyError) as e:
            print("connection failed: %s" % e, flush=True)
PYTHON

# client.py SERVER_CA PORT VERSION [CERT KEY]: one request; prints the answer.
cat >"$T/client.py" <<'PYTHON'
import socket, ssl, sys

ca, port, version = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(ca)
v = ssl.TLSVersion.TLSv1_3 if version == "1.3" else ssl.TLSVersion.TLSv1_2
ctx.minimum_version = ctx.maximum_version = v
if len(sys.argv) > 5:
    ctx.load_cert_chain(sys.argv[4], sys.argv[5])
with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
    with ctx.wrap_socket(s, server_hostname="localhost") as tls:
        tls.sendall(b"hello\n")
        answer = tls.recv(4096)
        if not answer:
            sys.exit("the server closed the connection")
        sys.stdout.write(answer.decode())
PYTHON

# start_py WHAT TPM|PLAIN CERT KEY CLIENT_CAS: a server.py on a free port
# (PY_PORT, PY_PID), with the case's tpmkit configuration or none.
start_py() {
    local what=$1 mode=$2
    PY_PORT=$(free_port)
    (
        if [ "$mode" = tpm ]; then
            server_env
        else
            unset OPENSSL_CONF TPMKIT_DEBUG LD_PRELOAD
        fi
        exec "$PY" "$T/server.py" "$3" "$4" "$5" "$PY_PORT"
    ) >"$C/server-$what.log" 2>&1 </dev/null &
    PY_PID=$!
    TK_BG_PIDS+=("$PY_PID")
    SERVER_LOGS+=("$C/server-$what.log")
    wait_for "$CASE: python server ($what) starts" "$C/server-$what.log" \
        "^listening on $PY_PORT, pid $PY_PID\$" 30
}

stop_py() {
    kill -TERM "$PY_PID"
    wait_gone "$CASE: python server" "$PY_PID" 30
    assert_no_grep "$CASE: no Python exception in the server's log" 'Traceback' "$1"
}

# py_client PORT CA VERSION [CERT KEY]: client.py with tpmkit from the
# case's configuration, its trace in $C/client.trace; answer in $T/out.
py_client() {
    run env OPENSSL_CONF="$C/openssl.cnf" TPMKIT_DEBUG="2,file:$C/client.trace" \
        ${TK_PRELOAD:+LD_PRELOAD=$TK_PRELOAD ASAN_OPTIONS=detect_leaks=0} \
        timeout -k 5 60 "$PY" "$T/client.py" "$2" "$1" "$3" "${@:4}"
}

# signs FILE: signatures the TPM made, in a tpmkit trace: TPM2_Sign
# (0x15d), or for RSA-PSS on a key that may decrypt the raw RSA operation
# after tpmkit's own padding (TPM2_RSA_Decrypt, 0x159).
signs() {
    grep -Ec 'TPM command 0x15[d9]: rc 0x0 ' "$1" 2>/dev/null || true
}

for c in $SERVER_CASES; do
    use_case "$c"
    : >"$C/client.trace"
    SERVER_LOGS+=("$C/client.trace")
    for alg in ec rsa; do
        if [ $alg = ec ]; then
            run tk genpkey -algorithm EC -pkeyopt group:P-256 -out "$C/client-$alg.pem"
        else
            run tk genpkey -algorithm RSA -pkeyopt bits:2048 -out "$C/client-$alg.pem"
        fi
        assert_ok "$c: a TPM $alg client key"
        run tk req -new -x509 -key "$C/client-$alg.pem" -subj "/CN=tpmkit client $alg" -days 2 \
            -out "$C/client-$alg.crt"
        assert_ok "$c: the $alg client certificate"
    done
    OPENSSL_CONF=/dev/null run ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
        -nodes -keyout "$C/soft.key" -subj /CN=localhost -addext subjectAltName=DNS:localhost \
        -days 2 -out "$C/soft.crt"
    assert_ok "$c: a software key and certificate"
    OPENSSL_CONF=/dev/null run ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
        -nodes -keyout "$C/softclient.key" -subj "/CN=software client" -days 2 \
        -out "$C/softclient.crt"
    assert_ok "$c: a software client key and certificate"
    cat "$C/client-ec.crt" "$C/client-rsa.crt" "$C/softclient.crt" >"$C/clients.pem"

    # --- TPM server <- TPM clients ---------------------------------------
    start_py tpm tpm "$C/cert.pem" "$C/key.pem" "$C/clients.pem"
    for alg in ec rsa; do
        for v in 1.2 1.3; do
            server_before=$(signs "$TRACE")
            client_before=$(signs "$C/client.trace")
            py_client "$PY_PORT" "$C/cert.pem" "$v" "$C/client-$alg.crt" "$C/client-$alg.pem"
            assert_ok "$c: python client (TPM $alg key) <-> python server (TPM key), TLS $v"
            assert_grep "$c: the server verified the TPM $alg client over TLS $v" \
                "^client tpmkit client $alg TLSv${v//./\\.}\$" "$T/out"
            assert_eq "$c: the server signed its handshake in the TPM ($alg, TLS $v)" \
                $((server_before + 1)) "$(signs "$TRACE")"
            assert_eq "$c: the client signed its handshake in the TPM ($alg, TLS $v)" \
                $((client_before + 1)) "$(signs "$C/client.trace")"
        done
    done
    # The checks can fail: a client without a certificate is refused.
    py_client "$PY_PORT" "$C/cert.pem" 1.3
    assert_fails "$c: the server refuses a client without a certificate"
    # A stock curl with a software client key: the server alone uses the TPM.
    server_before=$(signs "$TRACE")
    run env -u OPENSSL_CONF -u LD_PRELOAD -u TPMKIT_DEBUG timeout -k 5 40 curl -sS -f \
        --max-time 30 --cacert "$C/cert.pem" --resolve "localhost:$PY_PORT:127.0.0.1" \
        --cert "$C/softclient.crt" --key "$C/softclient.key" "https://localhost:$PY_PORT/"
    assert_ok "$c: stock curl with a software client key <-> python server (TPM key)"
    assert_grep "$c: the server verified curl's certificate" '^client software client TLSv1\.3$' "$T/out"
    assert_eq "$c: the server signed curl's handshake in the TPM" \
        $((server_before + 1)) "$(signs "$TRACE")"
    assert_clean_trace
    stop_py "$C/server-tpm.log"

    # --- software server (no tpmkit) <- TPM client -------------------------
    start_py soft plain "$C/soft.crt" "$C/soft.key" "$C/clients.pem"
    for alg in ec rsa; do
        client_before=$(signs "$C/client.trace")
        py_client "$PY_PORT" "$C/soft.crt" 1.3 "$C/client-$alg.crt" "$C/client-$alg.pem"
        assert_ok "$c: python client (TPM $alg key) <-> software python server"
        assert_grep "$c: the software server verified the TPM $alg client" \
            "^client tpmkit client $alg TLSv1\\.3\$" "$T/out"
        assert_eq "$c: the client signed in the TPM ($alg)" \
            $((client_before + 1)) "$(signs "$C/client.trace")"
    done
    # A TPM key that is not the certificate's: load_cert_chain fails.
    py_client "$PY_PORT" "$C/soft.crt" 1.3 "$C/client-ec.crt" "$C/client-rsa.pem"
    assert_fails "$c: load_cert_chain refuses a TPM key that does not match the certificate"
    stop_py "$C/server-soft.log"
    TRACE=$C/client.trace assert_clean_trace
    end_case
done
