# SPDX-License-Identifier: Apache-2.0
# Key files under the RSA-2048 storage primary (rsaParent TRUE, for TPMs
# without ECC): a tpm2-tools key made under that primary signs in tpmkit;
# the same blobs without rsaParent fail saying why; `genpkey -pkeyopt
# parent-rsa:1` writes rsaParent TRUE, signs, and re-encodes unchanged; a
# key under the ECC primary never makes the RSA primary (pcap capture).
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

echo "rsa parent message" >"$T/msg"
# The marshalled TPMT_PUBLIC templates of the two storage primaries, as
# TPM2_CreatePrimary carries them (type, SHA-256, attributes 0x00030472,
# no policy, AES-128-CFB, no scheme, then RSA 2048 / exponent 0 / empty
# unique, or ECC P-256 / no KDF).
RSA_TEMPLATE=0001000b000304720000000600800043001008000000000000000000
ECC_TEMPLATE=0023000b0003047200000006008000430010000300100000

# rsa_parent_field FILE: the BOOLEAN inside [5] of key file FILE (PEM or
# DER), "absent" if there is none.
rsa_parent_field() {
    local form=PEM
    [[ $1 == *.der ]] && form=DER
    sw asn1parse -inform "$form" -in "$1" >"$T/asn1.txt" || fail "asn1parse $(basename "$1")"
    awk '/cont \[ 5 \]/ { getline; sub(/.*BOOLEAN *:/, ""); print; found=1 }
         END { if (!found) print "absent" }' "$T/asn1.txt"
}

# --- a tpm2-tools key under the RSA primary --------------------------------
tools createprimary -C o -G rsa2048:aes128cfb -g sha256 -a "$SRK_ATTRS" -c "$T/rsrk.ctx"
tools create -C "$T/rsrk.ctx" -G ecc256 -u "$T/ec.tpub" -r "$T/ec.tpriv"
tools create -C "$T/rsrk.ctx" -G rsa2048 -u "$T/rsa.tpub" -r "$T/rsa.tpriv"
for k in ec rsa; do
    make_keyfile "$T/tools_$k.der" 2.23.133.10.1.3 TRUE "$T/$k.tpub" "$T/$k.tpriv" rsaparent=TRUE
    assert_eq "tools_$k.der says rsaParent TRUE" 255 "$(rsa_parent_field "$T/tools_$k.der")"
    run tk pkey -inform DER -in "$T/tools_$k.der" -pubout -out "$T/tools_$k.pub"
    assert_ok "tpm2-tools $k key under the RSA primary: pkey -pubout"
    sign_verify "tpm2-tools $k key under the RSA primary" "$T/tools_$k.der" \
        "$T/tools_$k.pub" -keyform DER
done
run tk pkey -inform DER -in "$T/tools_ec.der" -text -noout
assert_ok "pkey -text of an rsaParent key"
assert_contains "pkey -text names the RSA storage primary" \
    'parent: 0x40000001 (RSA-2048 storage primary key' "$T/out"
assert_no_tpm_leftovers "rsaParent keys from tpm2-tools"

# The same blobs without rsaParent (or with it FALSE) are a key for the
# ECC primary: TPM2_Load fails its integrity check, and the error says
# what to look at.
make_keyfile "$T/no_flag.der" 2.23.133.10.1.3 TRUE "$T/ec.tpub" "$T/ec.tpriv"
make_keyfile "$T/false_flag.der" 2.23.133.10.1.3 TRUE "$T/ec.tpub" "$T/ec.tpriv" rsaparent=FALSE
assert_eq "no_flag.der has no rsaParent" absent "$(rsa_parent_field "$T/no_flag.der")"
for f in no_flag false_flag; do
    run tk dgst -sha256 -sign "$T/$f.der" -keyform DER -out "$T/sig" "$T/msg"
    assert_fails "$f: the RSA primary's key does not load under the ECC primary"
    assert_contains "$f: the error names the integrity failure" "TPM2_Load (the key file belongs to another TPM" "$T/err"
    assert_contains "$f: the error points at rsaParent" "lacks rsaParent TRUE" "$T/err"
done
# And the other way round: an ECC-primary key claiming rsaParent.
make_srk
tools create -C "$T/srk.ctx" -G ecc256 -u "$T/ecc_child.tpub" -r "$T/ecc_child.tpriv"
make_keyfile "$T/wrong_flag.der" 2.23.133.10.1.3 TRUE "$T/ecc_child.tpub" "$T/ecc_child.tpriv" \
    rsaparent=TRUE
run tk dgst -sha256 -sign "$T/wrong_flag.der" -keyform DER -out "$T/sig" "$T/msg"
assert_fails "an ECC-primary key with rsaParent TRUE does not load"
assert_contains "the error says rsaParent is wrong" "its rsaParent TRUE is wrong" "$T/err"
assert_no_tpm_leftovers "refused keys"

