# SPDX-License-Identifier: Apache-2.0
# tpmkit-key policy add / list / remove, and seal / wrap with --pcr-policy
# and --policy-signer: a key or sealed file bound to a policy signer fails
# once PCR 16 changes, works again after `policy add` for the new value
# (same object, not re-created), fails again once that policy is removed.
# tpm2-tools cross-check the digests: the key's authPolicy is
# tpm2_policyauthorize's for the signer tpm2_loadexternal names, and the
# name `policy list` prints is tpm2_loadexternal's.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

echo "policy tool message" >"$T/msg"
head -c 32 /dev/urandom >"$T/secret"
tpm2 pcrreset 16 >/dev/null 2>&1 || fail "tpm2_pcrreset 16"
sw genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/signer.pem"
sw pkey -in "$T/signer.pem" -pubout -out "$T/signer.pub"
sw genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/other.pem"
sw genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/rsasigner.pem"
sw genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/soft.pem"
sw pkey -in "$T/soft.pem" -pubout -out "$T/soft.pub"

# --- usage ---------------------------------------------------------------------
run tkkey --help
assert_grep "tpmkit-key --help lists policy" '^  policy ' "$T/out"
run tkkey policy --help
assert_ok "policy --help"
for a in add list remove; do
    assert_grep "policy --help shows $a" "tpmkit-key policy $a --key" "$T/out"
done
run tkkey policy
assert_status "policy without an action: usage error" 2
run tkkey policy frob --key x
assert_status "policy frob: usage error" 2
assert_grep "the unknown action is named" 'unknown action "frob"' "$T/err"
run tkkey policy add --key "$T/none.pem" --signer "$T/signer.pem"
assert_status "policy add without --pcr-policy: usage error" 2
assert_grep "the missing option is named" '--pcr-policy is required' "$T/err"
run tkkey policy remove --key "$T/none.pem"
assert_status "policy remove without --name: usage error" 2
run tkkey policy list --key "$T/none.pem" --signer "$T/signer.pem"
assert_status "policy list --signer: usage error" 2
run tkkey policy add --key "$T/none.pem" --signer "$T/signer.pem" --pcr-policy sha256:99
assert_status "policy add with a bad PCR: failure" 1
assert_grep "the bad PCR is named" 'bad PCR "99"' "$T/err"

# --- a key bound to the signer (genpkey), cross-checked with tpm2-tools ---
genkey "$T/key.pem" EC policy-signer:"$T/signer.pem" pcr-policy:sha256:16
pubout "$T/key.pem" "$T/key.pub"
keyfile_public "$T/key.pem" "$T/blob.before"
sign_verify "bound key, PCR 16 as approved" "$T/key.pem" "$T/key.pub"

# tpm2_loadexternal of the signer's public key, with the attributes
# tpmkit gives a policy signer, names it; a trial PolicyAuthorize by that
# name is the key's authPolicy.
tools loadexternal -C o -G ecc -a 'sign|decrypt|userwithauth' -u "$T/signer.pub" \
    -c "$T/signer.ctx" -n "$T/signer.name"
signer_name=$(xxd -p "$T/signer.name" | tr -d '\n')
trial_pcr "$T/pcr16.pol" sha256:16
tpm2 startauthsession -S "$T/trial.ctx" >"$T/tools.out" 2>&1 || fail "trial session"
tpm2 policyauthorize -S "$T/trial.ctx" -L "$T/authorize.pol" -n "$T/signer.name" \
    -i "$T/pcr16.pol" >>"$T/tools.out" 2>&1 || { cat "$T/tools.out"; fail "tpm2_policyauthorize"; }
tpm2 flushcontext "$T/trial.ctx" >/dev/null 2>&1
tools_cleanup
assert_eq "authPolicy is tpm2_policyauthorize's digest for the signer" \
    "$(xxd -p "$T/authorize.pol" | tr -d '\n')" "$(auth_policy "$T/key.pem")"

