# SPDX-License-Identifier: Apache-2.0
# Issue 3, point 2: openssl pkey -pubout and -text with TPM key files (both
# provider orders): the public key is the key's, the default provider reads
# it, -text describes the TPM key and never shows private parts; pkey can
# re-encode the key file (PEM <-> DER) and the copy still signs.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

genkey "$T/rsa.pem" RSA bits:2048
genkey "$T/ec.pem" EC group:P-384

# block FILE START END: the lines after START up to (not including) END.
block() {
    sed -n "/$2/,/$3/p" "$1" | sed '1d;$d' | tr -d ' \n'
}

for order in tk tk_rev; do
    for k in rsa ec; do
        run $order pkey -in "$T/$k.pem" -pubout -out "$T/$k.$order.pub"
        assert_ok "$k $order: pkey -pubout"
        assert_grep "$k $order: a PUBLIC KEY PEM" '^-----BEGIN PUBLIC KEY-----$' "$T/$k.$order.pub"
        run $order pkey -in "$T/$k.pem" -pubout -outform DER -out "$T/$k.$order.der"
        assert_ok "$k $order: pkey -pubout -outform DER"
        run sw pkey -pubin -inform DER -in "$T/$k.$order.der" -out "$T/$k.$order.der.pem"
        assert_ok "$k $order: the default provider reads the DER public key"
        cmp -s "$T/$k.$order.der.pem" "$T/$k.$order.pub" \
            || fail "$k $order: DER and PEM public keys are the same key"
        pass "$k $order: DER and PEM public keys are the same key"
        run $order pkey -in "$T/$k.pem" -text -noout
        assert_ok "$k $order: pkey -text -noout"
        cp "$T/out" "$T/$k.$order.text"
        assert_grep "$k $order: -text says it is a TPM key" 'TPM' "$T/$k.$order.text"
        assert_grep "$k $order: -text names the parent" 'parent: 0x40000001' "$T/$k.$order.text"
        assert_no_grep "$k $order: -text shows no private parts" \
            '[Pp]rivate[- ]?[Ee]xponent|^priv:|prime1|coefficient' "$T/$k.$order.text"
        run sw pkey -pubin -in "$T/$k.$order.pub" -text -noout
        assert_ok "$k $order: default provider -text of the public key"
        cp "$T/out" "$T/$k.$order.pubtext"
    done
    cmp -s "$T/rsa.$order.pub" "$T/rsa.tk.pub" || fail "rsa: same public key in both orders"
    cmp -s "$T/ec.$order.pub" "$T/ec.tk.pub" || fail "ec: same public key in both orders"
done
pass "both provider orders give the same public keys"

# -text shows the key's public key: the same modulus / point as -pubout.
a=$(block "$T/rsa.tk.text" '^Modulus:' '^Exponent')
b=$(block "$T/rsa.tk.pubtext" '^Modulus:' '^Exponent')
[ -n "$a" ] || fail "RSA -text shows a modulus"
assert_eq "RSA -text modulus is the -pubout modulus" "$b" "$a"
assert_grep "RSA -text shows the exponent" '^Exponent: 65537 \(0x10001\)$' "$T/rsa.tk.text"
a=$(block "$T/ec.tk.text" '^pub:' '^ASN1 OID')
b=$(block "$T/ec.tk.pubtext" '^pub:' '^ASN1 OID')
[ -n "$a" ] || fail "EC -text shows the public point"
assert_eq "EC -text point is the -pubout point" "$b" "$a"
assert_grep "EC -text shows the curve" 'P-384|secp384r1' "$T/ec.tk.text"

# The public key really belongs to the TPM key.
echo "message" >"$T/msg"
sign_verify "ec key vs its -pubout" "$T/ec.pem" "$T/ec.tk.pub"
sign_verify "rsa key vs its -pubout" "$T/rsa.pem" "$T/rsa.tk.pub"
run sw dgst -sha256 -verify "$T/rsa.tk.pub" -signature "$T/sig" <(echo "other message")
assert_fails "the verification can fail (other message)"

# Re-encoding the key file: still a TSS2 key file, PEM and DER.
for k in rsa ec; do
    run tk pkey -in "$T/$k.pem" -out "$T/$k.copy.pem"
    assert_ok "$k: pkey -in key.pem -out copy.pem"
    assert_grep "$k: the copy is a TSS2 key file" '^-----BEGIN TSS2 PRIVATE KEY-----$' "$T/$k.copy.pem"
    assert_no_grep "$k: no software private key in the copy" 'BEGIN (RSA |EC )?PRIVATE KEY' "$T/$k.copy.pem"
    run tk pkey -in "$T/$k.pem" -outform DER -out "$T/$k.der"
    assert_ok "$k: pkey -outform DER"
    run sw asn1parse -inform DER -in "$T/$k.der"
    assert_grep "$k: the DER copy is a TSS2 key" 'OBJECT +:2\.23\.133\.10\.1\.3$' "$T/out"
    run tk pkey -inform DER -in "$T/$k.der" -pubout -out "$T/$k.der.pub"
    assert_ok "$k: pkey -inform DER reads the DER key file"
    cmp -s "$T/$k.der.pub" "$T/$k.tk.pub" || fail "$k: the DER key file is the same key"
    pass "$k: the DER key file is the same key"
    sign_verify "$k: PEM copy" "$T/$k.copy.pem" "$T/$k.tk.pub"
    sign_verify "$k: DER copy" "$T/$k.der" "$T/$k.tk.pub" -keyform DER
done

# Private parts never leave: no traditional/PKCS#8 software key export.
run tk pkey -in "$T/ec.pem" -traditional -out "$T/trad.pem"
if [ "$RC" -eq 0 ]; then
    assert_no_grep "-traditional writes no software private key" 'BEGIN (RSA |EC )?PRIVATE KEY' "$T/trad.pem"
else
    pass "-traditional refuses (exit $RC)"
fi
assert_no_tpm_leftovers
