# SPDX-License-Identifier: Apache-2.0
# tpmkit-key wrap --for PARENT.pub: fleet provisioning without touching a
# TPM. An importable key file (2.23.133.10.1.4) made offline from TPM A's
# storage-primary public key (tpm2_readpublic -f pem or -o) works on A,
# imports with tpm2-tools too, and fails with a clear error on TPM B.
# With --pcr-policy and --pcr-values (A's PCR 16, read there with
# tpm2_pcrread -o) the key works on A only while PCR 16 holds that value.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

echo "provisioned message" >"$T/msg"
make_srk
tools readpublic -c "$T/srk.ctx" -f pem -o "$T/srk.pem"
tools readpublic -c "$T/srk.ctx" -o "$T/srk.tpub"
sw genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/ec.pem" 2>/dev/null
sw pkey -in "$T/ec.pem" -pubout -out "$T/ec.pub"
sw genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/rsa.pem" 2>/dev/null
sw pkey -in "$T/rsa.pem" -pubout -out "$T/rsa.pub"

# --- offline: no TPM contact ------------------------------------------------------
run with_pcap "$T/offline.pcap" tkkey wrap --for "$T/srk.pem" --in "$T/ec.pem" \
    --out "$T/ec.imp"
assert_ok "wrap --for the SRK's PEM public key"
[ ! -s "$T/offline.pcap" ] || fail "wrap --for talked to the TPM"
pass "wrap --for sends nothing to the TPM"
TPMKIT_TCTI="swtpm:host=127.0.0.1,port=1" run tkkey wrap --for "$T/srk.tpub" \
    --in "$T/rsa.pem" --out "$T/rsa.imp" --password fleet-pw
assert_ok "wrap --for a TPM2B_PUBLIC, with no TPM reachable"
sw asn1parse -in "$T/ec.imp" >"$T/asn1.txt"
assert_grep "importable OID" 'OBJECT +:2\.23\.133\.10\.1\.4$' "$T/asn1.txt"
assert_grep "the encrypted seed is in secret [2]" 'cont \[ 2 \]' "$T/asn1.txt"
assert_grep "parent is the storage primary" 'INTEGER +:40000001' "$T/asn1.txt"
assert_grep "no password: emptyAuth TRUE" 'BOOLEAN +:255' "$T/asn1.txt"
sw asn1parse -in "$T/rsa.imp" >"$T/asn1.txt"
assert_grep "password: emptyAuth FALSE" 'BOOLEAN +:0$' "$T/asn1.txt"

# --- on TPM A ----------------------------------------------------------------------
PCAP=$T/use.pcap
rm -f "$PCAP"
run pcap tk dgst -sha256 -sign "$T/ec.imp" -out "$T/sig" "$T/msg"
assert_ok "TPM A: the offline EC key signs"
run sw dgst -sha256 -verify "$T/ec.pub" -signature "$T/sig" "$T/msg"
assert_ok "TPM A: the signature verifies with the software public key"
capture_commands "$PCAP"
assert_command_count "TPM A: imported on use" Import 1
sign_verify "TPM A: offline RSA key with its password" "$T/rsa.imp" "$T/rsa.pub" \
    -passin pass:fleet-pw
run tk pkey -in "$T/ec.imp" -out "$T/ec.loadable"
assert_ok "TPM A: tpmkit writes the imported key as a loadable file"
sign_verify "TPM A: the loadable copy" "$T/ec.loadable" "$T/ec.pub"

# tpm2-tools import the same file (its blobs: public, duplicate, seed).
sw asn1parse -in "$T/ec.imp" >"$T/asn1.txt"
sed -n 's/^ *[0-9]*:d=1 .*prim: OCTET STRING *\[HEX DUMP\]://p' "$T/asn1.txt" >"$T/blobs.hex"
sed -n 1p "$T/blobs.hex" | xxd -r -p >"$T/imp.pub"
sed -n 2p "$T/blobs.hex" | xxd -r -p >"$T/imp.dup"
sed -n 's/^ *[0-9]*:d=2 .*prim: OCTET STRING *\[HEX DUMP\]://p' "$T/asn1.txt" \
    | head -n 1 | xxd -r -p >"$T/imp.seed"
