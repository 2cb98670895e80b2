/* SPDX-License-Identifier: Apache-2.0 */
/* tpmkit-status: is tpmkit loaded, does the TPM answer, and does OpenSSL's
 * DRBG really draw its seed from the TPM?
 *
 * OpenSSL silently falls back to the operating system's entropy when a
 * configured seed source cannot start, so the only honest check is to make
 * the DRBG seed itself and then ask tpmkit how many seeds it handed out.
 *
 * `tpmkit-status --pin` prints instead the tpm-identity value that pins
 * the TPM answering now (its storage key's name), for openssl.cnf or
 * TPMKIT_TPM_IDENTITY: run it where the TPM is known to be genuine.
 *
 * Exit status: 0 all well, 1 the TPM or the TPM seed failed, or tpmkit's
 * configuration is unusable, 2 tpmkit is not loaded. */
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

static const char *param(OSSL_PROVIDER *prov, const char *key, char *buf,
                         size_t len)
{
    OSSL_PARAM params[] = { OSSL_PARAM_utf8_string(key, buf, len),
                            OSSL_PARAM_END };

    buf[0] = '\0';
    if (!OSSL_PROVIDER_get_params(prov, params))
        snprintf(buf, len, "(unavailable)");
    return buf;
}

static const char *param_ptr(OSSL_PROVIDER *prov, const char *key)
{
    const char *value = "(unavailable)";
    OSSL_PARAM params[] = { OSSL_PARAM_utf8_ptr(key, (char **)&value, 0),
                            OSSL_PARAM_END };

    if (!OSSL_PROVIDER_get_params(prov, params))
        return "(unavailable)";
    return value;
}

static int print_pin(OSSL_PROVIDER *prov)
{
    char buf[1024];

    param(prov, "tpm-pin", buf, sizeof(buf));
    if (strncmp(buf, "name:", 5) != 0) {
        fprintf(stderr, "tpmkit-status: the TPM did not answer\n");
        ERR_print_errors_fp(stderr);
        return 1;
    }
    printf("# the TPM answering now; in the tpmkit section of openssl.cnf:\n");
    printf("tpm-identity = %s\n", buf);
    printf("# or in the environment:\n");
    printf("# export TPMKIT_TPM_IDENTITY=%s\n", buf);
    return 0;
}

int main(int argc, char **argv)
{
    OSSL_PROVIDER *prov, *deflt;
    unsigned char sample[32];
    char buf[1024];
    int ok = 1, seeded, bad_config,
        pin = argc == 2 && strcmp(argv[1], "--pin") == 0;

    if (argc > 1 && !pin) {
        fprintf(stderr, "usage: tpmkit-status [--pin]\n");
        return 2;
    }
    OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL);
    prov = OSSL_PROVIDER_load(NULL, "tpmkit");
    if (prov == NULL) {
        fprintf(stderr, "tpmkit-status: tpmkit is not loadable "
                        "(set OPENSSL_MODULES or OPENSSL_CONF)\n");
        ERR_print_errors_fp(stderr);
        return 2;
    }
    /* Loading one provider by hand turns off OpenSSL's fallback to the
     * default provider; the DRBG itself comes from there. */
    deflt = OSSL_PROVIDER_try_load(NULL, "default", 1);
    if (pin) {
        ok = print_pin(prov) == 0;
        OSSL_PROVIDER_unload(prov);
        OSSL_PROVIDER_unload(deflt);
        return ok ? 0 : 1;
    }
    printf("provider:           %s %s\n", param_ptr(prov, "name"),
           param_ptr(prov, "version"));
    printf("build:              %s\n", param_ptr(prov, "buildinfo"));
    printf("TCTI:               %s\n", param_ptr(prov, "tcti"));
    printf("session encryption: %s\n", param_ptr(prov, "session-encryption"));
    /* A setting tpmkit cannot honour: loaded, but the TPM is never used. */
    param(prov, "config-status", buf, sizeof(buf));
    printf("configuration:      %s\n", buf);
    bad_config = strncmp(buf, "FAILED", 6) == 0;
    if (bad_config)
        ok = 0;

    if (OSSL_PROVIDER_self_test(prov)) {
        printf("self-test:          passed\n");
    } else {
        printf("self-test:          FAILED\n");
        ERR_print_errors_fp(stdout);
        ok = 0;
    }
    printf("TPM:                %s\n",
           param(prov, "tpm-status", buf, sizeof(buf)));

    /* Make the default DRBG (re)seed now, then see who seeded it. */
    ERR_clear_error();
    if (RAND_bytes(sample, sizeof(sample)) != 1) {
        printf("RAND_bytes:         FAILED\n");
        ERR_print_errors_fp(stdout);
        ok = 0;
    }
    param(prov, "seed-status", buf, sizeof(buf));
    printf("DRBG seed:          %s\n", buf);
    seeded = strncmp(buf, "ok", 2) == 0;
    if (strncmp(buf, "FAILED", 6) == 0)
        ok = 0;
    printf("TPM identity:       %s\n",
           param(prov, "tpm-identity", buf, sizeof(buf)));
    printf("verdict:            %s\n",
           bad_config ? "tpmkit is NOT working: fix the setting named under"
                        " \"configuration\""
           : !ok      ? "tpmkit is NOT working"
           : seeded   ? "OpenSSL's DRBG is seeded by the TPM"
                      : "TPM reachable, but OpenSSL's DRBG is NOT seeded by "
                        "the TPM (check [random] seed = TPM2-SEED)");
    OSSL_PROVIDER_unload(prov);
    OSSL_PROVIDER_unload(deflt);
    /* 0 only when OpenSSL really seeds from the TPM (what users check). */
    return ok && seeded ? 0 : 1;
}