# --- tpmkit makes keys under the RSA primary -------------------------------
genkey "$T/tk_ec.pem" EC group:P-256 parent-rsa:1
genkey "$T/tk_rsa.pem" RSA bits:2048 parent-rsa:yes
for k in tk_ec tk_rsa; do
    assert_eq "$k: rsaParent TRUE in the file" 255 "$(rsa_parent_field "$T/$k.pem")"
    assert_grep "$k: parent 0x40000001" 'INTEGER *:40000001$' "$T/asn1.txt"
    pubout "$T/$k.pem" "$T/$k.pub"
    sign_verify "$k (parent-rsa)" "$T/$k.pem" "$T/$k.pub"
done
# Its blobs load under tpm2-tools' RSA primary: it is the same key.
sw asn1parse -in "$T/tk_ec.pem" >"$T/asn1.txt"
mapfile -t hex < <(sed -n 's/^ *[0-9]*:d=1 .*prim: OCTET STRING *\[HEX DUMP\]://p' "$T/asn1.txt")
xxd -r -p <<<"${hex[0]}" >"$T/tk_ec.tpub"
xxd -r -p <<<"${hex[1]}" >"$T/tk_ec.tpriv"
tools load -C "$T/rsrk.ctx" -u "$T/tk_ec.tpub" -r "$T/tk_ec.tpriv" -c "$T/tk_ec.ctx"
pass "tpm2_load loads tpmkit's parent-rsa key under tpm2-tools' RSA primary"
# Written back by tpmkit (pkey), the file keeps rsaParent and still signs.
run tk pkey -in "$T/tk_ec.pem" -out "$T/tk_ec_again.pem"
assert_ok "pkey re-encodes the parent-rsa key"
assert_eq "the re-encoded file keeps rsaParent TRUE" 255 "$(rsa_parent_field "$T/tk_ec_again.pem")"
cmp -s "$T/tk_ec.pem" "$T/tk_ec_again.pem" || fail "the re-encoded file is byte for byte the original"
pass "the re-encoded file is byte for byte the original"
sign_verify "re-encoded parent-rsa key" "$T/tk_ec_again.pem" "$T/tk_ec.pub"
# With a PCR policy too: the policy and rsaParent both go in the file.
genkey "$T/tk_pcr.pem" EC parent-rsa:1 pcr-policy:sha256:0,7 "description:pcr key"
assert_eq "tk_pcr: rsaParent TRUE" 255 "$(rsa_parent_field "$T/tk_pcr.pem")"
assert_grep "tk_pcr: the policy field is there" 'cont \[ 1 \]' "$T/asn1.txt"
pubout "$T/tk_pcr.pem" "$T/tk_pcr.pub"
sign_verify "parent-rsa key bound to PCRs" "$T/tk_pcr.pem" "$T/tk_pcr.pub"
# Without the option: no rsaParent.
genkey "$T/plain.pem" EC group:P-256 parent-rsa:0
assert_eq "parent-rsa:0 writes no rsaParent" absent "$(rsa_parent_field "$T/plain.pem")"
pubout "$T/plain.pem" "$T/plain.pub"
# Refused combinations say why.
run tk genpkey -algorithm EC -pkeyopt parent-rsa:1 -pkeyopt parent:0x81000001 -out "$T/x.pem"
assert_fails "parent-rsa with a persistent parent"
assert_contains "the error says which to leave out" "parent-rsa names the RSA storage primary" "$T/err"
run tk genpkey -algorithm EC -pkeyopt parent-rsa:maybe -out "$T/x.pem"
assert_fails "parent-rsa:maybe"
assert_contains "the error says what parent-rsa takes" 'parent-rsa must be 1 or 0' "$T/err"
assert_no_tpm_leftovers "parent-rsa keys"

# --- tpmkit-key wrap and seal under the RSA primary ----------------------------
sw genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/soft.pem" 2>/dev/null \
    || fail "software key"
