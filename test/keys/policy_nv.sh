# SPDX-License-Identifier: Apache-2.0
# Keys whose policy is TPM2_PolicyNV: usable while an NV index holds the
# value the policy compares against. Made with tpm2-tools (tpm2_nvdefine,
# tpm2_nvwrite, a tpm2_policynv trial policy). The key-file draft has no
# form for this step: tpmkit reads TPM_HANDLE nvIndex, TPM2B_NAME
# nvIndexName, then the command's parameters (operandB, offset, operation).
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

echo "policy nv message" >"$T/msg"
OID=2.23.133.10.1.3 CC_NV=0x149 NV=0x01000001
make_srk

printf 'tpmkit-1' >"$T/good"
printf 'tpmkit-2' >"$T/other"
tools nvdefine $NV -C o -s 8 -a 'ownerread|ownerwrite|authread|authwrite'
tools nvwrite $NV -C o -i "$T/good"
# The name once written (TPMA_NV_WRITTEN is part of it).
tpm2 nvreadpublic $NV >"$T/nvpub.txt" 2>&1 || fail "tpm2_nvreadpublic"
nv_name=$(sed -n 's/^ *name: *\([0-9a-fA-F]*\)$/\1/p' "$T/nvpub.txt")
[ ${#nv_name} -eq 68 ] || { cat "$T/nvpub.txt"; fail "no SHA-256 name for $NV"; }

tpm2 startauthsession -S "$T/trial.ctx" >"$T/tools.out" 2>&1 || fail "trial session"
tpm2 policynv -S "$T/trial.ctx" -i "$T/good" $NV eq -L "$T/nv.pol" >>"$T/tools.out" 2>&1 \
    || { cat "$T/tools.out"; fail "tpm2_policynv"; }
tpm2 flushcontext "$T/trial.ctx" >/dev/null 2>&1
tools_cleanup
tools create -C "$T/srk.ctx" -G ecc256 -L "$T/nv.pol" \
    -a 'fixedtpm|fixedparent|sensitivedataorigin|sign|decrypt|noda' \
    -u "$T/nv.tpub" -r "$T/nv.tpriv"

good_hex=$(xxd -p "$T/good")
# nvIndex, name, operandB (8 bytes), offset 0, TPM_EO_EQ
make_keyfile "$T/nv.der" $OID TRUE "$T/nv.tpub" "$T/nv.tpriv" \
    "policy=$CC_NV:${NV#0x}0022${nv_name}0008${good_hex}00000000"
# "Unsigned less or equal": satisfied, but another policy digest.
make_keyfile "$T/lt.der" $OID TRUE "$T/nv.tpub" "$T/nv.tpriv" \
    "policy=$CC_NV:${NV#0x}0022${nv_name}0008${good_hex}00000009"

pubout "$T/nv.der" "$T/nv.pub"
PCAP=$T/nv.pcap
rm -f "$PCAP"
run pcap tk dgst -sha256 -sign "$T/nv.der" -out "$T/sig" "$T/msg"
assert_ok "PolicyNV key, NV value as in the policy: signs"
run sw dgst -sha256 -verify "$T/nv.pub" -signature "$T/sig" "$T/msg"
assert_ok "PolicyNV key: the default provider verifies"
capture_commands "$PCAP"
assert_command_count "PolicyNV key: replayed once" PolicyNV 1
TPMKIT_SESSION_ENCRYPTION=no sign_verify "PolicyNV key, session encryption off" \
    "$T/nv.der" "$T/nv.pub"

run tk dgst -sha256 -sign "$T/lt.der" -out "$T/sig" "$T/msg"
assert_fails "PolicyNV step with another comparison than the policy's"
assert_grep "another comparison: the error names the unmet policy" "authorization policy" "$T/err"

tools nvwrite $NV -C o -i "$T/other"
run tk dgst -sha256 -sign "$T/nv.der" -out "$T/sig" "$T/msg"
assert_fails "PolicyNV key after the NV index was written"
assert_grep "NV index changed: the error names the step and the index" \
    "TPM2_PolicyNV: the contents of NV index 0x01000001 do not satisfy" "$T/err"

tools nvwrite $NV -C o -i "$T/good"
sign_verify "PolicyNV key after the old value was written back" "$T/nv.der" "$T/nv.pub"

tools nvundefine $NV -C o
assert_no_grep "no crash anywhere" "Segmentation|Aborted|AddressSanitizer" "$T/err"
assert_no_tpm_leftovers "PolicyNV keys"
