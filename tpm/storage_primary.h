/* SPDX-License-Identifier: Apache-2.0 */
/* A storage primary that key files call parent 0x40000001, whichever its
 * kind (primary.h: ECC P-256, the usual one; rsa_primary.h: RSA-2048, for
 * rsaParent TRUE). Used where it is persisted (storage-primary, 0x81000001
 * by default) when that handle holds exactly this primary: checked once
 * per user and TPM by creating the primary and comparing, then by the name
 * the TPM reports (srk_cache.h). Else created once per connection and,
 * without a resource manager, parked (ContextSave + flush) between uses.
 * What tells the kinds apart is a tk_storage_primary_kind. */
#ifndef TK_TPM_STORAGE_PRIMARY_H
#define TK_TPM_STORAGE_PRIMARY_H

#include <tss2/tss2_esys.h>

#include "tpm.h"

typedef struct tk_storage_primary {
    ESYS_TR handle;      /* ESYS_TR_NONE unless loaded right now */
    TPMS_CONTEXT *saved; /* parked outside the TPM */
    int persistent;      /* `handle` is the persisted primary (never flushed) */
    int looked;          /* this connection looked for the persisted one */
} tk_storage_primary;

typedef struct tk_storage_primary_kind {
    const TPM2B_PUBLIC *template; /* made with TK_STORAGE_PRIMARY_TEMPLATE */
    /* Everything of the template but the unique field, which the TPM
     * fills: tk_storage_primary_shares_template and the kind's own. */
    int (*matches_template)(const TPMT_PUBLIC *pub);
    /* What failures and the debug trace call it ("TPM2_ContextLoad of the
     * LABEL"); a failed TPM2_CreatePrimary adds `create_hint` if set. */
    const char *label, *create_hint;
    /* Optional: runs when the primary is neither loaded nor saved, before
     * it is looked for or made (the RSA one lets tpm-identity check the
     * TPM first). */
    TSS2_RC (*before_making)(tk_tpm *tpm);
    /* Optional: the primary (public area, name) is about to become this
     * connection's, found persisted or just created, before anything is
     * salted to it or loaded under it. A failure refuses it (the salt
     * key's tpm-identity check); a persisted one is noted only once
     * accepted. */
    TSS2_RC (*accept)(tk_tpm *, const TPM2B_PUBLIC *, const TPM2B_NAME *);
} tk_storage_primary_kind;

/* The TCG storage template of an asymmetric `type` (its parameters in
 * `detail`, their own fields after it): the storage attributes, SHA-256
 * name, AES-128-CFB, no scheme, empty unique. Other tools make their
 * storage primaries from exactly this, or their keys do not load. */
#define TK_STORAGE_PRIMARY_TEMPLATE(type_, detail, ...)                        \
    {                                                                          \
        .publicArea = {                                                        \
            .type = (type_),                                                   \
            .nameAlg = TPM2_ALG_SHA256,                                        \
            .objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT \
                                | TPMA_OBJECT_SENSITIVEDATAORIGIN              \
                                | TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA  \
                                | TPMA_OBJECT_RESTRICTED                       \
                                | TPMA_OBJECT_DECRYPT,                         \
            .parameters.detail = { .symmetric = { .algorithm = TPM2_ALG_AES,   \
                                                  .keyBits.aes = 128,          \
                                                  .mode.aes = TPM2_ALG_CFB },  \
                                   .scheme.scheme = TPM2_ALG_NULL,             \
                                   __VA_ARGS__ },                              \
        },                                                                     \
    }

/* What `pub` shares with template `t` of that macro: type, name algorithm,
 * attributes, no policy, symmetric algorithm and scheme. */
int tk_storage_primary_shares_template(const TPMT_PUBLIC *pub,
                                       const TPMT_PUBLIC *t);

/* TPM2_CreatePrimary with the kind's template in `hierarchy`, unchecked;
 * the caller flushes *handle and frees *pub. */
TSS2_RC tk_storage_primary_create_in(tk_tpm *tpm,
                                     const tk_storage_primary_kind *kind,
                                     ESYS_TR hierarchy, ESYS_TR *handle,
                                     TPM2B_PUBLIC **pub);
/* Loaded: the persisted one, the parked one brought back, or one created
 * (raises on failure). */
TSS2_RC tk_storage_primary_get(tk_tpm *tpm, tk_storage_primary *p,
                               const tk_storage_primary_kind *kind,
                               ESYS_TR *out);
/* Out of the TPM's scarce object slots (ContextSave + flush). */
TSS2_RC tk_storage_primary_park(tk_tpm *tpm, tk_storage_primary *p,
                                const tk_storage_primary_kind *kind);
/* Done with it for now (no resource manager): parked, except during a
 * connection's first operation, when it stays loaded until the operation
 * ends (tk_storage_primary_end_cold). */
TSS2_RC tk_storage_primary_release(tk_tpm *tpm, tk_storage_primary *p,
                                   const tk_storage_primary_kind *kind);
/* The end of a connection's first operation: flush a primary that was
 * never saved, without saving it. */
void tk_storage_primary_end_cold(tk_tpm *tpm, tk_storage_primary *p);
/* Forget it: flush it if loaded and `flush`, drop the saved copy. */
void tk_storage_primary_drop(tk_tpm *tpm, tk_storage_primary *p, int flush);
/* A forked child's copy: forget it without touching the TPM or freeing
 * what the parent's connection may still be updating (the caller keeps
 * `saved` if it wants it reachable). */
void tk_storage_primary_abandon(tk_storage_primary *p);

#endif
