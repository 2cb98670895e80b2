/* SPDX-License-Identifier: Apache-2.0 */
/* The RSA-2048 storage primary (rsa_primary.h). Its template must match
 * other tools' exactly (tpm2_createprimary -G rsa2048:aes128cfb with the
 * storage attributes), or their keys will not load under it. */
#include "primary.h"
#include "rsa_primary.h"
#include "session.h"
#include "state.h"
#include "../provider/errors.h"

static const TPM2B_PUBLIC rsa_storage_template = {
    .publicArea = {
        .type = TPM2_ALG_RSA,
        .nameAlg = TPM2_ALG_SHA256,
        .objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT
                            | TPMA_OBJECT_SENSITIVEDATAORIGIN
                            | TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA
                            | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT,
        .parameters.rsaDetail = {
            .symmetric = {
                .algorithm = TPM2_ALG_AES,
                .keyBits.aes = 128,
                .mode.aes = TPM2_ALG_CFB,
            },
            .scheme.scheme = TPM2_ALG_NULL,
            .keyBits = 2048,
            .exponent = 0,
        },
    },
};

const TPM2B_PUBLIC *tk_rsa_primary_template(void)
{
    return &rsa_storage_template;
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

static TSS2_RC create(tk_tpm *tpm)
{
    TPM2B_SENSITIVE_CREATE sensitive = { 0 };
    TPM2B_DATA outside_info = { 0 };
    TPML_PCR_SELECTION pcrs = { 0 };
    TSS2_RC rc;

    if ((rc = identity_first(tpm)) != TSS2_RC_SUCCESS)
        return rc;
    rc = Esys_CreatePrimary(tpm->conn.esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD,
                            ESYS_TR_NONE, ESYS_TR_NONE, &sensitive,
                            &rsa_storage_template, &outside_info, &pcrs,
                            &tpm->rsa_prim.handle, NULL, NULL, NULL, NULL);
    if (rc != TSS2_RC_SUCCESS) {
        tpm->rsa_prim.handle = ESYS_TR_NONE;
        return tk_fail(tpm, rc, TK_R_PRIMARY_FAILED,
                       "TPM2_CreatePrimary of the RSA-2048 storage primary"
                       " (the key file says rsaParent)");
    }
    tk_debug("RSA storage primary created");
    return TSS2_RC_SUCCESS;
}

TSS2_RC tk_rsa_primary_get(tk_tpm *tpm, ESYS_TR *out)
{
    tk_rsa_primary *p = &tpm->rsa_prim;
    TSS2_RC rc;

    if (p->handle == ESYS_TR_NONE && p->saved != NULL) {
        rc = Esys_ContextLoad(tpm->conn.esys, p->saved, &p->handle);
        if (rc != TSS2_RC_SUCCESS) {
            p->handle = ESYS_TR_NONE;
            if (tk_rc_classify(rc) == TK_RC_BUSY
                || tk_rc_classify(rc) == TK_RC_TRANSPORT)
                return tk_fail(tpm, rc, TK_R_PRIMARY_FAILED,
                               "TPM2_ContextLoad of the RSA storage primary");
            /* Saved before a TPM reset, say: make it again. */
            Esys_Free(p->saved);
            p->saved = NULL;
        }
    }
    if (p->handle == ESYS_TR_NONE && (rc = create(tpm)) != TSS2_RC_SUCCESS)
        return rc;
    *out = p->handle;
    return TSS2_RC_SUCCESS;
}

TSS2_RC tk_rsa_primary_park(tk_tpm *tpm)
{
    tk_rsa_primary *p = &tpm->rsa_prim;
    TSS2_RC rc;

    if (p->handle == ESYS_TR_NONE)
        return TSS2_RC_SUCCESS;
    if (p->saved == NULL) {
        rc = Esys_ContextSave(tpm->conn.esys, p->handle, &p->saved);
        if (rc != TSS2_RC_SUCCESS) {
            p->saved = NULL;
            return tk_fail(tpm, rc, TK_R_PRIMARY_FAILED,
                           "TPM2_ContextSave of the RSA storage primary");
        }
    }
    rc = Esys_FlushContext(tpm->conn.esys, p->handle);
    if (rc != TSS2_RC_SUCCESS)
        return tk_fail(tpm, rc, TK_R_PRIMARY_FAILED,
                       "TPM2_FlushContext of the RSA storage primary");
    p->handle = ESYS_TR_NONE;
    return TSS2_RC_SUCCESS;
}

void tk_rsa_primary_drop(tk_tpm *tpm, int flush)
{
    tk_rsa_primary *p = &tpm->rsa_prim;

    if (p->handle != ESYS_TR_NONE) {
        if (!flush
            || Esys_FlushContext(tpm->conn.esys, p->handle) != TSS2_RC_SUCCESS)
            Esys_TR_Close(tpm->conn.esys, &p->handle);
        p->handle = ESYS_TR_NONE;
    }
    Esys_Free(p->saved);
    p->saved = NULL;
}

void tk_rsa_primary_abandon(tk_tpm *tpm)
{
    tpm->rsa_prim.handle = ESYS_TR_NONE;
    tpm->rsa_prim.saved = NULL;
}
