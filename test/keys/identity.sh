# SPDX-License-Identifier: Apache-2.0
# tpm-identity: the storage primary is checked before anything is salted to
# it. Pinned by name (tpmkit-status --pin) or by the SRK's public key as
# PEM (what tpm2_readpublic -f pem and systemd write), the genuine TPM
# works; any other value fails every TPM use with an error saying the
# TPM's identity could not be verified; an unusable value fails closed;
# unpinned, the status says plainly that nothing is verified.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

echo "message" >"$T/msg"
genkey "$T/pw.pem" EC group:P-256 user-auth:pin-pw
run tk pkey -in "$T/pw.pem" -passin pass:pin-pw -pubout -out "$T/pw.pub"
assert_ok "password key: -pubout"
write_config "$T/openssl.cnf"
export OPENSSL_CONF=$T/openssl.cnf

# --- unpinned: works, and says it is not verified --------------------------
run tkstatus
assert_ok "tpmkit-status without tpm-identity"
assert_grep "unpinned: the status says the identity is not verified" \
    "^TPM identity: +none: the TPM's identity is NOT verified" "$T/out"

# --- pin by name -------------------------------------------------------------
run timeout -k 5 60 "$TK_STATUS" --pin
assert_ok "tpmkit-status --pin"
pin=$(sed -n 's/^tpm-identity = //p' "$T/out")
[[ $pin == name:000b* ]] || fail "tpmkit-status --pin printed no SHA-256 name: $(cat "$T/out")"
pass "tpmkit-status --pin prints the storage key's name ($pin)"
wrong="name:000b$(printf '%064d' 0)"

# Every kind of TPM use, with the genuine pin and a wrong one.
uses() {
    run ossl rand -hex 16
    assert_ok "$1: openssl rand (TPM-seeded DRBG)"
    run tkprog tk_rand seed-hex 48
    assert_ok "$1: raw TPM2-SEED draw"
    run tk dgst -sha256 -sign "$T/pw.pem" -passin pass:pin-pw -out "$T/sig" "$T/msg"
    assert_ok "$1: signing with a password key"
    run sw dgst -sha256 -verify "$T/pw.pub" -signature "$T/sig" "$T/msg"
    assert_ok "$1: the signature verifies"
}
refused() {
    local what=$1
    shift
    run "$@"
    assert_fails "$what"
    assert_grep "$what: says the TPM's identity could not be verified" \
        "identity could not be verified" "$T/err"
}

TPMKIT_TPM_IDENTITY=$pin uses "pinned by name (environment)"
write_config "$T/pinned.cnf" "tpm-identity=$pin"
OPENSSL_CONF=$T/pinned.cnf uses "pinned by name (openssl.cnf)"
OPENSSL_CONF=$T/pinned.cnf run tkstatus
assert_ok "tpmkit-status with the pin"
assert_grep "pinned: the status says verified" "^TPM identity: +$pin \(verified" "$T/out"

export TPMKIT_TPM_IDENTITY=$wrong
refused "wrong name: openssl rand" ossl rand -hex 16
[ ! -s "$T/out" ] || fail "wrong name: openssl rand printed output"
refused "wrong name: raw TPM2-SEED draw" tkprog tk_rand seed-hex 48
refused "wrong name: signing with a password key" \
    tk dgst -sha256 -sign "$T/pw.pem" -passin pass:pin-pw -out "$T/sig" "$T/msg"
run tkstatus
assert_fails "tpmkit-status with a wrong pin"
unset TPMKIT_TPM_IDENTITY
# The environment wins over openssl.cnf.
TPMKIT_TPM_IDENTITY=$wrong OPENSSL_CONF=$T/pinned.cnf \
    refused "the environment's wrong pin wins over openssl.cnf's right one" ossl rand -hex 16

# --- pin by the SRK's public key (PEM) ----------------------------------------
make_srk
tools readpublic -c "$T/srk.ctx" -f pem -o "$T/srk.pem"
tpm2 flushcontext -t >/dev/null 2>&1 || true
TPMKIT_TPM_IDENTITY=srk-pem:$T/srk.pem uses "pinned by SRK PEM (tpm2_readpublic -f pem)"
sw genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/other.key"
sw pkey -in "$T/other.key" -pubout -out "$T/other.pem"
TPMKIT_TPM_IDENTITY=srk-pem:$T/other.pem \
    refused "another key's PEM: openssl rand" ossl rand -hex 16

# --- kernel: the null key the kernel names ------------------------------------
# A sysfs tree of our own (TPMKIT_SYSFS) holding what Linux >= 6.10 writes
# to /sys/class/tpm/tpm0/null_name: the name of the null hierarchy's
# primary with the standard storage template (hex).
tools createprimary -C n -G ecc256:null:aes128cfb -a "$SRK_ATTRS" -c "$T/null.ctx"
tools readpublic -c "$T/null.ctx" -n "$T/null.name"
tpm2 flushcontext -t >/dev/null 2>&1 || true
mkdir -p "$T/sys/class/tpm/tpm0"
od -An -v -tx1 "$T/null.name" | tr -d ' \n' >"$T/sys/class/tpm/tpm0/null_name"
echo >>"$T/sys/class/tpm/tpm0/null_name"
export TPMKIT_SYSFS=$T/sys
TPMKIT_TPM_IDENTITY=kernel uses "kernel: the null key matches null_name"
TPMKIT_TPM_IDENTITY=kernel run tkstatus
assert_grep "kernel: the status says verified" "^TPM identity: +kernel \(verified: sessions are salted to the null key" "$T/out"
printf '000b%064d\n' 0 >"$T/sys/class/tpm/tpm0/null_name"
TPMKIT_TPM_IDENTITY=kernel refused "kernel: another null_name" ossl rand -hex 16
assert_grep "kernel: another key answered" "another key answered" "$T/err"
rm "$T/sys/class/tpm/tpm0/null_name"
TPMKIT_TPM_IDENTITY=kernel refused "kernel: no null_name (older kernel)" ossl rand -hex 16
assert_grep "kernel: says what it needs" "Linux 6.10 or later" "$T/err"
unset TPMKIT_SYSFS

# --- unusable values fail closed, naming the problem ----------------------------
sw genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/rsa.key"
sw pkey -in "$T/rsa.key" -pubout -out "$T/rsa.pem"
for bad in "name:xyz" "name:000b12" "srk-pem:$T/missing.pem" "srk-pem:$T/msg" \
           "srk-pem:$T/rsa.pem" "fingerprint:abc"; do
    TPMKIT_TPM_IDENTITY=$bad refused "unusable tpm-identity \"$bad\": openssl rand" \
        ossl rand -hex 16
done
TPMKIT_TPM_IDENTITY="srk-pem:$T/missing.pem" run ossl rand -hex 16
assert_grep "a missing PEM file is named" "cannot open $T/missing.pem" "$T/err"
TPMKIT_TPM_IDENTITY="fingerprint:abc" run tkstatus
assert_grep "an unknown kind: the status says unusable" "^TPM identity: +UNUSABLE: " "$T/out"
assert_no_tpm_leftovers
