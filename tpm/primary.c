/* SPDX-License-Identifier: Apache-2.0 */
/* The standard storage primary key: the parent that TSS2 key files call
 * 0x40000001, and the salt key of our encrypted session. Its template must
 * match other tools' exactly, or their keys will not load under it. */
#include <string.h>

#include "identity.h"
#include "primary.h"
#include "srk_cache.h"
#include "state.h"
#include "../provider/errors.h"

static const TPM2B_PUBLIC storage_primary_template = {
    .publicArea = {
        .type = TPM2_ALG_ECC,
        .nameAlg = TPM2_ALG_SHA256,
        .objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT
                            | TPMA_OBJECT_SENSITIVEDATAORIGIN
                            | TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA
                            | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT,
        .parameters.eccDetail = {
            .symmetric = {
                .algorithm = TPM2_ALG_AES,
                .keyBits.aes = 128,
                .mode.aes = TPM2_ALG_CFB,
            },
            .scheme.scheme = TPM2_ALG_NULL,
            .curveID = TPM2_ECC_NIST_P256,
            .kdf.scheme = TPM2_ALG_NULL,
        },
    },
};

const TPM2B_PUBLIC *tk_primary_template(void)
{
    return &storage_primary_template;
}

static TSS2_RC unpark(tk_tpm *tpm)
{
    TSS2_RC rc = Esys_ContextLoad(tpm->conn.esys, tpm->prim.saved,
                                  &tpm->prim.handle);

    if (rc == TSS2_RC_SUCCESS)
        return rc;
    tpm->prim.handle = ESYS_TR_NONE;
    if (tk_rc_classify(rc) == TK_RC_BUSY
        || tk_rc_classify(rc) == TK_RC_TRANSPORT)
        return tk_fail(tpm, rc, TK_R_PRIMARY_FAILED, "TPM2_ContextLoad");
    /* Saved before a TPM reset, say: recreate it instead. */
    tk_debug("saved primary did not load (0x%x): recreating", (unsigned)rc);
    Esys_Free(tpm->prim.saved);
    tpm->prim.saved = NULL;
    return TSS2_RC_SUCCESS;
}

TSS2_RC tk_primary_create_in(tk_tpm *tpm, ESYS_TR hierarchy, ESYS_TR *handle,
                             TPM2B_PUBLIC **pub)
{
    TPM2B_SENSITIVE_CREATE sensitive = { 0 };
    TPM2B_DATA outside_info = { 0 };
    TPML_PCR_SELECTION pcrs = { 0 };

    return Esys_CreatePrimary(tpm->conn.esys, hierarchy, ESYS_TR_PASSWORD,
                              ESYS_TR_NONE, ESYS_TR_NONE, &sensitive,
                              &storage_primary_template, &outside_info, &pcrs,
                              handle, pub, NULL, NULL, NULL);
}

TSS2_RC tk_primary_create(tk_tpm *tpm, ESYS_TR *handle, TPM2B_PUBLIC **pub)
{
    return tk_primary_create_in(tpm, ESYS_TR_RH_OWNER, handle, pub);
}

int tk_primary_is_standard(const TPMT_PUBLIC *a)
{
    const TPMT_PUBLIC *t = &storage_primary_template.publicArea;
    const TPMS_ECC_PARMS *p = &a->parameters.eccDetail,
                         *q = &t->parameters.eccDetail;

    return a->type == t->type && a->nameAlg == t->nameAlg
           && a->objectAttributes == t->objectAttributes
           && a->authPolicy.size == 0
           && p->symmetric.algorithm == q->symmetric.algorithm
           && p->symmetric.keyBits.aes == q->symmetric.keyBits.aes
           && p->symmetric.mode.aes == q->symmetric.mode.aes
           && p->scheme.scheme == q->scheme.scheme && p->curveID == q->curveID
           && p->kdf.scheme == q->kdf.scheme;
}

static int same_point(const TPMS_ECC_POINT *a, const TPMS_ECC_POINT *b)
{
    return a->x.size == b->x.size && a->y.size == b->y.size
           && memcmp(a->x.buffer, b->x.buffer, a->x.size) == 0
           && memcmp(a->y.buffer, b->y.buffer, a->y.size) == 0;
}

