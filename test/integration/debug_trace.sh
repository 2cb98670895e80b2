# SPDX-License-Identifier: Apache-2.0
# TPMKIT_DEBUG=LEVEL[,file:PATH]: level 2 traces every TPM command and its
# response code, with timestamps, into PATH; level 1 does not trace
# commands; unset, nothing is written. The trace never holds the random
# bytes the TPM returned.
. "$TK_SOURCE_DIR/test/lib/common.sh"

write_config "$T/openssl.cnf"
export OPENSSL_CONF=$T/openssl.cnf

TPMKIT_DEBUG="2,file:$T/trace2" run ossl rand -hex 32
assert_ok "openssl rand with TPMKIT_DEBUG=2,file:..."
assert_grep "level 2: GetRandom (0x17b) is traced" 'TPM command 0x17b \(' "$T/trace2"
assert_grep "level 2: its response code is traced" 'TPM command 0x17b: rc 0x0 after' "$T/trace2"
assert_grep "lines carry the pid and a timestamp" '^tpmkit\[[0-9]+\] [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} ' "$T/trace2"
assert_no_grep "nothing on stderr when tracing to a file" 'tpmkit\[' "$T/err"
hex=$(tr -d '\n' < "$T/out")
assert_no_grep "the random output is not in the trace" "$hex" "$T/trace2"

TPMKIT_DEBUG="1,file:$T/trace1" run ossl rand -hex 8
assert_ok "openssl rand with TPMKIT_DEBUG=1"
assert_grep "level 1: the connection is traced" 'connected to ' "$T/trace1"
assert_no_grep "level 1: commands are not traced" 'TPM command' "$T/trace1"

run ossl rand -hex 8
assert_ok "openssl rand without TPMKIT_DEBUG"
assert_no_grep "without TPMKIT_DEBUG nothing is traced" 'tpmkit\[' "$T/err"