run tkkey policy list --key "$T/key.pem"
assert_ok "policy list"
cp "$T/out" "$T/list1"
assert_grep "list: the file's type" 'key\.pem: key$' "$T/list1"
assert_grep "list: the key's policy has one step" '^policy: 1 step$' "$T/list1"
assert_grep "list: the key's own step names the signer (tpm2_loadexternal's name)" \
    "^  PolicyAuthorize signer $signer_name\$" "$T/list1"
assert_grep "list: one signed policy" '^signed policies: 1$' "$T/list1"
assert_grep "list: genpkey's policy has no name" '^  1 \(no name\)$' "$T/list1"
assert_grep "list: its step is PolicyPCR sha256:16 with the digest" \
    '^    PolicyPCR sha256:16 digest [0-9a-f]{64}$' "$T/list1"
assert_grep "list: its signer" "^    signer $signer_name\$" "$T/list1"

# policy list reads PolicyPCR in openssl_tpm2_engine's order too (the
# selection first, then the bare digest).
keyfile_blobs "$T/key.pem" "$T/k.tpub" "$T/k.tpriv"
make_keyfile "$T/engine.der" 2.23.133.10.1.3 TRUE "$T/k.tpub" "$T/k.tpriv" \
    "policy=383:00000001000B03000001$(printf '%064d' 7)"
run tkkey policy list --key "$T/engine.der"
assert_ok "policy list of a DER file with an engine-order PolicyPCR"
assert_grep "engine order: PolicyPCR sha256:16 and its digest" \
    '^  PolicyPCR sha256:16 digest 0{63}7$' "$T/out"

# --- PCR 16 changes: nothing matches; policy add makes it usable again ----
extend16 1
run tk dgst -sha256 -sign "$T/key.pem" -out "$T/sig" "$T/msg"
assert_fails "after extend: the key does not sign"
assert_grep "after extend: no signed policy matches" "no signed policy matches" "$T/err"
chmod 0640 "$T/key.pem"
run tkkey policy add --key "$T/key.pem" --signer "$T/signer.pem" --pcr-policy sha256:16 \
    --name after-extend
assert_ok "policy add after extend"
assert_eq "policy add keeps the file's mode" 640 "$(stat -c %a "$T/key.pem")"
ls "$T"/key.pem.* >/dev/null 2>&1 && fail "policy add left a temporary file"
pass "policy add leaves no temporary file"
keyfile_public "$T/key.pem" "$T/blob.after"
cmp -s "$T/blob.before" "$T/blob.after" || fail "policy add changed the key itself"
pass "policy add: the key itself is unchanged"
sign_verify "after policy add: the same key signs again" "$T/key.pem" "$T/key.pub"

run tkkey policy list --key "$T/key.pem"
assert_ok "policy list after add"
cp "$T/out" "$T/list2"
assert_grep "list: two signed policies" '^signed policies: 2 \(tried in this order\)$' "$T/list2"
assert_grep "list: the new one first, with its name" '^  1 name "after-extend"$' "$T/list2"
assert_grep "list: the old one second" '^  2 \(no name\)$' "$T/list2"
[ "$(grep -cE '^    PolicyPCR sha256:16 digest ' "$T/list2")" = 2 ] \
    || fail "list: expected two PolicyPCR sha256:16 steps"
[ "$(grep -E '^    PolicyPCR' "$T/list2" | sort -u | wc -l)" = 2 ] \
    || fail "list: the two policies should bind different PCR 16 values"
pass "list: both bind PCR 16, to different values"

# A key file reached through a symbolic link: the link stays, the file it
# points to gets the new policy.
mkdir "$T/keys"
cp "$T/key.pem" "$T/keys/real.pem"
ln -s keys/real.pem "$T/link.pem"
run tkkey policy add --key "$T/link.pem" --signer "$T/signer.pem" --pcr-policy sha256:16 \
    --name via-link
