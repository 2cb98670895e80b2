#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tpmkit demo: installs what is missing, builds, and shows OpenSSL using the
# TPM. Uses the TPM named by TPMKIT_TCTI, else /dev/tpmrm0, else a
# throwaway swtpm that is removed afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

scripts/deps.sh demo
scripts/build.sh build

work=$(mktemp -d)
source test/lib/swtpm.sh
cleanup() { swtpm_stop; rm -rf "$work"; }
trap cleanup EXIT

if [ -z "${TPMKIT_TCTI:-}" ]; then
    if [ -c /dev/tpmrm0 ] && [ -r /dev/tpmrm0 ] && [ -w /dev/tpmrm0 ]; then
        export TPMKIT_TCTI=device:/dev/tpmrm0
    else
        swtpm_start "$work/tpm"
        echo "No TPM here: started a throwaway swtpm ($TPMKIT_TCTI)."
    fi
fi
export TPM2TOOLS_TCTI=${TPM2TOOLS_TCTI:-$TPMKIT_TCTI}

step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "$2"; }

sed "s|@TPMKIT_MODULE@|$top/build/tpmkit.so|" openssl.cnf.sample >"$work/openssl.cnf"

step "tpmkit loads into the stock openssl command" \
     "openssl list -providers -verbose -provider-path build -provider tpmkit"
openssl list -providers -verbose -provider-path build -provider tpmkit

step "with openssl.cnf.sample, OpenSSL's DRBG is seeded by the TPM" \
     "OPENSSL_CONF=openssl.cnf build/examples/tpmkit-status"
OPENSSL_CONF="$work/openssl.cnf" build/examples/tpmkit-status

step "plain openssl commands now draw their seed from the TPM" \
     "OPENSSL_CONF=openssl.cnf openssl rand -hex 32"
OPENSSL_CONF="$work/openssl.cnf" openssl rand -hex 32

TK="-provider-path build -provider tpmkit -provider default"
step "a key that lives in the TPM: create it, sign with it, verify anywhere" \
     "openssl genpkey $TK -algorithm EC -pkeyopt group:P-256 -out key.pem; openssl dgst $TK -sha256 -sign key.pem ..."
openssl genpkey $TK -algorithm EC -pkeyopt group:P-256 -out "$work/key.pem"
head -1 "$work/key.pem"
openssl pkey $TK -in "$work/key.pem" -pubout -out "$work/pub.pem"
echo "hello from the TPM" >"$work/msg.txt"
openssl dgst $TK -sha256 -sign "$work/key.pem" -out "$work/msg.sig" "$work/msg.txt"
openssl dgst -sha256 -verify "$work/pub.pem" -signature "$work/msg.sig" "$work/msg.txt"

step "an HMAC secret in the TPM: the same MAC as OpenSSL's HMAC, without the secret" \
     "openssl genpkey $TK -algorithm TPM2-HMAC -pkeyopt digest:SHA256 -pkeyopt hexkey:\$K -out h.pem; openssl mac $TK -macopt key-uri:h.pem ... TPM2-HMAC"
K=$(openssl rand -hex 32)
openssl genpkey $TK -algorithm TPM2-HMAC -pkeyopt digest:SHA256 -pkeyopt "hexkey:$K" \
    -out "$work/h.pem"
printf 'TPM2-HMAC: '
openssl mac $TK -macopt "key-uri:$work/h.pem" -macopt digest:SHA256 -in "$work/msg.txt" TPM2-HMAC
printf 'HMAC:      '
openssl mac -macopt "hexkey:$K" -macopt digest:SHA256 -in "$work/msg.txt" HMAC

if [[ $TPMKIT_TCTI == swtpm:* ]]; then
    step "what crossed the TPM interface for that command (pcap TCTI)" \
         "TPMKIT_TCTI=pcap:$TPMKIT_TCTI openssl rand -hex 32; tshark -r rand.pcap"
    TCTI_PCAP_FILE="$work/rand.pcap" TPMKIT_TCTI="pcap:$TPMKIT_TCTI" \
        OPENSSL_CONF="$work/openssl.cnf" openssl rand -hex 32 >/dev/null
    tshark -r "$work/rand.pcap" 2>/dev/null | grep -o 'Command TPM2_CC_[A-Za-z]*' | sort | uniq -c
    echo "(one TPM2_GetRandom per seeding, inside a salted, AES-encrypted session;"
    echo " the primary key and the session are flushed when the program exits)"

    step "nothing is left behind in the TPM" \
         "tpm2_getcap handles-transient; tpm2_getcap handles-loaded-session; tpm2_getcap handles-saved-session"
    left="$(tpm2_getcap handles-transient)$(tpm2_getcap handles-loaded-session)$(tpm2_getcap handles-saved-session)"
    echo "${left:-(no transient objects, no loaded or saved sessions)}"
fi
