# SPDX-License-Identifier: Apache-2.0
# Issue 12, point 5: stunnel daemonized (foreground = no: the daemon is a
# fork of the process that read the configuration and loaded tpmkit), with
# a TPM key file as its key and tpmkit from openssl.cnf (the sample
# configuration: TPM2-SEED seeds the DRBG), fronting a plain HTTP backend.
# stunnel on Debian serves connections in threads of the daemon: the daemon
# signs every handshake in the TPM. On the raw swtpm and through
# tpm2-abrmd.
. "$TK_SOURCE_DIR/test/servers/servers_lib.sh"
need_progs stunnel4 python3
PY=$(command -v /usr/bin/python3 || command -v python3)

# The backend: plain HTTP on loopback, no TLS, no tpmkit.
B=$T/backend
mkdir -p "$B"
echo "backend behind stunnel" >"$B/index.html"
backend_port=$(free_port)
env -u OPENSSL_CONF -u LD_PRELOAD "$PY" -m http.server --bind 127.0.0.1 \
    --directory "$B" "$backend_port" >"$T/backend.log" 2>&1 </dev/null &
TK_BG_PIDS+=("$!")
wait_listening "the HTTP backend" "$backend_port"

# serve_case CASE: one stunnel daemon on CASE's TPM, 12 requests one by one
# and 8 at once, then a clean stop.
serve_case() {
    use_case "$1"
    local S=$C/stunnel port launcher daemon rc
    mkdir -p "$S"
    port=$(free_port)
    while [ "$port" = "$backend_port" ]; do port=$(free_port); done
    SERVER_LOGS+=("$S/stunnel.log" "$S/start.out")
    cat >"$S/stunnel.conf" <<CONF
foreground = no
pid = $S/stunnel.pid
output = $S/stunnel.log
debug = info
[https]
accept = 127.0.0.1:$port
connect = 127.0.0.1:$backend_port
cert = $C/cert.pem
key = $C/key.pem
CONF
    rc=0
    (
        server_env
        exec timeout -k 5 60 stunnel4 "$S/stunnel.conf"
    ) >"$S/start.out" 2>&1 </dev/null &
    launcher=$!
    wait "$launcher" || rc=$?
    [ "$rc" -eq 0 ] || fail "$CASE: stunnel4 did not start (status $rc): $(cat "$S/start.out")"
    wait_for "$CASE: stunnel writes its pid file" "$S/stunnel.pid" '^[0-9]+$' 30
    daemon=$(tr -d ' ' <"$S/stunnel.pid")
    TK_BG_PIDS+=("$daemon")
    wait_listening "$CASE: stunnel" "$port"
    # The pid file names the daemon, which the command we ran forked.
    _swtpm_alive "$daemon" || fail "$CASE: the stunnel daemon $daemon is not running"
    [ "$daemon" != "$launcher" ] || fail "$CASE: stunnel did not daemonize"
    pass "$CASE: stunnel runs as a daemon (pid $daemon), forked from the command started"

    fetch_pages "stunnel daemon" "$port" 12 '^backend behind stunnel$'
    fetch_parallel "stunnel daemon" "$port" 8 '^backend behind stunnel$'
    assert_child_did_tpm_work "$daemon"
    assert_clean_trace

    kill -TERM "$daemon"
    wait_gone "$CASE: stunnel daemon" "$daemon" 30
    # At least the 20 requests' (a client may open one more, e.g. a retry),
    # counted once stunnel has exited: its log is buffered until then.
    accepted=$(grep -c 'Service \[https\] accepted connection' "$S/stunnel.log" || true)
    [ "$accepted" -ge 20 ] \
        || fail "$CASE: the daemon accepted $accepted connections, fewer than the 20 requests"
    pass "$CASE: the daemon accepted the connections ($accepted)"
    # Errors are LOG0..LOG3; "no trusted certificates" only says stunnel
    # asks clients for no certificate.
    grep -v 'LOG3\[ui\]: No trusted certificates found' "$S/stunnel.log" >"$S/log.errors" || true
    assert_no_grep "$CASE: no error in stunnel's log" 'LOG[0-3]\[|[Ee]rror|failed' "$S/log.errors"
    end_case
}

for c in $SERVER_CASES; do
    serve_case "$c"
done
