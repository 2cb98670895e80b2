#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Checks an installed tpmkit package (run where the .deb is installed, e.g.
# in CI's throwaway chroots): OpenSSL finds the module by itself, the shipped
# /usr/share/doc/tpmkit/openssl.cnf seeds `openssl rand` from a TPM (a
# swtpm started here), the installed tpmkit-relay opens a relayed TCTI,
# and the man pages are in place. Exits 1 at the first failed check.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
conf=/usr/share/doc/tpmkit/openssl.cnf

unset OPENSSL_CONF OPENSSL_MODULES TPMKIT_TCTI TPMKIT_RELAY TPMKIT_DEBUG \
      TPMKIT_SESSION_ENCRYPTION TPMKIT_TPM_IDENTITY TCTI_PCAP_FILE TSS2_LOG
work=$(mktemp -d "${TMPDIR:-/tmp}/tpmkit-installed.XXXXXX")
export TPMKIT_RUNDIR=$work/run
# shellcheck source=test/lib/swtpm.sh
. "$src/test/lib/swtpm.sh"
trap 'swtpm_stop; rm -rf "$work"' EXIT

ok() { echo "ok - $*"; }
fail() {
    echo "FAIL - $*"
    for f in "$work/out" "$work/err"; do
        [ -s "$f" ] && sed 's/^/#   /' "$f"
    done
    exit 1
}
# check WHAT CMD...: CMD succeeds (bounded in time), output in $work/out, err.
check() {
    local what=$1
    shift
    timeout -k 5 60 "$@" >"$work/out" 2>"$work/err" || fail "$what (exit status $?)"
    ok "$what"
}

dpkg-query -W -f='${Version}\n' tpmkit >"$work/out" 2>"$work/err" \
    || fail "the tpmkit package is not installed"
ok "tpmkit $(cat "$work/out") is installed"
modulesdir=$(openssl version -m | sed -n 's/^MODULESDIR: "\(.*\)"$/\1/p')
[ -f "$modulesdir/tpmkit.so" ] || fail "no tpmkit.so in OpenSSL's modules directory $modulesdir"
ok "tpmkit.so is in $modulesdir"
for p in tpmkit-key tpmkit-status tpmkit-psk-server tpmkit-psk-client tpmkit-aws-sigv4; do
    [ -x "/usr/bin/$p" ] || fail "/usr/bin/$p is missing"
    for m in /usr/share/man/man1/"$p".1*; do [ -f "$m" ] || fail "no man page for $p"; done
done
[ -x /usr/libexec/tpmkit/tpmkit-relay ] || fail "/usr/libexec/tpmkit/tpmkit-relay is missing"
for m in /usr/share/man/man7/tpmkit.7*; do [ -f "$m" ] || fail "no tpmkit(7)"; done
ok "programs, relay and man pages are in place"

check "openssl list -providers -provider tpmkit (no -provider-path)" \
    openssl list -providers -provider tpmkit
grep -q 'status: active' "$work/out" || fail "tpmkit is not active"
ok "tpmkit is active"

grep -qxF "module = $modulesdir/tpmkit.so" "$conf" \
    || fail "$conf does not name the installed module ($modulesdir/tpmkit.so)"
ok "$conf names the installed module"

swtpm_start "$work/tpm"
export OPENSSL_CONF=$conf
check "OPENSSL_CONF=$conf openssl rand -hex 16 with a swtpm" openssl rand -hex 16
grep -qE '^[0-9a-f]{32}$' "$work/out" || fail "openssl rand printed no random bytes"
check "tpmkit-status" tpmkit-status
grep -qx "verdict: *OpenSSL's DRBG is seeded by the TPM" "$work/out" \
    || fail "tpmkit-status does not say OpenSSL is seeded by the TPM"
ok "tpmkit-status: OpenSSL's DRBG is seeded by the TPM"
# The seed really is the TPM's: without a TPM the same command fails.
if TPMKIT_TCTI=swtpm:host=127.0.0.1,port=1 timeout -k 5 60 openssl rand -hex 16 \
        >"$work/out" 2>"$work/err"; then
    fail "openssl rand succeeded with no TPM: OpenSSL is not seeded by tpmkit"
fi
grep -q 'TPM unreachable' "$work/err" || fail "no 'TPM unreachable' error without a TPM"
ok "with no TPM, openssl rand fails (no silent fallback to the OS)"

# A TCTI that is not a plain socket goes through the installed relay.
TPMKIT_TCTI="cmd:python3 $src/test/lib/tcp_stdio.py 127.0.0.1 $SWTPM_PORT" \
    check "openssl rand through /usr/libexec/tpmkit/tpmkit-relay (cmd TCTI)" \
    openssl rand -hex 16
# A TPM key with the shipped configuration (which loads the default
# provider first: the property query picks tpmkit's key generation).
check "a TPM key: openssl genpkey -propquery provider=tpmkit" \
    openssl genpkey -propquery provider=tpmkit -algorithm EC -pkeyopt group:P-256 \
    -out "$work/key.pem"
grep -q 'BEGIN TSS2 PRIVATE KEY' "$work/key.pem" || fail "genpkey wrote no TSS2 key"
echo "message" >"$work/msg"
check "signing with the TPM key" \
    openssl dgst -sha256 -sign "$work/key.pem" -out "$work/sig" "$work/msg"
check "its public key" openssl pkey -in "$work/key.pem" -pubout -out "$work/pub.pem"
env -u OPENSSL_CONF openssl dgst -sha256 -verify "$work/pub.pem" -signature "$work/sig" \
    "$work/msg" >"$work/out" 2>"$work/err" || fail "the signature does not verify in software"
ok "the signature verifies without tpmkit"

# tpmkit-key takes the TPM from the same openssl.cnf.
printf 'installed secret' >"$work/secret"
check "tpmkit-key seal" tpmkit-key seal --in "$work/secret" --out "$work/sealed.pem"
check "tpmkit-key unseal" tpmkit-key unseal --in "$work/sealed.pem" --out "$work/unsealed"
cmp -s "$work/secret" "$work/unsealed" || fail "tpmkit-key unseal gave another secret"
ok "tpmkit-key unseals what it sealed"
env -u OPENSSL_CONF openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$work/soft.pem" 2>"$work/err" || fail "a software key"
env -u OPENSSL_CONF openssl pkey -in "$work/soft.pem" -pubout -out "$work/soft.pub" \
    2>"$work/err" || fail "its public key"
check "tpmkit-key wrap" tpmkit-key wrap --in "$work/soft.pem" --out "$work/wrapped.pem"
check "signing with the wrapped key" \
    openssl dgst -sha256 -sign "$work/wrapped.pem" -out "$work/sig" "$work/msg"
env -u OPENSSL_CONF openssl dgst -sha256 -verify "$work/soft.pub" -signature "$work/sig" \
    "$work/msg" >"$work/out" 2>"$work/err" || fail "the wrapped key's signature does not verify"
ok "the wrapped key signs for the software key's public key"
echo "installed tpmkit works"
