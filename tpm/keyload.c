/* SPDX-License-Identifier: Apache-2.0 */
/* Loading keys into the TPM on demand; the caller holds the connection
 * lock. When the TPM has no free object slot our least recently used keys
 * are flushed (their saved contexts make the next load cheap). Without a
 * resource manager all keys are parked after every operation, like the
 * session. */
#include <string.h>
#include <openssl/crypto.h>
#include <tss2/tss2_mu.h>

#include "da_lockout.h"
#include "import.h"
#include "keyobj.h"
#include "primary.h"
#include "rsa_primary.h"
#include "session.h"
#include "state.h"
#include "../provider/errors.h"

static void unlink_loaded(tk_tpm *tpm, tk_tpm_key *key)
{
    if (key->prev != NULL)
        key->prev->next = key->next;
    else if (tpm->keys.loaded == key)
        tpm->keys.loaded = key->next;
    if (key->next != NULL)
        key->next->prev = key->prev;
    key->prev = key->next = NULL;
}

static void link_loaded(tk_tpm *tpm, tk_tpm_key *key)
{
    key->prev = NULL;
    key->next = tpm->keys.loaded;
    if (tpm->keys.loaded != NULL)
        tpm->keys.loaded->prev = key;
    tpm->keys.loaded = key;
}

void tk_key_unload(tk_tpm *tpm, tk_tpm_key *key, int flush)
{
    if (key->handle == ESYS_TR_NONE)
        return;
    if (key->persistent != 0) {
        Esys_TR_Close(tpm->conn.esys, &key->handle); /* never flush those */
    } else if (!flush
               || Esys_FlushContext(tpm->conn.esys, key->handle)
                      != TSS2_RC_SUCCESS) {
        Esys_TR_Close(tpm->conn.esys, &key->handle);
    }
    key->handle = ESYS_TR_NONE;
    unlink_loaded(tpm, key);
}

/* Import the duplicate with the parent and session at hand; the key's
 * private blob becomes the TPM's own. The duplicate's blob stays alive
 * until the key is freed: a reader may still hold it. */
static TSS2_RC import_now(tk_tpm *tpm, tk_tpm_key *key, ESYS_TR parent,
                          const TPM2B_AUTH *parent_auth)
{
    unsigned char blob[sizeof(TPM2B_PRIVATE)], *copy;
    size_t len = 0;
    TPM2B_PRIVATE out = { 0 };
    TSS2_RC rc = tk_import_duplicate(tpm, parent, parent_auth, &key->pub,
                                     &key->priv, key->import_seed, &out);

    if (rc != TSS2_RC_SUCCESS)
        return rc;
    if (Tss2_MU_TPM2B_PRIVATE_Marshal(&out, blob, sizeof(blob), &len)
            != TSS2_RC_SUCCESS
        || (copy = OPENSSL_memdup(blob, len)) == NULL)
        return tk_fail(tpm, TSS2_ESYS_RC_MEMORY, TK_R_INTERNAL,
                       "keeping the imported key");
    key->priv = out;
    key->dup_blob = key->priv_blob;
    key->priv_len = len;
    __atomic_store_n(&key->priv_blob, copy, __ATOMIC_RELEASE);
    OPENSSL_free(key->import_seed);
    key->import_seed = NULL;
    return TSS2_RC_SUCCESS;
}

TSS2_RC tk_parent_get(tk_tpm *tpm, uint32_t parent, const TPM2B_AUTH *auth,
                      ESYS_TR *out)
{
    TSS2_RC rc;

    if (parent == 0 || parent == TK_TPM_PARENT_PRIMARY)
        return tk_primary_get(tpm, out);
    if (parent == TK_TPM_PARENT_RSA_PRIMARY)
        return tk_rsa_primary_get(tpm, out);
    rc = Esys_TR_FromTPMPublic(tpm->conn.esys, parent, ESYS_TR_NONE,
                               ESYS_TR_NONE, ESYS_TR_NONE, out);
    if (rc != TSS2_RC_SUCCESS)
        return tk_failf(tpm, rc, TK_R_BAD_KEY,
                        "finding the parent key 0x%08x (is there a persistent"
                        " key at that handle in this TPM?)",
                        parent);
    Esys_TR_SetAuth(tpm->conn.esys, *out, auth);
    return TSS2_RC_SUCCESS;
}

