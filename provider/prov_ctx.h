/* SPDX-License-Identifier: Apache-2.0 */
/* The provider context: one per loaded tpmkit instance (per library
 * context). Algorithms reach the TPM through it. */
#ifndef TK_PROV_CTX_H
#define TK_PROV_CTX_H

#include <openssl/core.h>
#include <openssl/types.h>
#include <pthread.h>

#include "../tpm/tpm.h"
#include "config.h"
#include "errors.h"

typedef struct tk_seed_stats {
    pthread_mutex_t lock;
    unsigned long seeds; /* successful seedings from the TPM */
    unsigned long failures;
    int last_failed; /* the most recent attempt failed */
    char last_error[800];
} tk_seed_stats;

typedef struct tk_prov_ctx {
    const OSSL_CORE_HANDLE *core;
    tk_errors *errors; /* this instance's error functions */
    /* Wraps the core's BIOs (decoders, encoders, store). */
    OSSL_LIB_CTX *core_libctx;
    /* Software crypto tpmkit does itself (public keys, hashing, padding):
     * a plain context with OpenSSL's default provider only, so it can never
     * come back into tpmkit. */
    OSSL_LIB_CTX *sw_libctx;
    /* NULL when the configuration is unusable (cfg.problem): reach it
     * through tk_prov_tpm() only. */
    tk_tpm *tpm;
    tk_config cfg;
    tk_seed_stats seed;
} tk_prov_ctx;

/* This instance's TPM for an operation about to use it. NULL, with a "bad
 * tpmkit configuration" error naming the bad setting raised, when tpmkit
 * was loaded with a setting it cannot honour: nothing then reaches the
 * TPM. */
tk_tpm *tk_prov_tpm(tk_prov_ctx *ctx);
/* The same check without the TPM: 1 if the configuration is usable, else 0
 * with the error raised. */
int tk_prov_check_config(tk_prov_ctx *ctx);

/* Seed bookkeeping, reported through the provider's parameters so that a
 * user can tell whether OpenSSL's DRBG really draws from the TPM. */
void tk_seed_stats_ok(tk_prov_ctx *ctx);
void tk_seed_stats_failed(tk_prov_ctx *ctx);
void tk_seed_stats_describe(tk_prov_ctx *ctx, char *out, size_t out_len);

#endif
