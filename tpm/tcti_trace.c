/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <time.h>

#include "tcti_wrap.h"
#include "tcti_trace.h"
#include "../provider/debug.h"

#define TRACE_MAGIC 0x746b74726163650aULL

typedef struct trace {
    tk_tcti_wrap wrap; /* first: the TCTI callers see */
    uint32_t cc;
    struct timespec sent;
} trace;

static TSS2_RC transmit(TSS2_TCTI_CONTEXT *ctx, size_t size, const uint8_t *cmd)
{
    trace *t = (trace *)ctx;

    t->cc = size >= 10 ? tk_be32(cmd + 6) : 0;
    clock_gettime(CLOCK_MONOTONIC, &t->sent);
    tk_debug_at(TK_DEBUG_COMMANDS, "TPM command 0x%03x (%zu bytes)", t->cc,
                size);
    return Tss2_Tcti_Transmit(t->wrap.inner, size, cmd);
}

static TSS2_RC receive(TSS2_TCTI_CONTEXT *ctx, size_t *size, uint8_t *resp,
                       int32_t timeout)
{
    trace *t = (trace *)ctx;
    TSS2_RC rc = Tss2_Tcti_Receive(t->wrap.inner, size, resp, timeout);
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
                    *size >= 10 ? tk_be32(resp + 6) : 0xffffffffu,
                    (now.tv_sec - t->sent.tv_sec) * 1e3
                        + (now.tv_nsec - t->sent.tv_nsec) / 1e6);
    return rc;
}

TSS2_TCTI_CONTEXT *tk_tcti_trace_new(TSS2_TCTI_CONTEXT *inner)
{
    trace *t = calloc(1, sizeof(*t));

    if (t == NULL)
        return NULL;
    tk_tcti_wrap_init(&t->wrap, TRACE_MAGIC, inner, transmit, receive);
    return (TSS2_TCTI_CONTEXT *)t;
}

void tk_tcti_trace_free(TSS2_TCTI_CONTEXT *t)
{
    free(t);
}
