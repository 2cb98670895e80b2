/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <time.h>

#include "tcti_trace.h"
#include "../provider/debug.h"

#define TRACE_MAGIC 0x746b74726163650aULL

typedef struct trace {
    TSS2_TCTI_CONTEXT_COMMON_V2 common; /* first: what callers see */
    TSS2_TCTI_CONTEXT *inner;
    uint32_t cc;
    struct timespec sent;
} trace;

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8
           | p[3];
}

static TSS2_RC transmit(TSS2_TCTI_CONTEXT *ctx, size_t size, const uint8_t *cmd)
{
    trace *t = (trace *)ctx;

    t->cc = size >= 10 ? be32(cmd + 6) : 0;
    clock_gettime(CLOCK_MONOTONIC, &t->sent);
    tk_debug_at(TK_DEBUG_COMMANDS, "TPM command 0x%03x (%zu bytes)", t->cc,
                size);
    return Tss2_Tcti_Transmit(t->inner, size, cmd);
}

static TSS2_RC receive(TSS2_TCTI_CONTEXT *ctx, size_t *size, uint8_t *resp,
                       int32_t timeout)
{
    trace *t = (trace *)ctx;
    TSS2_RC rc = Tss2_Tcti_Receive(t->inner, size, resp, timeout);
    struct timespec now;

    /* tss2 asks for the size first (resp NULL), then for the bytes. */
    if (resp == NULL && rc == TSS2_RC_SUCCESS)
        return rc;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (rc != TSS2_RC_SUCCESS)
        tk_debug_at(TK_DEBUG_COMMANDS,
                    "TPM command 0x%03x: no response (TCTI 0x%x)", t->cc,
                    (unsigned)rc);
    else
        tk_debug_at(TK_DEBUG_COMMANDS,
                    "TPM command 0x%03x: rc 0x%x after %.3f ms", t->cc,
                    *size >= 10 ? be32(resp + 6) : 0xffffffffu,
                    (now.tv_sec - t->sent.tv_sec) * 1e3
                        + (now.tv_nsec - t->sent.tv_nsec) / 1e6);
    return rc;
}

static void finalize(TSS2_TCTI_CONTEXT *ctx)
{
    (void)ctx; /* the inner TCTI is its owner's to free */
}

static TSS2_RC cancel(TSS2_TCTI_CONTEXT *ctx)
{
    return Tss2_Tcti_Cancel(((trace *)ctx)->inner);
}

static TSS2_RC poll_handles(TSS2_TCTI_CONTEXT *ctx, TSS2_TCTI_POLL_HANDLE *h,
                            size_t *n)
{
    return Tss2_Tcti_GetPollHandles(((trace *)ctx)->inner, h, n);
}

static TSS2_RC set_locality(TSS2_TCTI_CONTEXT *ctx, uint8_t locality)
{
    return Tss2_Tcti_SetLocality(((trace *)ctx)->inner, locality);
}

static TSS2_RC make_sticky(TSS2_TCTI_CONTEXT *ctx, TPM2_HANDLE *handle,
                           uint8_t sticky)
{
    return Tss2_Tcti_MakeSticky(((trace *)ctx)->inner, handle, sticky);
}

TSS2_TCTI_CONTEXT *tk_tcti_trace_new(TSS2_TCTI_CONTEXT *inner)
{
    trace *t = calloc(1, sizeof(*t));

    if (t == NULL)
        return NULL;
    t->inner = inner;
    t->common.v1.magic = TRACE_MAGIC;
    t->common.v1.version = 2;
    t->common.v1.transmit = transmit;
    t->common.v1.receive = receive;
    t->common.v1.finalize = finalize;
    t->common.v1.cancel = cancel;
    t->common.v1.getPollHandles = poll_handles;
    t->common.v1.setLocality = set_locality;
    t->common.makeSticky = make_sticky;
    return (TSS2_TCTI_CONTEXT *)t;
}

void tk_tcti_trace_free(TSS2_TCTI_CONTEXT *t)
{
    free(t);
}