assert_ok "policy add through a symbolic link"
[ -L "$T/link.pem" ] || fail "policy add replaced the symbolic link with a file"
pass "policy add keeps the symbolic link"
run tkkey policy list --key "$T/keys/real.pem"
assert_grep "the linked file has the new policy" '^  1 name "via-link"$' "$T/out"
ls "$T"/keys/real.pem.* "$T"/link.pem.* >/dev/null 2>&1 && fail "policy add left a temporary file"
pass "policy add through a link leaves no temporary file"

# --- refusals --------------------------------------------------------------
run tkkey policy add --key "$T/key.pem" --signer "$T/signer.pem" --pcr-policy sha256:16 \
    --name after-extend
assert_status "policy add with a name in use: failure" 1
assert_grep "a name in use: the error says so" 'already has a signed policy named "after-extend"' "$T/err"
cp "$T/key.pem" "$T/key.copy"
run tkkey policy add --key "$T/key.pem" --signer "$T/other.pem" --pcr-policy sha256:16
assert_status "policy add with another signer: failure" 1
assert_grep "another signer: the key is not bound to it" "not bound to that policy signer" "$T/err"
cmp -s "$T/key.pem" "$T/key.copy" || fail "a refused policy add changed the file"
pass "a refused policy add leaves the file as it was"
run tkkey policy add --key "$T/key.pem" --signer "$T/signer.pub" --pcr-policy sha256:16
assert_status "policy add with a public signer: failure" 1
assert_grep "public signer: the private key is needed" "needs the signer's private key" "$T/err"
run tkkey policy add --key "$T/key.pem" --signer "$T/key.pem" --pcr-policy sha256:16
assert_status "policy add with a TPM key the key is not bound to: failure" 1
assert_grep "TPM key not bound: the error says so" "not bound to that policy signer" "$T/err"
run tkkey policy add --key "$T/key.pem" --signer "$T/signer.pem" --pcr-policy sha256:16 \
    --signer-password x
assert_status "--signer-password with a software signer: failure" 1
assert_grep "--signer-password with a software signer: says it is for TPM keys" \
    "is for a TPM key file signer" "$T/err"
run tkkey policy add --key "$T/msg" --signer "$T/signer.pem" --pcr-policy sha256:16
assert_status "policy add to a file that is no key file: failure" 1
assert_grep "no key file: named" "msg is not a TSS2 key file" "$T/err"

# --- remove ---------------------------------------------------------------
run tkkey policy remove --key "$T/key.pem" --name nothing-like-it
assert_status "policy remove of an unknown name: failure" 1
assert_grep "unknown name: the error says so" 'no signed policy named "nothing-like-it"' "$T/err"
run tkkey policy remove --key "$T/key.pem" --name after-extend
assert_ok "policy remove --name after-extend"
run tkkey policy list --key "$T/key.pem"
assert_grep "list after remove: one signed policy" '^signed policies: 1$' "$T/out"
assert_no_grep "list after remove: the removed one is gone" 'after-extend' "$T/out"
run tk dgst -sha256 -sign "$T/key.pem" -out "$T/sig" "$T/msg"
assert_fails "after remove: the key fails again"
assert_grep "after remove: no signed policy matches" "no signed policy matches" "$T/err"
tpm2 pcrreset 16 >/dev/null 2>&1 || fail "tpm2_pcrreset 16"
sign_verify "after reset: genpkey's policy matches again" "$T/key.pem" "$T/key.pub"

# Two policies of one name (other tools may write them; tpmkit-key does
# not: made here by renaming "dup-b" to "dup-a" in the DER): remove drops
# both.
cp "$T/key.pem" "$T/dup.pem"
for n in dup-a dup-b; do
    run tkkey policy add --key "$T/dup.pem" --signer "$T/signer.pem" --pcr-policy sha256:16 --name $n
    assert_ok "policy add --name $n"
