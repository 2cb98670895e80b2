# SPDX-License-Identifier: Apache-2.0
# Issue 3, point 8: interop with the real tools. Key files from tpm2-tools
# (tpm2_create + tpm2_encodeobject, whose 5.4 version writes emptyAuth
# inverted) and from tpm2-openssl load and sign in tpmkit; tpmkit's key
# files load and sign in tpm2-openssl; a parent handle encoded as a negative
# INTEGER (older tools) loads. Every signature verifies in the default
# provider alone.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

T2O_MODULES=/usr/lib/x86_64-linux-gnu/ossl-modules
[ -e "$T2O_MODULES/tpm2.so" ] || { echo "# SKIP: tpm2-openssl is not installed"; exit 77; }

# t2o SUBCMD ARGS...: openssl with tpm2-openssl (provider tpm2) first.
t2o() {
    ASAN_OPTIONS=detect_leaks=0 OPENSSL_MODULES=$T2O_MODULES TPM2OPENSSL_TCTI=$TPMKIT_TCTI \
        ossl "$1" -provider tpm2 -provider default "${@:2}"
}
echo "interop message" >"$T/msg"

# --- tpm2-tools key files ------------------------------------------------
make_srk
tools create -C "$T/srk.ctx" -G ecc256 -u "$T/ec.tpub" -r "$T/ec.tpriv"
tools create -C "$T/srk.ctx" -G rsa2048 -p tools-pw -u "$T/rsa.tpub" -r "$T/rsa.tpriv"
# 5.4 writes emptyAuth FALSE without -p, TRUE with it: so the no-password
# key comes out both ways, and the password key (no -p) as FALSE.
tools encodeobject -C "$T/srk.ctx" -u "$T/ec.tpub" -r "$T/ec.tpriv" -o "$T/tools_ec.pem"
tools encodeobject -C "$T/srk.ctx" -u "$T/ec.tpub" -r "$T/ec.tpriv" -p -o "$T/tools_ec_p.pem"
tools encodeobject -C "$T/srk.ctx" -u "$T/rsa.tpub" -r "$T/rsa.tpriv" -o "$T/tools_rsa.pem"
for f in tools_ec tools_ec_p tools_rsa; do
    assert_grep "$f: a TSS2 key file" '^-----BEGIN TSS2 PRIVATE KEY-----$' "$T/$f.pem"
done
tpm2 print -t TPM2B_PUBLIC "$T/ec.tpub" >/dev/null 2>&1 || true

# tpm2_encodeobject's no-password key with emptyAuth FALSE: tpmkit asks; an
# empty answer (-passin pass:, or a closed stdin) is the empty password.
run tk pkey -in "$T/tools_ec.pem" -passin pass: -pubout -out "$T/tools_ec.pub"
assert_ok "tpm2-tools EC key (emptyAuth FALSE): pkey -pubout"
sign_verify "tpm2-tools EC key (emptyAuth FALSE), -passin pass:" "$T/tools_ec.pem" \
    "$T/tools_ec.pub" -passin pass:
run tk dgst -sha256 -sign "$T/tools_ec.pem" -out "$T/sig" "$T/msg" </dev/null
assert_ok "tpm2-tools EC key (emptyAuth FALSE), no -passin, stdin closed: signs"
sign_verify "tpm2-tools EC key (emptyAuth TRUE, -p)" "$T/tools_ec_p.pem" "$T/tools_ec.pub"
run tk pkey -in "$T/tools_rsa.pem" -passin pass:tools-pw -pubout -out "$T/tools_rsa.pub"
assert_ok "tpm2-tools RSA password key: pkey -pubout"
sign_verify "tpm2-tools RSA password key, -passin" "$T/tools_rsa.pem" "$T/tools_rsa.pub" \
    -passin pass:tools-pw
# The public key tpmkit reads is the one tpm2-tools created.
tpm2 print -t TPM2B_PUBLIC -f pem "$T/ec.tpub" >"$T/ec.tools.pub" 2>/dev/null \
    && { cmp -s "$T/ec.tools.pub" "$T/tools_ec.pub" || fail "tpmkit's public key is tpm2_print's"; \
         pass "tpmkit's public key is tpm2_print's"; }
assert_eq "no lockout counter step from the tpm2-tools keys" 0 "$(lockout_counter)"
assert_no_tpm_leftovers "tpm2-tools key files"

