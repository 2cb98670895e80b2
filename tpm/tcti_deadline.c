/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <tss2/tss2_tpm2_types.h>

#include "tcti_deadline.h"
#include "tcti_wrap.h"
#include "tpm.h"

#define DEADLINE_MAGIC 0x746b646561646c31ULL /* "tkdeadl1" */

typedef struct deadline {
    tk_tcti_wrap wrap; /* first */
    tk_watchdog *wd;
} deadline;

int tk_cmd_class(uint32_t cc)
{
    switch (cc) {
    case TPM2_CC_Create:
    case TPM2_CC_CreateLoaded:
    case TPM2_CC_CreatePrimary: /* an RSA EK takes seconds on a chip */
        return TK_CMD_CREATE;
    case TPM2_CC_Sign:
    case TPM2_CC_RSA_Decrypt:
    case TPM2_CC_RSA_Encrypt:
    case TPM2_CC_ECDH_ZGen:
    case TPM2_CC_ECDH_KeyGen:
    case TPM2_CC_Load:
    case TPM2_CC_Import:
    case TPM2_CC_Duplicate:
    case TPM2_CC_Certify:
    case TPM2_CC_StartAuthSession: /* a salt: an ECDH or RSA decryption */
    case TPM2_CC_VerifySignature:
    case TPM2_CC_PolicySigned:
    case TPM2_CC_Unseal:
        return TK_CMD_CRYPTO;
    default:
        return TK_CMD_QUICK;
    }
}

static TSS2_RC transmit(TSS2_TCTI_CONTEXT *ctx, size_t size,
                        const uint8_t *command)
{
    deadline *d = (deadline *)ctx;

    if (command != NULL && size >= 10)
        tk_watchdog_command(d->wd, tk_cmd_class(tk_be32(command + 6)));
    return Tss2_Tcti_Transmit(d->wrap.inner, size, command);
}

static TSS2_RC receive(TSS2_TCTI_CONTEXT *ctx, size_t *size, uint8_t *response,
                       int32_t timeout)
{
    return Tss2_Tcti_Receive(((deadline *)ctx)->wrap.inner, size, response,
                             timeout);
}

TSS2_TCTI_CONTEXT *tk_tcti_deadline_new(TSS2_TCTI_CONTEXT *inner,
                                        tk_watchdog *wd)
{
    deadline *d = calloc(1, sizeof(*d));

    if (d == NULL)
        return NULL;
    tk_tcti_wrap_init(&d->wrap, DEADLINE_MAGIC, inner, transmit, receive);
    d->wd = wd;
    return (TSS2_TCTI_CONTEXT *)d;
}

void tk_tcti_deadline_free(TSS2_TCTI_CONTEXT *ctx)
{
    free(ctx);
}
