# SPDX-License-Identifier: Apache-2.0
# tpmkit-key seal / unseal: a secret of 1..128 bytes in a TPM sealed-data
# object, written as a TSS2 key file with the sealed-data OID; read back
# with TPM2_Unseal. The secret never crosses the bus in clear (pcap), a
# password is checked by the TPM (one wrong guess, one lockout step), and
# the key decoders refuse the file with a message naming tpmkit-key.
# --pcr-policy with --pcr-values binds the secret to PCR values given in
# a file (PCR 16 after an extend): it unseals only once the PCR holds them.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

# --- help and usage -----------------------------------------------------------
run tkkey --help
assert_ok "tpmkit-key --help"
for c in seal unseal wrap policy; do
    assert_grep "--help lists $c" "^  $c " "$T/out"
done
for c in seal unseal wrap policy; do
    run tkkey "$c" --help
    assert_ok "tpmkit-key $c --help"
    assert_grep "$c --help shows its usage" "^Usage: tpmkit-key $c " "$T/out"
done
run tkkey
assert_status "no command: usage error" 2
run tkkey frobnicate
assert_status "unknown command: usage error" 2
assert_grep "unknown command named" 'unknown command "frobnicate"' "$T/err"
run tkkey seal --out "$T/x.pem"
assert_status "seal without --in: usage error" 2
assert_grep "the missing option is named" '--in is required' "$T/err"
run tkkey seal --in "$T/nothing" --out "$T/x.pem" --bogus
assert_status "seal with an unknown option: usage error" 2
assert_grep "the unknown option is named" '--bogus' "$T/err"
run tkkey seal --in /dev/null --out "$T/x.pem" --parent 0x80000001
assert_status "seal with a bad --parent: usage error" 2
for c in seal wrap policy; do
    run tkkey "$c" --help
    assert_grep "$c --help describes --pcr-values" '^  --pcr-values FILE ' "$T/out"
done

# --- round trips --------------------------------------------------------------
printf 'correct horse battery staple' >"$T/secret"
run tkkey seal --in "$T/secret" --out "$T/sealed.pem"
assert_ok "seal a secret"
assert_grep "sealed file is PEM TSS2 PRIVATE KEY" '^-----BEGIN TSS2 PRIVATE KEY-----$' "$T/sealed.pem"
assert_eq "sealed file is mode 0600" 600 "$(stat -c %a "$T/sealed.pem")"
sw asn1parse -in "$T/sealed.pem" >"$T/asn1.txt"
assert_grep "sealed file has the sealed-data OID" 'OBJECT +:2\.23\.133\.10\.1\.5$' "$T/asn1.txt"
assert_grep "no password: emptyAuth TRUE" 'BOOLEAN +:255' "$T/asn1.txt"
assert_grep "parent is the storage primary" 'INTEGER +:40000001' "$T/asn1.txt"
assert_no_grep "the secret is not in the file" 'correct horse' "$T/sealed.pem"
run tkkey unseal --in "$T/sealed.pem"
assert_ok "unseal to stdout"
cmp -s "$T/secret" "$T/out" || fail "unsealed secret differs from the sealed one"
pass "unsealed secret (stdout) matches"

head -c 128 /dev/urandom >"$T/secret128"
printf '\0' >"$T/secret1"
for s in secret128 secret1; do
    run tkkey seal --in "$T/$s" --out "$T/$s.pem"
    assert_ok "seal $(stat -c %s "$T/$s") bytes"
    run tkkey unseal --in "$T/$s.pem" --out "$T/$s.out"
    assert_ok "unseal $(stat -c %s "$T/$s") bytes to --out"
    cmp -s "$T/$s" "$T/$s.out" || fail "unsealed $s differs"
    pass "unsealed $(stat -c %s "$T/$s") bytes match"
done
assert_eq "--out file is mode 0600" 600 "$(stat -c %a "$T/secret1.out")"
touch "$T/loose.out" && chmod 644 "$T/loose.out"
run tkkey unseal --in "$T/secret1.pem" --out "$T/loose.out"
assert_ok "unseal over an existing file"
assert_eq "an existing --out file is restricted to 0600" 600 "$(stat -c %a "$T/loose.out")"
run tkkey seal --in - --out "$T/stdin.pem" <"$T/secret"
assert_ok "seal from stdin"
run tkkey unseal --in "$T/stdin.pem"
cmp -s "$T/secret" "$T/out" || fail "secret sealed from stdin differs"
pass "secret sealed from stdin unseals"

