# SPDX-License-Identifier: Apache-2.0
# Issue 12, point 5: nginx as it is usually run (daemonized, a master and
# 4 forked worker processes) with tpmkit from openssl.cnf (the sample
# configuration: TPM2-SEED seeds the DRBG) and a TPM key file as
# ssl_certificate_key. The master loads the key; every worker, a forked
# child, opens its own TPM connection, reseeds its DRBG from the TPM and
# signs handshakes there. On the raw swtpm and through tpm2-abrmd.
. "$TK_SOURCE_DIR/test/servers/servers_lib.sh"
. "$TK_SOURCE_DIR/test/servers/nginx_lib.sh"
need_progs nginx

# serve_case CASE: one nginx with 4 workers on CASE's TPM (nginx_lib.sh),
# 12 requests one by one and 8 at once, then a clean stop (nginx -s loads
# the configuration, and so tpmkit, too).
serve_case() {
    use_case "$1"
    local N=$C/nginx port pid
    port=$(free_port)
    nginx_start "$N" "$port" 4 "$C/cert.pem" "$C/key.pem" tpm

    fetch_pages "nginx, 4 workers" "$port" 12 '^pid [0-9]+$'
    fetch_parallel "nginx, 4 workers" "$port" 8 '^pid [0-9]+$'

    # Every page came from a worker (a forked child), never the master.
    local -a served
    mapfile -t served < <(sed -n 's/^pid //p' "$C/bodies" | sort -u)
    for pid in "${served[@]}"; do
        grep -qx "$pid" <<<"$NGINX_WORKERS" || fail "$CASE: pid $pid served a page but is no worker of nginx"
        assert_child_did_tpm_work "$pid"
    done
    pass "$CASE: all 20 pages were served by workers (${#served[@]} distinct: ${served[*]})"
    [ "${#served[@]}" -ge 2 ] || fail "$CASE: only one worker served the 20 requests"
    assert_clean_trace

    nginx_stop "$N"
    end_case
}

for c in $SERVER_CASES; do
    serve_case "$c"
done
