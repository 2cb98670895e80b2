/* SPDX-License-Identifier: Apache-2.0 */
/* tpmkit's entry point: OSSL_provider_init, the algorithm tables, the
 * provider parameters and the self-test. */
#include <stdlib.h>
#include <string.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include "config.h"
#include "errors.h"
#include "prov_ctx.h"
#include "../decoders/algorithms.h"
#include "../keymgmt/algorithms.h"
#include "../mac/mac.h"
#include "../rand/seed.h"

#ifndef TK_VERSION
#define TK_VERSION "unknown"
#endif
#ifndef TK_BUILDINFO
#define TK_BUILDINFO "tpmkit " TK_VERSION
#endif

#define TK_PARAM_TCTI "tcti"
#define TK_PARAM_SESSION_ENCRYPTION "session-encryption"
#define TK_PARAM_SEED_STATUS "seed-status"
#define TK_PARAM_TPM_STATUS "tpm-status"
#define TK_PARAM_TPM_IDENTITY "tpm-identity"
#define TK_PARAM_TPM_PIN "tpm-pin"
#define TK_PARAM_CONFIG_STATUS "config-status"

static OSSL_FUNC_provider_teardown_fn tk_teardown;
static OSSL_FUNC_provider_gettable_params_fn tk_gettable_params;
static OSSL_FUNC_provider_get_params_fn tk_get_params;
static OSSL_FUNC_provider_query_operation_fn tk_query_operation;
static OSSL_FUNC_provider_get_reason_strings_fn tk_get_reason_strings;
static OSSL_FUNC_provider_self_test_fn tk_self_test;
static OSSL_FUNC_provider_get_capabilities_fn tk_get_capabilities;

static const OSSL_ALGORITHM rands[] = {
    { "TPM2-SEED", "provider=tpmkit", tk_seed_functions,
      "TPM2_GetRandom as a seed source and raw random bytes" },
    { NULL, NULL, NULL, NULL }
};

static const OSSL_ALGORITHM *tk_query_operation(void *provctx, int operation_id,
                                                int *no_cache)
{
    (void)provctx;
    *no_cache = 0;
    switch (operation_id) {
    case OSSL_OP_RAND:
        return rands;
    case OSSL_OP_KEYMGMT:
        return tk_keymgmt_algorithms;
    case OSSL_OP_MAC:
        return tk_mac_algorithms;
    case OSSL_OP_SIGNATURE:
        return tk_signature_algorithms;
    case OSSL_OP_ASYM_CIPHER:
        return tk_asym_cipher_algorithms;
    case OSSL_OP_KEYEXCH:
        return tk_keyexch_algorithms;
    case OSSL_OP_DECODER:
        return tk_decoder_algorithms;
    case OSSL_OP_ENCODER:
        return tk_encoder_algorithms;
    case OSSL_OP_STORE:
        return tk_store_algorithms;
    default:
        return NULL;
    }
}

static const OSSL_PARAM *tk_gettable_params(void *provctx)
{
    static const OSSL_PARAM gettable[] = {
        OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_NAME, NULL, 0),
        OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_VERSION, NULL, 0),
        OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_BUILDINFO, NULL, 0),
        OSSL_PARAM_int(OSSL_PROV_PARAM_STATUS, NULL),
        OSSL_PARAM_utf8_ptr(TK_PARAM_TCTI, NULL, 0),
        OSSL_PARAM_utf8_ptr(TK_PARAM_SESSION_ENCRYPTION, NULL, 0),
        OSSL_PARAM_utf8_string(TK_PARAM_SEED_STATUS, NULL, 0),
        OSSL_PARAM_utf8_string(TK_PARAM_TPM_STATUS, NULL, 0),
        OSSL_PARAM_utf8_string(TK_PARAM_TPM_IDENTITY, NULL, 0),
        OSSL_PARAM_utf8_string(TK_PARAM_TPM_PIN, NULL, 0),
        OSSL_PARAM_utf8_string(TK_PARAM_CONFIG_STATUS, NULL, 0),
        OSSL_PARAM_END
    };

    (void)provctx;
    return gettable;
}

