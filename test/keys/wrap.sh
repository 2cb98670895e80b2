# SPDX-License-Identifier: Apache-2.0
# tpmkit-key wrap: existing software keys (RSA 2048/3072, EC P-256/P-384;
# PKCS#8 PEM and DER, traditional PEM) into the TPM through a duplicate
# built in software and TPM2_Import; the loadable key file signs with
# openssl -provider tpmkit and the software public key verifies. The
# private key never crosses the bus (pcap); passwords; clear errors.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

echo "wrapped message" >"$T/msg"

# tkstatus_pin: tpmkit-status --pin (the tpm-identity of the TPM answering).
tkstatus_pin() {
    timeout -k 5 60 "$TK_STATUS" --pin
}

# soft NAME ALG OPT: a software key NAME.pem and its public half NAME.pub.
soft() {
    sw genpkey -algorithm "$2" -pkeyopt "$3" -out "$T/$1.pem" 2>/dev/null \
        || fail "software key $1"
    sw pkey -in "$T/$1.pem" -pubout -out "$T/$1.pub" || fail "public half of $1"
}

# private_hex NAME: 16 bytes from inside the software key's private part
# (EC: the scalar; RSA: the first prime), as hex.
private_hex() {
    local field=priv
    sw pkey -in "$T/$1.pem" -text -noout >"$T/text.out" || fail "pkey -text $1"
    grep -q '^prime1:' "$T/text.out" && field=prime1
    awk -v f="$field:" '$0 == f {on = 1; next} on && /^ / {printf "%s", $0; next} on {exit}' \
        "$T/text.out" | tr -d ' :' | cut -c9-40
}

# --- every supported key, every input form -------------------------------------
soft ec256 EC ec_paramgen_curve:P-256
soft ec384 EC ec_paramgen_curve:P-384
soft rsa2048 RSA rsa_keygen_bits:2048
soft rsa3072 RSA rsa_keygen_bits:3072
for k in ec256 ec384 rsa2048 rsa3072; do
    run tkkey wrap --in "$T/$k.pem" --out "$T/$k.tpm"
    assert_ok "wrap $k (PKCS#8 PEM)"
    assert_grep "$k: a PEM TSS2 key file" '^-----BEGIN TSS2 PRIVATE KEY-----$' "$T/$k.tpm"
    assert_eq "$k: key file mode 0600" 600 "$(stat -c %a "$T/$k.tpm")"
    sw asn1parse -in "$T/$k.tpm" >"$T/asn1.txt"
    assert_grep "$k: loadable OID" 'OBJECT +:2\.23\.133\.10\.1\.3$' "$T/asn1.txt"
    assert_grep "$k: no password, emptyAuth TRUE" 'BOOLEAN +:255' "$T/asn1.txt"
    sign_verify "wrapped $k" "$T/$k.tpm" "$T/$k.pub"
done
sw pkey -in "$T/ec256.pem" -outform DER -out "$T/ec256.der"
sw ec -in "$T/ec256.pem" -out "$T/ec256.trad" 2>/dev/null
sw rsa -in "$T/rsa2048.pem" -traditional -out "$T/rsa2048.trad" 2>/dev/null
sw pkey -in "$T/rsa2048.pem" -outform DER -out "$T/rsa2048.der"
assert_grep "traditional EC PEM made" '^-----BEGIN EC PRIVATE KEY-----$' "$T/ec256.trad"
assert_grep "traditional RSA PEM made" '^-----BEGIN RSA PRIVATE KEY-----$' "$T/rsa2048.trad"
for f in ec256.der ec256.trad rsa2048.der rsa2048.trad; do
    run tkkey wrap --in "$T/$f" --out "$T/$f.tpm"
    assert_ok "wrap $f"
    sign_verify "wrapped $f" "$T/$f.tpm" "$T/${f%%.*}.pub"
done
pss=(-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest)
run tk dgst -sha256 -sign "$T/rsa2048.tpm" "${pss[@]}" -out "$T/sig" "$T/msg"
assert_ok "wrapped RSA key: PSS signature"
run sw dgst -sha256 -verify "$T/rsa2048.pub" "${pss[@]}" -signature "$T/sig" "$T/msg"
assert_ok "wrapped RSA key: PSS signature verifies"
echo "for the wrapped key" >"$T/plain"
sw pkeyutl -encrypt -pubin -inkey "$T/rsa2048.pub" -pkeyopt rsa_padding_mode:oaep \
    -in "$T/plain" -out "$T/cipher" || fail "software encryption"
run tk pkeyutl -decrypt -inkey "$T/rsa2048.tpm" -pkeyopt rsa_padding_mode:oaep \
    -in "$T/cipher" -out "$T/decrypted"
assert_ok "wrapped RSA key decrypts"
cmp -s "$T/plain" "$T/decrypted" || fail "wrapped RSA key: decrypted text differs"
pass "wrapped RSA key: decrypted text matches"