void tk_parent_release(tk_tpm *tpm, uint32_t parent, ESYS_TR *handle)
{
    if (parent == 0 || parent == TK_TPM_PARENT_PRIMARY) {
        if (tpm->park)
            tk_primary_release(tpm);
    } else if (parent == TK_TPM_PARENT_RSA_PRIMARY) {
        if (tpm->park)
            tk_rsa_primary_park(tpm);
    } else {
        Esys_TR_Close(tpm->conn.esys, handle);
    }
}

/* Make room by flushing our least recently used key. 0 if we hold none. */
static int evict_one(tk_tpm *tpm, tk_tpm_key *except)
{
    tk_tpm_key *victim = NULL;

    for (tk_tpm_key *k = tpm->keys.loaded; k != NULL; k = k->next)
        if (k != except && k->persistent == 0)
            victim = k;
    if (victim == NULL)
        return 0;
    tk_debug("evicting a key to free a TPM slot");
    tk_key_unload(tpm, victim, 1);
    return 1;
}

/* An ephemeral key: its secret is the command's first parameter, so it
 * crosses the bus encrypted. */
int tk_keys_make_room(tk_tpm *tpm)
{
    return evict_one(tpm, NULL);
}

/* An object loaded through SYS, made known to ESYS (for its later context
 * saves and flushes). */
static TSS2_RC adopt(tk_tpm *tpm, TPM2_HANDLE handle, ESYS_TR *out)
{
    TSS2_RC rc = Esys_TR_FromTPMPublic(tpm->conn.esys, handle, ESYS_TR_NONE,
                                       ESYS_TR_NONE, ESYS_TR_NONE, out);

    if (rc != TSS2_RC_SUCCESS) {
        Tss2_Sys_FlushContext(tpm->conn.sys, handle);
        *out = ESYS_TR_NONE;
    }
    return rc;
}

static TSS2_RC load_external(tk_tpm *tpm, tk_tpm_key *key)
{
    TPM2_HANDLE handle;
    TPM2B_NAME name;
    tk_call call;
    TSS2_RC rc;

    tk_call_init(&call);
    rc = tk_session_auth(tpm, &call, NULL, TPMA_SESSION_DECRYPT);
    if (rc != TSS2_RC_SUCCESS)
        return rc;
    if (call.auths[0].sess == NULL)
        return tk_fail(tpm, TSS2_ESYS_RC_BAD_VALUE, TK_R_NOT_SUPPORTED,
                       "loading a raw HMAC key without session encryption");
    rc = Tss2_Sys_LoadExternal_Prepare(tpm->conn.sys, key->external, &key->pub,
                                       TPM2_RH_NULL);
    if (rc == TSS2_RC_SUCCESS)
        rc = tk_call_run(tpm, &call, TPM2_CC_LoadExternal);
    if (rc == TSS2_RC_SUCCESS)
        rc = Tss2_Sys_LoadExternal_Complete(tpm->conn.sys, &handle, &name);
    if (rc == TSS2_RC_SUCCESS)
        rc = adopt(tpm, handle, &key->handle);
    if (rc != TSS2_RC_SUCCESS) {
        key->handle = ESYS_TR_NONE;
        if (rc != TPM2_RC_OBJECT_MEMORY)
            tk_fail(tpm, rc, TK_R_BAD_KEY, "TPM2_LoadExternal");
    }
    return rc;
}

