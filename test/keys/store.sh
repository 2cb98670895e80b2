# SPDX-License-Identifier: Apache-2.0
# Issue 3, point 9: the handle: store for persistent keys. A key made and
# made persistent by tpm2-tools at 0x81000002 is used as handle:0x81000002
# by pkey -pubout, dgst -sign and pkeyutl -sign; a persistent key with a
# password is used as handle:0x81000004?pass with -passin.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

echo "store message" >"$T/msg"

make_srk
tools create -C "$T/srk.ctx" -G ecc256 -u "$T/ec.tpub" -r "$T/ec.tpriv"
tools load -C "$T/srk.ctx" -u "$T/ec.tpub" -r "$T/ec.tpriv" -c "$T/ec.ctx"
tools evictcontrol -C o -c "$T/ec.ctx" 0x81000002
tools create -C "$T/srk.ctx" -G rsa2048 -p store-pw -u "$T/rsa.tpub" -r "$T/rsa.tpriv"
tools load -C "$T/srk.ctx" -u "$T/rsa.tpub" -r "$T/rsa.tpriv" -c "$T/rsa.ctx"
tools evictcontrol -C o -c "$T/rsa.ctx" 0x81000004
tpm2 readpublic -c 0x81000002 -f pem -o "$T/ec.tools.pub" >/dev/null || fail "tpm2_readpublic"
tpm2 readpublic -c 0x81000004 -f pem -o "$T/rsa.tools.pub" >/dev/null || fail "tpm2_readpublic"
tools_cleanup
pass "persistent keys 0x81000002 (EC) and 0x81000004 (RSA, password) made by tpm2-tools"

# --- handle:0x81000002 ------------------------------------------------------
for order in tk tk_rev; do
    run $order pkey -in handle:0x81000002 -pubout -out "$T/ec.pub"
    assert_ok "$order: pkey -in handle:0x81000002 -pubout"
    cmp -s "$T/ec.pub" "$T/ec.tools.pub" || fail "$order: the public key is the persistent key's"
    pass "$order: the public key is the persistent key's (tpm2_readpublic)"
    rm -f "$T/sig"
    run $order dgst -sha256 -sign handle:0x81000002 -out "$T/sig" "$T/msg"
    assert_ok "$order: dgst -sign with handle:0x81000002"
    run sw dgst -sha256 -verify "$T/ec.pub" -signature "$T/sig" "$T/msg"
    assert_ok "$order: the default provider verifies it"
done
sw dgst -sha256 -binary -out "$T/md" "$T/msg"
run tk pkeyutl -sign -inkey handle:0x81000002 -pkeyopt digest:sha256 -in "$T/md" -out "$T/sig"
assert_ok "pkeyutl -sign with handle:0x81000002"
run sw pkeyutl -verify -pubin -inkey "$T/ec.pub" -pkeyopt digest:sha256 -in "$T/md" -sigfile "$T/sig"
assert_ok "the default provider verifies the pkeyutl signature"
run tk pkey -in handle:0x81000002 -text -noout
assert_ok "pkey -text of handle:0x81000002"
assert_grep "-text shows the curve" 'P-256|prime256v1' "$T/out"
run tk req -new -x509 -key handle:0x81000002 -subj /CN=persistent -days 1 -out "$T/p.crt"
assert_ok "req -x509 with handle:0x81000002"
run sw verify -CAfile "$T/p.crt" "$T/p.crt"
assert_ok "the self-signed certificate verifies"
# The persistent key stays in the TPM (tpmkit never evicts it).
tpm2 getcap handles-persistent >"$T/persistent" || fail "tpm2_getcap handles-persistent"
assert_grep "0x81000002 is still persistent" '0x81000002' "$T/persistent"
assert_no_tpm_leftovers "handle:0x81000002"

# --- ?pass ------------------------------------------------------------------
run tk pkey -in 'handle:0x81000004?pass' -passin pass:store-pw -pubout -out "$T/rsa.pub"
assert_ok "pkey -in handle:0x81000004?pass -passin"
cmp -s "$T/rsa.pub" "$T/rsa.tools.pub" || fail "the public key is the persistent RSA key's"
pass "the public key is the persistent RSA key's"
run tk dgst -sha256 -sign 'handle:0x81000004?pass' -passin pass:store-pw -out "$T/sig" "$T/msg"
assert_ok "dgst -sign with handle:0x81000004?pass and the right password"
run sw dgst -sha256 -verify "$T/rsa.pub" -signature "$T/sig" "$T/msg"
assert_ok "the default provider verifies it"
echo store-pw >"$T/pw"
run tk dgst -sha256 -sign 'handle:0x81000004?pass' -passin "file:$T/pw" -out "$T/sig" "$T/msg"
assert_ok "?pass with -passin file:"
c0=$(lockout_counter)
run tk dgst -sha256 -sign 'handle:0x81000004?pass' -passin pass:nope -out "$T/sig" "$T/msg"
assert_fails "?pass with a wrong password"
assert_grep "wrong password: authorization failed" '[Aa]uthori[sz]ation failed' "$T/err"
assert_eq "wrong password: one lockout counter step" "$((c0 + 1))" "$(lockout_counter)"
tpm2 dictionarylockout -c >/dev/null || fail "tpm2_dictionarylockout -c"

# --- bad handles -----------------------------------------------------------
run tk pkey -in handle:0x81000077 -pubout
assert_fails "handle:0x81000077 (nothing there)"
assert_grep "the error names the problem" '(tpmkit|handle|0x81000077|[Cc]ould not)' "$T/err"
run tk pkey -in handle:0x12 -pubout
assert_fails "handle:0x12 (not a persistent or NV handle)"
run tk pkey -in handle:nonsense -pubout
assert_fails "handle:nonsense"
assert_no_tpm_leftovers
