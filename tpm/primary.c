/* SPDX-License-Identifier: Apache-2.0 */
/* The standard storage primary key: the parent that TSS2 key files call
 * 0x40000001, and the salt key of our encrypted session. Its template must
 * match other tools' exactly, or their keys will not load under it. The
 * finding, creating and parking are storage_primary.c's; what is ECC and
 * salt key only is here. */
#include <string.h>

#include "identity.h"
#include "primary.h"
#include "session_crypto.h"
#include "state.h"
#include "../provider/errors.h"

static const TPM2B_PUBLIC standard_template = TK_STORAGE_PRIMARY_TEMPLATE(
    TPM2_ALG_ECC, eccDetail, .curveID = TPM2_ECC_NIST_P256,
    .kdf.scheme = TPM2_ALG_NULL);

const TPM2B_PUBLIC *tk_primary_template(void)
{
    return &standard_template;
}

int tk_primary_is_standard(const TPMT_PUBLIC *a)
{
    const TPMT_PUBLIC *t = &standard_template.publicArea;

    return tk_storage_primary_shares_template(a, t)
           && a->parameters.eccDetail.curveID == t->parameters.eccDetail.curveID
           && a->parameters.eccDetail.kdf.scheme
                  == t->parameters.eccDetail.kdf.scheme;
}

/* The salt key must be the TPM tpm-identity names; once it is, its point
 * salts sessions and its name binds them. */
static TSS2_RC accept_salt_key(tk_tpm *tpm, const TPM2B_PUBLIC *pub,
                               const TPM2B_NAME *name)
{
    TSS2_RC rc = tk_identity_check(tpm, pub, name);

    if (rc != TSS2_RC_SUCCESS) {
        memset(&tpm->prim.point, 0, sizeof(tpm->prim.point));
        return rc;
    }
    tpm->prim.point = pub->publicArea.unique.ecc;
    tpm->prim.name = *name;
    return TSS2_RC_SUCCESS;
}

static const tk_storage_primary_kind standard_primary = {
    .template = &standard_template,
    .matches_template = tk_primary_is_standard,
    .label = "standard storage primary",
    .accept = accept_salt_key,
};

TSS2_RC tk_primary_create_in(tk_tpm *tpm, ESYS_TR hierarchy, ESYS_TR *handle,
                             TPM2B_PUBLIC **pub)
{
    return tk_storage_primary_create_in(tpm, &standard_primary, hierarchy,
                                        handle, pub);
}

TSS2_RC tk_primary_create(tk_tpm *tpm, ESYS_TR *handle, TPM2B_PUBLIC **pub)
{
    return tk_primary_create_in(tpm, ESYS_TR_RH_OWNER, handle, pub);
}

TSS2_RC tk_primary_get(tk_tpm *tpm, ESYS_TR *out)
{
    return tk_storage_primary_get(tpm, &tpm->prim.object, &standard_primary,
                                  out);
}

TSS2_RC tk_primary_park(tk_tpm *tpm)
{
    return tk_storage_primary_park(tpm, &tpm->prim.object, &standard_primary);
}

TSS2_RC tk_primary_release(tk_tpm *tpm)
{
    return tk_storage_primary_release(tpm, &tpm->prim.object,
                                      &standard_primary);
}

void tk_primary_end_cold(tk_tpm *tpm)
{
    tk_storage_primary_end_cold(tpm, &tpm->prim.object);
}

void tk_primary_drop(tk_tpm *tpm, int flush)
{
    tk_storage_primary_drop(tpm, &tpm->prim.object, flush);
}

void tk_primary_abandon(tk_tpm *tpm)
{
    tk_storage_primary_abandon(&tpm->prim.object);
    memset(&tpm->prim.point, 0, sizeof(tpm->prim.point));
    memset(&tpm->prim.name, 0, sizeof(tpm->prim.name));
}