# --- refusals -----------------------------------------------------------------
head -c 129 /dev/urandom >"$T/secret129"
run tkkey seal --in "$T/secret129" --out "$T/big.pem"
assert_status "a 129-byte secret is refused" 1
assert_grep "the error names the file and the limit" 'secret129 is larger than 128 bytes' "$T/err"
[ ! -e "$T/big.pem" ] || fail "no output file for a refused secret"
pass "no output file for a refused secret"
: >"$T/empty"
run tkkey seal --in "$T/empty" --out "$T/empty.pem"
assert_status "an empty secret is refused" 1
assert_grep "empty secret: clear error" 'empty: there is nothing to seal' "$T/err"
run tkkey seal --in "$T/missing" --out "$T/x.pem"
assert_status "a missing input file" 1
assert_grep "missing file named" 'cannot open .*missing' "$T/err"
run tkkey unseal --in "$T/secret"
assert_status "unseal of a file that is no key file" 1
assert_grep "not a key file: clear error" 'is not a TSS2 key file' "$T/err"
genkey "$T/ec.pem" EC group:P-256
run tkkey unseal --in "$T/ec.pem"
assert_status "unseal of a TPM key" 1
assert_grep "a key is not sealed data" 'is a TPM key, not sealed data' "$T/err"
TPMKIT_SESSION_ENCRYPTION=no run tkkey seal --in "$T/secret" --out "$T/clear.pem"
assert_status "sealing without session encryption is refused" 1
assert_grep "no encryption: says why" 'needs session encryption' "$T/err"
TPMKIT_SESSION_ENCRYPTION=no run tkkey unseal --in "$T/sealed.pem"
assert_status "unsealing without session encryption is refused" 1
assert_grep "no encryption (unseal): says why" 'needs session encryption' "$T/err"

# Without TPMKIT_* variables the settings come from tpmkit's section of
# openssl.cnf, as for the module (read, not loaded).
write_config "$T/tk.cnf" "tcti=$TPMKIT_TCTI"
write_config "$T/noenc.cnf" "tcti=$TPMKIT_TCTI" "session-encryption=no"
write_config "$T/bad.cnf" "tcti=$TPMKIT_TCTI" "session-encryption=perhaps"
(
    unset TPMKIT_TCTI
    OPENSSL_CONF=$T/tk.cnf run tkkey unseal --in "$T/sealed.pem"
    assert_ok "unseal with the TPM named in openssl.cnf"
    cmp -s "$T/secret" "$T/out" || fail "secret (openssl.cnf TPM) differs"
    OPENSSL_CONF=$T/noenc.cnf run tkkey seal --in "$T/secret" --out "$T/x.pem"
    assert_status "openssl.cnf session-encryption = no: seal refused" 1
    assert_grep "openssl.cnf setting honoured" 'needs session encryption' "$T/err"
    OPENSSL_CONF=$T/bad.cnf run tkkey seal --in "$T/secret" --out "$T/x.pem"
    assert_status "a bad openssl.cnf setting" 1
    assert_grep "the bad setting is named" 'session-encryption: "perhaps"' "$T/err"
)

# The key decoders know the file and say what to do with it.
run tk pkey -in "$T/sealed.pem" -noout
assert_fails "openssl pkey refuses sealed data"
assert_grep "pkey: the error says sealed data" 'holds TPM sealed data, not a key' "$T/err"
assert_grep "pkey: the error names tpmkit-key unseal" 'tpmkit-key unseal' "$T/err"

