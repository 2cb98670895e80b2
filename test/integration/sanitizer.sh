# SPDX-License-Identifier: Apache-2.0
# The suite's openssl runs carry the sanitizer runtime in a sanitizer build
# (tpmkit.so is instrumented, the openssl binary is not), and nothing
# sanitizer-related in a plain build.
. "$TK_SOURCE_DIR/test/lib/common.sh"

if [ "${TK_SANITIZED:-0}" = 1 ]; then
    [ -n "${TK_PRELOAD:-}" ] || fail "sanitizer build: expected TK_PRELOAD to name the runtimes, it is empty"
    IFS=: read -r -a runtimes <<<"$TK_PRELOAD"
    for lib in "${runtimes[@]}"; do
        [ -f "$lib" ] || fail "sanitizer build: runtime $lib does not exist"
    done
    pass "sanitizer build: TK_PRELOAD names ${#runtimes[@]} existing runtime(s)"

    # Without the preload the instrumented module cannot run inside openssl:
    # this is what ossl() is for.
    RC=0
    timeout 30 openssl list -providers -provider-path "$TK_MODULE_DIR" -provider tpmkit \
        >"$T/out" 2>"$T/err" || RC=$?
    assert_fails "sanitizer build: plain openssl cannot use the module"
else
    assert_eq "plain build: TK_PRELOAD is empty" "" "${TK_PRELOAD:-}"
    if ldd "$TK_MODULE" | grep -Eq 'lib(a|ub)san'; then
        fail "plain build: expected no sanitizer runtime in tpmkit.so, ldd shows one"
    fi
    pass "plain build: tpmkit.so links no sanitizer runtime"
fi

write_config "$T/openssl.cnf"
OPENSSL_CONF=$T/openssl.cnf run ossl rand -hex 16
assert_ok "openssl rand through ossl (with TK_PRELOAD when set)"
assert_no_grep "no sanitizer report" 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T/err"
assert_no_tpm_leftovers
