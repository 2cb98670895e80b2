# SPDX-License-Identifier: Apache-2.0
# Issue 14: curl (Debian's, linked with OpenSSL) with a client certificate
# whose key is a TPM key file: OPENSSL_CONF loads tpmkit (the sample
# configuration, TPM seeding on) and `--key key.pem` hands the TSS2 PEM
# file to OpenSSL, whose decoders find tpmkit's. The server is a plain
# nginx (software key, no tpmkit) with ssl_verify_client on that answers
# with what it verified. EC and RSA client keys, TLS 1.2 and 1.3, one
# request at a time and 4 curls at once. On the raw swtpm and through
# tpm2-abrmd.
. "$TK_SOURCE_DIR/test/servers/servers_lib.sh"
. "$TK_SOURCE_DIR/test/servers/nginx_lib.sh"
need_progs nginx xargs
# A sanitizer build's tpmkit.so needs the sanitizer runtime preloaded into
# curl. Debian 12's curl then hangs at start-up (in setlocale, with or
# without tpmkit) unless P11_KIT_DEBUG is set: libp11-kit (curl -> librtmp
# -> gnutls -> p11-kit) calls newlocale("POSIX") in its constructor, which
# runs before libasan's; newlocale's malloc starts ASan there, under
# glibc's locale lock, and ASan's start-up dlerror() (no swift_demangle)
# translates its message, taking and releasing that lock itself, so the
# lock is left broken and curl's own setlocale() waits forever.
# ASAN_OPTIONS, LC_ALL/LANG and the order of libasan and libubsan do not
# change that; with P11_KIT_DEBUG=lib p11-kit's debug message allocates
# first, ASan starts outside the lock, and curl runs (p11-kit prints two
# debug lines on stderr). curl's own leaks at exit are not tpmkit's.
curl_env=()
if [ -n "${TK_PRELOAD:-}" ]; then
    curl_env=(LD_PRELOAD="$TK_PRELOAD" ASAN_OPTIONS=detect_leaks=0 P11_KIT_DEBUG=lib)
fi

# tk_curl PORT CERT KEY [CURL ARGS...]: curl with the case's tpmkit
# configuration and trace, to /who on the nginx; body in $T/out.
tk_curl() {
    local port=$1 cert=$2 key=$3
    shift 3
    run env OPENSSL_CONF="$C/openssl.cnf" TPMKIT_DEBUG="2,file:$TRACE" "${curl_env[@]}" \
        timeout -k 5 40 curl -sS -f --max-time 30 --cacert "$C/soft.crt" \
        --resolve "localhost:$port:127.0.0.1" --cert "$cert" --key "$key" "$@" \
        "https://localhost:$port/who"
}

# tpm_signs: how many signatures the TPM made in the trace so far: a
# TPM2_Sign (0x15d), or for RSA-PSS on a key that may decrypt the raw RSA
# operation after tpmkit's own padding (TPM2_RSA_Decrypt, 0x159).
tpm_signs() {
    grep -Ec 'TPM command 0x15[d9]: rc 0x0 ' "$TRACE" || true
}

for c in $SERVER_CASES; do
    use_case "$c"
    # The server's software key and certificate: the default provider alone.
    OPENSSL_CONF=/dev/null run ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
        -nodes -keyout "$C/soft.key" -subj /CN=localhost -addext subjectAltName=DNS:localhost \
        -days 2 -out "$C/soft.crt"
    assert_ok "$c: the server's software key and certificate"
    # Client keys in the TPM, each with its own self-signed certificate.
    for alg in ec rsa; do
        if [ $alg = ec ]; then
            run tk genpkey -algorithm EC -pkeyopt group:P-256 -out "$C/client-$alg.pem"
        else
            run tk genpkey -algorithm RSA -pkeyopt bits:2048 -out "$C/client-$alg.pem"
        fi
        assert_ok "$c: a TPM $alg client key"
        run tk req -new -x509 -key "$C/client-$alg.pem" -subj "/CN=tpmkit client $alg" -days 2 \
            -addext extendedKeyUsage=clientAuth -out "$C/client-$alg.crt"
        assert_ok "$c: the $alg client certificate, signed by its TPM key"
    done
    cat "$C/client-ec.crt" "$C/client-rsa.crt" >"$C/clients.pem"

    N=$C/nginx
    port=$(free_port)
    nginx_start "$N" "$port" 2 "$C/soft.crt" "$C/soft.key" plain "
        ssl_verify_client on;
        ssl_verify_depth 1;
        ssl_client_certificate $C/clients.pem;
        location /who { return 200 \"\$ssl_client_verify \$ssl_client_s_dn \$ssl_protocol\n\"; }"

    for alg in ec rsa; do
        for proto in 1.2 1.3; do
            before=$(tpm_signs)
            tk_curl "$port" "$C/client-$alg.crt" "$C/client-$alg.pem" "--tlsv$proto" --tls-max "$proto"
            assert_ok "$c: curl --key (TPM $alg key), TLS $proto"
            assert_grep "$c: nginx verified the $alg client certificate over TLS $proto" \
                "^SUCCESS CN=tpmkit client $alg TLSv${proto//./\\.}\$" "$T/out"
            assert_eq "$c: curl signed the handshake in the TPM ($alg, TLS $proto)" \
                $((before + 1)) "$(tpm_signs)"
        done
    done

    # The checks can fail: no client certificate, or a key that is not the
    # certificate's.
    tk_curl "$port" "$C/client-ec.crt" "$C/client-rsa.pem"
    assert_fails "$c: curl refuses a TPM key that does not match the certificate"
    run env -u OPENSSL_CONF -u LD_PRELOAD timeout -k 5 40 curl -sS -f --max-time 30 \
        --cacert "$C/soft.crt" --resolve "localhost:$port:127.0.0.1" "https://localhost:$port/who"
    assert_fails "$c: nginx refuses a request without a client certificate"

    # 20 curls, 4 at a time, each its own tpmkit process on the TPM.
    before=$(tpm_signs)
    mkdir -p "$C/par"
    RC=0
    seq 1 20 | env OPENSSL_CONF="$C/openssl.cnf" TPMKIT_DEBUG="2,file:$TRACE" "${curl_env[@]}" \
        xargs -P 4 -I{} timeout -k 5 40 curl -sS -f --max-time 30 --cacert "$C/soft.crt" \
        --resolve "localhost:$port:127.0.0.1" --cert "$C/client-ec.crt" --key "$C/client-ec.pem" \
        -o "$C/par/body.{}" --stderr "$C/par/err.{}" "https://localhost:$port/who" \
        2>"$C/par/stderr" || RC=$?
    ok=$(cat "$C"/par/body.* 2>/dev/null | grep -c '^SUCCESS CN=tpmkit client ec ' || true)
    [ "$ok" -eq 20 ] || fail "$c: $((20 - ok)) of 20 parallel curls failed (xargs: $RC): $(cat "$C"/par/err.* "$C/par/stderr" | head -c 600)"
    assert_eq "$c: 20 parallel curls with the TPM key: xargs saw all succeed" 0 "$RC"
    assert_eq "$c: 20 parallel curls: 20 TPM signatures" $((before + 20)) "$(tpm_signs)"
    assert_clean_trace
    nginx_stop "$N"
    end_case
done
