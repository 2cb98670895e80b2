/* SPDX-License-Identifier: Apache-2.0 */
/* Bus protection: one salted HMAC session per connection, with AES-128-CFB
 * parameter encryption, salted by the storage primary so that only this
 * TPM can derive the session key. tpmkit does the session arithmetic
 * itself (call.c): ESYS's costs milliseconds of CPU per command.
 *
 * Without a resource manager the session is parked (context-saved) between
 * operations: a loaded session holds one of the TPM's three session slots,
 * shared by every process, and a process killed with Ctrl-C never flushes
 * it. A saved session holds no slot. */
#include <string.h>
#include <openssl/crypto.h>
#include <tss2/tss2_mu.h>

#include "ek.h"
#include "nullkey.h"
#include "primary.h"
#include "session.h"
#include "state.h"
#include "../provider/errors.h"

/* The salt, encrypted to the EK with RSA-OAEP (tpm-identity ek-ca). The
 * EK (or the kernel's null key) is flushed once the session has started
 * (*ek). */
static TSS2_RC make_ek_salt(tk_tpm *tpm, TPM2_HANDLE *salt_key, ESYS_TR *ek,
                            TPM2B_ENCRYPTED_SECRET *secret, unsigned char *salt)
{
    TPM2B_PUBLIC_KEY_RSA n;
    TSS2_RC rc = tk_ek_get(tpm, ek, &n);

    if (rc == TSS2_RC_SUCCESS)
        rc = Esys_TR_GetTpmHandle(tpm->conn.esys, *ek, salt_key);
    if (rc != TSS2_RC_SUCCESS)
        return rc;
    if (!tk_crypto_rsa_salt(&tpm->conn.crypto, &n, salt, 32, secret))
        return tk_fail(tpm, TSS2_ESYS_RC_GENERAL_FAILURE, TK_R_SESSION_FAILED,
                       "salting the session to the EK");
    return TSS2_RC_SUCCESS;
}

/* The salt, encrypted to the salt key: an ephemeral ECDH point for the
 * storage primary or the kernel's null key, RSA-OAEP for the EK. */
static TSS2_RC make_salt(tk_tpm *tpm, TPM2_HANDLE *salt_key, ESYS_TR *ek,
                         TPM2B_ENCRYPTED_SECRET *secret, unsigned char *salt)
{
    TPMS_ECC_POINT ephemeral = { 0 }, point;
    ESYS_TR primary;
    size_t len = 0;
    TSS2_RC rc;

    if (tpm->identity.kind == TK_IDENTITY_EK_CA)
        return make_ek_salt(tpm, salt_key, ek, secret, salt);
    if (tpm->identity.kind == TK_IDENTITY_KERNEL) {
        rc = tk_nullkey_get(tpm, ek, &point);
        primary = *ek;
    } else {
        rc = tk_primary_get(tpm, &primary);
        point = tpm->prim.point;
    }
    if (rc == TSS2_RC_SUCCESS)
        rc = Esys_TR_GetTpmHandle(tpm->conn.esys, primary, salt_key);
    if (rc != TSS2_RC_SUCCESS)
        return rc;
    if (!tk_crypto_ecdh_salt(&tpm->conn.crypto, TPM2_ALG_SHA256, &point,
                             &ephemeral, salt, 32))
        return tk_fail(tpm, TSS2_ESYS_RC_GENERAL_FAILURE, TK_R_SESSION_FAILED,
                       "salting the session");
    rc = Tss2_MU_TPMS_ECC_POINT_Marshal(&ephemeral, secret->secret,
                                        sizeof(secret->secret), &len);
    secret->size = (UINT16)len;
    return rc;
}

