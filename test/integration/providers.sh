# SPDX-License-Identifier: Apache-2.0
# tpmkit loads as a provider, says who it is, offers TPM2-SEED, and its
# self-test really asks the TPM.
. "$TK_SOURCE_DIR/test/lib/common.sh"

version=$(sed -n "s/^ *version: '\([^']*\)'.*/\1/p" "$TK_SOURCE_DIR/meson.build" | head -n 1)
[ -n "$version" ] || fail "cannot read the project version from meson.build"

run ossl list -providers -verbose -provider-path "$TK_MODULE_DIR" -provider tpmkit
assert_ok "openssl list -providers -provider tpmkit"
cp "$T/out" "$T/list"
assert_grep "listed under the name tpmkit" '^ +name: tpmkit$' "$T/list"
assert_grep "status: active" '^ +status: active$' "$T/list"
assert_grep "version $version" "^ +version: ${version//./\\.}\$" "$T/list"
assert_grep "build info names tpmkit $version and OpenSSL" \
    "^ +build info: tpmkit ${version//./\\.} .*OpenSSL 3\." "$T/list"
assert_no_tpm_leftovers "list -providers"

run ossl list -random-generators -provider-path "$TK_MODULE_DIR" -provider tpmkit
assert_ok "openssl list -random-generators -provider tpmkit"
assert_grep "TPM2-SEED offered by tpmkit" '^ *TPM2-SEED @ tpmkit$' "$T/out"

# The generated configuration activates tpmkit next to the default provider.
write_config "$T/openssl.cnf"
export OPENSSL_CONF=$T/openssl.cnf
run ossl list -providers
assert_ok "openssl list -providers with the generated config"
assert_grep "config activates tpmkit" '^ +tpmkit$' "$T/out"
assert_grep "config activates default" '^ +default$' "$T/out"

run tkprog tk_selftest
assert_ok "OSSL_PROVIDER_self_test passes with swtpm"
assert_grep "self-test reports passed" '^self-test: passed$' "$T/out"
assert_no_tpm_leftovers "the self-test"

# The self-test must talk to the TPM, not just report that tpmkit loaded.
TPMKIT_TCTI="swtpm:host=127.0.0.1,port=$(free_port)" run tkprog tk_selftest
assert_status "OSSL_PROVIDER_self_test fails with a dead TCTI" 1
assert_grep "self-test reports failed" '^self-test: failed$' "$T/out"

swtpm_stop
run tkprog tk_selftest
assert_status "OSSL_PROVIDER_self_test fails once swtpm is stopped" 1
swtpm_restart || fail "swtpm did not restart"

assert_no_tpm_leftovers