static int set_utf8(OSSL_PARAM params[], const char *key, const char *value)
{
    OSSL_PARAM *p = OSSL_PARAM_locate(params, key);

    if (p == NULL)
        return 1;
    if (p->data_type == OSSL_PARAM_UTF8_PTR)
        return OSSL_PARAM_set_utf8_ptr(p, value);
    return OSSL_PARAM_set_utf8_string(p, value);
}

tk_tpm *tk_prov_tpm(tk_prov_ctx *ctx)
{
    return tk_prov_check_config(ctx) ? ctx->tpm : NULL;
}

int tk_prov_check_config(tk_prov_ctx *ctx)
{
    if (ctx->tpm != NULL)
        return 1;
    tk_raise(TK_R_BAD_CONFIG,
             "%s; tpmkit does not use the TPM until this is fixed",
             ctx->cfg.problem);
    return 0;
}

/* The settings in force; with an unusable configuration, what was read
 * (the TPM is not used then: config-status says why). */
static const char *shown_tcti(const tk_prov_ctx *ctx)
{
    if (ctx->tpm != NULL)
        return tk_tpm_tcti(ctx->tpm);
    return ctx->cfg.tcti[0] != '\0' ? ctx->cfg.tcti : "(unusable)";
}

static const char *shown_encryption(const tk_prov_ctx *ctx)
{
    if (ctx->tpm != NULL)
        return tk_tpm_encrypting(ctx->tpm) ? "on" : "off";
    return strstr(ctx->cfg.problem, "session-encryption:") != NULL
               ? "(unusable)"
           : ctx->cfg.encrypt ? "on"
                              : "off";
}

static int tk_get_params(void *provctx, OSSL_PARAM params[])
{
    tk_prov_ctx *ctx = provctx;
    const char *problem = ctx->cfg.problem;
    char text[1024];
    OSSL_PARAM *p;

    if (!set_utf8(params, OSSL_PROV_PARAM_NAME, "tpmkit")
        || !set_utf8(params, OSSL_PROV_PARAM_VERSION, TK_VERSION)
        || !set_utf8(params, OSSL_PROV_PARAM_BUILDINFO, TK_BUILDINFO)
        || !set_utf8(params, TK_PARAM_TCTI, shown_tcti(ctx))
        || !set_utf8(params, TK_PARAM_SESSION_ENCRYPTION,
                     shown_encryption(ctx)))
        return 0;
    p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_STATUS);
    if (p != NULL && !OSSL_PARAM_set_int(p, 1))
        return 0;
    if (OSSL_PARAM_locate(params, TK_PARAM_CONFIG_STATUS) != NULL) {
        if (ctx->tpm != NULL)
            snprintf(text, sizeof(text), "ok");
        else
            snprintf(text, sizeof(text), "FAILED: %s", problem);
        if (!set_utf8(params, TK_PARAM_CONFIG_STATUS, text))
            return 0;
    }
    if (OSSL_PARAM_locate(params, TK_PARAM_SEED_STATUS) != NULL) {
        tk_seed_stats_describe(ctx, text, sizeof(text));
        if (!set_utf8(params, TK_PARAM_SEED_STATUS, text))
            return 0;
    }
    /* Asking for the TPM's status talks to the TPM: only when asked. */
    if (OSSL_PARAM_locate(params, TK_PARAM_TPM_STATUS) != NULL) {
        char desc[768];

        if (ctx->tpm == NULL) {
            snprintf(text, sizeof(text),
                     "FAILED: bad tpmkit configuration, the TPM is not used:"
                     " %s",
                     problem);
        } else if (tk_tpm_ping(ctx->tpm, desc, sizeof(desc))) {
            snprintf(text, sizeof(text), "ok: %s", desc);
        } else {
            tk_tpm_last_error(ctx->tpm, desc, sizeof(desc));
            snprintf(text, sizeof(text), "FAILED: %s", desc);
        }
        if (!set_utf8(params, TK_PARAM_TPM_STATUS, text))
            return 0;
    }
    if (OSSL_PARAM_locate(params, TK_PARAM_TPM_IDENTITY) != NULL) {
        if (ctx->tpm == NULL)
            snprintf(text, sizeof(text),
                     "not checked: bad tpmkit configuration: %s", problem);
        else
            tk_tpm_identity_describe(ctx->tpm, text, sizeof(text));
        if (!set_utf8(params, TK_PARAM_TPM_IDENTITY, text))
            return 0;
    }
    /* The value that would pin the TPM answering now: talks to the TPM. */
    if (OSSL_PARAM_locate(params, TK_PARAM_TPM_PIN) != NULL) {
        tk_tpm *tpm = tk_prov_tpm(ctx);

        if (tpm == NULL || !tk_tpm_pin(tpm, text, sizeof(text)))
            return 0;
        if (!set_utf8(params, TK_PARAM_TPM_PIN, text))
            return 0;
    }
    return 1;
}