tools import -C "$T/srk.ctx" -u "$T/imp.pub" -i "$T/imp.dup" -s "$T/imp.seed" -r "$T/imp.priv"
pass "tpm2_import takes tpmkit-key's duplicate and seed"
tools load -C "$T/srk.ctx" -u "$T/imp.pub" -r "$T/imp.priv" -c "$T/imp.ctx"
tools sign -c "$T/imp.ctx" -g sha256 -f plain -o "$T/tools.sig" "$T/msg"
run sw dgst -sha256 -verify "$T/ec.pub" -signature "$T/tools.sig" "$T/msg"
assert_ok "tpm2_sign with the imported key verifies with the software public key"

# An RSA storage key is not the standard primary: it needs --parent.
tools createprimary -C o -G rsa2048 -c "$T/rsa_parent.ctx"
tools readpublic -c "$T/rsa_parent.ctx" -f pem -o "$T/rsa_parent.pem"
tools evictcontrol -C o -c "$T/rsa_parent.ctx" 0x81000102
run tkkey wrap --for "$T/rsa_parent.pem" --in "$T/ec.pem" --out "$T/x.imp"
assert_status "an RSA parent without --parent is refused" 1
assert_grep "the refusal says to give --parent" 'with --parent 0x81xxxxxx' "$T/err"
run tkkey wrap --for "$T/rsa_parent.pem" --parent 0x81000102 --in "$T/ec.pem" \
    --out "$T/under_rsa.imp"
assert_ok "wrap --for an RSA parent at 0x81000102 (seed by OAEP)"
sign_verify "TPM A: offline key under the RSA parent" "$T/under_rsa.imp" "$T/ec.pub"
tools evictcontrol -C o -c 0x81000102

# Files that are no storage key.
head -c 100 /dev/urandom >"$T/junk"
run tkkey wrap --for "$T/junk" --in "$T/ec.pem" --out "$T/x.imp"
assert_status "--for a junk file" 1
assert_grep "junk: the error names the file and the forms" 'junk is neither a public key' "$T/err"
sw genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 2>/dev/null \
    | sw pkey -pubout -out "$T/p384.pub"
run tkkey wrap --for "$T/p384.pub" --in "$T/ec.pem" --out "$T/x.imp"
assert_status "--for a P-384 public key" 1
assert_grep "P-384 parent: clear error" 'P-256' "$T/err"
keyfile_public "$T/ec.loadable" "$T/signing.tpub"
run tkkey wrap --for "$T/signing.tpub" --in "$T/ec.pem" --out "$T/x.imp"
assert_status "--for a signing key's TPM2B_PUBLIC" 1
assert_grep "signing key: not a storage key" 'not a storage key' "$T/err"
run tkkey wrap --for "$T/missing.pub" --in "$T/ec.pem" --out "$T/x.imp"
assert_status "--for a missing file" 1
assert_grep "missing --for file named" 'cannot open .*missing\.pub' "$T/err"
# --- offline and bound to the target's PCR values ----------------------------------
tpm2 pcrreset 16 >/dev/null 2>&1 || fail "tpm2_pcrreset 16"
tpm2 pcrread -o "$T/pcr16.bin" sha256:16 >/dev/null 2>&1 || fail "tpm2_pcrread -o sha256:16"
run with_pcap "$T/pcr.pcap" tkkey wrap --for "$T/srk.pem" --in "$T/ec.pem" \
    --out "$T/pcr.imp" --pcr-policy sha256:16 --pcr-values "$T/pcr16.bin"
assert_ok "wrap --for --pcr-policy sha256:16 --pcr-values (TPM A's PCR 16)"
[ ! -s "$T/pcr.pcap" ] || fail "wrap --for --pcr-values talked to the TPM"
pass "wrap --for --pcr-values sends nothing to the TPM"
TPMKIT_TCTI="swtpm:host=127.0.0.1,port=1" run tkkey wrap --for "$T/srk.tpub" \
    --in "$T/rsa.pem" --out "$T/pcr_rsa.imp" --password fleet-pw \
    --pcr-policy sha256:16 --pcr-values "$T/pcr16.bin"
