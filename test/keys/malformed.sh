# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2154 # k_pub, k_priv, o_priv: set by keys_lib.sh's key reader
# Issue 3, robustness: malformed key files (truncated, garbage, wrong OID,
# trailing bytes, swapped fields, bad parent, oversized or inconsistent
# blobs, a public part from another key, a policy tpmkit cannot replay), in
# PEM and DER, each give a clean error from tpmkit about the key file:
# non-zero exit, no crash, no hang, never a silently wrong key; when the
# file is recognisably a TSS2 key file, tpmkit's own reason reaches stderr. Well-formed variants of the format (emptyAuth
# absent, description present) load.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"
TK_TIMEOUT=30

genkey "$T/ec.pem" EC group:P-256
genkey "$T/other.pem" EC group:P-256
pubout "$T/ec.pem" "$T/ec.pub"
run tk pkey -in "$T/ec.pem" -outform DER -out "$T/ec.der"
assert_ok "the key file in DER"
echo "message" >"$T/msg"

# Blobs of the real key files, as hex.
blobs() {   # blobs KEY PREFIX: sets PREFIX_pub and PREFIX_priv
    sw asn1parse -in "$1" >"$T/asn1.txt" || fail "asn1parse $(basename "$1")"
    local -a hex
    mapfile -t hex < <(sed -n 's/^ *[0-9]*:d=1 .*prim: OCTET STRING *\[HEX DUMP\]://p' "$T/asn1.txt")
    [ "${#hex[@]}" -eq 2 ] || fail "two OCTET STRINGs in $(basename "$1")"
    printf -v "${2}_pub" %s "${hex[0]}"
    printf -v "${2}_priv" %s "${hex[1]}"
}
blobs "$T/ec.pem" k
blobs "$T/other.pem" o

# mkkey NAME LINE...: a DER key file built by asn1parse -genconf from
# section lines (in order), also written as NAME.pem (PEM armor).
mkkey() {
    local name=$1 line
    shift
    { echo "asn1=SEQUENCE:key"; echo "[key]"; for line in "$@"; do echo "$line"; done; } \
        >"$T/$name.cnf"
    sw asn1parse -genconf "$T/$name.cnf" -out "$T/$name.der" -noout \
        || fail "asn1parse -genconf $name"
    pem_wrap "$T/$name.der" "$T/$name.pem"
}
pem_wrap() {
    { echo "-----BEGIN TSS2 PRIVATE KEY-----"; base64 -w 64 "$1"
      echo "-----END TSS2 PRIVATE KEY-----"; } >"$2"
}

OID=type=OID:2.23.133.10.1.3
EMPTY=emptyAuth=EXPLICIT:0,BOOLEAN:TRUE
PARENT=parent=INTEGER:0x40000001
PUB=pub=FORMAT:HEX,OCTETSTRING:$k_pub
PRIV=priv=FORMAT:HEX,OCTETSTRING:$k_priv

# The builder itself makes a key that works (so failures below are the
# files' faults, not the builder's).
mkkey rebuilt "$OID" "$EMPTY" "$PARENT" "$PUB" "$PRIV"
cmp -s "$T/rebuilt.der" "$T/ec.der" || fail "the rebuilt key file is byte-identical to the real one"
pass "the rebuilt key file is byte-identical to the real one"

# --- well-formed variants load and sign ---------------------------------------
mkkey noempty "$OID" "$PARENT" "$PUB" "$PRIV"
mkkey described "$OID" "$EMPTY" "desc=EXPLICIT:4,UTF8:my test key" "$PARENT" "$PUB" "$PRIV"
for f in noempty described; do
    for form in der pem; do
        run tk pkey -inform "${form^^}" -in "$T/$f.$form" -pubout -out "$T/$f.pub"
        assert_ok "$f ($form) loads"
        cmp -s "$T/$f.pub" "$T/ec.pub" || fail "$f ($form) is the same key"
        sign_verify "$f ($form)" "$T/$f.$form" "$T/ec.pub" -keyform "${form^^}"
    done
done
assert_no_tpm_leftovers "well-formed variants"

# --- malformed files -----------------------------------------------------------
bad=()
head -c 100 "$T/ec.der" >"$T/trunc.der"; bad+=(trunc)
head -c 1 "$T/ec.der" >"$T/trunc1.der"; bad+=(trunc1)
: >"$T/empty.der"; bad+=(empty)
head -c 300 /dev/urandom >"$T/garbage.der"; bad+=(garbage)
{ cat "$T/ec.der"; printf 'trailing junk\0\0'; } >"$T/trailing.der"; bad+=(trailing)
cp "$T/ec.der" "$T/flipped.der"
printf '\x31' | dd of="$T/flipped.der" bs=1 seek=1 conv=notrunc status=none; bad+=(flipped)
mkkey wrongoid type=OID:2.23.133.10.1.9 "$EMPTY" "$PARENT" "$PUB" "$PRIV"; bad+=(wrongoid)
mkkey rsaoid type=OID:1.2.840.113549.1.1.1 "$EMPTY" "$PARENT" "$PUB" "$PRIV"; bad+=(rsaoid)
mkkey swapped "$OID" "$EMPTY" "$PARENT" "pub=FORMAT:HEX,OCTETSTRING:$k_priv" \
    "priv=FORMAT:HEX,OCTETSTRING:$k_pub"; bad+=(swapped)
