/* SPDX-License-Identifier: Apache-2.0 */
/* A storage primary of either kind (storage_primary.h): found persisted,
 * created, parked, released and forgotten the same way for both. */
#include <string.h>

#include "session_crypto.h"
#include "srk_cache.h"
#include "state.h"
#include "storage_primary.h"
#include "../provider/errors.h"

int tk_storage_primary_shares_template(const TPMT_PUBLIC *a,
                                       const TPMT_PUBLIC *t)
{
    /* asymDetail: the part RSA and ECC parameters begin with alike. */
    const TPMS_ASYM_PARMS *p = &a->parameters.asymDetail,
                          *q = &t->parameters.asymDetail;

    return a->type == t->type && a->nameAlg == t->nameAlg
           && a->objectAttributes == t->objectAttributes
           && a->authPolicy.size == 0
           && p->symmetric.algorithm == q->symmetric.algorithm
           && p->symmetric.keyBits.aes == q->symmetric.keyBits.aes
           && p->symmetric.mode.aes == q->symmetric.mode.aes
           && p->scheme.scheme == q->scheme.scheme;
}

TSS2_RC tk_storage_primary_create_in(tk_tpm *tpm,
                                     const tk_storage_primary_kind *kind,
                                     ESYS_TR hierarchy, ESYS_TR *handle,
                                     TPM2B_PUBLIC **pub)
{
    TPM2B_SENSITIVE_CREATE sensitive = { 0 };
    TPM2B_DATA outside_info = { 0 };
    TPML_PCR_SELECTION pcrs = { 0 };

    return Esys_CreatePrimary(tpm->conn.esys, hierarchy, ESYS_TR_PASSWORD,
                              ESYS_TR_NONE, ESYS_TR_NONE, &sensitive,
                              kind->template, &outside_info, &pcrs, handle, pub,
                              NULL, NULL, NULL);
}

static TSS2_RC unpark(tk_tpm *tpm, tk_storage_primary *p,
                      const tk_storage_primary_kind *kind)
{
    TSS2_RC rc = Esys_ContextLoad(tpm->conn.esys, p->saved, &p->handle);

    if (rc == TSS2_RC_SUCCESS)
        return rc;
    p->handle = ESYS_TR_NONE;
    if (tk_rc_classify(rc) == TK_RC_BUSY
        || tk_rc_classify(rc) == TK_RC_TRANSPORT)
        return tk_failf(tpm, rc, TK_R_PRIMARY_FAILED,
                        "TPM2_ContextLoad of the %s", kind->label);
    /* Saved before a TPM reset, say: recreate it instead. */
    tk_debug("saved %s did not load (0x%x): recreating", kind->label,
             (unsigned)rc);
    Esys_Free(p->saved);
    p->saved = NULL;
    return TSS2_RC_SUCCESS;
}

/* The same key, for two public areas of one storage template. */
static int same_unique(const TPMT_PUBLIC *a, const TPMT_PUBLIC *b)
{
    const TPMS_ECC_POINT *p = &a->unique.ecc, *q = &b->unique.ecc;

    if (a->type == TPM2_ALG_RSA)
        return a->unique.rsa.size == b->unique.rsa.size
               && memcmp(a->unique.rsa.buffer, b->unique.rsa.buffer,
                         a->unique.rsa.size)
                      == 0;
    return p->x.size == q->x.size && p->y.size == q->y.size
           && memcmp(p->x.buffer, q->x.buffer, p->x.size) == 0
           && memcmp(p->y.buffer, q->y.buffer, p->y.size) == 0;
}

/* Is the key at `tr` this primary? Its template must match, and so must
 * its key: that takes creating the primary, once per user and TPM
 * (srk_cache.h). On success *pub is its public area, and *noted says
 * whether that came from the note. A primary created to compare that did
 * not match is left in *created and *made. */