# --- passwords and dictionary-attack lockout ------------------------------------
c0=$(lockout_counter)
run tkkey seal --in "$T/secret" --out "$T/pw.pem" --password s3cret
assert_ok "seal with a password"
sw asn1parse -in "$T/pw.pem" >"$T/asn1.txt"
assert_grep "password: emptyAuth FALSE" 'BOOLEAN +:0$' "$T/asn1.txt"
keyfile_blobs "$T/pw.pem" "$T/pw.pub" "$T/pw.priv"
tpm2 print -t TPM2B_PUBLIC "$T/pw.pub" >"$T/print.out" || fail "tpm2_print"
assert_no_grep "a password object is DA-protected (no noda)" 'noda' "$T/print.out"
keyfile_blobs "$T/sealed.pem" "$T/open.pub" "$T/open.priv"
tpm2 print -t TPM2B_PUBLIC "$T/open.pub" >"$T/print.out" || fail "tpm2_print"
assert_grep "an object without password has noda" 'noda' "$T/print.out"
assert_grep "sealed data: keyedhash without sign/decrypt" 'keyedhash' "$T/print.out"
run tkkey unseal --in "$T/pw.pem"
assert_status "unseal without the password it needs" 1
assert_grep "missing password: says to give --password" '--password PW' "$T/err"
assert_eq "no password given: nothing tried, lockout counter unchanged" "$c0" "$(lockout_counter)"
run tkkey unseal --in "$T/pw.pem" --password wrong
assert_status "unseal with a wrong password" 1
assert_grep "wrong password: clear error" 'wrong password' "$T/err"
assert_eq "one wrong password: lockout counter +1" $((c0 + 1)) "$(lockout_counter)"
run tkkey unseal --in "$T/pw.pem" --password s3cret
assert_ok "unseal with the right password"
cmp -s "$T/secret" "$T/out" || fail "secret with password differs"
pass "secret with password matches"
assert_eq "right password: lockout counter unchanged" $((c0 + 1)) "$(lockout_counter)"
run tkkey unseal --in "$T/sealed.pem" --password whatever
assert_fails "a password for an object without one fails"
assert_eq "noda object: lockout counter unchanged" $((c0 + 1)) "$(lockout_counter)"
tpm2 dictionarylockout -c >/dev/null || fail "tpm2_dictionarylockout -c"

# --- the bus: the secret only ever encrypted --------------------------------------
head -c 48 /dev/urandom >"$T/bus_secret"
hex=$(xxd -p "$T/bus_secret" | tr -d '\n')
PCAP=$T/seal.pcap
rm -f "$PCAP"
run pcap tkkey seal --in "$T/bus_secret" --out "$T/bus.pem" --password bus-pw
assert_ok "seal under pcap"
run pcap tkkey unseal --in "$T/bus.pem" --password bus-pw --out "$T/bus.out"
assert_ok "unseal under pcap"
cmp -s "$T/bus_secret" "$T/bus.out" || fail "unsealed secret (pcap) differs"
pass "unsealed secret (pcap) matches"
capture_commands "$PCAP"
assert_command_count "one TPM2_Create" Create 1
assert_command_count "one TPM2_Unseal" Unseal 1
assert_command_count "salted sessions" StartAuthSession 2
file_has_bytes "$PCAP" "${hex:0:32}" && fail "the secret crossed the bus in clear"
pass "the secret never crosses the bus in clear (seal and unseal)"
file_has_bytes "$PCAP" "$(printf bus-pw | xxd -p)" && fail "the password crossed the bus"
pass "the password never crosses the bus"
# The check can fail: the same bytes sent in clear (TPM2_Hash's input
# has no session to hide it) are seen.
TCTI_PCAP_FILE=$T/clear.pcap TPM2TOOLS_TCTI="pcap:$TPM2TOOLS_TCTI" \
    env -u OPENSSL_CONF timeout 30 tpm2_hash -C o -g sha256 "$T/bus_secret" \
    >/dev/null 2>&1 || fail "tpm2_hash under pcap"
tools_cleanup
file_has_bytes "$T/clear.pcap" "${hex:0:32}" || fail "the bus check sees bytes sent in clear"
pass "the bus check sees bytes sent in clear (tpm2_hash)"

# --- --pcr-values: sealed to the values PCR 16 will hold -----------------
tpm2 pcrreset 16 >/dev/null 2>&1 || fail "tpm2_pcrreset 16"
pcr16_after 7 "$T/future.bin"
PCAP=$T/future.pcap
rm -f "$PCAP"
run pcap tkkey seal --in "$T/secret" --out "$T/future.sealed" --pcr-policy sha256:16 \
    --pcr-values "$T/future.bin"