/* Is the key at `tr` the standard primary? Its template must match, and
 * so must its key: that takes creating the primary, once per user and TPM
 * (srk_cache.h). On success *pub is its public area, and *noted says
 * whether that came from the note. */
static int is_standard_primary(tk_tpm *tpm, ESYS_TR tr, const TPM2B_NAME *name,
                               TPM2B_PUBLIC *pub, int *noted, ESYS_TR *created,
                               TPM2B_PUBLIC **made)
{
    TPM2B_PUBLIC *read = NULL;
    int same;

    *noted = tk_srk_cache_read(&tpm->journal, tpm->srk_handle, name, pub);
    if (*noted)
        return tk_primary_is_standard(&pub->publicArea)
               && tk_object_has_name(&tpm->conn.crypto, pub, name);
    if (Esys_ReadPublic(tpm->conn.esys, tr, ESYS_TR_NONE, ESYS_TR_NONE,
                        ESYS_TR_NONE, &read, NULL, NULL)
        != TSS2_RC_SUCCESS)
        return 0;
    same = tk_primary_is_standard(&read->publicArea)
           && tk_object_has_name(&tpm->conn.crypto, read, name)
           && tk_primary_create(tpm, created, made) == TSS2_RC_SUCCESS
           && same_point(&(*made)->publicArea.unique.ecc,
                         &read->publicArea.unique.ecc);
    if (same) {
        *pub = *read;
        Esys_FlushContext(tpm->conn.esys, *created);
        *created = ESYS_TR_NONE;
        Esys_Free(*made);
        *made = NULL;
    }
    tk_debug("the key at 0x%08x is %sthe standard storage primary",
             tpm->srk_handle, same ? "" : "not ");
    Esys_Free(read);
    return same;
}

/* Take a primary just created as ours, once tpm-identity accepts it
 * (before anything is salted to it or loaded under it). Frees `pub`. */
static TSS2_RC adopt_created(tk_tpm *tpm, ESYS_TR handle, TPM2B_PUBLIC *pub)
{
    TSS2_RC rc;

    tpm->prim.handle = handle;
    tpm->prim.point = pub->publicArea.unique.ecc;
    if (!tk_object_name(&tpm->conn.crypto, pub, &tpm->prim.name))
        tpm->prim.name.size = 0;
    rc = tk_identity_check(tpm, pub, &tpm->prim.name);
    Esys_Free(pub);
    if (rc != TSS2_RC_SUCCESS) {
        Esys_FlushContext(tpm->conn.esys, tpm->prim.handle);
        tpm->prim.handle = ESYS_TR_NONE;
        memset(&tpm->prim.point, 0, sizeof(tpm->prim.point));
        return rc;
    }
    tk_debug("storage primary created");
    return TSS2_RC_SUCCESS;
}

/* The persisted primary, if storage-primary names a handle holding it.
 * A primary created to check it, which it did not match, is kept. */
static TSS2_RC find_persisted(tk_tpm *tpm)
{
    TPM2B_NAME *name = NULL;
    TPM2B_PUBLIC pub, *made = NULL;
    ESYS_TR tr = ESYS_TR_NONE, created = ESYS_TR_NONE;
    int noted = 0;

    tpm->prim.looked = 1;
    if (tpm->srk_handle == 0
        || Esys_TR_FromTPMPublic(tpm->conn.esys, tpm->srk_handle, ESYS_TR_NONE,
                                 ESYS_TR_NONE, ESYS_TR_NONE, &tr)
               != TSS2_RC_SUCCESS)
        return TSS2_RC_SUCCESS;
    if (Esys_TR_GetName(tpm->conn.esys, tr, &name) == TSS2_RC_SUCCESS
        && is_standard_primary(tpm, tr, name, &pub, &noted, &created, &made)
        && tk_identity_check(tpm, &pub, name) == TSS2_RC_SUCCESS) {
        /* Noted only once the identity setting accepted it too. */
        if (!noted)
            tk_srk_cache_write(&tpm->journal, tpm->srk_handle, name, &pub);
        tpm->prim.handle = tr;
        tpm->prim.persistent = 1;
        tpm->prim.point = pub.publicArea.unique.ecc;
        tpm->prim.name = *name;
        tk_debug("storage primary: the persisted one at 0x%08x",
                 tpm->srk_handle);
        Esys_Free(name);
        return TSS2_RC_SUCCESS;
    }
    Esys_TR_Close(tpm->conn.esys, &tr);
    Esys_Free(name);
    if (created == ESYS_TR_NONE) {
        Esys_Free(made);
        return TSS2_RC_SUCCESS;
    }
    return adopt_created(tpm, created, made);
}