done
sed -e '1d' -e '$d' "$T/dup.pem" | base64 -d | xxd -p | tr -d '\n' \
    | sed "s/$(printf dup-b | xxd -p)/$(printf dup-a | xxd -p)/" | xxd -r -p >"$T/dup.der"
run tkkey policy list --key "$T/dup.der"
[ "$(grep -c '^  [0-9] name "dup-a"$' "$T/out")" = 2 ] || fail "no file with two policies named dup-a"
run tkkey policy remove --key "$T/dup.der" --name dup-a
assert_ok "policy remove of a name two policies have"
run tkkey policy list --key "$T/dup.der"
assert_grep "remove dropped both: one signed policy left" '^signed policies: 1$' "$T/out"
assert_grep "the rewritten file is PEM" '^-----BEGIN TSS2 PRIVATE KEY-----$' "$T/dup.der"

# An RSA signer, approved for two PCRs.
genkey "$T/rsa.pem" EC policy-signer:"$T/rsasigner.pem"
pubout "$T/rsa.pem" "$T/rsa.pub"
run tkkey policy add --key "$T/rsa.pem" --signer "$T/rsasigner.pem" --pcr-policy sha256:16,23
assert_ok "policy add with an RSA signer, PCRs 16 and 23"
run tkkey policy list --key "$T/rsa.pem"
assert_grep "list: PolicyPCR sha256:16,23" '^    PolicyPCR sha256:16,23 digest ' "$T/out"
sign_verify "RSA signer, PCRs 16 and 23" "$T/rsa.pem" "$T/rsa.pub"

# A TPM key as policy signer: the key is bound to its public key
# (genpkey policy-signer:PUB), the TPM signs each new policy.
genkey "$T/tpmsigner.pem" EC
pubout "$T/tpmsigner.pem" "$T/tpmsigner.pub"
genkey "$T/bytpm.pem" EC policy-signer:"$T/tpmsigner.pub"
pubout "$T/bytpm.pem" "$T/bytpm.pub"
PCAP=$T/tpmsign.pcap
rm -f "$PCAP"
run pcap tkkey policy add --key "$T/bytpm.pem" --signer "$T/tpmsigner.pem" \
    --pcr-policy sha256:16 --name tpm-signed
assert_ok "policy add signed by a TPM EC key"
capture_commands "$PCAP"
assert_command_count "TPM signer: one TPM2_Sign" Sign 1
sign_verify "key bound to a TPM EC signer" "$T/bytpm.pem" "$T/bytpm.pub"
genkey "$T/tpmrsa.pem" RSA user-auth:signer-pw
run tk pkey -in "$T/tpmrsa.pem" -passin pass:signer-pw -pubout -out "$T/tpmrsa.pub"
assert_ok "TPM RSA signer: public key"
genkey "$T/byrsa.pem" EC policy-signer:"$T/tpmrsa.pub"
pubout "$T/byrsa.pem" "$T/byrsa.pub"
run tkkey policy add --key "$T/byrsa.pem" --signer "$T/tpmrsa.pem" --pcr-policy sha256:16
assert_status "TPM signer with a password, none given: failure" 1
assert_grep "TPM signer password: the error asks for it" "give it with --signer-password" "$T/err"
run tkkey policy add --key "$T/byrsa.pem" --signer "$T/tpmrsa.pem" --pcr-policy sha256:16 \
    --signer-password signer-pw
assert_ok "policy add signed by a TPM RSA key with its password"
sign_verify "key bound to a TPM RSA signer" "$T/byrsa.pem" "$T/byrsa.pub"
# A TPM signer approves given PCR values as well (the TPM signs; the PCRs
# are not read).
pcr16_after 8 "$T/tpmfuture.bin"
run tkkey policy add --key "$T/bytpm.pem" --signer "$T/tpmsigner.pem" --pcr-policy sha256:16 \
    --pcr-values "$T/tpmfuture.bin" --name tpm-future
