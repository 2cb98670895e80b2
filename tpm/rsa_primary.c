/* SPDX-License-Identifier: Apache-2.0 */
/* The RSA-2048 storage primary (rsa_primary.h). Its template must match
 * other tools' exactly (tpm2_createprimary -G rsa2048:aes128cfb with the
 * storage attributes), or their keys will not load under it. The finding,
 * creating and parking are storage_primary.c's. */
#include "primary.h"
#include "rsa_primary.h"
#include "session.h"
#include "state.h"

static const TPM2B_PUBLIC rsa_template = TK_STORAGE_PRIMARY_TEMPLATE(
    TPM2_ALG_RSA, rsaDetail, .keyBits = 2048, .exponent = 0);

const TPM2B_PUBLIC *tk_rsa_primary_template(void)
{
    return &rsa_template;
}

/* An exponent of 0 means 65537: either spelling is this template. */
static int is_template(const TPMT_PUBLIC *a)
{
    const TPMS_RSA_PARMS *p = &a->parameters.rsaDetail;

    return tk_storage_primary_shares_template(a, &rsa_template.publicArea)
           && p->keyBits == rsa_template.publicArea.parameters.rsaDetail.keyBits
           && (p->exponent == 0 || p->exponent == 65537);
}

/* With tpm-identity pinned, the TPM proves who it is before anything is
 * made under it, as for the ECC primary: starting the salted session
 * checks the pin (or, without encryption, creating the ECC primary does). */
static TSS2_RC identity_first(tk_tpm *tpm)
{
    enum tk_identity_kind kind = tpm->identity.kind;
    tk_sess *sess;
    ESYS_TR primary;
    TSS2_RC rc;

    if (kind == TK_IDENTITY_NONE || tpm->identity.verified)
        return TSS2_RC_SUCCESS;
    if (tpm->encrypt)
        return tk_session_get(tpm, &sess);
    if (kind == TK_IDENTITY_EK_CA || kind == TK_IDENTITY_KERNEL)
        return TSS2_RC_SUCCESS; /* their keys only salt sessions: off */
    rc = tk_primary_get(tpm, &primary);
    if (rc == TSS2_RC_SUCCESS && tpm->park)
        rc = tk_primary_park(tpm);
    return rc;
}

static const tk_storage_primary_kind rsa_primary = {
    .template = &rsa_template,
    .matches_template = is_template,
    .label = "RSA-2048 storage primary",
    .create_hint = " (the key file says rsaParent)",
    .before_making = identity_first,
};

TSS2_RC tk_rsa_primary_get(tk_tpm *tpm, ESYS_TR *out)
{
    return tk_storage_primary_get(tpm, &tpm->rsa_prim, &rsa_primary, out);
}

TSS2_RC tk_rsa_primary_park(tk_tpm *tpm)
{
    return tk_storage_primary_park(tpm, &tpm->rsa_prim, &rsa_primary);
}

void tk_rsa_primary_drop(tk_tpm *tpm, int flush)
{
    tk_storage_primary_drop(tpm, &tpm->rsa_prim, flush);
}

void tk_rsa_primary_abandon(tk_tpm *tpm)
{
    tk_storage_primary_abandon(&tpm->rsa_prim);
}