# A key under a persistent parent whose handle an older tool wrote as a
# negative INTEGER (0x81000001 read as a signed 32-bit number).
tools evictcontrol -C o -c "$T/srk.ctx" 0x81000001
tools create -C 0x81000001 -G ecc256 -u "$T/neg.tpub" -r "$T/neg.tpriv"
tools encodeobject -C 0x81000001 -u "$T/neg.tpub" -r "$T/neg.tpriv" -p -o "$T/neg_src.pem"
sw asn1parse -in "$T/neg_src.pem" >"$T/asn1.txt"
mapfile -t hex < <(sed -n 's/^ *[0-9]*:d=1 .*prim: OCTET STRING *\[HEX DUMP\]://p' "$T/asn1.txt")
printf '%s\n' "asn1=SEQUENCE:key" "[key]" "type=OID:2.23.133.10.1.3" \
    "emptyAuth=EXPLICIT:0,BOOLEAN:TRUE" "parent=INTEGER:-2130706431" \
    "pub=FORMAT:HEX,OCTETSTRING:${hex[0]}" "priv=FORMAT:HEX,OCTETSTRING:${hex[1]}" >"$T/neg.cnf"
sw asn1parse -genconf "$T/neg.cnf" -out "$T/neg.der" -noout || fail "asn1parse -genconf"
sw asn1parse -inform DER -in "$T/neg.der" >"$T/asn1.txt"
assert_grep "the parent is a negative INTEGER" 'INTEGER +:-7EFFFFFF$' "$T/asn1.txt"
run tk pkey -inform DER -in "$T/neg.der" -pubout -out "$T/neg.pub"
assert_ok "key with a negative parent INTEGER: pkey -pubout"
sign_verify "key with a negative parent INTEGER (0x81000001)" "$T/neg.der" "$T/neg.pub" -keyform DER
assert_no_tpm_leftovers "negative parent"

# --- tpm2-openssl key files in tpmkit --------------------------------------
for a in "EC group:P-256" "EC group:P-384" "RSA bits:2048"; do
    set -- $a
    f=t2o_${1}_${2#*:}
    run t2o genpkey -algorithm "$1" -pkeyopt "$2" -out "$T/$f.pem"
    assert_ok "tpm2-openssl genpkey $a"
    assert_grep "$f: a TSS2 key file" '^-----BEGIN TSS2 PRIVATE KEY-----$' "$T/$f.pem"
    tools_cleanup
    run t2o pkey -in "$T/$f.pem" -pubout -out "$T/$f.t2o.pub"
    assert_ok "$f: tpm2-openssl -pubout"
    tools_cleanup
    run tk pkey -in "$T/$f.pem" -pubout -out "$T/$f.pub"
    assert_ok "$f: tpmkit reads the tpm2-openssl key file"
    cmp -s "$T/$f.pub" "$T/$f.t2o.pub" || fail "$f: tpmkit and tpm2-openssl see the same public key"
    pass "$f: tpmkit and tpm2-openssl see the same public key"
    sign_verify "$f: tpmkit signs with the tpm2-openssl key" "$T/$f.pem" "$T/$f.pub"
    run tk pkey -in "$T/$f.pem" -text -noout
    assert_ok "$f: pkey -text"
done
assert_no_tpm_leftovers "tpm2-openssl key files in tpmkit"

# --- tpmkit key files in tpm2-openssl --------------------------------------
genkey "$T/tk_ec.pem" EC group:P-256
genkey "$T/tk_rsa.pem" RSA bits:2048
for k in tk_ec tk_rsa; do
    pubout "$T/$k.pem" "$T/$k.pub"
    run t2o pkey -in "$T/$k.pem" -pubout -out "$T/$k.t2o.pub"
    assert_ok "$k: tpm2-openssl reads tpmkit's key file"
    cmp -s "$T/$k.pub" "$T/$k.t2o.pub" || fail "$k: tpm2-openssl sees the same public key"
    pass "$k: tpm2-openssl sees the same public key"
    rm -f "$T/sig"
    run t2o dgst -propquery '?provider=tpm2' -sha256 -sign "$T/$k.pem" -out "$T/sig" "$T/msg"
    assert_ok "$k: tpm2-openssl signs with tpmkit's key"
    tools_cleanup
    run sw dgst -sha256 -verify "$T/$k.pub" -signature "$T/sig" "$T/msg"
    assert_ok "$k: the default provider verifies tpm2-openssl's signature"
done
tools_cleanup
assert_no_tpm_leftovers