assert_ok "policy add --pcr-values signed by a TPM key"
extend16 8
sign_verify "TPM signer, given values: the key signs once PCR 16 holds them" \
    "$T/bytpm.pem" "$T/bytpm.pub"
tpm2 pcrreset 16 >/dev/null 2>&1 || fail "tpm2_pcrreset 16"

# --- seal --pcr-policy: unseal follows PCR 16 ------------------------------
run tkkey seal --in "$T/secret" --out "$T/pcr.sealed" --pcr-policy sha256:16
assert_ok "seal --pcr-policy sha256:16"
run tkkey policy list --key "$T/pcr.sealed"
assert_grep "sealed file: list says sealed data" 'pcr.sealed: sealed data$' "$T/out"
assert_grep "sealed file: its policy is PolicyPCR sha256:16" '^  PolicyPCR sha256:16 digest [0-9a-f]{64}$' "$T/out"
trial_pcr "$T/pcr16.pol" sha256:16
assert_eq "sealed file: authPolicy is tpm2_policypcr's digest" \
    "$(xxd -p "$T/pcr16.pol" | tr -d '\n')" "$(auth_policy "$T/pcr.sealed")"
assert_no_grep "sealed file: userWithAuth is clear" userwithauth "$T/attrs"
run tkkey unseal --in "$T/pcr.sealed" --out "$T/out.secret"
assert_ok "unseal while PCR 16 holds its value"
cmp -s "$T/secret" "$T/out.secret" || fail "the unsealed secret differs"
pass "the unsealed secret matches"
extend16 2
run tkkey unseal --in "$T/pcr.sealed"
assert_fails "unseal after extend"
assert_grep "unseal after extend: the PCR values differ" "TPM2_PolicyPCR: the PCR values differ" "$T/err"
tpm2 pcrreset 16 >/dev/null 2>&1 || fail "tpm2_pcrreset 16"
run tkkey unseal --in "$T/pcr.sealed" --out "$T/out.secret"
assert_ok "unseal after reset"
cmp -s "$T/secret" "$T/out.secret" || fail "the unsealed secret differs after reset"
pass "after reset: the unsealed secret matches"

# With a password: PolicyPCR, then PolicyAuthValue.
run tkkey seal --in "$T/secret" --out "$T/pw.sealed" --pcr-policy sha256:16 --password pw1
assert_ok "seal --pcr-policy --password"
run tkkey policy list --key "$T/pw.sealed"
assert_grep "sealed with a password: PolicyAuthValue step" '^  PolicyAuthValue$' "$T/out"
run tkkey unseal --in "$T/pw.sealed" --password pw1 --out "$T/out.secret"
assert_ok "unseal with PCR policy and password"
run tkkey unseal --in "$T/pw.sealed" --password wrong
assert_fails "unseal with the wrong password"
tpm2 dictionarylockout -c >/dev/null 2>&1 || true

# --- seal --policy-signer: policy add after an extend ------------------------
run tkkey seal --in "$T/secret" --out "$T/signed.sealed" --policy-signer "$T/signer.pem" \
    --pcr-policy sha256:16
assert_ok "seal --policy-signer --pcr-policy"
run tkkey unseal --in "$T/signed.sealed" --out "$T/out.secret"
assert_ok "unseal through the first signed policy"
cmp -s "$T/secret" "$T/out.secret" || fail "signed sealed: the secret differs"
extend16 3
run tkkey unseal --in "$T/signed.sealed"
assert_fails "signed sealed: unseal after extend"
assert_grep "signed sealed after extend: no signed policy matches" "no signed policy matches" "$T/err"
run tkkey policy add --key "$T/signed.sealed" --signer "$T/signer.pem" --pcr-policy sha256:16 \
    --name update-3
assert_ok "policy add to a sealed file"
run tkkey unseal --in "$T/signed.sealed" --out "$T/out.secret"
assert_ok "signed sealed: unseal after policy add"
cmp -s "$T/secret" "$T/out.secret" || fail "signed sealed: the secret differs after policy add"
pass "signed sealed: the secret matches after policy add"

