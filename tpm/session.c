/* Bus protection: one salted HMAC session per connection, with AES-128-CFB
 * parameter encryption, salted by the storage primary so that only this
 * TPM can derive the session key.
 *
 * Without a resource manager the session is parked (context-saved) between
 * operations: a loaded session holds one of the TPM's three session slots,
 * shared by every process, and a process killed with Ctrl-C never flushes
 * it. A saved session holds no slot. */
#include "internal.h"
#include "../provider/errors.h"

static TSS2_RC start_session(tk_tpm *tpm)
{
    TPMT_SYM_DEF symmetric = {
        .algorithm = TPM2_ALG_AES,
        .keyBits.aes = 128,
        .mode.aes = TPM2_ALG_CFB,
    };
    ESYS_TR salt_key;
    TSS2_RC rc = tk_primary_get(tpm, &salt_key);

    if (rc != TSS2_RC_SUCCESS)
        return rc;
    rc = Esys_StartAuthSession(tpm->esys, salt_key, ESYS_TR_NONE,
                               ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                               NULL, TPM2_SE_HMAC, &symmetric,
                               TPM2_ALG_SHA256, &tpm->session);
    if (rc != TSS2_RC_SUCCESS) {
        tpm->session = ESYS_TR_NONE;
        return tk_fail(tpm, rc, TK_R_SESSION_FAILED, "TPM2_StartAuthSession");
    }
    tk_debug("salted encrypting session started");
    /* The salt key is not needed once the session exists; without a
     * resource manager its slot is better left to other processes. */
    return tk_primary_park(tpm);
}

/* Flush a parked session by its handle: no slot is needed for that. */
static void flush_parked(tk_tpm *tpm)
{
    TSS2_SYS_CONTEXT *sys = NULL;

    if (Esys_GetSysContext(tpm->esys, &sys) == TSS2_RC_SUCCESS)
        Tss2_Sys_FlushContext(sys, tpm->session_saved->savedHandle);
    Esys_Free(tpm->session_saved);
    tpm->session_saved = NULL;
}

static TSS2_RC unpark(tk_tpm *tpm)
{
    TSS2_RC rc = Esys_ContextLoad(tpm->esys, tpm->session_saved, &tpm->session);

    if (rc == TSS2_RC_SUCCESS) {
        Esys_Free(tpm->session_saved);
        tpm->session_saved = NULL;
        return rc;
    }
    tpm->session = ESYS_TR_NONE;
    /* Slots full, or the connection broke: keep it parked, let the caller
     * wait for a slot or reconnect. */
    if (tk_rc_classify(rc) == TK_RC_BUSY || tk_rc_classify(rc) == TK_RC_TRANSPORT)
        return tk_fail(tpm, rc, TK_R_SESSION_FAILED, "TPM2_ContextLoad");
    /* Too old (context gap) or gone: drop it, a fresh session will do. */
    tk_debug("saved session did not load (0x%x): starting anew", (unsigned)rc);
    flush_parked(tpm);
    return TSS2_RC_SUCCESS;
}

TSS2_RC tk_session_get(tk_tpm *tpm, TPMA_SESSION attrs, ESYS_TR *out)
{
    TSS2_RC rc;

    *out = ESYS_TR_NONE;
    if (!tpm->encrypt)
        return TSS2_RC_SUCCESS;
    if (tpm->session == ESYS_TR_NONE && tpm->session_saved != NULL) {
        rc = unpark(tpm);
        if (rc != TSS2_RC_SUCCESS)
            return rc;
    }
    if (tpm->session == ESYS_TR_NONE) {
        rc = start_session(tpm);
        if (rc != TSS2_RC_SUCCESS)
            return rc;
    }
    rc = Esys_TRSess_SetAttributes(tpm->esys, tpm->session,
                                   attrs | TPMA_SESSION_CONTINUESESSION, 0xff);
    if (rc != TSS2_RC_SUCCESS)
        return tk_fail(tpm, rc, TK_R_SESSION_FAILED, "session attributes");
    *out = tpm->session;
    return TSS2_RC_SUCCESS;
}

void tk_session_park(tk_tpm *tpm)
{
    if (!tpm->park || tpm->session == ESYS_TR_NONE)
        return;
    /* ContextSave of a session also frees its slot and its ESYS_TR. */
    if (Esys_ContextSave(tpm->esys, tpm->session, &tpm->session_saved)
        != TSS2_RC_SUCCESS) {
        tpm->session_saved = NULL;
        tk_session_drop(tpm, 1);
        return;
    }
    tpm->session = ESYS_TR_NONE;
}

void tk_session_drop(tk_tpm *tpm, int flush)
{
    /* A parked session still exists in the TPM. */
    if (flush && tpm->session_saved != NULL)
        flush_parked(tpm);
    if (tpm->session != ESYS_TR_NONE) {
        if (!flush || Esys_FlushContext(tpm->esys, tpm->session)
                      != TSS2_RC_SUCCESS)
            Esys_TR_Close(tpm->esys, &tpm->session);
        tpm->session = ESYS_TR_NONE;
    }
    Esys_Free(tpm->session_saved);
    tpm->session_saved = NULL;
}

TSS2_RC tk_session_auth(tk_tpm *tpm, TPMA_SESSION attrs, ESYS_TR *out)
{
    TSS2_RC rc = tk_session_get(tpm, attrs, out);

    if (rc == TSS2_RC_SUCCESS && *out == ESYS_TR_NONE)
        *out = ESYS_TR_PASSWORD;
    return rc;
}
