# SPDX-License-Identifier: Apache-2.0
# A setting tpmkit cannot honour (a mistyped session-encryption, a tcti
# longer than tpmkit takes), in openssl.cnf or in the environment, must not
# end in OpenSSL seeding its DRBG from the operating system: tpmkit still
# loads, and every TPM use (the seed, keys, MACs, tpmkit-status) fails with
# an error that names the setting, its value and where it came from.
. "$TK_SOURCE_DIR/test/lib/common.sh"

live=$TPMKIT_TCTI
write_config "$T/good.cnf"
long_tcti="device:/$(head -c 592 /dev/zero | tr '\0' a)"
[ "${#long_tcti}" -eq 600 ] || fail "the long TCTI is 600 characters"

# A TPM key and a TPM HMAC key, made while the configuration is good.
tkossl() {
    OPENSSL_MODULES=$TK_MODULE_DIR ossl "$1" -provider tpmkit -provider default "${@:2}"
}
run tkossl genpkey -algorithm EC -pkeyopt group:P-256 -out "$T/ec.pem"
assert_ok "genpkey: a TPM key"
run tkossl genpkey -algorithm TPM2-HMAC -pkeyopt digest:SHA256 -out "$T/hmac.pem"
assert_ok "genpkey: a TPM HMAC key"
echo "message" >"$T/msg"

# Control: the good configuration seeds from the TPM.
OPENSSL_CONF=$T/good.cnf run ossl rand -hex 8
assert_ok "good configuration: openssl rand works"

# withenv CMD...: CMD with the settings of the array ENVS: VAR=VALUE words
# are exported, !VAR words unset.
withenv() {
    (
        local kv
        for kv in "${ENVS[@]}"; do
            if [ "${kv#!}" != "$kv" ]; then unset "${kv#!}"; else export "${kv?}"; fi
        done
        "$@"
    )
}

# expect_refused NAME TEXT VAR=VALUE|!VAR...: with those settings
# (OPENSSL_CONF among them), tpmkit loads but refuses the TPM, and every
# refusal contains TEXT.
expect_refused() {
    local name=$1 text=$2
    shift 2
    ENVS=("$@")
    echo "# $name"
    run withenv ossl rand -hex 8
    assert_fails "$name: openssl rand fails (no silent seeding from the OS)"
    assert_eq "$name: openssl rand prints no random bytes" "" "$(cat "$T/out")"
    assert_contains "$name: the error names the setting" "$text" "$T/err"
    assert_contains "$name: as a configuration error" "bad tpmkit configuration" "$T/err"

    run withenv ossl list -providers
    assert_ok "$name: openssl list -providers"
    awk '/^  tpmkit$/ { p = 1; next } /^  [^ ]/ { p = 0 } p' "$T/out" >"$T/tpmkit.txt"
    assert_grep "$name: tpmkit is loaded and active" '^ +status: active$' "$T/tpmkit.txt"

    run withenv ossl dgst -sha256 -sign "$T/ec.pem" -out "$T/sig" "$T/msg"
    assert_fails "$name: signing with a TPM key fails"
    assert_contains "$name: the signing error names the setting" "$text" "$T/err"

    run withenv ossl mac -macopt "key-uri:$T/hmac.pem" -macopt digest:SHA256 \
        -in "$T/msg" TPM2-HMAC
    assert_fails "$name: a TPM2-HMAC fails"
    assert_contains "$name: the MAC error names the setting" "$text" "$T/err"

    if [ -x "$TK_STATUS" ]; then
        run withenv tkstatus
        assert_status "$name: tpmkit-status exits 1" 1
        assert_contains "$name: tpmkit-status names the setting" "$text" "$T/out"
        assert_grep "$name: under configuration" '^configuration: +FAILED: ' "$T/out"
        assert_grep "$name: and says the TPM is not used" '^TPM: +FAILED: bad tpmkit configuration' "$T/out"
        assert_grep "$name: and the DRBG seed failed" '^DRBG seed: +FAILED' "$T/out"
        assert_no_grep "$name: never blames the module path" 'not loadable' "$T/err"
    fi
}

write_config "$T/typo.cnf" session-encryption=yse
expect_refused "session-encryption = yse in openssl.cnf" \
    'session-encryption: "yse" is not yes or no (from openssl.cnf)' \
    OPENSSL_CONF="$T/typo.cnf"

expect_refused "TPMKIT_SESSION_ENCRYPTION=yse" \
    'session-encryption: "yse" is not yes or no (from TPMKIT_SESSION_ENCRYPTION)' \
    OPENSSL_CONF="$T/good.cnf" TPMKIT_SESSION_ENCRYPTION=yse

write_config "$T/long.cnf" "tcti=$long_tcti"
expect_refused "a 600-character tcti in openssl.cnf" \
    "is 600 bytes long, more than the 511 tpmkit accepts (from openssl.cnf)" \
    !TPMKIT_TCTI OPENSSL_CONF="$T/long.cnf"

expect_refused "a 600-character TPMKIT_TCTI" \
    "is 600 bytes long, more than the 511 tpmkit accepts (from TPMKIT_TCTI)" \
    OPENSSL_CONF="$T/good.cnf" TPMKIT_TCTI="$long_tcti"

# The environment wins over openssl.cnf, good values included: a good
# TPMKIT_SESSION_ENCRYPTION repairs a typo in the file.
TPMKIT_SESSION_ENCRYPTION=yes OPENSSL_CONF=$T/typo.cnf run ossl rand -hex 8
assert_ok "TPMKIT_SESSION_ENCRYPTION=yes over session-encryption = yse"
export TPMKIT_TCTI=$live
assert_no_tpm_leftovers