TSS2_RC tk_sess_start(tk_tpm *tpm, TPM2_SE type, TPMI_ALG_HASH hash, int salted,
                      tk_sess *out)
{
    TPMT_SYM_DEF symmetric = { .algorithm = TPM2_ALG_NULL };
    TPM2B_ENCRYPTED_SECRET secret = { 0 };
    TPM2B_NONCE nonce_caller = { 0 };
    TPM2_HANDLE salt_key = TPM2_RH_NULL;
    unsigned char salt[32];
    size_t size = tk_crypto_hash_size(hash);
    ESYS_TR ek = ESYS_TR_NONE;
    TSS2_RC rc;

    memset(out, 0, sizeof(*out));
    out->type = type;
    out->hash = hash;
    nonce_caller.size = (UINT16)size;
    if (size == 0
        || !tk_crypto_random(&tpm->conn.crypto, nonce_caller.buffer, size))
        return tk_fail(tpm, TSS2_ESYS_RC_BAD_VALUE, TK_R_SESSION_FAILED,
                       "session nonce");
    if (salted) {
        symmetric = (TPMT_SYM_DEF){ .algorithm = TPM2_ALG_AES,
                                    .keyBits.aes = 128,
                                    .mode.aes = TPM2_ALG_CFB };
        rc = make_salt(tpm, &salt_key, &ek, &secret, salt);
        if (rc != TSS2_RC_SUCCESS) {
            if (ek != ESYS_TR_NONE)
                Esys_FlushContext(tpm->conn.esys, ek);
            return rc;
        }
    }
    rc = Tss2_Sys_StartAuthSession(tpm->conn.sys, salt_key, TPM2_RH_NULL, NULL,
                                   &nonce_caller, &secret, type, &symmetric,
                                   hash, &out->handle, &out->nonce_tpm, NULL);
    /* The salt key is not needed once the session exists; without a
     * resource manager its slot is better left to other processes. */
    if (ek != ESYS_TR_NONE)
        Esys_FlushContext(tpm->conn.esys, ek);
    else if (salted && tpm->park)
        tk_primary_release(tpm);
    if (rc != TSS2_RC_SUCCESS) {
        OPENSSL_cleanse(salt, sizeof(salt));
        out->handle = 0;
        return tk_fail(tpm, rc, TK_R_SESSION_FAILED, "TPM2_StartAuthSession");
    }
    out->loaded = 1;
    if (salted) {
        tk_iov u = { out->nonce_tpm.buffer, out->nonce_tpm.size };
        tk_iov v = { nonce_caller.buffer, nonce_caller.size };

        out->key_len = size;
        if (!tk_crypto_kdfa(&tpm->conn.crypto, hash, salt, sizeof(salt), "ATH",
                            &u, &v, size * 8, out->key)) {
            OPENSSL_cleanse(salt, sizeof(salt));
            tk_sess_flush(tpm, out);
            return tk_fail(tpm, TSS2_ESYS_RC_GENERAL_FAILURE,
                           TK_R_SESSION_FAILED, "session key");
        }
    }
    OPENSSL_cleanse(salt, sizeof(salt));
    return TSS2_RC_SUCCESS;
}

void tk_sess_flush(tk_tpm *tpm, tk_sess *s)
{
    /* A saved session still holds its handle: flushing needs no slot. */
    if (s->handle != 0 && tpm->conn.sys != NULL)
        Tss2_Sys_FlushContext(tpm->conn.sys, s->handle);
    OPENSSL_cleanse(s, sizeof(*s));
}

static TSS2_RC unpark(tk_tpm *tpm)
{
    TPM2_HANDLE handle = 0;
    TSS2_RC rc = Tss2_Sys_ContextLoad(tpm->conn.sys, &tpm->session.saved,
                                      &handle);

    if (rc == TSS2_RC_SUCCESS) {
        tpm->session.loaded = 1;
        return rc;
    }
    /* Slots full, or the connection broke: keep it parked, let the caller
     * wait for a slot or reconnect. */
    if (tk_rc_classify(rc) == TK_RC_BUSY
        || tk_rc_classify(rc) == TK_RC_TRANSPORT)
        return tk_fail(tpm, rc, TK_R_SESSION_FAILED, "TPM2_ContextLoad");
    /* Too old (context gap) or gone: drop it, a fresh session will do. */
    tk_debug("saved session did not load (0x%x): starting anew", (unsigned)rc);
    tk_sess_flush(tpm, &tpm->session);
    return TSS2_RC_SUCCESS;
}

