# SPDX-License-Identifier: Apache-2.0
# With the generated openssl.cnf, OpenSSL's DRBG takes its seed from the TPM:
# plain openssl commands work, tpmkit-status says so, and the TPM sees one
# TPM2_GetRandom per seeding, not one per RAND_bytes call.
. "$TK_SOURCE_DIR/test/lib/common.sh"

write_config "$T/openssl.cnf"
export OPENSSL_CONF=$T/openssl.cnf

run ossl rand -hex 32
assert_ok "openssl rand -hex 32"
assert_grep "prints 32 bytes" '^[0-9a-f]{64}$' "$T/out"
assert_no_tpm_leftovers "openssl rand"

run ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/ec.pem"
assert_ok "openssl genpkey -algorithm EC P-256"
assert_grep "writes a private key" '^-----BEGIN PRIVATE KEY-----$' "$T/ec.pem"
assert_no_tpm_leftovers "openssl genpkey"

if [ -x "$TK_STATUS" ]; then
    run tkstatus
    assert_ok "tpmkit-status exits 0"
    assert_grep "tpmkit-status: DRBG seed ok" '^DRBG seed: +ok' "$T/out"
    assert_grep "tpmkit-status: seeded by the TPM" "DRBG is seeded by the TPM" "$T/out"
    assert_no_tpm_leftovers "tpmkit-status"

    # Negative control: without [random] seed = TPM2-SEED the same program
    # must not claim a TPM seed.
    write_config "$T/noseed.cnf" --no-seed
    OPENSSL_CONF=$T/noseed.cnf run tkstatus
    assert_no_grep "without [random]: no 'seeded by the TPM' claim" \
        "DRBG is seeded by the TPM" "$T/out"
    assert_grep "without [random]: says NOT seeded" "NOT seeded" "$T/out"
    assert_status "without [random]: tpmkit-status exits 1" 1
fi

# Count TPM2_GetRandom commands on the wire.
run with_pcap "$T/rand.pcap" ossl rand -hex 32
assert_ok "openssl rand -hex 32, recorded"
capture_commands "$T/rand.pcap"
assert_command_count "openssl rand -hex 32 sends one TPM2_GetRandom" GetRandom 1

run with_pcap "$T/many.pcap" tkprog tk_rand rand-bytes 1000 32
assert_ok "1000 x RAND_bytes(32), recorded"
capture_commands "$T/many.pcap"
assert_command_count "1000 x RAND_bytes(32) send one TPM2_GetRandom" GetRandom 1
assert_no_tpm_leftovers "1000 x RAND_bytes"

# A forked child notices the fork and reseeds its DRBG: through its own TPM
# connection, one more TPM2_GetRandom. The parent's later draw needs none.
run with_pcap "$T/fork.pcap" tkprog tk_fork -s -r 1
assert_ok "RAND_bytes in parent, forked child, parent again"
capture_commands "$T/fork.pcap"
assert_command_count "parent seeding + child reseeding: two TPM2_GetRandom" GetRandom 2
assert_eq "parent, child and parent again drew different bytes" 3 \
    "$(cut -d' ' -f2 "$T/out" | sort -u | grep -c .)"
assert_no_tpm_leftovers
