# SPDX-License-Identifier: Apache-2.0
# TPM2-SEED used directly through EVP_RAND: raw TPM bytes for any request
# size, strength 256, a max_request, and 64 bytes per TPM2_GetRandom.
. "$TK_SOURCE_DIR/test/lib/common.sh"

write_config "$T/openssl.cnf"
export OPENSSL_CONF=$T/openssl.cnf

run tkprog tk_rand seed-check
sed 's/^/#   /' "$T/out"
assert_ok "EVP_RAND TPM2-SEED: every check of tk_rand seed-check"
assert_grep "strength 256" '^ok strength 256$' "$T/out"
assert_grep "max_request reported" '^ok max_request [1-9][0-9]*$' "$T/out"
for n in 1 31 64 65 1000 5000 100000; do
    assert_grep "$n bytes: drawn, not all zero, two draws differ" "^ok $n bytes\$" "$T/out"
done
assert_no_tpm_leftovers "tk_rand seed-check"

# The TPM returns at most 64 bytes per command.
for case in 64:1 65:2 1000:16; do
    n=${case%:*} commands=${case#*:}
    run with_pcap "$T/draw.pcap" tkprog tk_rand seed-hex "$n"
    assert_ok "draw $n bytes, recorded"
    assert_eq "and gets $n bytes" $((2 * n)) "$(tr -d '\n' <"$T/out" | wc -c)"
    capture_commands "$T/draw.pcap"
    assert_command_count "$n bytes take $commands x TPM2_GetRandom" GetRandom "$commands"
done
assert_no_tpm_leftovers