assert_ok "wrap --for --pcr-values --password, with no TPM reachable"
createpolicy_pcr "$T/pcr16.pol" sha256:16 "$T/pcr16.bin"
assert_eq "offline PCR key: authPolicy is tpm2_createpolicy -f's digest" \
    "$(xxd -p "$T/pcr16.pol" | tr -d '\n')" "$(auth_policy "$T/pcr.imp")"
assert_no_grep "offline PCR key: userWithAuth is clear" userwithauth "$T/attrs"
sw asn1parse -in "$T/pcr.imp" >"$T/asn1.txt"
assert_grep "offline PCR key: importable" 'OBJECT +:2\.23\.133\.10\.1\.4$' "$T/asn1.txt"
assert_grep "offline PCR key: a PolicyPCR step" 'INTEGER +:017F' "$T/asn1.txt"
pcr16_gate "TPM A: the offline PCR key" "$T/pcr.imp" "$T/ec.pub" 1
sign_verify "TPM A: the offline PCR key with its password" "$T/pcr_rsa.imp" "$T/rsa.pub" \
    -passin pass:fleet-pw

# Without --pcr-values the target's PCRs are unknown here: refused.
run tkkey wrap --for "$T/srk.pem" --in "$T/ec.pem" --out "$T/nopcr.imp" --pcr-policy sha256:16
assert_status "wrap --for --pcr-policy without --pcr-values: usage error" 2
assert_grep "the refusal names --pcr-values" '--pcr-policy with --for needs --pcr-values FILE' "$T/err"
run tkkey wrap --for "$T/srk.pem" --in "$T/ec.pem" --out "$T/nopcr.imp" \
    --pcr-values "$T/pcr16.bin"
assert_status "wrap --for --pcr-values without --pcr-policy: usage error" 2
assert_grep "--pcr-values without --pcr-policy: says it is needed" \
    '--pcr-values FILE needs --pcr-policy SPEC' "$T/err"
run tkkey wrap --for "$T/srk.pem" --in "$T/ec.pem" --out "$T/nopcr.imp" \
    --pcr-policy sha256:0,16 --pcr-values "$T/pcr16.bin"
assert_status "wrap --for --pcr-values of the wrong size" 1
assert_grep "wrong size: the error names the file and both sizes" \
    'pcr16\.bin" holds 32 bytes, but sha256:0,16 needs 64' "$T/err"
run tkkey wrap --for "$T/srk.pem" --in "$T/ec.pem" --out "$T/nopcr.imp" \
    --pcr-policy sha256:16 --pcr-values "$T/missing.bin"
assert_status "wrap --for --pcr-values of a missing file" 1
assert_grep "missing values file: named" 'cannot open the PCR values file ".*missing\.bin"' "$T/err"
[ ! -e "$T/nopcr.imp" ] || fail "a refused wrap --for --pcr-values wrote a file"
pass "refused wrap --for --pcr-values: no file written"
assert_no_tpm_leftovers "TPM A"

# --- on TPM B -----------------------------------------------------------------------
swtpm_stop
swtpm_start "$T/tpm-b" || fail "a second swtpm"
echo "# TPM B on port $SWTPM_PORT"
run tk dgst -sha256 -sign "$T/ec.imp" -out "$T/sig" "$T/msg"
assert_fails "TPM B: the key made for TPM A is refused"
assert_grep "TPM B: the error names TPM2_Import" 'TPM2_Import' "$T/err"
assert_grep "TPM B: and says it was made for another storage key" "made for this TPM's storage key" "$T/err"
run tk dgst -sha256 -sign "$T/rsa.imp" -passin pass:fleet-pw -out "$T/sig" "$T/msg"
assert_fails "TPM B: the RSA key made for TPM A is refused"
assert_eq "TPM B: a foreign key is no wrong password (lockout counter 0)" 0 "$(lockout_counter)"
assert_no_tpm_leftovers "TPM B"
