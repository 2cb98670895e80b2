#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# make-keys.sh DIR: the keys and certificates tpmkit-bench uses, in DIR.
# The TPM is the one in TPMKIT_TCTI; tpmkit.so must be in OPENSSL_MODULES.
#   ec.pem, rsa.pem   TPM keys (TSS2 PRIVATE KEY files) made by tpmkit
#   ec.crt, rsa.crt   self-signed certificates for them (TLS)
#   rsa.pub.pem       the RSA public key (to make ciphertexts)
#   hmac.pem          a TPM2-HMAC key, when this tpmkit has TPM2-HMAC
#   sw-*.pem, sw-*.crt  software keys and certificates (the TLS upper bound)
# Prints "hmac: yes" or "hmac: no (reason)" last. TK_BENCH_PRELOAD, if set,
# is preloaded into openssl (a sanitizer runtime for an instrumented tpmkit).
set -euo pipefail
dir=$1
TK=(-provider tpmkit -provider default)
openssl() {
    if [ -n "${TK_BENCH_PRELOAD:-}" ]; then
        LD_PRELOAD=$TK_BENCH_PRELOAD command openssl "$@"
    else
        command openssl "$@"
    fi
}
cd "$dir"
openssl genpkey "${TK[@]}" -algorithm EC -pkeyopt group:P-256 -out ec.pem
openssl genpkey "${TK[@]}" -algorithm RSA -pkeyopt bits:2048 -out rsa.pem
openssl pkey "${TK[@]}" -in rsa.pem -pubout -out rsa.pub.pem
for k in ec rsa; do
    openssl req "${TK[@]}" -new -x509 -key $k.pem -subj "/CN=tpmkit-bench $k" \
        -days 2 -out $k.crt
done
openssl genpkey -algorithm EC -pkeyopt group:P-256 -out sw-ec.pem 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt bits:2048 -out sw-rsa.pem 2>/dev/null
for k in sw-ec sw-rsa; do
    openssl req -new -x509 -key $k.pem -subj "/CN=tpmkit-bench $k" -days 2 -out $k.crt
done
if openssl genpkey "${TK[@]}" -algorithm TPM2-HMAC -pkeyopt digest:SHA256 \
        -out hmac.pem 2>hmac.err; then
    echo "hmac: yes"
else
    rm -f hmac.pem
    echo "hmac: no ($(head -n 1 hmac.err))"
fi
rm -f hmac.err
