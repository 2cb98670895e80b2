# SPDX-License-Identifier: Apache-2.0
# Issue 3, point 7: nginx from Debian, with the TPM key files given as
# ssl_certificate_key and tpmkit activated by openssl.cnf (OPENSSL_CONF),
# serves HTTPS to curl: RSA and EC keys, TLS 1.3 and TLS 1.2. nginx loads
# the keys in its master process and signs in the forked worker.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

for prog in nginx curl; do
    if ! command -v "$prog" >/dev/null; then
        echo "# SKIP: $prog is not installed (CI: apt-get install nginx curl)"
        exit 77
    fi
done

genkey "$T/rsa.pem" RSA bits:2048
genkey "$T/ec.pem" EC group:P-256
for k in rsa ec; do
    run tk req -new -x509 -key "$T/$k.pem" -subj /CN=localhost \
        -addext subjectAltName=DNS:localhost -days 2 -out "$T/$k.crt"
    assert_ok "self-signed $k certificate for localhost"
done

write_config "$T/openssl.cnf" "tcti=$TPMKIT_TCTI"
N=$T/nginx
mkdir -p "$N/tmp"
rsa_port=$(free_port)
ec_port=$(free_port)
while [ "$ec_port" = "$rsa_port" ]; do ec_port=$(free_port); done
cat >"$N/nginx.conf" <<CONF
daemon off;
master_process on;
worker_processes 1;
user root;
pid $N/nginx.pid;
error_log $N/error.log notice;
events { worker_connections 32; }
http {
    access_log $N/access.log;
    client_body_temp_path $N/tmp/body;
    proxy_temp_path $N/tmp/proxy;
    fastcgi_temp_path $N/tmp/fastcgi;
    uwsgi_temp_path $N/tmp/uwsgi;
    scgi_temp_path $N/tmp/scgi;
    ssl_protocols TLSv1.2 TLSv1.3;
    server {
        listen 127.0.0.1:$rsa_port ssl;
        ssl_certificate $T/rsa.crt;
        ssl_certificate_key $T/rsa.pem;
        location / { return 200 "rsa key in the TPM\n"; }
    }
    server {
        listen 127.0.0.1:$ec_port ssl;
        ssl_certificate $T/ec.crt;
        ssl_certificate_key $T/ec.pem;
        location / { return 200 "ec key in the TPM\n"; }
    }
}
CONF

# In a sanitizer build the runtime is preloaded into nginx for tpmkit's
# sake; nginx itself does not free everything at exit, so no leak check.
# shellcheck disable=SC2120 # arguments are optional
nginx_cmd() {
    ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 \
    OPENSSL_CONF=$T/openssl.cnf LD_PRELOAD=${TK_PRELOAD:-} \
        timeout -k 5 120 nginx -p "$N" -c "$N/nginx.conf" -e "$N/error.log" "$@"
}

run nginx_cmd -t
assert_ok "nginx -t accepts the configuration with TPM key files"

nginx_cmd >"$N/stdout" 2>&1 &
nginx_pid=$!
TK_BG_PIDS+=("$nginx_pid")
wait_for "nginx starts its worker" "$N/error.log" 'start worker process' 30
if grep -Eq '\[(emerg|crit|alert)\]' "$N/error.log"; then
    fail "nginx start-up: $(grep -E '\[(emerg|crit|alert)\]' "$N/error.log" | head -3)"
fi

# fetch WHAT PORT CA EXPECT [CURL ARGS]: curl (no tpmkit) over HTTPS.
fetch() {
    local what=$1 port=$2 ca=$3 expect=$4
    shift 4
    local i
    # The worker may still be starting: retry a refused connection only.
    for i in $(seq 1 50); do
        run env -u OPENSSL_CONF -u LD_PRELOAD timeout -k 5 30 curl -sS --cacert "$ca" \
            --resolve "localhost:$port:127.0.0.1" "$@" "https://localhost:$port/"
        [ "$RC" -eq 7 ] || break
        sleep 0.1
    done
    assert_ok "$what: curl gets an answer"
    assert_eq "$what: the page" "$expect" "$(cat "$T/out")"
}

fetch "RSA key, TLS 1.3" "$rsa_port" "$T/rsa.crt" "rsa key in the TPM" --tlsv1.3
fetch "RSA key, TLS 1.2" "$rsa_port" "$T/rsa.crt" "rsa key in the TPM" --tlsv1.2 --tls-max 1.2
fetch "EC key, TLS 1.3" "$ec_port" "$T/ec.crt" "ec key in the TPM" --tlsv1.3
fetch "EC key, TLS 1.2" "$ec_port" "$T/ec.crt" "ec key in the TPM" --tlsv1.2 --tls-max 1.2
for i in 1 2 3; do
    fetch "EC key, request $i more" "$ec_port" "$T/ec.crt" "ec key in the TPM"
done
# curl really checks the server: another CA is refused.
run env -u OPENSSL_CONF -u LD_PRELOAD timeout -k 5 30 curl -sS --cacert "$T/rsa.crt" \
    --resolve "localhost:$ec_port:127.0.0.1" "https://localhost:$ec_port/"
assert_fails "curl refuses the EC server when trusting only the RSA certificate"

run nginx_cmd -s quit
assert_ok "nginx -s quit"
RC=0
for i in $(seq 1 300); do
    _swtpm_alive "$nginx_pid" || break
    sleep 0.1
done
wait "$nginx_pid" || RC=$?
assert_eq "nginx exits 0" 0 "$RC"
assert_no_grep "no error in the nginx log" '\[(emerg|crit|alert|error)\]' "$N/error.log"
assert_no_tpm_leftovers "nginx"