mkkey order "$OID" "$EMPTY" "$PUB" "$PARENT" "$PRIV"; bad+=(order)
mkkey noparent "$OID" "$EMPTY" "$PUB" "$PRIV"; bad+=(noparent)
mkkey nopriv "$OID" "$EMPTY" "$PARENT" "$PUB"; bad+=(nopriv)
mkkey badparent "$OID" "$EMPTY" parent=INTEGER:0x12345678 "$PUB" "$PRIV"; tpm_bad=(badparent)
mkkey noparentobj "$OID" "$EMPTY" parent=INTEGER:0x81000077 "$PUB" "$PRIV"; tpm_bad+=(noparentobj)
mkkey hugeparent "$OID" "$EMPTY" parent=INTEGER:0x1234567890abcdef01 "$PUB" "$PRIV"; bad+=(hugeparent)
mkkey emptyint "$OID" emptyAuth=EXPLICIT:0,INTEGER:1 "$PARENT" "$PUB" "$PRIV"; bad+=(emptyint)
mkkey mixed "$OID" "$EMPTY" "$PARENT" "$PUB" "priv=FORMAT:HEX,OCTETSTRING:$o_priv"; tpm_bad+=(mixed)
big=$(head -c 6000 /dev/zero | od -An -v -tx1 | tr -d ' \n')
mkkey hugepub "$OID" "$EMPTY" "$PARENT" "pub=FORMAT:HEX,OCTETSTRING:$k_pub$big" "$PRIV"; bad+=(hugepub)
mkkey hugepriv "$OID" "$EMPTY" "$PARENT" "$PUB" "priv=FORMAT:HEX,OCTETSTRING:$k_priv$big"; bad+=(hugepriv)
# The TPM2B size inside the public blob says 0xffff.
mkkey badsize "$OID" "$EMPTY" "$PARENT" "pub=FORMAT:HEX,OCTETSTRING:ffff${k_pub:4}" "$PRIV"; bad+=(badsize)
mkkey shortpub "$OID" "$EMPTY" "$PARENT" "pub=FORMAT:HEX,OCTETSTRING:${k_pub:0:40}" "$PRIV"; bad+=(shortpub)
mkkey emptypub "$OID" "$EMPTY" "$PARENT" "pub=OCTETSTRING:" "$PRIV"; bad+=(emptypub)
# Well-formed files tpmkit cannot use: a public blob whose TPM2B size is
# right but whose content stops early, a parent tpmkit does not load under,
# an importable key for such a parent, a policy command tpmkit cannot replay
# (PolicyDuplicationSelect), a PolicySecret step that is not in the key-file
# draft's form (handle hint, TPM2B_NAME, TPM2B policyRef).
inner=${k_pub:4:${#k_pub}-24}
printf -v size %04x $(( ${#inner} / 2 ))
mkkey truncblob "$OID" "$EMPTY" "$PARENT" "pub=FORMAT:HEX,OCTETSTRING:$size$inner" "$PRIV"; bad+=(truncblob)
mkkey nullparent "$OID" "$EMPTY" parent=INTEGER:0x40000007 "$PUB" "$PRIV"; bad+=(nullparent)
mkkey importnull type=OID:2.23.133.10.1.4 "$EMPTY" "secret=EXPLICIT:2,OCTETSTRING:seed" \
    parent=INTEGER:0x40000007 "$PUB" "$PRIV"; bad+=(importnull)
mkkey badpolicy "$OID" "$EMPTY" "policy=EXPLICIT:1,SEQUENCE:policy" "$PARENT" "$PUB" "$PRIV" \
    "[policy]" "step=SEQUENCE:step" "[step]" "code=EXPLICIT:0,INTEGER:0x188" \
    "params=EXPLICIT:1,OCTETSTRING:00"; bad+=(badpolicy)
mkkey badsecret "$OID" "$EMPTY" "policy=EXPLICIT:1,SEQUENCE:policy" "$PARENT" "$PUB" "$PRIV" \
    "[policy]" "step=SEQUENCE:step" "[step]" "code=EXPLICIT:0,INTEGER:0x151" \
    "params=EXPLICIT:1,FORMAT:HEX,OCTETSTRING:0000000000044000000100"; bad+=(badsecret)

# PEM versions of the byte-level cases, plus PEM-only faults.
for f in trunc trunc1 garbage trailing flipped; do pem_wrap "$T/$f.der" "$T/$f.pem"; done
: >"$T/empty.pem"
head -n 3 "$T/ec.pem" >"$T/pemtrunc.pem"; pem_only=(pemtrunc)
sed '2s/^..../!!!!/' "$T/ec.pem" >"$T/pembase64.pem"; pem_only+=(pembase64)
{ echo "-----BEGIN TSS2 PRIVATE KEY-----"; head -c 200 /dev/urandom | base64 -w 64
  echo "-----END TSS2 PRIVATE KEY-----"; } >"$T/pemgarbage.pem"; pem_only+=(pemgarbage)
{ cat "$T/ec.pem"; echo "trailing text after the key"; head -c 64 /dev/urandom; } \
    >"$T/pemtail.pem"

# expect_clean_failure WHAT: the last run failed by itself, without a crash,
# and tpmkit or OpenSSL said why.
expect_clean_failure() {
    if [ "$RC" -eq 0 ]; then
        echo "FAIL - $1: expected an error, got exit status 0 (a silently wrong key?)"
        _tk_show_output
        exit 1
    fi
    [ "$RC" -lt 124 ] || { _tk_show_output; fail "$1: crash or hang (exit status $RC)"; }
    assert_no_grep "$1: no sanitizer report" 'AddressSanitizer|runtime error:|LeakSanitizer' "$T/err"
    assert_grep "$1: the error is about the key file" \
        '(tpmkit|TSS2|TPM key|key file|malformed|parent|[Cc]ould not (read|find|load))' "$T/err"
    pass "$1: clean failure (exit status $RC)"
}

for f in "${bad[@]}"; do
    run tk pkey -inform DER -in "$T/$f.der" -pubout -out "$T/x.pub"
    expect_clean_failure "$f (DER): pkey -pubout"
    run tk dgst -sha256 -keyform DER -sign "$T/$f.der" -out "$T/sig" "$T/msg"
    expect_clean_failure "$f (DER): dgst -sign"
    [ -e "$T/$f.pem" ] || continue
    run tk pkey -in "$T/$f.pem" -pubout -out "$T/x.pub"
    expect_clean_failure "$f (PEM): pkey -pubout"
    run tk dgst -sha256 -sign "$T/$f.pem" -out "$T/sig" "$T/msg"
    expect_clean_failure "$f (PEM): dgst -sign"
done
# Files whose fault only the TPM can see (the parent, the private blob):
# reading the public key may work, using the key must fail cleanly.
for f in "${tpm_bad[@]}"; do
    for form in DER PEM; do
        run tk dgst -sha256 -keyform $form -sign "$T/$f.${form,,}" -out "$T/sig" "$T/msg"
        expect_clean_failure "$f ($form): dgst -sign"
    done
done
assert_no_tpm_leftovers "keys the TPM refuses"
for f in "${pem_only[@]}"; do
    run tk pkey -in "$T/$f.pem" -pubout -out "$T/x.pub"
    expect_clean_failure "$f: pkey -pubout"
done

# Each says why in tpmkit's words, without TPMKIT_DEBUG: OpenSSL's file
# store drops the errors of the decoders it runs on the DER it found, so
# tpmkit must say it before (PEM or DER alike), not merely "unsupported".
reasons=(
    "trunc|truncated \\(100 of [0-9]+ bytes\\)"
    "trailing|trailing bytes after the key"
    "badparent|parent 0x12345678 is neither a hierarchy nor a persistent handle"
    "nullparent|unsupported parent handle 0x40000007"
    "importnull|importable key for parent 0x40000007"
    "badpolicy|policy uses TPM command 0x188, which tpmkit cannot replay"
    "badsecret|PolicySecret step is malformed: cannot parse it"
    "hugepub|pubkey of [0-9]+ bytes \\(1 to 4096 allowed\\)"
    "hugepriv|privkey of [0-9]+ bytes \\(1 to 4096 allowed\\)"
    "truncblob|malformed TPM public key blob"
    "swapped|pubkey is not a TPM2B_PUBLIC"
    "pemtrunc|PEM armor is broken"
    "pembase64|PEM armor is broken"
    "pemgarbage|the PEM body is not a TPM 2.0 loadable or importable key"
)
for entry in "${reasons[@]}"; do
    f=${entry%%|*}
    for form in PEM DER; do
        [ -e "$T/$f.${form,,}" ] || continue
        run tk pkey -inform $form -in "$T/$f.${form,,}" -pubout -out "$T/x.pub"
        assert_fails "$f ($form): pkey fails"
        assert_grep "$f ($form): tpmkit says why" ":tpmkit:.*${entry#*|}" "$T/err"
    done
done

# Text after the PEM END line is ignored by PEM readers (as OpenSSL does for
# its own keys), but never a different key.
run tk pkey -in "$T/pemtail.pem" -pubout -out "$T/x.pub"
if [ "$RC" -eq 0 ]; then
    cmp -s "$T/x.pub" "$T/ec.pub" || fail "PEM with text after END: the same key"
    pass "PEM with text after END: the same key"
else
    expect_clean_failure "PEM with text after END"
fi
assert_no_tpm_leftovers