# The file's other fields survive policy add and remove: a description,
# the RSA storage primary as parent (rsaParent).
run tkkey seal --in "$T/secret" --out "$T/rsa.sealed" --parent-rsa --description "disk key" \
    --policy-signer "$T/signer.pem" --pcr-policy sha256:16
assert_ok "seal --parent-rsa --description --policy-signer --pcr-policy"
run tkkey policy add --key "$T/rsa.sealed" --signer "$T/signer.pem" --pcr-policy sha256:16 \
    --name kept
assert_ok "policy add to an rsaParent file with a description"
run tkkey policy list --key "$T/rsa.sealed"
assert_grep "list shows the description" '^description: disk key$' "$T/out"
sw asn1parse -in "$T/rsa.sealed" >"$T/asn1.txt"
assert_grep "policy add keeps the description" 'UTF8STRING +:disk key' "$T/asn1.txt"
assert_grep "policy add keeps rsaParent" 'cont \[ 5 \]' "$T/asn1.txt"
run tkkey unseal --in "$T/rsa.sealed" --out "$T/out.secret"
assert_ok "unseal under the RSA primary after policy add"
cmp -s "$T/secret" "$T/out.secret" || fail "rsaParent sealed: the secret differs"

# A public signer: no signed policy until one is added.
run tkkey seal --in "$T/secret" --out "$T/later.sealed" --policy-signer "$T/signer.pub"
assert_ok "seal --policy-signer PUBLIC.pem"
run tkkey unseal --in "$T/later.sealed"
assert_fails "unseal before any signed policy"
assert_grep "no signed policy yet: says to add one" "has none: add one" "$T/err"
run tkkey policy add --key "$T/later.sealed" --signer "$T/signer.pem" --pcr-policy sha256:16
assert_ok "policy add to a sealed file without signed policies"
run tkkey unseal --in "$T/later.sealed" --out "$T/out.secret"
assert_ok "unseal after the first policy add"
run tkkey seal --in "$T/secret" --out "$T/x.sealed" --policy-signer "$T/signer.pub" \
    --pcr-policy sha256:16
assert_fails "seal --pcr-policy with a public signer"
assert_grep "public signer at seal: the private key is needed" "needs the signer's private key" "$T/err"
tpm2 pcrreset 16 >/dev/null 2>&1 || fail "tpm2_pcrreset 16"

# --- wrap --pcr-policy / --policy-signer ---------------------------------------
run tkkey wrap --in "$T/soft.pem" --out "$T/wrapped.pem" --pcr-policy sha256:16
assert_ok "wrap --pcr-policy sha256:16"
trial_pcr "$T/pcr16.pol" sha256:16
assert_eq "wrapped key: authPolicy is tpm2_policypcr's digest" \
    "$(xxd -p "$T/pcr16.pol" | tr -d '\n')" "$(auth_policy "$T/wrapped.pem")"
assert_no_grep "wrapped key: userWithAuth is clear" userwithauth "$T/attrs"
pcr16_gate "wrapped PCR-bound key" "$T/wrapped.pem" "$T/soft.pub" 4

# With a password: PolicyPCR, then PolicyAuthValue.
run tkkey wrap --in "$T/soft.pem" --out "$T/wpw.pem" --pcr-policy sha256:16 --password wpw
assert_ok "wrap --pcr-policy --password"
run tkkey policy list --key "$T/wpw.pem"
assert_grep "wrapped with a password: PolicyAuthValue step" '^  PolicyAuthValue$' "$T/out"
sign_verify "wrapped PCR-bound key with its password" "$T/wpw.pem" "$T/soft.pub" -passin pass:wpw
run tk dgst -sha256 -sign "$T/wpw.pem" -passin pass:wrong -out "$T/sig" "$T/msg"
assert_fails "wrapped PCR-bound key, wrong password"
tpm2 dictionarylockout -c >/dev/null 2>&1 || true