sw pkey -in "$T/soft.pem" -pubout -out "$T/soft.pub" || fail "software public key"
run tkkey wrap --parent-rsa --in "$T/soft.pem" --out "$T/wrapped.pem"
assert_ok "wrap --parent-rsa (online: TPM2_Import under the RSA primary)"
assert_eq "the wrapped key file says rsaParent TRUE" 255 "$(rsa_parent_field "$T/wrapped.pem")"
sign_verify "wrapped under the RSA primary" "$T/wrapped.pem" "$T/soft.pub"
# Offline, for the RSA primary's public key as tpm2_readpublic writes it:
# the seed is RSA-OAEP encrypted to it; the TPM imports it on first use.
tools readpublic -c "$T/rsrk.ctx" -f pem -o "$T/rsrk.pem"
tools readpublic -c "$T/rsrk.ctx" -o "$T/rsrk.tpub"
for f in rsrk.pem rsrk.tpub; do
    TPMKIT_TCTI="swtpm:host=127.0.0.1,port=1" run tkkey wrap --for "$T/$f" --parent-rsa \
        --in "$T/soft.pem" --out "$T/imp_$f.pem"
    assert_ok "wrap --for $f --parent-rsa, no TPM reachable"
    assert_eq "importable file for $f says rsaParent TRUE" 255 "$(rsa_parent_field "$T/imp_$f.pem")"
    assert_grep "importable OID for $f" 'OBJECT +:2\.23\.133\.10\.1\.4$' "$T/asn1.txt"
    sign_verify "importable key for the RSA primary ($f)" "$T/imp_$f.pem" "$T/soft.pub"
done
# Without --parent-rsa the RSA key is refused as no standard primary.
run tkkey wrap --for "$T/rsrk.pem" --in "$T/soft.pem" --out "$T/x.pem"
assert_fails "wrap --for an RSA primary without --parent-rsa"
assert_contains "the error suggests --parent-rsa" "--parent-rsa" "$T/err"
# The ECC primary's public key is no RSA primary.
tools readpublic -c "$T/srk.ctx" -f pem -o "$T/srk.pem"
run tkkey wrap --for "$T/srk.pem" --parent-rsa --in "$T/soft.pem" --out "$T/x.pem"
assert_fails "wrap --for the ECC primary with --parent-rsa"
assert_contains "the error says it is no RSA storage key" "is not an RSA 2048 storage key" "$T/err"
run tkkey wrap --parent-rsa --parent 0x81000001 --in "$T/soft.pem" --out "$T/x.pem"
assert_status "wrap --parent-rsa with --parent is a usage error" 2
# Sealed data under the RSA primary.
head -c 32 /dev/urandom >"$T/secret"
run tkkey seal --parent-rsa --in "$T/secret" --out "$T/sealed.pem"
assert_ok "seal --parent-rsa"
assert_eq "the sealed file says rsaParent TRUE" 255 "$(rsa_parent_field "$T/sealed.pem")"
run tkkey unseal --in "$T/sealed.pem" --out "$T/secret.out"
assert_ok "unseal the RSA-primary sealed file"
cmp -s "$T/secret" "$T/secret.out" || fail "unsealed secret is the sealed one"
pass "unsealed secret is the sealed one"
assert_no_tpm_leftovers "tpmkit-key under the RSA primary"

# --- only keys that name it make the RSA primary ---------------------------
PCAP=$T/ecc.pcap
rm -f "$PCAP"
pcap tk dgst -sha256 -sign "$T/plain.pem" -out "$T/sig" "$T/msg" >/dev/null 2>&1 \
    || fail "ECC-parent key signs with the capture on"
pcap tk genpkey -algorithm EC -out "$T/plain2.pem" >/dev/null 2>&1 \
    || fail "ECC-parent genpkey with the capture on"
capture_commands "$PCAP"
assert_command_count "ECC-parent sign + genpkey: one CreatePrimary each" CreatePrimary 2
file_has_bytes "$PCAP" "$ECC_TEMPLATE" || fail "the capture holds the ECC primary's template"
pass "the capture holds the ECC primary's template"
if file_has_bytes "$PCAP" "$RSA_TEMPLATE"; then
    fail "an ECC-parent key operation created the RSA primary"
fi
pass "ECC-parent key operations never create the RSA primary"
PCAP=$T/rsa.pcap
rm -f "$PCAP"
pcap tk dgst -sha256 -sign "$T/tk_ec.pem" -out "$T/sig" "$T/msg" >/dev/null 2>&1 \
    || fail "RSA-parent key signs with the capture on"
capture_commands "$PCAP"
assert_command_count "RSA-parent sign: one CreatePrimary" CreatePrimary 1
file_has_bytes "$PCAP" "$RSA_TEMPLATE" || fail "the RSA-parent key made the RSA primary"
pass "the RSA-parent key made the RSA primary"
if file_has_bytes "$PCAP" "$ECC_TEMPLATE"; then
    fail "signing with an RSA-parent key (no password) created the ECC primary"
fi
pass "signing with an RSA-parent key (no password) leaves the ECC primary alone"
run sw dgst -sha256 -verify "$T/tk_ec.pub" -signature "$T/sig" "$T/msg"
assert_ok "the captured RSA-parent signature verifies"

# Making a key under it takes the salted session: salted to the ECC
# primary, as every session is.
PCAP=$T/gen.pcap
rm -f "$PCAP"
pcap tk genpkey -algorithm EC -pkeyopt parent-rsa:1 -out "$T/gen.pem" >/dev/null 2>&1 \
    || fail "genpkey parent-rsa with the capture on"
