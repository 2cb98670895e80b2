# SPDX-License-Identifier: Apache-2.0
# The key file's description [4]: written by genpkey -pkeyopt
# description:TEXT and tpmkit-key wrap/seal --description, shown by pkey
# -text, kept when tpmkit writes a key file again (also another tool's
# description), bounded to 1024 bytes of UTF-8.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

echo "described message" >"$T/msg"
DESC='web server é (prod)'

# description_of FILE: the UTF8String inside [4] of key file FILE (PEM),
# "absent" if there is none.
description_of() {
    sw asn1parse -in "$1" >"$T/asn1.txt" || fail "asn1parse $(basename "$1")"
    awk '/cont \[ 4 \]/ { getline; sub(/.*UTF8STRING *:/, ""); print; found=1 }
         END { if (!found) print "absent" }' "$T/asn1.txt"
}

# --- genpkey ----------------------------------------------------------------
genkey "$T/ec.pem" EC group:P-256 "description:$DESC"
assert_eq "genpkey writes the description" "$DESC" "$(description_of "$T/ec.pem")"
run tk pkey -in "$T/ec.pem" -text -noout
assert_ok "pkey -text"
assert_contains "pkey -text shows the description" "description: $DESC" "$T/out"
pubout "$T/ec.pem" "$T/ec.pub"
sign_verify "described key" "$T/ec.pem" "$T/ec.pub"
run tk pkey -in "$T/ec.pem" -out "$T/ec_again.pem"
assert_ok "pkey writes the key file again"
cmp -s "$T/ec.pem" "$T/ec_again.pem" || fail "written again, the key file is unchanged"
pass "written again, the key file is unchanged"
genkey "$T/hmac.pem" TPM2-HMAC digest:SHA256 "description:hmac for $DESC"
assert_eq "genpkey TPM2-HMAC writes the description" "hmac for $DESC" \
    "$(description_of "$T/hmac.pem")"
genkey "$T/rsa.pem" RSA bits:2048 "description:$DESC"
assert_eq "genpkey RSA writes the description" "$DESC" "$(description_of "$T/rsa.pem")"
genkey "$T/plain.pem" EC group:P-256
assert_eq "no description, none written" absent "$(description_of "$T/plain.pem")"
run tk pkey -in "$T/plain.pem" -text -noout
assert_no_grep "pkey -text of a key without one shows none" 'description:' "$T/out"

# Bounds: 1024 bytes of UTF-8 at most; not UTF-8 is refused.
long=$(head -c 1024 /dev/zero | tr '\0' 'd')
genkey "$T/long.pem" EC "description:$long"
assert_eq "a 1024-byte description is kept" "$long" "$(description_of "$T/long.pem")"
run tk genpkey -algorithm EC -pkeyopt "description:${long}x" -out "$T/x.pem"
assert_fails "a 1025-byte description"
assert_contains "the error gives the bound" "at most 1024 bytes (1025 given)" "$T/err"
[ ! -e "$T/x.pem" ] || [ ! -s "$T/x.pem" ] || fail "nothing written for a 1025-byte description"
run tk genpkey -algorithm EC -pkeyopt "description:bad $(printf '\xff\xfe')" -out "$T/x.pem"
assert_fails "a description that is not UTF-8"
assert_contains "the error says UTF-8" "description must be UTF-8 text" "$T/err"

# --- tpmkit-key -------------------------------------------------------------
sw genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/soft.pem" 2>/dev/null \
    || fail "software key"
sw pkey -in "$T/soft.pem" -pubout -out "$T/soft.pub" || fail "software public key"
run tkkey wrap --in "$T/soft.pem" --out "$T/wrapped.pem" --description "$DESC"
assert_ok "wrap --description"
assert_eq "wrap writes the description" "$DESC" "$(description_of "$T/wrapped.pem")"
run tk pkey -in "$T/wrapped.pem" -text -noout
assert_contains "pkey -text shows the wrapped key's description" "description: $DESC" "$T/out"
sign_verify "wrapped described key" "$T/wrapped.pem" "$T/soft.pub"
# Importable: the description survives the import when tpmkit writes the
# loadable file.
make_srk
tools readpublic -c "$T/srk.ctx" -f pem -o "$T/srk.pem"
run tkkey wrap --for "$T/srk.pem" --in "$T/soft.pem" --out "$T/imp.pem" --description "$DESC"
assert_ok "wrap --for --description"
assert_eq "the importable file has the description" "$DESC" "$(description_of "$T/imp.pem")"
run tk pkey -in "$T/imp.pem" -out "$T/loadable.pem"
assert_ok "pkey imports and writes the loadable file"
assert_eq "the loadable file keeps the description" "$DESC" "$(description_of "$T/loadable.pem")"
assert_grep "the written file is loadable" 'OBJECT +:2\.23\.133\.10\.1\.3$' "$T/asn1.txt"
head -c 16 /dev/urandom >"$T/secret"
run tkkey seal --in "$T/secret" --out "$T/sealed.pem" --description "disk key"
assert_ok "seal --description"
assert_eq "seal writes the description" "disk key" "$(description_of "$T/sealed.pem")"
run tkkey unseal --in "$T/sealed.pem" --out "$T/secret.out"
assert_ok "unseal a described sealed file"
cmp -s "$T/secret" "$T/secret.out" || fail "unsealed the sealed secret"
pass "unsealed the sealed secret"
for cmd in wrap seal; do
    run tkkey "$cmd" --in "$T/soft.pem" --out "$T/x.pem" --description "${long}x"
    assert_status "$cmd --description of 1025 bytes is a usage error" 2
    assert_contains "$cmd: the error gives the bound" "at most 1024 bytes" "$T/err"
done

# --- another tool's description ----------------------------------------------
tools create -C "$T/srk.ctx" -G ecc256 -u "$T/ec.tpub" -r "$T/ec.tpriv"
make_keyfile "$T/foreign.der" 2.23.133.10.1.3 TRUE "$T/ec.tpub" "$T/ec.tpriv" \
    "description=made elsewhere"
run tk pkey -inform DER -in "$T/foreign.der" -text -noout
assert_ok "pkey -text of a foreign described key"
assert_contains "pkey -text shows the foreign description" "description: made elsewhere" "$T/out"
run tk pkey -inform DER -in "$T/foreign.der" -out "$T/foreign_again.pem"
assert_ok "tpmkit writes the foreign key file again"
assert_eq "the foreign description is kept" "made elsewhere" \
    "$(description_of "$T/foreign_again.pem")"
sw base64 -d -in <(sed '1d;$d' "$T/foreign_again.pem") -out "$T/foreign_again.der" \
    || fail "PEM body to DER"
cmp -s "$T/foreign.der" "$T/foreign_again.der" || fail "the foreign file comes back byte for byte"
pass "the foreign file comes back byte for byte"
pubout "$T/foreign_again.pem" "$T/foreign.pub"
sign_verify "foreign described key, written again" "$T/foreign_again.pem" "$T/foreign.pub"
tools_cleanup
assert_no_tpm_leftovers
