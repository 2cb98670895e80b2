# SPDX-License-Identifier: Apache-2.0
# 8 threads draw at once, each from its own TPM2-SEED context and from
# RAND_bytes (seeded from the TPM by the config): every draw succeeds.
. "$TK_SOURCE_DIR/test/lib/common.sh"

write_config "$T/openssl.cnf"
export OPENSSL_CONF=$T/openssl.cnf

run tkprog tk_threads 8 40
assert_ok "8 threads x 40 iterations of TPM2-SEED + RAND_bytes"
assert_grep "no draw failed" '^8 threads x 40 iterations: 0 failed draws$' "$T/out"
assert_no_tpm_leftovers
