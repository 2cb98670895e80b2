# SPDX-License-Identifier: Apache-2.0
# Two library contexts each load tpmkit; the first is unloaded and freed;
# an operation in the second fails and its error is tpmkit's, intact
# (under AddressSanitizer: never raised through the freed instance).
. "$TK_SOURCE_DIR/test/lib/common.sh"

TPMKIT_TCTI="swtpm:host=127.0.0.1,port=$(free_port)"
export TPMKIT_TCTI
run tkprog tk_twoctx "$(dirname "$TK_MODULE")"
assert_ok "the second context's error is tpmkit's \"TPM unreachable\""
assert_grep "the error names the unreachable TCTI" "TCTI \"$TPMKIT_TCTI\"" "$T/out"