TSS2_RC tk_session_get(tk_tpm *tpm, tk_sess **out)
{
    TSS2_RC rc;

    *out = NULL;
    if (!tpm->encrypt)
        return TSS2_RC_SUCCESS;
    if (tpm->session.handle != 0 && !tpm->session.loaded
        && (rc = unpark(tpm)) != TSS2_RC_SUCCESS)
        return rc;
    if (tpm->session.handle == 0) {
        rc = tk_sess_start(tpm, TPM2_SE_HMAC, TPM2_ALG_SHA256, 1,
                           &tpm->session);
        if (rc != TSS2_RC_SUCCESS)
            return rc;
        tk_debug("salted encrypting session started");
    }
    *out = &tpm->session;
    return TSS2_RC_SUCCESS;
}

/* Salted to a persisted primary, a new session is one command, as cheap
 * as loading a saved one: without a resource manager it is ended after
 * every operation instead of saved (a process that makes one operation
 * never pays for the save, and one killed while idle leaves nothing in the
 * TPM). */
static int ends_each_operation(const tk_tpm *tpm)
{
    return tpm->park && tpm->prim.object.persistent
           && tpm->identity.kind != TK_IDENTITY_EK_CA
           && tpm->identity.kind != TK_IDENTITY_KERNEL;
}

TPMA_SESSION tk_session_attrs(const tk_tpm *tpm, TPMA_SESSION attrs)
{
    TPMA_SESSION sent = attrs & ~TK_SESSION_LAST;

    if ((attrs & TK_SESSION_LAST) && (!tpm->warm || ends_each_operation(tpm)))
        return sent;
    return sent | TPMA_SESSION_CONTINUESESSION;
}

TSS2_RC tk_session_attach(tk_tpm *tpm, tk_call *call, TPMA_SESSION attrs)
{
    tk_sess *sess;
    TSS2_RC rc = tk_session_get(tpm, &sess);

    if (rc == TSS2_RC_SUCCESS && sess != NULL)
        tk_call_auth_add(call, sess, NULL, tk_session_attrs(tpm, attrs));
    return rc;
}

TSS2_RC tk_session_auth(tk_tpm *tpm, tk_call *call, const TPM2B_AUTH *auth,
                        TPMA_SESSION attrs)
{
    tk_sess *sess;
    TSS2_RC rc = tk_session_get(tpm, &sess);

    if (rc != TSS2_RC_SUCCESS)
        return rc;
    tk_call_auth_add(call, sess, auth, sess ? tk_session_attrs(tpm, attrs) : 0);
    return TSS2_RC_SUCCESS;
}

void tk_session_park(tk_tpm *tpm, int unsaved)
{
    if (!tpm->park || tpm->session.handle == 0 || !tpm->session.loaded)
        return;
    if (unsaved) {
        tk_session_drop(tpm, 1);
        return;
    }
    if (ends_each_operation(tpm)) {
        tk_session_drop(tpm, 1);
        return;
    }
    /* ContextSave of a session also frees its slot. */
    if (Tss2_Sys_ContextSave(tpm->conn.sys, tpm->session.handle,
                             &tpm->session.saved)
        != TSS2_RC_SUCCESS) {
        tk_session_drop(tpm, 1);
        return;
    }
    tpm->session.loaded = 0;
}

void tk_session_drop(tk_tpm *tpm, int flush)
{
    if (flush)
        tk_sess_flush(tpm, &tpm->session);
    OPENSSL_cleanse(&tpm->session, sizeof(tpm->session));
}
