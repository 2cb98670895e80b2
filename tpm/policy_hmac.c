/* SPDX-License-Identifier: Apache-2.0 */
/* HMAC sessions for replayed policy commands (policy_hmac.h). */
#include <string.h>

#include "policy_hmac.h"
#include "session.h"
#include "session_crypto.h"

TSS2_RC tk_policy_hmac_begin(tk_tpm *tpm, tk_sess *own, tk_sess **out)
{
    TSS2_RC rc = tk_session_get(tpm, out);

    memset(own, 0, sizeof(*own));
    if (rc != TSS2_RC_SUCCESS || *out != NULL)
        return rc;
    rc = tk_sess_start(tpm, TPM2_SE_HMAC, TPM2_ALG_SHA256, 0, own);
    if (rc == TSS2_RC_SUCCESS)
        *out = own;
    return rc;
}

void tk_policy_hmac_end(tk_tpm *tpm, tk_sess *own)
{
    if (own->handle != 0)
        tk_sess_flush(tpm, own);
}

void tk_policy_session_name(const tk_sess *s, TPM2B_NAME *name)
{
    name->size = 4;
    tk_put_be(name->name, s->handle, 4);
}
