/* SPDX-License-Identifier: Apache-2.0 */
/* Pinning the TPM on purpose: the storage primary as the TPM makes it now,
 * and what tpm-identity says about it. */
#include <stdio.h>
#include <string.h>

#include "identity.h"
#include "primary.h"
#include "run.h"
#include "state.h"
#include "../provider/errors.h"

struct pin {
    char *out;
    size_t out_len;
};

static TSS2_RC pin(tk_tpm *tpm, void *arg)
{
    struct pin *p = arg;
    TPM2B_PUBLIC *pub = NULL;
    TPM2B_NAME name;
    ESYS_TR handle = ESYS_TR_NONE;
    TSS2_RC rc = tk_primary_create(tpm, &handle, &pub);

    if (rc != TSS2_RC_SUCCESS)
        return tk_fail(tpm, rc, TK_R_PRIMARY_FAILED, "TPM2_CreatePrimary");
    Esys_FlushContext(tpm->conn.esys, handle);
    if (!tk_object_name(&tpm->conn.crypto, pub, &name)) {
        Esys_Free(pub);
        return tk_fail(tpm, TSS2_ESYS_RC_GENERAL_FAILURE, TK_R_INTERNAL,
                       "the storage key's name");
    }
    Esys_Free(pub);
    tk_identity_pin_text(&name, p->out, p->out_len);
    return TSS2_RC_SUCCESS;
}

int tk_tpm_pin(tk_tpm *tpm, char *out, size_t out_len)
{
    struct pin p = { out, out_len };

    return tk_tpm_run(tpm, pin, &p);
}

static TSS2_RC describe(tk_tpm *tpm, void *arg)
{
    struct pin *p = arg;
    const tk_identity *id = &tpm->identity;

    switch (id->kind) {
    case TK_IDENTITY_NONE:
        snprintf(p->out, p->out_len,
                 "none: the TPM's identity is NOT verified (sessions are"
                 " encrypted against a passive probe, but an active"
                 " interposer could pose as the TPM; pin it with"
                 " tpm-identity)");
        break;
    case TK_IDENTITY_INVALID:
        snprintf(p->out, p->out_len, "UNUSABLE: %s (every TPM use fails)",
                 id->invalid);
        break;
    default:
        snprintf(p->out, p->out_len, "%s (%s)", id->spec,
                 !id->verified ? "checked at the first TPM use"
                 : id->kind == TK_IDENTITY_EK_CA
                     ? "verified: sessions are salted to the EK its"
                       " certificate names"
                 : id->kind == TK_IDENTITY_KERNEL
                     ? "verified: sessions are salted to the null key the"
                       " kernel names"
                     : "verified: the TPM's storage key matches");
        break;
    }
    return TSS2_RC_SUCCESS;
}

void tk_tpm_identity_describe(tk_tpm *tpm, char *out, size_t out_len)
{
    struct pin p = { out, out_len };

    tk_tpm_locked(tpm, describe, &p);
}
