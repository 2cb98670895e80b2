# SPDX-License-Identifier: Apache-2.0
# tpmkit-key seal / unseal with tpm2-tools, both ways: an object sealed by
# tpm2_create -i and encoded by tpm2_encodeobject unseals with tpmkit-key;
# a file sealed by tpmkit-key loads with tpm2_load and unseals with
# tpm2_unseal. Also: a persistent parent, and DER input.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

make_srk
printf 'sealed by tpm2-tools' >"$T/tsecret"

# --- tpm2-tools -> tpmkit-key --------------------------------------------------
tools create -C "$T/srk.ctx" -i "$T/tsecret" -u "$T/t.pub" -r "$T/t.priv"
tools encodeobject -C "$T/srk.ctx" -u "$T/t.pub" -r "$T/t.priv" -o "$T/t.pem"
assert_grep "tpm2_encodeobject wrote a TSS2 key file" '^-----BEGIN TSS2 PRIVATE KEY-----$' "$T/t.pem"
# tpm2-tools 5.4 writes emptyAuth FALSE for an object without a password
# (later versions may not): tpmkit-key does not guess (a wrong guess would
# count toward lockout), it asks for --password ''.
sw asn1parse -in "$T/t.pem" >"$T/asn1.txt"
if grep -Eq 'BOOLEAN +:0$' "$T/asn1.txt"; then
    run tkkey unseal --in "$T/t.pem"
    assert_status "tpm2-tools file (emptyAuth FALSE), no --password: refused" 1
    assert_grep "the refusal says to give --password ''" "--password ''" "$T/err"
    run tkkey unseal --in "$T/t.pem" --password ''
    assert_ok "tpm2-tools sealed object: unseal with --password ''"
else
    run tkkey unseal --in "$T/t.pem"
    assert_ok "tpm2-tools sealed object (emptyAuth TRUE): unseal"
fi
cmp -s "$T/tsecret" "$T/out" || fail "tpm2-tools secret differs"
pass "tpm2-tools sealed secret matches"
run tk pkey -in "$T/t.pem" -noout
assert_fails "openssl pkey refuses tpm2-tools' sealed object"
assert_grep "pkey: sealed data named (loadable OID, keyedhash blob)" 'holds TPM sealed data' "$T/err"

tools create -C "$T/srk.ctx" -i "$T/tsecret" -p tools-pw -u "$T/tp.pub" -r "$T/tp.priv"
tools encodeobject -C "$T/srk.ctx" -u "$T/tp.pub" -r "$T/tp.priv" -p -o "$T/tp.pem"
run tkkey unseal --in "$T/tp.pem" --password tools-pw
assert_ok "tpm2-tools sealed object with a password: unseal"
cmp -s "$T/tsecret" "$T/out" || fail "tpm2-tools secret (password) differs"
pass "tpm2-tools sealed secret (password) matches"

# --- tpmkit-key -> tpm2-tools --------------------------------------------------
head -c 64 /dev/urandom >"$T/secret"
run tkkey seal --in "$T/secret" --out "$T/k.pem"
assert_ok "tpmkit-key seal"
keyfile_blobs "$T/k.pem" "$T/k.pub" "$T/k.priv"
tools load -C "$T/srk.ctx" -u "$T/k.pub" -r "$T/k.priv" -c "$T/k.ctx"
pass "tpm2_load takes tpmkit-key's sealed object"
tools unseal -c "$T/k.ctx" -o "$T/k.out"
cmp -s "$T/secret" "$T/k.out" || fail "tpm2_unseal gives another secret"
pass "tpm2_unseal gives tpmkit-key's secret"

run tkkey seal --in "$T/secret" --out "$T/kp.pem" --password kit-pw
assert_ok "tpmkit-key seal with a password"
keyfile_blobs "$T/kp.pem" "$T/kp.pub" "$T/kp.priv"
tools load -C "$T/srk.ctx" -u "$T/kp.pub" -r "$T/kp.priv" -c "$T/kp.ctx"
tools unseal -c "$T/kp.ctx" -p kit-pw -o "$T/kp.out"
cmp -s "$T/secret" "$T/kp.out" || fail "tpm2_unseal -p gives another secret"
pass "tpm2_unseal -p gives tpmkit-key's secret"

# A persistent sealed object is no key for the handle: store either.
tools load -C "$T/srk.ctx" -u "$T/k.pub" -r "$T/k.priv" -c "$T/k2.ctx"
tools evictcontrol -C o -c "$T/k2.ctx" 0x81000110
run tk pkey -in handle:0x81000110 -pubout
assert_fails "handle: of a persistent sealed object"
assert_grep "handle: sealed object: says it is sealed data" 'holds sealed data, not a key' "$T/err"
tools evictcontrol -C o -c 0x81000110

# --- DER input, persistent parent ----------------------------------------------
sed '1d;$d' "$T/k.pem" | base64 -d >"$T/k.der"
run tkkey unseal --in "$T/k.der"
assert_ok "unseal a DER sealed file"
cmp -s "$T/secret" "$T/out" || fail "DER sealed secret differs"
pass "DER sealed secret matches"

tools evictcontrol -C o -c "$T/srk.ctx" 0x81000101
run tkkey seal --in "$T/secret" --out "$T/pp.pem" --parent 0x81000101
assert_ok "seal under the persistent parent 0x81000101"
sw asn1parse -in "$T/pp.pem" >"$T/asn1.txt"
assert_grep "the file names the persistent parent" 'INTEGER +:81000101' "$T/asn1.txt"
run tkkey unseal --in "$T/pp.pem"
assert_ok "unseal under the persistent parent"
cmp -s "$T/secret" "$T/out" || fail "persistent-parent secret differs"
pass "persistent-parent secret matches"
keyfile_blobs "$T/pp.pem" "$T/pp.pub" "$T/pp.priv"
tools load -C 0x81000101 -u "$T/pp.pub" -r "$T/pp.priv" -c "$T/pp.ctx"
tools unseal -c "$T/pp.ctx" -o "$T/pp.out"
cmp -s "$T/secret" "$T/pp.out" || fail "tpm2_unseal under 0x81000101 differs"
pass "tpm2_unseal under the persistent parent gives the secret"
tools evictcontrol -C o -c 0x81000101
run tkkey unseal --in "$T/pp.pem"
assert_status "the parent is gone: unseal fails" 1
assert_grep "missing parent: the error names it" '0x81000101' "$T/err"

assert_no_tpm_leftovers "seal interop"

# Another TPM cannot unseal what this one sealed.
swtpm_stop
swtpm_start "$T/tpm-b" || fail "a second swtpm"
run tkkey unseal --in "$T/k.pem"
assert_status "another TPM: unseal fails" 1
assert_grep "another TPM: the error says the file is another TPM's" 'belongs to another TPM' "$T/err"
assert_no_tpm_leftovers "unseal on another TPM"