run tkkey wrap --in "$T/soft.pem" --out "$T/wsigned.pem" --policy-signer "$T/signer.pem" \
    --pcr-policy sha256:16
assert_ok "wrap --policy-signer --pcr-policy"
sign_verify "wrapped key with a signed policy" "$T/wsigned.pem" "$T/soft.pub"
assert_eq "wrapped signed key: authPolicy is tpm2_policyauthorize's digest" \
    "$(xxd -p "$T/authorize.pol" | tr -d '\n')" "$(auth_policy "$T/wsigned.pem")"

# Online with --pcr-values: bound to PCR 16 as it will be after an extend.
tpm2 pcrreset 16 >/dev/null 2>&1 || fail "tpm2_pcrreset 16"
pcr16_after 6 "$T/future.bin"
run tkkey wrap --in "$T/soft.pem" --out "$T/wfuture.pem" --pcr-policy sha256:16 \
    --pcr-values "$T/future.bin"
assert_ok "wrap --pcr-policy sha256:16 --pcr-values FILE"
createpolicy_pcr "$T/future.pol" sha256:16 "$T/future.bin"
assert_eq "wrapped key for given values: authPolicy is tpm2_createpolicy -f's digest" \
    "$(xxd -p "$T/future.pol" | tr -d '\n')" "$(auth_policy "$T/wfuture.pem")"
pcr16_future "wrapped key for given values" "$T/wfuture.pem" "$T/soft.pub" 6
head -c 64 /dev/zero >"$T/64.bin"
run tkkey wrap --in "$T/soft.pem" --out "$T/wbad.pem" --pcr-policy sha256:16 \
    --pcr-values "$T/64.bin"
assert_status "wrap --pcr-values of the wrong size" 1
assert_grep "wrap, wrong size: the error names the file and both sizes" \
    '64\.bin" holds 64 bytes, but sha256:16 needs 32' "$T/err"
[ ! -e "$T/wbad.pem" ] || fail "a refused wrap --pcr-values wrote a file"
pass "refused wrap --pcr-values: no file written"
run tkkey wrap --in "$T/soft.pem" --out "$T/wbad.pem" --pcr-values "$T/future.bin"
assert_status "wrap --pcr-values without --pcr-policy: usage error" 2

# Offline (--for): the target's PCRs cannot be read here; a signer can be
# bound, and policies added on the target.
make_srk
tools readpublic -c "$T/srk.ctx" -f pem -o "$T/srk.pem"
run tkkey wrap --for "$T/srk.pem" --in "$T/soft.pem" --out "$T/off.pem" --pcr-policy sha256:16
assert_status "wrap --for --pcr-policy: usage error" 2
assert_grep "wrap --for --pcr-policy: says what to do instead" "use --policy-signer" "$T/err"
assert_grep "wrap --for --pcr-policy: or to give the target's values" "needs --pcr-values FILE" "$T/err"
TPMKIT_TCTI="swtpm:host=127.0.0.1,port=1" run tkkey wrap --for "$T/srk.pem" \
    --in "$T/soft.pem" --out "$T/off.pem" --policy-signer "$T/signer.pub"
assert_ok "wrap --for --policy-signer (no TPM reached)"
run tk dgst -sha256 -sign "$T/off.pem" -out "$T/sig" "$T/msg"
assert_fails "offline signed key before any signed policy"
assert_grep "offline signed key: says to add one" "has none: add one" "$T/err"
run tkkey policy add --key "$T/off.pem" --signer "$T/signer.pem" --pcr-policy sha256:16 --name target
assert_ok "policy add to the importable key on the target"
sign_verify "offline signed key after policy add" "$T/off.pem" "$T/soft.pub"

assert_no_grep "no crash anywhere" "Segmentation|Aborted|AddressSanitizer|runtime error" "$T/err"
assert_no_tpm_leftovers "tpmkit-key policy"