capture_commands "$PCAP"
assert_command_count "genpkey parent-rsa: one salted session" StartAuthSession 1
file_has_bytes "$PCAP" "$RSA_TEMPLATE" || fail "genpkey parent-rsa made the RSA primary"
pass "genpkey parent-rsa made the RSA primary"
file_has_bytes "$PCAP" "$ECC_TEMPLATE" || fail "the session is salted to the ECC primary"
pass "the session is salted to the ECC primary"

# --- a pinned tpm-identity holds for RSA-parent keys too -------------------------
OPENSSL_MODULES=$TK_MODULE_DIR run timeout -k 5 60 "$TK_STATUS" --pin
assert_ok "tpmkit-status --pin"
pin=$(sed -n 's/^tpm-identity = //p' "$T/out")
[[ $pin == name:000b* ]] || fail "tpmkit-status --pin printed no name: $(cat "$T/out")"
wrong="name:000b$(printf '%064d' 0)"
for enc in yes no; do
    TPMKIT_SESSION_ENCRYPTION=$enc TPMKIT_TPM_IDENTITY=$pin \
        run tk dgst -sha256 -sign "$T/tk_ec.pem" -out "$T/sig" "$T/msg"
    assert_ok "session-encryption $enc, right pin: the RSA-parent key signs"
    run sw dgst -sha256 -verify "$T/tk_ec.pub" -signature "$T/sig" "$T/msg"
    assert_ok "session-encryption $enc, right pin: the signature verifies"
    TPMKIT_SESSION_ENCRYPTION=$enc TPMKIT_TPM_IDENTITY=$wrong \
        run tk dgst -sha256 -sign "$T/tk_ec.pem" -out "$T/sig" "$T/msg"
    assert_fails "session-encryption $enc, wrong pin: the RSA-parent key does not sign"
    assert_contains "session-encryption $enc, wrong pin: says why" \
        "identity could not be verified" "$T/err"
done

# --- the RSA primary persisted at 0x81000001 (systemd's SRK without ECC) ----------
tools evictcontrol -C o -c "$T/rsrk.ctx" 0x81000001
# captured_sign WHAT KEY PUB [ENV...]: sign KEY in a process of its own with
# its TPM traffic in $T/cap.pcap (and $T/commands); the signature verifies.
captured_sign() {
    local what=$1 key=$2 pub=$3 form=PEM
    shift 3
    [[ $key == *.der ]] && form=DER
    PCAP=$T/cap.pcap
    rm -f "$PCAP"
    (
        for kv in "$@"; do export "${kv?}"; done
        pcap tk dgst -sha256 -sign "$key" -keyform "$form" -out "$T/sig" "$T/msg"
    ) >"$T/out" 2>"$T/err" || { cat "$T/err"; fail "$what: signs"; }
    run sw dgst -sha256 -verify "$pub" -signature "$T/sig" "$T/msg"
    assert_ok "$what: signs, the signature verifies"
    capture_commands "$PCAP"
}
captured_sign "first process with the persisted RSA primary" "$T/tk_ec.pem" "$T/tk_ec.pub"
assert_command_count "first process: one CreatePrimary, to check the persisted key" \
    CreatePrimary 1
file_has_bytes "$PCAP" "$RSA_TEMPLATE" || fail "the check creates the RSA primary"
pass "the check creates the RSA primary"
captured_sign "next process" "$T/tk_ec.pem" "$T/tk_ec.pub"
assert_command_count "next process: no CreatePrimary (the note and the name suffice)" \
    CreatePrimary 0
assert_command_count "next process: one Load, no ContextSave" ContextSave 0
captured_sign "tpm2-tools key under the persisted RSA primary" "$T/tools_ec.der" \
    "$T/tools_ec.pub"
assert_command_count "tpm2-tools key: no CreatePrimary" CreatePrimary 0
captured_sign "storage-primary none" "$T/tk_ec.pem" "$T/tk_ec.pub" TPMKIT_STORAGE_PRIMARY=none
assert_command_count "storage-primary none: the RSA primary is created" CreatePrimary 1
# ECC-parent keys neither use nor check the persisted RSA key.
captured_sign "ECC-parent key beside a persisted RSA primary" "$T/plain.pem" "$T/plain.pub"
assert_command_count "ECC-parent key: one CreatePrimary (the ECC primary)" CreatePrimary 1
if file_has_bytes "$PCAP" "$RSA_TEMPLATE"; then
    fail "the ECC-parent key made the RSA primary"
fi
pass "the ECC-parent key leaves the RSA primary alone"
tools_cleanup
assert_no_tpm_leftovers
