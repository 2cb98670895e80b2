# SPDX-License-Identifier: Apache-2.0
# Issue 3, robustness: one process uses more TPM keys than the TPM has
# object slots (3 on swtpm, no resource manager): six key files loaded at
# once, each signing in turn, twice round; every signature verifies and no
# 0x902 (out of object memory) reaches the application.
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"

keys=()
for i in 1 2 3; do
    genkey "$T/ec$i.pem" EC group:P-256
    keys+=("$T/ec$i.pem")
done
genkey "$T/ec4.pem" EC group:P-384
genkey "$T/rsa5.pem" RSA bits:2048
genkey "$T/ec6.pem" EC group:P-256
keys+=("$T/ec4.pem" "$T/rsa5.pem" "$T/ec6.pem")

write_config "$T/openssl.cnf"
export OPENSSL_CONF=$T/openssl.cnf
PCAP=$T/slots.pcap
run pcap tkkeys many 2 "${keys[@]}"
assert_ok "tk_keys: 6 keys, 2 rounds, in one process"
assert_eq "12 signatures made and verified" 12 "$(grep -c '^ok round' "$T/out")"
assert_no_grep "no 0x902 (object memory) reaches the application" \
    '902|OBJECT_MEMORY|object memory' "$T/err"
capture_commands "$PCAP"
assert_command_count "one TPM2_Sign per signature" Sign 12
loads=$(command_count Load)
[ "$loads" -ge 6 ] || fail "each of the 6 keys was loaded (saw $loads x TPM2_Load)"
pass "each key was loaded into the TPM ($loads x TPM2_Load)"

# The same with three processes sharing the TPM's slots at once.
for p in 1 2 3; do
    tkkeys many 3 "${keys[@]}" >"$T/p$p.out" 2>"$T/p$p.err" &
    pids[$p]=$!
done
for p in 1 2 3; do
    RC=0
    wait "${pids[$p]}" || RC=$?
    [ "$RC" -eq 0 ] || { sed 's/^/#   /' "$T/p$p.err" | tail; fail "process $p of 3: exit $RC"; }
    assert_eq "process $p of 3: 18 signatures" 18 "$(grep -c '^ok round' "$T/p$p.out")"
done
assert_no_tpm_leftovers