TSS2_RC tk_primary_get(tk_tpm *tpm, ESYS_TR *out)
{
    TPM2B_PUBLIC *pub = NULL;
    ESYS_TR handle = ESYS_TR_NONE;
    TSS2_RC rc;

    if (tpm->prim.handle == ESYS_TR_NONE && !tpm->prim.looked
        && (rc = find_persisted(tpm)) != TSS2_RC_SUCCESS)
        return rc;
    if (tpm->prim.handle == ESYS_TR_NONE && tpm->prim.saved != NULL) {
        rc = unpark(tpm);
        if (rc != TSS2_RC_SUCCESS)
            return rc;
    }
    if (tpm->prim.handle == ESYS_TR_NONE) {
        rc = tk_primary_create(tpm, &handle, &pub);
        if (rc != TSS2_RC_SUCCESS) {
            Esys_Free(pub);
            return tk_fail(tpm, rc, TK_R_PRIMARY_FAILED, "TPM2_CreatePrimary");
        }
        if ((rc = adopt_created(tpm, handle, pub)) != TSS2_RC_SUCCESS)
            return rc;
    }
    *out = tpm->prim.handle;
    return TSS2_RC_SUCCESS;
}

TSS2_RC tk_primary_park(tk_tpm *tpm)
{
    TSS2_RC rc;

    if (tpm->prim.handle == ESYS_TR_NONE || tpm->prim.persistent)
        return TSS2_RC_SUCCESS; /* a persistent key takes no slot */
    if (tpm->prim.saved == NULL) {
        rc = Esys_ContextSave(tpm->conn.esys, tpm->prim.handle,
                              &tpm->prim.saved);
        if (rc != TSS2_RC_SUCCESS) {
            tpm->prim.saved = NULL;
            return tk_fail(tpm, rc, TK_R_PRIMARY_FAILED, "TPM2_ContextSave");
        }
    }
    rc = Esys_FlushContext(tpm->conn.esys, tpm->prim.handle);
    if (rc != TSS2_RC_SUCCESS)
        return tk_fail(tpm, rc, TK_R_PRIMARY_FAILED, "TPM2_FlushContext");
    tpm->prim.handle = ESYS_TR_NONE;
    return TSS2_RC_SUCCESS;
}

/* A process that makes one operation (most `openssl` commands) would pay
 * a ContextSave of the primary that no later operation uses: on a cold
 * connection the primary stays loaded through the operation and is then
 * flushed unsaved. A second operation creates it again, and from then on
 * it is parked as usual. */
TSS2_RC tk_primary_release(tk_tpm *tpm)
{
    if (!tpm->warm)
        return TSS2_RC_SUCCESS;
    return tk_primary_park(tpm);
}

void tk_primary_end_cold(tk_tpm *tpm)
{
    if (tpm->prim.handle == ESYS_TR_NONE || tpm->prim.persistent
        || tpm->prim.saved != NULL)
        return;
    if (Esys_FlushContext(tpm->conn.esys, tpm->prim.handle) != TSS2_RC_SUCCESS)
        Esys_TR_Close(tpm->conn.esys, &tpm->prim.handle);
    tpm->prim.handle = ESYS_TR_NONE;
}

void tk_primary_drop(tk_tpm *tpm, int flush)
{
    if (tpm->prim.handle != ESYS_TR_NONE) {
        if (tpm->prim.persistent || !flush
            || Esys_FlushContext(tpm->conn.esys, tpm->prim.handle)
                   != TSS2_RC_SUCCESS)
            Esys_TR_Close(tpm->conn.esys, &tpm->prim.handle);
        tpm->prim.handle = ESYS_TR_NONE;
    }
    Esys_Free(tpm->prim.saved);
    tpm->prim.saved = NULL;
    tpm->prim.persistent = 0;
    tpm->prim.looked = 0;
}