/* TPM2_Load with the parent's password through the salted session. */
static TSS2_RC load_with_password(tk_tpm *tpm, tk_tpm_key *key, ESYS_TR parent)
{
    TPM2_HANDLE parent_handle, handle;
    TPM2B_NAME name;
    tk_call call;
    TSS2_RC rc;

    tk_call_init(&call);
    rc = tk_session_auth(tpm, &call, &key->parent_auth, 0);
    if (rc == TSS2_RC_SUCCESS)
        rc = tk_call_handle(tpm, &call, parent, &parent_handle);
    if (rc == TSS2_RC_SUCCESS)
        rc = Tss2_Sys_Load_Prepare(tpm->conn.sys, parent_handle, &key->priv,
                                   &key->pub);
    if (rc == TSS2_RC_SUCCESS)
        rc = tk_call_run(tpm, &call, TPM2_CC_Load);
    if (rc == TSS2_RC_SUCCESS)
        rc = Tss2_Sys_Load_Complete(tpm->conn.sys, &handle, &name);
    OPENSSL_cleanse(&call, sizeof(call));
    if (rc == TSS2_RC_SUCCESS)
        rc = adopt(tpm, handle, &key->handle);
    return rc;
}

/* Why TPM2_Load refused a key file's blobs, said so that the user knows
 * what to do. */
static void load_failed(tk_tpm *tpm, TSS2_RC rc, uint32_t parent)
{
    /* Keys under the two storage primaries look alike: only rsaParent
     * tells them apart, and a wrong one fails the same integrity check. */
    const char *which = parent == TK_TPM_PARENT_RSA_PRIMARY
                            ? "; or its rsaParent TRUE is wrong: it was made"
                              " under the ECC P-256 storage primary"
                        : parent == TK_TPM_PARENT_PRIMARY
                            ? "; or it was made under the RSA-2048 storage"
                              " primary and its file lacks rsaParent TRUE"
                            : "";

    if (tk_rc_is_auth_failure(rc))
        tk_fail(tpm, rc, TK_R_AUTH_FAILED,
                "TPM2_Load (the parent key's password is wrong?)");
    else if (rc == TPM2_RC_LOCKOUT)
        tk_da_lockout_fail(tpm, rc, TK_R_AUTH_FAILED,
                           "TPM2_Load with the parent key's password");
    else if (tk_rc_base(rc) == TPM2_RC_INTEGRITY)
        /* The private part is wrapped with a key derived from the parent's
         * seed: another TPM's, or one a TPM2_Clear replaced. */
        tk_failf(tpm, rc, TK_R_BAD_KEY,
                 "TPM2_Load (the key file belongs to another TPM, or to this"
                 " TPM before its storage hierarchy was cleared, or it was"
                 " altered: its private part does not verify under this"
                 " TPM's parent key, and the key cannot be used on this"
                 " TPM%s)",
                 which);
    else
        tk_fail(tpm, rc, TK_R_BAD_KEY, "TPM2_Load");
}

static TSS2_RC load_from_blobs(tk_tpm *tpm, tk_tpm_key *key)
{
    ESYS_TR parent;
    tk_sess *session;
    TSS2_RC rc;

    if (key->external != NULL)
        return load_external(tpm, key);

    /* A parent password goes through the salted session; without one,
     * nothing secret crosses the bus (the private blob is wrapped by the
     * parent). Session first: starting it may park the primary. */
    if (key->parent_auth.size > 0
        && (rc = tk_session_get(tpm, &session)) != TSS2_RC_SUCCESS)
        return rc;
    rc = tk_parent_get(tpm, key->parent, &key->parent_auth, &parent);
    if (rc != TSS2_RC_SUCCESS)
        return rc;
    if (key->import_seed != NULL
        && (rc = import_now(tpm, key, parent, &key->parent_auth))
               != TSS2_RC_SUCCESS) {
        tk_parent_release(tpm, key->parent, &parent);
        return rc;
    }
    if (key->parent_auth.size > 0)
        rc = load_with_password(tpm, key, parent);
    else
        rc = Esys_Load(tpm->conn.esys, parent, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                       ESYS_TR_NONE, &key->priv, &key->pub, &key->handle);
    if (rc != TSS2_RC_SUCCESS) {
        key->handle = ESYS_TR_NONE;
        load_failed(tpm, rc, key->parent);
    }
    tk_parent_release(tpm, key->parent, &parent);
    return rc;
}