# --- the bus: the private key only inside the duplicate -----------------------------
PCAP=$T/wrap.pcap
rm -f "$PCAP"
for k in ec256 rsa2048; do
    run pcap tkkey wrap --in "$T/$k.pem" --out "$T/$k.bus.tpm"
    assert_ok "wrap $k under pcap"
done
capture_commands "$PCAP"
assert_command_count "two wraps: two TPM2_Import" Import 2
assert_command_count "no TPM2_LoadExternal" LoadExternal 0
for k in ec256 rsa2048; do
    hex=$(private_hex "$k")
    [ ${#hex} -eq 32 ] || fail "private bytes of $k read from pkey -text"
    file_has_bytes "$PCAP" "$hex" && fail "$k: private key bytes crossed the bus"
    pass "$k: the private key never crosses the bus"
done
sign_verify "key wrapped under pcap" "$T/ec256.bus.tpm" "$T/ec256.pub"
# The check can fail: tpm2_loadexternal sends the same private key in clear.
TCTI_PCAP_FILE=$T/clear.pcap TPM2TOOLS_TCTI="pcap:$TPM2TOOLS_TCTI" \
    env -u OPENSSL_CONF timeout 30 tpm2_loadexternal -C n -G ecc -r "$T/ec256.pem" \
    -c "$T/ext.ctx" >/dev/null 2>&1 || fail "tpm2_loadexternal under pcap"
tools_cleanup
file_has_bytes "$T/clear.pcap" "$(private_hex ec256)" \
    || fail "the bus check sees a private key sent in clear"
pass "the bus check sees a private key sent in clear (tpm2_loadexternal)"

# --- passwords ------------------------------------------------------------------
c0=$(lockout_counter)
run tkkey wrap --in "$T/ec256.pem" --out "$T/pw.tpm" --password wrap-pw
assert_ok "wrap with a password"
sw asn1parse -in "$T/pw.tpm" >"$T/asn1.txt"
assert_grep "password: emptyAuth FALSE" 'BOOLEAN +:0$' "$T/asn1.txt"
sign_verify "wrapped key, right password" "$T/pw.tpm" "$T/ec256.pub" -passin pass:wrap-pw
run tk dgst -sha256 -sign "$T/pw.tpm" -passin pass:wrong -out "$T/sig" "$T/msg"
assert_fails "wrapped key, wrong password"
assert_eq "wrong password: lockout counter +1" $((c0 + 1)) "$(lockout_counter)"
tpm2 dictionarylockout -c >/dev/null || fail "tpm2_dictionarylockout -c"

# --- a persistent RSA parent (seed by OAEP) -----------------------------------------
tools createprimary -C o -G rsa2048 -c "$T/rsa_parent.ctx"
tools evictcontrol -C o -c "$T/rsa_parent.ctx" 0x81000102
run tkkey wrap --in "$T/ec256.pem" --out "$T/under_rsa.tpm" --parent 0x81000102
assert_ok "wrap under a persistent RSA parent"
sw asn1parse -in "$T/under_rsa.tpm" >"$T/asn1.txt"
assert_grep "the file names the persistent parent" 'INTEGER +:81000102' "$T/asn1.txt"
sign_verify "key wrapped under the RSA parent" "$T/under_rsa.tpm" "$T/ec256.pub"
tools evictcontrol -C o -c 0x81000102

# --- the parent is the TPM tpm-identity names -----------------------------------------
# The duplicate is made for the storage primary only once it matched the
# pin: a substituted primary (an interposer) gets nothing it could open.
write_config "$T/tk.cnf"
OPENSSL_CONF=$T/tk.cnf run tkstatus_pin
pin=$(sed -n 's/^tpm-identity = //p' "$T/out")
[[ $pin == name:000b* ]] || fail "tpmkit-status --pin printed no name: $(cat "$T/out")"
TPMKIT_TPM_IDENTITY=$pin run tkkey wrap --in "$T/ec256.pem" --out "$T/pinned.tpm"
assert_ok "wrap with the genuine tpm-identity pin"
sign_verify "key wrapped with the pin" "$T/pinned.tpm" "$T/ec256.pub"
TPMKIT_TPM_IDENTITY="name:000b$(printf '%064d' 0)" run tkkey wrap --in "$T/ec256.pem" \
    --out "$T/unpinned.tpm"
assert_status "wrap with a wrong pin is refused" 1
assert_grep "wrong pin: the TPM's identity could not be verified" \
    "identity could not be verified" "$T/err"
[ ! -e "$T/unpinned.tpm" ] || fail "wrong pin: a key file was written"
pass "wrong pin: no key file"
TPMKIT_TPM_IDENTITY="name:000b$(printf '%064d' 0)" run tkkey seal --in "$T/plain" \
    --out "$T/unpinned.sealed"
assert_status "seal with a wrong pin is refused" 1

# --- a substituted persistent parent --------------------------------------------------
# An interposer puts its own key into the TPM2_ReadPublic answers for a
# persistent parent (what ESYS reads to know the handle). tpmkit reads the
# parent's public area again through its session salted to the pinned TPM
# and refuses to wrap when the two differ: no TPM2_Import is sent, and the
# proxy, which checks every Import's seed against the attacker's key, sees
# none that opens with it.
if /usr/bin/python3 -c 'import cryptography' 2>/dev/null; then
    tools createprimary -C o -G ecc256:aes128cfb -c "$T/ecc_parent.ctx"
    tools evictcontrol -C o -c "$T/ecc_parent.ctx" 0x81000103
    start_proxy swap-parent
    TPMKIT_TCTI="swtpm:host=127.0.0.1,port=$PROXY_PORT" TPMKIT_TPM_IDENTITY=$pin \
        run tkkey wrap --in "$T/ec256.pem" --out "$T/swapped.tpm" --parent 0x81000103
    cp "$T/err" "$T/swapped.err"
    assert_grep "the interposer swapped the parent's ReadPublic" \
        'swap-parent 0x81000103: TPM2_ReadPublic swapped' "$T/proxy.log"
    assert_no_grep "no duplicate opens with the attacker's key" \
        "duplicate opens with the attacker" "$T/proxy.log"
    assert_no_grep "no TPM2_Import was sent for the swapped key" '^cmd 0x156 ' "$T/proxy.log"
    assert_status "a swapped parent public key: wrap refuses" 1
    assert_grep "the error says the parent could not be authenticated" \
        "parent's public key could not be authenticated" "$T/swapped.err"
    [ ! -e "$T/swapped.tpm" ] || fail "swapped parent: a key file was written"
    pass "swapped parent: no key file"
    # The same proxy in front of an honest parent: wrap works through it.
    TPMKIT_TCTI="swtpm:host=127.0.0.1,port=$PROXY_PORT" TPMKIT_TPM_IDENTITY=$pin \
        run tkkey wrap --in "$T/ec256.pem" --out "$T/via_proxy.tpm"
    assert_ok "through the same proxy, wrap under the storage primary"
    assert_grep "the Import's duplicate was checked" \
        "duplicate does not open with the attacker" "$T/proxy.log"
    sign_verify "the key wrapped through the proxy" "$T/via_proxy.tpm" "$T/ec256.pub"
    kill "$PROXY_PID" 2>/dev/null || true
    tools evictcontrol -C o -c 0x81000103
else
    echo "# /usr/bin/python3 without python3-cryptography: no interposer case"
fi

# --- refusals ----------------------------------------------------------------------
run tkkey wrap --in "$T/ec256.pem" --out "$T/x.tpm" --parent 0x81000999
assert_status "no key at the parent handle" 1
assert_grep "missing parent named" '0x81000999' "$T/err"
run tkkey wrap --in "$T/ec256.pub" --out "$T/x.tpm"
assert_status "a public key is refused" 1
assert_grep "public key: the error names the file" 'cannot read a private key from .*ec256\.pub' "$T/err"
run tkkey wrap --in "$T/ec256.tpm" --out "$T/x.tpm"
assert_status "a TPM key file is refused" 1
assert_grep "TPM key file: clear error" 'already a TPM key file' "$T/err"
soft k1 EC ec_paramgen_curve:secp256k1
run tkkey wrap --in "$T/k1.pem" --out "$T/x.tpm"
assert_status "an unsupported curve is refused" 1
assert_grep "unsupported curve named" 'secp256k1.*P-256 or P-384' "$T/err"
sw genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$T/rsa1024.pem" 2>/dev/null
run tkkey wrap --in "$T/rsa1024.pem" --out "$T/x.tpm"
assert_status "RSA 1024 is refused" 1
assert_grep "RSA size named" '1024 bits cannot be wrapped' "$T/err"
sw genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_primes:3 \
    -out "$T/rsa3p.pem" 2>/dev/null
run tkkey wrap --in "$T/rsa3p.pem" --out "$T/x.tpm"
assert_status "a multi-prime RSA key is refused" 1
assert_grep "multi-prime: clear error" 'more than two primes' "$T/err"
sw genpkey -algorithm ED25519 -out "$T/ed.pem"
run tkkey wrap --in "$T/ed.pem" --out "$T/x.tpm"
assert_status "an Ed25519 key is refused" 1
assert_grep "key type named" 'only RSA and EC keys' "$T/err"
sw pkey -in "$T/ec256.pem" -aes128 -passout pass:x -out "$T/enc.pem"
run tkkey wrap --in "$T/enc.pem" --out "$T/x.tpm" </dev/null
assert_status "an encrypted key is refused" 1
assert_grep "encrypted key: says to decrypt it" 'not encrypted' "$T/err"
run tkkey wrap --in "$T/ec256.pem"
assert_status "wrap without --out: usage error" 2
[ ! -e "$T/x.tpm" ] || fail "no output file after a refusal"
pass "no output file after a refusal"

assert_no_tpm_leftovers "wrap"