static int holds_this_primary(tk_tpm *tpm, const tk_storage_primary_kind *kind,
                              ESYS_TR tr, const TPM2B_NAME *name,
                              TPM2B_PUBLIC *pub, int *noted, ESYS_TR *created,
                              TPM2B_PUBLIC **made)
{
    TPM2B_PUBLIC *read = NULL;
    int same;

    *noted = tk_srk_cache_read(&tpm->journal, tpm->srk_handle, name, pub);
    if (*noted)
        return kind->matches_template(&pub->publicArea)
               && tk_object_has_name(&tpm->conn.crypto, pub, name);
    if (Esys_ReadPublic(tpm->conn.esys, tr, ESYS_TR_NONE, ESYS_TR_NONE,
                        ESYS_TR_NONE, &read, NULL, NULL)
        != TSS2_RC_SUCCESS)
        return 0;
    same = kind->matches_template(&read->publicArea)
           && tk_object_has_name(&tpm->conn.crypto, read, name)
           && tk_storage_primary_create_in(tpm, kind, ESYS_TR_RH_OWNER, created,
                                           made)
                  == TSS2_RC_SUCCESS
           && same_unique(&(*made)->publicArea, &read->publicArea);
    if (same) {
        *pub = *read;
        Esys_FlushContext(tpm->conn.esys, *created);
        *created = ESYS_TR_NONE;
        Esys_Free(*made);
        *made = NULL;
    }
    tk_debug("the key at 0x%08x is %sthe %s", tpm->srk_handle,
             same ? "" : "not ", kind->label);
    Esys_Free(read);
    return same;
}

static TSS2_RC accept(tk_tpm *tpm, const tk_storage_primary_kind *kind,
                      const TPM2B_PUBLIC *pub, const TPM2B_NAME *name)
{
    return kind->accept == NULL ? TSS2_RC_SUCCESS
                                : kind->accept(tpm, pub, name);
}

/* Take a primary just created as ours, once the kind accepts it. Frees
 * `pub`. */
static TSS2_RC adopt_created(tk_tpm *tpm, tk_storage_primary *p,
                             const tk_storage_primary_kind *kind,
                             ESYS_TR handle, TPM2B_PUBLIC *pub)
{
    TPM2B_NAME name = { 0 };
    TSS2_RC rc = TSS2_RC_SUCCESS;

    p->handle = handle;
    if (kind->accept != NULL) {
        if (!tk_object_name(&tpm->conn.crypto, pub, &name))
            name.size = 0;
        rc = accept(tpm, kind, pub, &name);
    }
    Esys_Free(pub);
    if (rc != TSS2_RC_SUCCESS) {
        Esys_FlushContext(tpm->conn.esys, p->handle);
        p->handle = ESYS_TR_NONE;
        return rc;
    }
    tk_debug("%s created", kind->label);
    return TSS2_RC_SUCCESS;
}

/* The persisted primary, if storage-primary names a handle holding it.
 * A primary created to check it, which it did not match, is kept. */