TSS2_RC tk_key_load(tk_tpm *tpm, tk_tpm_key *key, ESYS_TR *out)
{
    TSS2_RC rc;

    if (key->handle != ESYS_TR_NONE) {
        unlink_loaded(tpm, key);
        link_loaded(tpm, key);
        goto loaded;
    }
    if (key->persistent != 0) {
        rc = Esys_TR_FromTPMPublic(tpm->conn.esys, key->persistent,
                                   ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                   &key->handle);
        if (rc != TSS2_RC_SUCCESS) {
            key->handle = ESYS_TR_NONE;
            return tk_fail(tpm, rc, TK_R_BAD_KEY, "finding the persistent key");
        }
        link_loaded(tpm, key);
        goto loaded;
    }
    if (key->saved != NULL && key->saved_generation != tpm->keys.generation) {
        Esys_Free(key->saved); /* from a connection or TPM now gone */
        key->saved = NULL;
    }
    for (;;) {
        if (key->saved != NULL) {
            rc = Esys_ContextLoad(tpm->conn.esys, key->saved, &key->handle);
            if (rc == TSS2_RC_SUCCESS)
                break;
            key->handle = ESYS_TR_NONE;
            if (rc == TPM2_RC_OBJECT_MEMORY) {
                if (evict_one(tpm, key))
                    continue;
                return tk_fail(tpm, rc, TK_R_TPM_COMMAND_FAILED,
                               "TPM2_ContextLoad");
            }
            Esys_Free(key->saved); /* unusable: load from the blobs */
            key->saved = NULL;
            continue;
        }
        rc = load_from_blobs(tpm, key);
        if (rc == TSS2_RC_SUCCESS)
            break;
        if (rc == TPM2_RC_OBJECT_MEMORY && evict_one(tpm, key))
            continue;
        return rc;
    }
    link_loaded(tpm, key);
loaded:
    Esys_TR_SetAuth(tpm->conn.esys, key->handle, &key->auth);
    *out = key->handle;
    return TSS2_RC_SUCCESS;
}

/* Is loading the key again one TPM2_Load, as cheap as the ContextLoad of a
 * saved context? Then saving it is a command wasted (a process that exits
 * never uses it). Not so when the parent must be loaded first, or the
 * load needs a password session, or the key has no blob (ephemeral). */
static int reload_is_one(const tk_tpm *tpm, const tk_tpm_key *k)
{
    int persistent_parent =
        (k->parent >> 24) == TPM2_HT_PERSISTENT
        || ((k->parent == 0 || k->parent == TK_TPM_PARENT_PRIMARY)
            && tpm->prim.object.persistent)
        || (k->parent == TK_TPM_PARENT_RSA_PRIMARY && tpm->rsa_prim.persistent);

    return persistent_parent && k->external == NULL && k->import_seed == NULL
           && k->parent_auth.size == 0;
}

void tk_keys_park(tk_tpm *tpm, int unsaved)
{
    tk_tpm_key *k, *next;

    if (!tpm->park)
        return;
    for (k = tpm->keys.loaded; k != NULL; k = next) {
        next = k->next;
        if (k->persistent == 0 && k->saved == NULL && !unsaved
            && !reload_is_one(tpm, k)) {
            if (Esys_ContextSave(tpm->conn.esys, k->handle, &k->saved)
                == TSS2_RC_SUCCESS)
                k->saved_generation = tpm->keys.generation;
            else
                k->saved = NULL;
        }
        tk_key_unload(tpm, k, 1);
    }
}

void tk_keys_drop(tk_tpm *tpm, int flush)
{
    while (tpm->keys.loaded != NULL)
        tk_key_unload(tpm, tpm->keys.loaded, flush);
    tpm->keys.generation++;
}

TSS2_RC tk_key_import_pending(tk_tpm *tpm, tk_tpm_key *key)
{
    TPM2B_AUTH no_auth = { 0 };
    ESYS_TR parent;
    TSS2_RC rc;

    if (key->import_seed == NULL)
        return TSS2_RC_SUCCESS;
    rc = tk_parent_get(tpm, key->parent, &no_auth, &parent);
    if (rc != TSS2_RC_SUCCESS)
        return rc;
    rc = import_now(tpm, key, parent, &no_auth);
    tk_parent_release(tpm, key->parent, &parent);
    return rc;
}
