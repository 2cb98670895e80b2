# SPDX-License-Identifier: Apache-2.0
# Sourced after servers_lib.sh by the tests that run nginx as a tool (the
# load test, the client-certificate test): start a daemonized nginx with
# N workers on a key and certificate, and stop it cleanly.
#
#   nginx_start DIR PORT WORKERS CERT KEY tpm|plain [DIRECTIVES]
#       nginx with its files in DIR, listening on 127.0.0.1:PORT with
#       CERT/KEY; "tpm": with the case's tpmkit configuration (server_env),
#       "plain": no tpmkit at all (a software key). DIRECTIVES go into the
#       server block (the default location answers "pid PID"). Waits until
#       the WORKERS workers run and the port listens; sets NGINX_MASTER and
#       NGINX_WORKERS (their pids).
#   nginx_stop DIR  nginx -s quit; waits (bounded) until all are gone; the
#       error log shows no error.

NGINX_MASTER=
NGINX_WORKERS=

# _nginx_run DIR MODE ARGS...: the nginx binary on DIR's configuration.
_nginx_run() {
    local dir=$1 mode=$2
    shift 2
    (
        if [ "$mode" = tpm ]; then
            server_env
        else
            unset OPENSSL_CONF TPMKIT_DEBUG LD_PRELOAD
        fi
        exec timeout -k 5 60 nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" "$@"
    )
}

nginx_start() {
    local N=$1 port=$2 workers=$3 cert=$4 key=$5 mode=$6 directives=${7:-} n
    mkdir -p "$N/tmp"
    NGINX_MODE=$mode
    SERVER_LOGS+=("$N/error.log")
    # nginx clears its workers' environment: name what tpmkit (and the
    # tabrmd TCTI, which finds the bus by DBUS_SESSION_BUS_ADDRESS) needs.
    cat >"$N/nginx.conf" <<CONF
daemon on;
worker_processes $workers;
user root;
pid $N/nginx.pid;
error_log $N/error.log notice;
env OPENSSL_CONF;
env TPMKIT_TCTI;
env TPMKIT_RUNDIR;
env TPMKIT_DEBUG;
env DBUS_SESSION_BUS_ADDRESS;
events { worker_connections 128; }
http {
    access_log $N/access.log;
    client_body_temp_path $N/tmp/body;
    proxy_temp_path $N/tmp/proxy;
    fastcgi_temp_path $N/tmp/fastcgi;
    uwsgi_temp_path $N/tmp/uwsgi;
    scgi_temp_path $N/tmp/scgi;
    server {
        listen 127.0.0.1:$port ssl reuseport;
        ssl_certificate $cert;
        ssl_certificate_key $key;
        ssl_session_cache off;
        ssl_session_tickets off;
        # nginx before 1.23.4 leaves TLS 1.3 off by default.
        ssl_protocols TLSv1.2 TLSv1.3;
        $directives
        location / { return 200 "pid \$pid\n"; }
    }
}
CONF
    rm -f "$N/nginx.pid"
    RC=0
    _nginx_run "$N" "$mode" >"$N/start.out" 2>&1 </dev/null || RC=$?
    [ "$RC" -eq 0 ] || fail "$CASE: nginx did not start (status $RC): $(cat "$N/start.out")"
    wait_for "$CASE: nginx writes its pid file" "$N/nginx.pid" '^[0-9]+$' 30
    NGINX_MASTER=$(cat "$N/nginx.pid")
    TK_BG_PIDS+=("$NGINX_MASTER")
    for _ in $(seq 1 300); do
        n=$(grep -c 'start worker process [0-9]' "$N/error.log" || true)
        [ "$n" -ge "$workers" ] && break
        sleep 0.1
    done
    NGINX_WORKERS=$(sed -n 's/.*start worker process \([0-9]*\).*/\1/p' "$N/error.log" | sort -u)
    assert_eq "$CASE: nginx started $workers worker process(es)" "$workers" \
        "$(echo "$NGINX_WORKERS" | wc -w)"
    assert_no_grep "$CASE: nginx: no start-up error" '\[(emerg|crit|alert)\]' "$N/error.log"
    wait_listening "$CASE: nginx" "$port"
}

nginx_stop() {
    local N=$1 pid
    run _nginx_run "$N" "$NGINX_MODE" -s quit
    assert_ok "$CASE: nginx -s quit"
    wait_gone "$CASE: nginx master" "$NGINX_MASTER" 30
    for pid in $NGINX_WORKERS; do
        wait_gone "$CASE: nginx worker" "$pid" 10
    done
    assert_no_grep "$CASE: no error in the nginx log" \
        '\[(emerg|crit|alert|error)\]|exited on signal' "$N/error.log"
}