static int tk_self_test(void *provctx)
{
    tk_tpm *tpm = tk_prov_tpm(provctx);

    return tpm != NULL && tk_tpm_ping(tpm, NULL, 0);
}

/* TLS groups whose key shares come from TPMKIT-EPHEMERAL-EC (software):
 * see keymgmt.c for why tpmkit announces them at all. */
static int tk_get_capabilities(void *provctx, const char *capability,
                               OSSL_CALLBACK *cb, void *arg)
{
    static const struct {
        const char *tls_name, *internal_name;
        unsigned int id, bits;
    } groups[] = {
        { "secp256r1", "prime256v1", 23, 128 },
        { "secp384r1", "secp384r1", 24, 192 },
        { "secp521r1", "secp521r1", 25, 256 },
    };
    int min_tls = 0x0301 /* TLS 1.0 */, max_tls = 0, min_dtls = 0xfeff,
        max_dtls = 0;
    unsigned int is_kem = 0;

    (void)provctx;
    if (strcmp(capability, "TLS-GROUP") != 0)
        return 1;
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
        unsigned int id = groups[i].id, bits = groups[i].bits;
        OSSL_PARAM params[] = {
            OSSL_PARAM_utf8_string(OSSL_CAPABILITY_TLS_GROUP_NAME,
                                   (char *)groups[i].tls_name, 0),
            OSSL_PARAM_utf8_string(OSSL_CAPABILITY_TLS_GROUP_NAME_INTERNAL,
                                   (char *)groups[i].internal_name, 0),
            OSSL_PARAM_utf8_string(OSSL_CAPABILITY_TLS_GROUP_ALG,
                                   (char *)TK_EPHEMERAL_EC_NAME, 0),
            OSSL_PARAM_uint(OSSL_CAPABILITY_TLS_GROUP_ID, &id),
            OSSL_PARAM_uint(OSSL_CAPABILITY_TLS_GROUP_SECURITY_BITS, &bits),
            OSSL_PARAM_uint(OSSL_CAPABILITY_TLS_GROUP_IS_KEM, &is_kem),
            OSSL_PARAM_int(OSSL_CAPABILITY_TLS_GROUP_MIN_TLS, &min_tls),
            OSSL_PARAM_int(OSSL_CAPABILITY_TLS_GROUP_MAX_TLS, &max_tls),
            OSSL_PARAM_int(OSSL_CAPABILITY_TLS_GROUP_MIN_DTLS, &min_dtls),
            OSSL_PARAM_int(OSSL_CAPABILITY_TLS_GROUP_MAX_DTLS, &max_dtls),
            OSSL_PARAM_END
        };

        params[0].data_size = strlen(groups[i].tls_name);
        params[1].data_size = strlen(groups[i].internal_name);
        params[2].data_size = strlen(TK_EPHEMERAL_EC_NAME);
        if (!cb(params, arg))
            return 0;
    }
    return 1;
}

static const OSSL_ITEM *tk_get_reason_strings(void *provctx)
{
    (void)provctx;
    return tk_reason_strings();
}

