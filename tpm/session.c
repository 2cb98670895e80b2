/* Bus protection: one salted HMAC session per connection, with AES-128-CFB
 * parameter encryption, salted by the storage primary so that only this
 * TPM can derive the session key. */
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

TSS2_RC tk_session_get(tk_tpm *tpm, TPMA_SESSION attrs, ESYS_TR *out)
{
    TSS2_RC rc;

    *out = ESYS_TR_NONE;
    if (!tpm->encrypt)
        return TSS2_RC_SUCCESS;
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
