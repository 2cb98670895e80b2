# SPDX-License-Identifier: Apache-2.0
# Issue 12, point 5: nginx as it is usually run (daemonized, a master and
# 4 forked worker processes) with tpmkit from openssl.cnf (the sample
# configuration: TPM2-SEED seeds the DRBG) and a TPM key file as
# ssl_certificate_key. The master loads the key; every worker, a forked
# child, opens its own TPM connection, reseeds its DRBG from the TPM and
# signs handshakes there. On the raw swtpm and through tpm2-abrmd.
. "$TK_SOURCE_DIR/test/servers/servers_lib.sh"
need_progs nginx

# nginx_signal DIR SIGNAL: nginx -s SIGNAL to the nginx of DIR.
nginx_signal() {
    (
        server_env
        exec timeout -k 5 60 nginx -p "$1" -c "$1/nginx.conf" -e "$1/error.log" -s "$2"
    )
}

# serve_case CASE: one nginx on CASE's TPM, 12 requests one by one and 8
# at once, then a clean stop.
serve_case() {
    use_case "$1"
    local N=$C/nginx port pid master workers
    mkdir -p "$N/tmp"
    port=$(free_port)
    SERVER_LOGS+=("$N/error.log")
    # nginx clears its workers' environment: name what tpmkit (and the
    # tabrmd TCTI, which finds the bus by DBUS_SESSION_BUS_ADDRESS) needs.
    # reuseport: the kernel spreads connections over the workers.
    cat >"$N/nginx.conf" <<CONF
daemon on;
worker_processes 4;
user root;
pid $N/nginx.pid;
error_log $N/error.log notice;
env OPENSSL_CONF;
env TPMKIT_TCTI;
env TPMKIT_RUNDIR;
env TPMKIT_DEBUG;
env DBUS_SESSION_BUS_ADDRESS;
events { worker_connections 64; }
http {
    access_log $N/access.log;
    client_body_temp_path $N/tmp/body;
    proxy_temp_path $N/tmp/proxy;
    fastcgi_temp_path $N/tmp/fastcgi;
    uwsgi_temp_path $N/tmp/uwsgi;
    scgi_temp_path $N/tmp/scgi;
    server {
        listen 127.0.0.1:$port ssl reuseport;
        ssl_certificate $C/cert.pem;
        ssl_certificate_key $C/key.pem;
        ssl_session_cache off;
        ssl_session_tickets off;
        location / { return 200 "served by pid \$pid\n"; }
    }
}
CONF
    (
        server_env
        exec timeout -k 5 60 nginx -p "$N" -c "$N/nginx.conf" -e "$N/error.log"
    ) >"$N/start.out" 2>&1 </dev/null
    RC=$?
    [ "$RC" -eq 0 ] || fail "$CASE: nginx did not start (status $RC): $(cat "$N/start.out")"
    wait_for "$CASE: nginx writes its pid file" "$N/nginx.pid" '^[0-9]+$' 30
    master=$(cat "$N/nginx.pid")
    TK_BG_PIDS+=("$master")
    for _ in $(seq 1 300); do
        [ "$(grep -c 'start worker process' "$N/error.log")" -ge 4 ] && break
        sleep 0.1
    done
    workers=$(sed -n 's/.*start worker process \([0-9]*\).*/\1/p' "$N/error.log" | sort -u)
    assert_eq "$CASE: nginx started 4 worker processes" 4 "$(echo "$workers" | wc -w)"
    assert_no_grep "$CASE: no start-up error" '\[(emerg|crit|alert)\]' "$N/error.log"
    wait_listening "$CASE: nginx" "$port"

    fetch_pages "nginx, 4 workers" "$port" 12 '^served by pid [0-9]+$'
    fetch_parallel "nginx, 4 workers" "$port" 8 '^served by pid [0-9]+$'

    # Every page came from a worker (a forked child), never the master.
    local -a served
    mapfile -t served < <(sed -n 's/^served by pid //p' "$C/bodies" | sort -u)
    for pid in "${served[@]}"; do
        grep -qx "$pid" <<<"$workers" || fail "$CASE: pid $pid served a page but is no worker of nginx"
        assert_child_did_tpm_work "$pid"
    done
    pass "$CASE: all 20 pages were served by workers (${#served[@]} distinct: ${served[*]})"
    [ "${#served[@]}" -ge 2 ] || fail "$CASE: only one worker served the 20 requests"
    assert_clean_trace

    # nginx -s loads the configuration, and so tpmkit, too.
    run nginx_signal "$N" quit
    assert_ok "$CASE: nginx -s quit"
    wait_gone "$CASE: nginx master" "$master" 30
    for pid in $workers; do
        wait_gone "$CASE: nginx worker" "$pid" 10
    done
    assert_no_grep "$CASE: no error in the nginx log" \
        '\[(emerg|crit|alert|error)\]|exited on signal' "$N/error.log"
    end_case
}

for c in $SERVER_CASES; do
    serve_case "$c"
done
