# SPDX-License-Identifier: Apache-2.0
. "$TK_SOURCE_DIR/test/keys/keys_lib.sh"
fail "not written yet"
