/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "tcti_wrap.h"

static TSS2_TCTI_CONTEXT *inner(TSS2_TCTI_CONTEXT *ctx)
{
    return ((tk_tcti_wrap *)ctx)->inner;
}

static void finalize(TSS2_TCTI_CONTEXT *ctx)
{
    (void)ctx; /* the inner TCTI is its owner's to free */
}

static TSS2_RC cancel(TSS2_TCTI_CONTEXT *ctx)
{
    return Tss2_Tcti_Cancel(inner(ctx));
}

static TSS2_RC poll_handles(TSS2_TCTI_CONTEXT *ctx, TSS2_TCTI_POLL_HANDLE *h,
                            size_t *n)
{
    return Tss2_Tcti_GetPollHandles(inner(ctx), h, n);
}

static TSS2_RC set_locality(TSS2_TCTI_CONTEXT *ctx, uint8_t locality)
{
    return Tss2_Tcti_SetLocality(inner(ctx), locality);
}

static TSS2_RC make_sticky(TSS2_TCTI_CONTEXT *ctx, TPM2_HANDLE *handle,
                           uint8_t sticky)
{
    return Tss2_Tcti_MakeSticky(inner(ctx), handle, sticky);
}

void tk_tcti_wrap_init(tk_tcti_wrap *w, uint64_t magic, TSS2_TCTI_CONTEXT *in,
                       TSS2_TCTI_TRANSMIT_FCN transmit,
                       TSS2_TCTI_RECEIVE_FCN receive)
{
    memset(&w->common, 0, sizeof(w->common));
    w->inner = in;
    w->common.v1.magic = magic;
    w->common.v1.version = 2;
    w->common.v1.transmit = transmit;
    w->common.v1.receive = receive;
    w->common.v1.finalize = finalize;
    w->common.v1.cancel = cancel;
    w->common.v1.getPollHandles = poll_handles;
    w->common.v1.setLocality = set_locality;
    w->common.makeSticky = make_sticky;
}
