/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>

#include "prov_ctx.h"

void tk_seed_stats_ok(tk_prov_ctx *ctx)
{
    pthread_mutex_lock(&ctx->seed.lock);
    ctx->seed.seeds++;
    ctx->seed.last_failed = 0;
    pthread_mutex_unlock(&ctx->seed.lock);
}

void tk_seed_stats_failed(tk_prov_ctx *ctx)
{
    pthread_mutex_lock(&ctx->seed.lock);
    ctx->seed.failures++;
    ctx->seed.last_failed = 1;
    if (ctx->tpm != NULL)
        tk_tpm_last_error(ctx->tpm, ctx->seed.last_error,
                          sizeof(ctx->seed.last_error));
    else
        snprintf(ctx->seed.last_error, sizeof(ctx->seed.last_error),
                 "bad tpmkit configuration: %s", ctx->cfg.problem);
    pthread_mutex_unlock(&ctx->seed.lock);
}

void tk_seed_stats_describe(tk_prov_ctx *ctx, char *out, size_t out_len)
{
    pthread_mutex_lock(&ctx->seed.lock);
    if (ctx->seed.last_failed)
        snprintf(out, out_len, "FAILED: %s (%lu failed, %lu good seeding(s))",
                 ctx->seed.last_error, ctx->seed.failures, ctx->seed.seeds);
    else if (ctx->seed.seeds == 0)
        snprintf(out, out_len, "not used: no DRBG has drawn a TPM seed");
    else
        snprintf(out, out_len, "ok: %lu seeding(s) from the TPM",
                 ctx->seed.seeds);
    pthread_mutex_unlock(&ctx->seed.lock);
}