assert_ok "seal --pcr-policy sha256:16 --pcr-values FILE"
capture_commands "$PCAP"
assert_command_count "seal --pcr-values: no PCR is read" PCR_Read 0
sw genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/signer.pem"
run tkkey seal --in "$T/secret" --out "$T/fsigned.sealed" --policy-signer "$T/signer.pem" \
    --pcr-policy sha256:16 --pcr-values "$T/future.bin"
assert_ok "seal --policy-signer --pcr-policy --pcr-values: the first signed policy for them"
createpolicy_pcr "$T/future.pol" sha256:16 "$T/future.bin"
assert_eq "given values: authPolicy is tpm2_createpolicy -f's digest for the file" \
    "$(xxd -p "$T/future.pol" | tr -d '\n')" "$(auth_policy "$T/future.sealed")"
run tkkey unseal --in "$T/future.sealed"
assert_fails "given values: no unseal before the extend"
assert_grep "before the extend: the PCR values differ" "TPM2_PolicyPCR: the PCR values differ" "$T/err"
run tkkey unseal --in "$T/fsigned.sealed"
assert_fails "first signed policy for given values: no unseal before the extend"
assert_grep "signed, before the extend: no signed policy matches" "no signed policy matches" "$T/err"
extend16 7
run tkkey unseal --in "$T/future.sealed" --out "$T/future.out"
assert_ok "given values: unseals once PCR 16 holds them"
cmp -s "$T/secret" "$T/future.out" || fail "given values: the unsealed secret differs"
pass "given values: the unsealed secret matches"
run tkkey unseal --in "$T/fsigned.sealed" --out "$T/future.out"
assert_ok "first signed policy for given values: unseals once PCR 16 holds them"
cmp -s "$T/secret" "$T/future.out" || fail "signed, given values: the unsealed secret differs"
tpm2 pcrreset 16 >/dev/null 2>&1 || fail "tpm2_pcrreset 16"

# Refusals, before anything is written.
run tkkey seal --in "$T/secret" --out "$T/nopol.sealed" --pcr-values "$T/future.bin"
assert_status "--pcr-values without --pcr-policy: usage error" 2
assert_grep "--pcr-values without --pcr-policy: says it is needed" \
    '--pcr-values FILE needs --pcr-policy SPEC' "$T/err"
[ ! -e "$T/nopol.sealed" ] || fail "--pcr-values without --pcr-policy: a file was written"
pass "--pcr-values without --pcr-policy: no file written"
run tkkey seal --in "$T/secret" --out "$T/short.sealed" --pcr-policy sha256:16,23 \
    --pcr-values "$T/future.bin"
assert_status "--pcr-values too short for two PCRs" 1
assert_grep "too short: the error names the file and both sizes" \
    'future\.bin" holds 32 bytes, but sha256:16,23 needs 64' "$T/err"
[ ! -e "$T/short.sealed" ] || fail "--pcr-values too short: a file was written"
pass "--pcr-values too short: no file written"
run tkkey seal --in "$T/secret" --out "$T/sha384.sealed" --pcr-policy sha384:16 \
    --pcr-values "$T/future.bin"
assert_status "--pcr-values of sha256 size for a sha384 PCR" 1
assert_grep "sha384: 48 bytes needed" 'holds 32 bytes, but sha384:16 needs 48' "$T/err"
run tkkey seal --in "$T/secret" --out "$T/missing.sealed" --pcr-policy sha256:16 \
    --pcr-values "$T/missing.bin"
assert_status "--pcr-values of a missing file" 1
assert_grep "missing values file: named" 'cannot open the PCR values file ".*missing\.bin"' "$T/err"
[ ! -e "$T/missing.sealed" ] || fail "--pcr-values missing: a file was written"
pass "--pcr-values missing: no file written"
run tkkey unseal --in "$T/future.sealed" --pcr-values "$T/future.bin"
assert_status "unseal does not take --pcr-values" 2

assert_no_tpm_leftovers "seal and unseal"
