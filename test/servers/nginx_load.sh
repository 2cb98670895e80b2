# SPDX-License-Identifier: Apache-2.0
# Issue 14: nginx with a TPM key (from openssl.cnf, TPM seeding on) under a
# bounded parallel load: 100 HTTPS requests, 4 at a time (xargs -P4), each
# a full handshake (no session cache) and so one TPM signature in a
# worker; with 1 worker and with 4. Every request must succeed within
# curl's --max-time. On the raw swtpm and through tpm2-abrmd.
. "$TK_SOURCE_DIR/test/servers/servers_lib.sh"
. "$TK_SOURCE_DIR/test/servers/nginx_lib.sh"
need_progs nginx xargs

REQUESTS=100
PARALLEL=4

# load PORT DIR: $REQUESTS requests, $PARALLEL at a time, by stock curl (no
# tpmkit); each writes its body to DIR/body.I and its error to DIR/err.I.
# Every curl is bounded (--max-time, timeout), so xargs is too.
load() {
    local port=$1 dir=$2
    mkdir -p "$dir"
    seq 1 "$REQUESTS" | env -u OPENSSL_CONF -u LD_PRELOAD -u TPMKIT_DEBUG \
        xargs -P "$PARALLEL" -I{} timeout -k 5 40 \
        curl -sS --max-time 30 --cacert "$C/cert.pem" --resolve "localhost:$port:127.0.0.1" \
        -o "$dir/body.{}" --stderr "$dir/err.{}" "https://localhost:$port/"
}

for c in $SERVER_CASES; do
    use_case "$c"
    for workers in 1 4; do
        N=$C/nginx-$workers
        port=$(free_port)
        : >"$TRACE"
        nginx_start "$N" "$port" "$workers" "$C/cert.pem" "$C/key.pem" tpm
        RC=0
        load "$port" "$N/load" || RC=$?
        bad=0
        for i in $(seq 1 "$REQUESTS"); do
            grep -Eqx 'pid [0-9]+' "$N/load/body.$i" 2>/dev/null || {
                [ "$bad" -ge 3 ] || echo "#   request $i: $(head -c 300 "$N/load/err.$i" 2>/dev/null)"
                bad=$((bad + 1))
            }
        done
        [ "$bad" -eq 0 ] || fail "$CASE, $workers worker(s): $bad of $REQUESTS requests failed (xargs: $RC)"
        assert_eq "$CASE, $workers worker(s): xargs saw every curl succeed" 0 "$RC"
        pass "$CASE, $workers worker(s): $REQUESTS requests, $PARALLEL at a time, all answered"
        # Each answer came from a worker; each handshake was signed in the
        # TPM by a worker (one TPM2_Sign, 0x15d, per request).
        mapfile -t served < <(cat "$N"/load/body.* | sed -n 's/^pid //p' | sort -u)
        for pid in "${served[@]}"; do
            grep -qx "$pid" <<<"$NGINX_WORKERS" || fail "$CASE: pid $pid answered but is no nginx worker"
        done
        signs=0
        for pid in $NGINX_WORKERS; do
            signs=$((signs + $(grep -Ec "^tpmkit\\[$pid\\] .*TPM command 0x15d: rc 0x0 " "$TRACE" || true)))
        done
        assert_eq "$CASE, $workers worker(s): one TPM signature per request, all by workers" \
            "$REQUESTS" "$signs"
        if [ "$workers" -gt 1 ]; then
            [ "${#served[@]}" -ge 2 ] || fail "$CASE: one worker of $workers served all $REQUESTS requests"
            pass "$CASE: ${#served[@]} of $workers workers served requests"
        fi
        assert_clean_trace
        nginx_stop "$N"
    done
    end_case
done