static void tk_teardown(void *provctx)
{
    tk_prov_ctx *ctx = provctx;

    if (ctx == NULL)
        return;
    if (ctx->tpm != NULL)
        tk_tpm_release(ctx->tpm);
    OSSL_LIB_CTX_free(ctx->sw_libctx);
    OSSL_LIB_CTX_free(ctx->core_libctx);
    pthread_mutex_destroy(&ctx->seed.lock);
    tk_errors_unregister(ctx->errors);
    OPENSSL_free(ctx);
}

static const OSSL_DISPATCH provider_functions[] = {
    { OSSL_FUNC_PROVIDER_TEARDOWN, (void (*)(void))tk_teardown },
    { OSSL_FUNC_PROVIDER_GETTABLE_PARAMS, (void (*)(void))tk_gettable_params },
    { OSSL_FUNC_PROVIDER_GET_PARAMS, (void (*)(void))tk_get_params },
    { OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))tk_query_operation },
    { OSSL_FUNC_PROVIDER_GET_REASON_STRINGS,
      (void (*)(void))tk_get_reason_strings },
    { OSSL_FUNC_PROVIDER_SELF_TEST, (void (*)(void))tk_self_test },
    { OSSL_FUNC_PROVIDER_GET_CAPABILITIES,
      (void (*)(void))tk_get_capabilities },
    { 0, NULL }
};

/* tpm2-tss logs every failed connect to stderr; a library must not. tss2
 * reads its log level from the environment only (no API), so this is the
 * one place tpmkit sets a variable: once per process, at the first
 * provider load, and never over a TSS2_LOG the user set or when tracing
 * is on (then tss2's own messages are wanted). */
static void quiet_tss_logging_once(void)
{
    if (getenv("TSS2_LOG") == NULL && tk_debug_level() == TK_DEBUG_OFF)
        setenv("TSS2_LOG", "all+NONE", 0);
}

static void quiet_tss_logging(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;

    pthread_once(&once, quiet_tss_logging_once);
}

__attribute__((visibility("default"))) int OSSL_provider_init(
    const OSSL_CORE_HANDLE *core, const OSSL_DISPATCH *in,
    const OSSL_DISPATCH **out, void **provctx)
{
    tk_prov_ctx *ctx;
    tk_config *cfg;
    tk_errors *errors = tk_errors_register(core, in);

    if (errors == NULL)
        return 0;
    quiet_tss_logging();
    ctx = OPENSSL_zalloc(sizeof(*ctx));
    if (ctx == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "provider context");
        tk_errors_unregister(errors);
        return 0;
    }
    ctx->core = core;
    ctx->errors = errors;
    pthread_mutex_init(&ctx->seed.lock, NULL);
    cfg = &ctx->cfg;
    /* A setting tpmkit cannot honour must not stop the load: OpenSSL would
     * then seed its DRBG from the operating system without a word. tpmkit
     * loads without a TPM instead, and every TPM use fails naming the
     * setting (tk_prov_tpm). */
    tk_config_load(core, in, cfg);
    if (cfg->problem[0] == '\0') {
        tk_tpm_settings s;

        tk_tpm_settings_default(&s);
        s.tcti = cfg->tcti;
        s.encrypt = cfg->encrypt;
        s.identity = cfg->identity;
        s.storage_primary = cfg->storage_primary;
        memcpy(s.timeouts, cfg->timeouts, sizeof(s.timeouts));
        ctx->tpm = tk_tpm_acquire_with(&s);
    }
    ctx->core_libctx = OSSL_LIB_CTX_new_from_dispatch(core, in);
    ctx->sw_libctx = OSSL_LIB_CTX_new();
    if ((ctx->tpm == NULL && cfg->problem[0] == '\0')
        || ctx->core_libctx == NULL || ctx->sw_libctx == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "provider context");
        tk_teardown(ctx);
        return 0;
    }
    if (ctx->tpm == NULL)
        tk_debug("loaded without the TPM: bad configuration: %s", cfg->problem);
    else
        tk_debug("loaded; TCTI \"%s\", session encryption %s", cfg->tcti,
                 cfg->encrypt ? "on" : "off");
    *out = provider_functions;
    *provctx = ctx;
    return 1;
}
