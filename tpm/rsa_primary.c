/* SPDX-License-Identifier: Apache-2.0 */
/* The RSA-2048 storage primary (rsa_primary.h). Its template must match
 * other tools' exactly (tpm2_createprimary -G rsa2048:aes128cfb with the
 * storage attributes), or their keys will not load under it. */
#include "primary.h"
#include <string.h>

#include "rsa_primary.h"
#include "session.h"
#include "srk_cache.h"
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

static TSS2_RC create(tk_tpm *tpm, ESYS_TR *handle, TPM2B_PUBLIC **pub)
{
    TPM2B_SENSITIVE_CREATE sensitive = { 0 };
    TPM2B_DATA outside_info = { 0 };
    TPML_PCR_SELECTION pcrs = { 0 };
    TSS2_RC rc;

    rc = Esys_CreatePrimary(tpm->conn.esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD,
                            ESYS_TR_NONE, ESYS_TR_NONE, &sensitive,
                            &rsa_storage_template, &outside_info, &pcrs, handle,
                            pub, NULL, NULL, NULL);
    if (rc != TSS2_RC_SUCCESS) {
        *handle = ESYS_TR_NONE;
        return tk_fail(tpm, rc, TK_R_PRIMARY_FAILED,
                       "TPM2_CreatePrimary of the RSA-2048 storage primary"
                       " (the key file says rsaParent)");
    }
    tk_debug("RSA storage primary created");
    return TSS2_RC_SUCCESS;
}

/* Everything of the template but the unique field, which the TPM fills. */
static int is_template(const TPM2B_PUBLIC *pub)
{
    const TPMT_PUBLIC *a = &pub->publicArea,
                      *t = &rsa_storage_template.publicArea;
    const TPMS_RSA_PARMS *p = &a->parameters.rsaDetail,
                         *q = &t->parameters.rsaDetail;

    return a->type == t->type && a->nameAlg == t->nameAlg
           && a->objectAttributes == t->objectAttributes
           && a->authPolicy.size == 0
           && p->symmetric.algorithm == q->symmetric.algorithm
           && p->symmetric.keyBits.aes == q->symmetric.keyBits.aes
           && p->symmetric.mode.aes == q->symmetric.mode.aes
           && p->scheme.scheme == q->scheme.scheme && p->keyBits == q->keyBits
           && (p->exponent == 0 || p->exponent == 65537);
}

/* Is the key at `tr` this primary? Its template must match and so must
 * its modulus, which takes creating the primary once (then noted). A
 * primary so created is kept in *created when it did not match. */
static int is_rsa_primary(tk_tpm *tpm, ESYS_TR tr, const TPM2B_NAME *name,
                          ESYS_TR *created)
{
    TPM2B_PUBLIC noted, *read = NULL, *made = NULL;
    const TPM2B_PUBLIC_KEY_RSA *a, *b;
    int same;

    if (tk_srk_cache_read(&tpm->journal, tpm->srk_handle, name, &noted))
        return is_template(&noted)
               && tk_object_has_name(&tpm->conn.crypto, &noted, name);
    if (Esys_ReadPublic(tpm->conn.esys, tr, ESYS_TR_NONE, ESYS_TR_NONE,
                        ESYS_TR_NONE, &read, NULL, NULL)
        != TSS2_RC_SUCCESS)
        return 0;
    same = is_template(read)
           && tk_object_has_name(&tpm->conn.crypto, read, name)
           && create(tpm, created, &made) == TSS2_RC_SUCCESS;
    if (same) {
        a = &made->publicArea.unique.rsa;
        b = &read->publicArea.unique.rsa;
        same = a->size == b->size && memcmp(a->buffer, b->buffer, a->size) == 0;
    }
    if (same) {
        tk_srk_cache_write(&tpm->journal, tpm->srk_handle, name, read);
        Esys_FlushContext(tpm->conn.esys, *created);
        *created = ESYS_TR_NONE;
    }
    tk_debug("the key at 0x%08x is %sthe RSA storage primary", tpm->srk_handle,
             same ? "" : "not ");
    Esys_Free(made);
    Esys_Free(read);
    return same;
}

/* The persisted primary, if storage-primary names a handle holding it. */
static void find_persisted(tk_tpm *tpm)
{
    tk_rsa_primary *p = &tpm->rsa_prim;
    TPM2B_NAME *name = NULL;
    ESYS_TR tr = ESYS_TR_NONE, created = ESYS_TR_NONE;

    p->looked = 1;
    if (tpm->srk_handle == 0
        || Esys_TR_FromTPMPublic(tpm->conn.esys, tpm->srk_handle, ESYS_TR_NONE,
                                 ESYS_TR_NONE, ESYS_TR_NONE, &tr)
               != TSS2_RC_SUCCESS)
        return;
    if (Esys_TR_GetName(tpm->conn.esys, tr, &name) == TSS2_RC_SUCCESS
        && is_rsa_primary(tpm, tr, name, &created)) {
        p->handle = tr;
        p->persistent = 1;
        tk_debug("RSA storage primary: the persisted one at 0x%08x",
                 tpm->srk_handle);
    } else {
        Esys_TR_Close(tpm->conn.esys, &tr);
        p->handle = created; /* made to compare: ours now */
    }
    Esys_Free(name);
}

TSS2_RC tk_rsa_primary_get(tk_tpm *tpm, ESYS_TR *out)
{
    tk_rsa_primary *p = &tpm->rsa_prim;
    TPM2B_PUBLIC *pub = NULL;
    TSS2_RC rc;

    if (p->handle == ESYS_TR_NONE && p->saved == NULL
        && (rc = identity_first(tpm)) != TSS2_RC_SUCCESS)
        return rc;
    if (p->handle == ESYS_TR_NONE && !p->looked)
        find_persisted(tpm);
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
    if (p->handle == ESYS_TR_NONE) {
        rc = create(tpm, &p->handle, &pub);
        Esys_Free(pub);
        if (rc != TSS2_RC_SUCCESS)
            return rc;
    }
    *out = p->handle;
    return TSS2_RC_SUCCESS;
}

TSS2_RC tk_rsa_primary_park(tk_tpm *tpm)
{
    tk_rsa_primary *p = &tpm->rsa_prim;
    TSS2_RC rc;

    if (p->handle == ESYS_TR_NONE || p->persistent)
        return TSS2_RC_SUCCESS; /* a persistent key takes no slot */
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
        if (p->persistent || !flush
            || Esys_FlushContext(tpm->conn.esys, p->handle) != TSS2_RC_SUCCESS)
            Esys_TR_Close(tpm->conn.esys, &p->handle);
        p->handle = ESYS_TR_NONE;
    }
    Esys_Free(p->saved);
    p->saved = NULL;
    p->persistent = 0;
    p->looked = 0;
}

void tk_rsa_primary_abandon(tk_tpm *tpm)
{
    tpm->rsa_prim.handle = ESYS_TR_NONE;
    tpm->rsa_prim.saved = NULL;
    tpm->rsa_prim.persistent = 0;
    tpm->rsa_prim.looked = 0;
}