static TSS2_RC find_persisted(tk_tpm *tpm, tk_storage_primary *p,
                              const tk_storage_primary_kind *kind)
{
    TPM2B_NAME *name = NULL;
    TPM2B_PUBLIC pub, *made = NULL;
    ESYS_TR tr = ESYS_TR_NONE, created = ESYS_TR_NONE;
    int noted = 0;

    p->looked = 1;
    if (tpm->srk_handle == 0
        || Esys_TR_FromTPMPublic(tpm->conn.esys, tpm->srk_handle, ESYS_TR_NONE,
                                 ESYS_TR_NONE, ESYS_TR_NONE, &tr)
               != TSS2_RC_SUCCESS)
        return TSS2_RC_SUCCESS;
    if (Esys_TR_GetName(tpm->conn.esys, tr, &name) == TSS2_RC_SUCCESS
        && holds_this_primary(tpm, kind, tr, name, &pub, &noted, &created,
                              &made)
        && accept(tpm, kind, &pub, name) == TSS2_RC_SUCCESS) {
        /* Noted only once accepted too. */
        if (!noted)
            tk_srk_cache_write(&tpm->journal, tpm->srk_handle, name, &pub);
        p->handle = tr;
        p->persistent = 1;
        tk_debug("%s: the persisted one at 0x%08x", kind->label,
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
    return adopt_created(tpm, p, kind, created, made);
}

TSS2_RC tk_storage_primary_get(tk_tpm *tpm, tk_storage_primary *p,
                               const tk_storage_primary_kind *kind,
                               ESYS_TR *out)
{
    TPM2B_PUBLIC *pub = NULL;
    ESYS_TR handle = ESYS_TR_NONE;
    TSS2_RC rc;

    if (p->handle == ESYS_TR_NONE && p->saved == NULL
        && kind->before_making != NULL
        && (rc = kind->before_making(tpm)) != TSS2_RC_SUCCESS)
        return rc;
    if (p->handle == ESYS_TR_NONE && !p->looked
        && (rc = find_persisted(tpm, p, kind)) != TSS2_RC_SUCCESS)
        return rc;
    if (p->handle == ESYS_TR_NONE && p->saved != NULL
        && (rc = unpark(tpm, p, kind)) != TSS2_RC_SUCCESS)
        return rc;
    if (p->handle == ESYS_TR_NONE) {
        rc = tk_storage_primary_create_in(tpm, kind, ESYS_TR_RH_OWNER, &handle,
                                          &pub);
        if (rc != TSS2_RC_SUCCESS) {
            Esys_Free(pub);
            return tk_failf(tpm, rc, TK_R_PRIMARY_FAILED,
                            "TPM2_CreatePrimary of the %s%s", kind->label,
                            kind->create_hint ? kind->create_hint : "");
        }
        if ((rc = adopt_created(tpm, p, kind, handle, pub)) != TSS2_RC_SUCCESS)
            return rc;
    }
    *out = p->handle;
    return TSS2_RC_SUCCESS;
}

TSS2_RC tk_storage_primary_park(tk_tpm *tpm, tk_storage_primary *p,
                                const tk_storage_primary_kind *kind)
{
    TSS2_RC rc;

    if (p->handle == ESYS_TR_NONE || p->persistent)
        return TSS2_RC_SUCCESS; /* a persistent key takes no slot */
    if (p->saved == NULL) {
        rc = Esys_ContextSave(tpm->conn.esys, p->handle, &p->saved);
        if (rc != TSS2_RC_SUCCESS) {
            p->saved = NULL;
            return tk_failf(tpm, rc, TK_R_PRIMARY_FAILED,
                            "TPM2_ContextSave of the %s", kind->label);
        }
    }
    rc = Esys_FlushContext(tpm->conn.esys, p->handle);
    if (rc != TSS2_RC_SUCCESS)
        return tk_failf(tpm, rc, TK_R_PRIMARY_FAILED,
                        "TPM2_FlushContext of the %s", kind->label);
    p->handle = ESYS_TR_NONE;
    return TSS2_RC_SUCCESS;
}

/* A process that makes one operation (most `openssl` commands) would pay
 * a ContextSave of the primary that no later operation uses: on a cold
 * connection the primary stays loaded through the operation and is then
 * flushed unsaved. A second operation creates it again, and from then on
 * it is parked as usual. */
TSS2_RC tk_storage_primary_release(tk_tpm *tpm, tk_storage_primary *p,
                                   const tk_storage_primary_kind *kind)
{
    if (!tpm->warm)
        return TSS2_RC_SUCCESS;
    return tk_storage_primary_park(tpm, p, kind);
}

void tk_storage_primary_end_cold(tk_tpm *tpm, tk_storage_primary *p)
{
    if (p->handle == ESYS_TR_NONE || p->persistent || p->saved != NULL)
        return;
    if (Esys_FlushContext(tpm->conn.esys, p->handle) != TSS2_RC_SUCCESS)
        Esys_TR_Close(tpm->conn.esys, &p->handle);
    p->handle = ESYS_TR_NONE;
}

void tk_storage_primary_drop(tk_tpm *tpm, tk_storage_primary *p, int flush)
{
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

void tk_storage_primary_abandon(tk_storage_primary *p)
{
    p->handle = ESYS_TR_NONE;
    p->saved = NULL;
    p->persistent = 0;
    p->looked = 0;
}
