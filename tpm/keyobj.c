/* TPM-resident keys: the blobs, the passwords, and whether the key is
 * loaded in the TPM right now. Keys are loaded on demand; when the TPM has
 * no free object slot our least recently used keys are flushed (their
 * saved contexts make the next load cheap). Without a resource manager all
 * keys are parked after every operation, like the session. */
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <tss2/tss2_mu.h>

#include "internal.h"
#include "key.h"
#include "../provider/errors.h"

struct tk_tpm_key {
    tk_tpm *tpm;
    int refs;                   /* atomic */
    uint32_t parent;            /* TK_TPM_PARENT_PRIMARY or 0x81xxxxxx */
    uint32_t persistent;        /* 0x81xxxxxx, or 0 for a blob key */
    unsigned char *pub_blob, *priv_blob;
    size_t pub_len, priv_len;
    TPM2B_PUBLIC pub;
    TPM2B_PRIVATE priv;
    TPM2B_AUTH auth, parent_auth;
    TPM2B_SENSITIVE *external;  /* an ephemeral key's secret, or NULL */
    TPM2B_ENCRYPTED_SECRET *import_seed; /* priv is a duplicate to import */
    unsigned char *dup_blob;    /* the duplicate, once replaced by priv_blob */
    tk_tpm_policy_step *policy; /* owned copies of the policy steps */
    size_t policy_count;
    tk_tpm_pubinfo info;

    /* Guarded by tpm->lock. */
    TPM2B_NAME name;            /* computed on first use */
    ESYS_TR handle;             /* ESYS_TR_NONE unless loaded */
    TPMS_CONTEXT *saved;        /* context for a cheap reload */
    unsigned saved_generation;
    struct tk_tpm_key *prev, *next; /* tpm->loaded list while loaded */
};

static tk_tpm_key *key_new(tk_tpm *tpm)
{
    tk_tpm_key *key = OPENSSL_zalloc(sizeof(*key));

    if (key == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "TPM key");
        return NULL;
    }
    key->tpm = tpm;
    key->refs = 1;
    key->handle = ESYS_TR_NONE;
    return key;
}

tk_tpm_key *tk_tpm_key_from_blobs(tk_tpm *tpm, uint32_t parent,
                                  const unsigned char *pub, size_t pub_len,
                                  const unsigned char *priv, size_t priv_len)
{
    tk_tpm_key *key;

    if (parent == 0)
        parent = TK_TPM_PARENT_PRIMARY;
    if (parent != TK_TPM_PARENT_PRIMARY && (parent >> 24) != TPM2_HT_PERSISTENT) {
        tk_raise(TK_R_BAD_KEY, "unsupported parent handle 0x%08x (use 0x40000001"
                 " or a persistent key 0x81xxxxxx)", parent);
        return NULL;
    }
    if ((key = key_new(tpm)) == NULL)
        return NULL;
    key->parent = parent;
    if (!tk_tpm_unmarshal_public(pub, pub_len, &key->pub)
        || !tk_tpm_pubinfo_from_area(&key->pub.publicArea, &key->info)
        || !tk_tpm_unmarshal_private(priv, priv_len, &key->priv)
        || (key->pub_blob = OPENSSL_memdup(pub, pub_len)) == NULL
        || (key->priv_blob = OPENSSL_memdup(priv, priv_len)) == NULL) {
        tk_tpm_key_free(key);
        return NULL;
    }
    key->pub_len = pub_len;
    key->priv_len = priv_len;
    return key;
}

/* The public area of an ephemeral HMAC key. The TPM checks that `unique`
 * binds the secret: H(seedValue || secret) with the name algorithm. */
static int external_hmac_public(tk_tpm *tpm, int hash_nid,
                                const TPM2B_SENSITIVE *sens, TPM2B_PUBLIC *pub)
{
    TPMT_PUBLIC *area = &pub->publicArea;
    EVP_MD *sha256 = EVP_MD_fetch(tpm->crypto_ctx, "SHA256", NULL);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int len = 0;
    int ok;

    memset(pub, 0, sizeof(*pub));
    area->type = TPM2_ALG_KEYEDHASH;
    area->nameAlg = TPM2_ALG_SHA256;
    area->objectAttributes = TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_SIGN_ENCRYPT
                             | TPMA_OBJECT_NODA;
    area->parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_HMAC;
    area->parameters.keyedHashDetail.scheme.details.hmac.hashAlg =
        tk_tpm_hash_alg(hash_nid);
    ok = sha256 != NULL && md != NULL
         && EVP_DigestInit_ex(md, sha256, NULL)
         && EVP_DigestUpdate(md, sens->sensitiveArea.seedValue.buffer,
                             sens->sensitiveArea.seedValue.size)
         && EVP_DigestUpdate(md, sens->sensitiveArea.sensitive.bits.buffer,
                             sens->sensitiveArea.sensitive.bits.size)
         && EVP_DigestFinal_ex(md, area->unique.keyedHash.buffer, &len);
    area->unique.keyedHash.size = (UINT16)len;
    EVP_MD_CTX_free(md);
    EVP_MD_free(sha256);
    if (!ok)
        tk_raise(TK_R_INTERNAL, "cannot prepare the HMAC key");
    return ok;
}

tk_tpm_key *tk_tpm_key_from_secret(tk_tpm *tpm, int hash_nid,
                                   const unsigned char *secret, size_t len)
{
    TPMT_SENSITIVE *area;
    tk_tpm_key *key;

    if (tk_tpm_hash_alg(hash_nid) == TPM2_ALG_NULL) {
        tk_raise(TK_R_NOT_SUPPORTED, "the TPM computes HMAC with SHA-1/256/384/512 only");
        return NULL;
    }
    if (len > sizeof(area->sensitive.bits.buffer)) {
        tk_raise(TK_R_BAD_REQUEST, "HMAC key longer than %zu bytes",
                 sizeof(area->sensitive.bits.buffer));
        return NULL;
    }
    if (!tk_tpm_encrypting(tpm)) {
        tk_raise(TK_R_NOT_SUPPORTED, "loading a raw HMAC key into the TPM needs"
                 " session encryption (session-encryption = yes): the key"
                 " would cross the bus in clear");
        return NULL;
    }
    if ((key = key_new(tpm)) == NULL)
        return NULL;
    key->parent = TPM2_RH_NULL;
    if ((key->external = OPENSSL_secure_zalloc(sizeof(*key->external))) == NULL) {
        tk_tpm_key_free(key);
        tk_raise(TK_R_OUT_OF_MEMORY, "HMAC key");
        return NULL;
    }
    area = &key->external->sensitiveArea;
    area->sensitiveType = TPM2_ALG_KEYEDHASH;
    area->seedValue.size = 32;
    area->sensitive.bits.size = (UINT16)len;
    if (len > 0)
        memcpy(area->sensitive.bits.buffer, secret, len);
    if (RAND_bytes_ex(tpm->crypto_ctx, area->seedValue.buffer,
                      area->seedValue.size, 0) <= 0
        || !external_hmac_public(tpm, hash_nid, key->external, &key->pub)
        || !tk_tpm_pubinfo_from_area(&key->pub.publicArea, &key->info)) {
        tk_tpm_key_free(key);
        return NULL;
    }
    return key;
}

static TSS2_RC read_persistent(tk_tpm *tpm, void *arg)
{
    tk_tpm_key *key = arg;
    TPM2B_PUBLIC *pub = NULL;
    ESYS_TR handle;
    TSS2_RC rc;

    rc = Esys_TR_FromTPMPublic(tpm->esys, key->persistent, ESYS_TR_NONE,
                               ESYS_TR_NONE, ESYS_TR_NONE, &handle);
    if (rc != TSS2_RC_SUCCESS)
        return tk_fail(tpm, rc, TK_R_BAD_KEY, "reading the persistent key");
    rc = Esys_ReadPublic(tpm->esys, handle, ESYS_TR_NONE, ESYS_TR_NONE,
                         ESYS_TR_NONE, &pub, NULL, NULL);
    Esys_TR_Close(tpm->esys, &handle);
    if (rc != TSS2_RC_SUCCESS)
        return tk_fail(tpm, rc, TK_R_BAD_KEY, "TPM2_ReadPublic");
    key->pub = *pub;
    Esys_Free(pub);
    return TSS2_RC_SUCCESS;
}

tk_tpm_key *tk_tpm_key_from_persistent(tk_tpm *tpm, uint32_t handle)
{
    tk_tpm_key *key;

    if ((handle >> 24) != TPM2_HT_PERSISTENT) {
        tk_raise(TK_R_BAD_KEY, "0x%08x is not a persistent handle (0x81xxxxxx)",
                 handle);
        return NULL;
    }
    if ((key = key_new(tpm)) == NULL)
        return NULL;
    key->persistent = handle;
    if (!tk_tpm_run(tpm, read_persistent, key)) {
        tk_raise(TK_R_BAD_KEY, "no usable key at persistent handle 0x%08x", handle);
        tk_tpm_key_free(key);
        return NULL;
    }
    if (!tk_tpm_pubinfo_from_area(&key->pub.publicArea, &key->info)) {
        tk_tpm_key_free(key);
        return NULL;
    }
    return key;
}

int tk_tpm_key_up_ref(tk_tpm_key *key)
{
    __atomic_add_fetch(&key->refs, 1, __ATOMIC_RELAXED);
    return 1;
}

static void unlink_loaded(tk_tpm *tpm, tk_tpm_key *key)
{
    if (key->prev != NULL)
        key->prev->next = key->next;
    else if (tpm->loaded == key)
        tpm->loaded = key->next;
    if (key->next != NULL)
        key->next->prev = key->prev;
    key->prev = key->next = NULL;
}

static void link_loaded(tk_tpm *tpm, tk_tpm_key *key)
{
    key->prev = NULL;
    key->next = tpm->loaded;
    if (tpm->loaded != NULL)
        tpm->loaded->prev = key;
    tpm->loaded = key;
}

/* Flush (or just forget) one loaded key; the caller holds tpm->lock. */
static void unload(tk_tpm *tpm, tk_tpm_key *key, int flush)
{
    if (key->handle == ESYS_TR_NONE)
        return;
    if (key->persistent != 0) {
        Esys_TR_Close(tpm->esys, &key->handle);     /* never flush those */
    } else if (!flush || Esys_FlushContext(tpm->esys, key->handle)
                         != TSS2_RC_SUCCESS) {
        Esys_TR_Close(tpm->esys, &key->handle);
    }
    key->handle = ESYS_TR_NONE;
    unlink_loaded(tpm, key);
}

static TSS2_RC release_key(tk_tpm *tpm, void *arg)
{
    tk_tpm_key *key = arg;

    unload(tpm, key, tpm->esys != NULL && tpm->owner == getpid());
    return TSS2_RC_SUCCESS;
}

void tk_tpm_key_free(tk_tpm_key *key)
{
    if (key == NULL || __atomic_sub_fetch(&key->refs, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    tk_tpm_locked(key->tpm, release_key, key);
    Esys_Free(key->saved);
    OPENSSL_cleanse(&key->auth, sizeof(key->auth));
    OPENSSL_cleanse(&key->parent_auth, sizeof(key->parent_auth));
    OPENSSL_secure_clear_free(key->external, sizeof(*key->external));
    OPENSSL_free(key->import_seed);
    OPENSSL_free(key->dup_blob);
    for (size_t i = 0; i < key->policy_count; i++)
        OPENSSL_free((void *)key->policy[i].params);
    OPENSSL_free(key->policy);
    OPENSSL_free(key->pub_blob);
    OPENSSL_free(key->priv_blob);
    OPENSSL_free(key);
}

static int set_auth(TPM2B_AUTH *dst, const unsigned char *auth, size_t len)
{
    if (len > sizeof(dst->buffer)) {
        tk_raise(TK_R_BAD_REQUEST, "password longer than %zu bytes",
                 sizeof(dst->buffer));
        return 0;
    }
    OPENSSL_cleanse(dst, sizeof(*dst));
    dst->size = (UINT16)len;
    if (len > 0)
        memcpy(dst->buffer, auth, len);
    return 1;
}

int tk_tpm_key_set_auth(tk_tpm_key *key, const unsigned char *auth, size_t len)
{
    return set_auth(&key->auth, auth, len);
}

int tk_tpm_key_set_parent_auth(tk_tpm_key *key, const unsigned char *auth,
                               size_t len)
{
    return set_auth(&key->parent_auth, auth, len);
}

int tk_tpm_key_set_policy(tk_tpm_key *key, const tk_tpm_policy_step *steps,
                          size_t count)
{
    tk_tpm_policy_step *copy = OPENSSL_zalloc((count > 0 ? count : 1) * sizeof(*copy));

    if (copy == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "key policy");
        return 0;
    }
    for (size_t i = 0; i < count; i++) {
        unsigned char *params;

        if (!tk_tpm_policy_supported(steps[i].code)
            || (params = OPENSSL_zalloc(steps[i].len + 1)) == NULL) {
            while (i-- > 0)
                OPENSSL_free((void *)copy[i].params);
            OPENSSL_free(copy);
            return 0;
        }
        if (steps[i].len > 0)
            memcpy(params, steps[i].params, steps[i].len);
        copy[i] = steps[i];
        copy[i].params = params;
    }
    for (size_t i = 0; i < key->policy_count; i++)
        OPENSSL_free((void *)key->policy[i].params);
    OPENSSL_free(key->policy);
    key->policy = copy;
    key->policy_count = count;
    return 1;
}

size_t tk_tpm_key_policy(const tk_tpm_key *key, const tk_tpm_policy_step **steps)
{
    *steps = key->policy;
    return key->policy_count;
}

TPMI_ALG_HASH tk_key_name_alg(const tk_tpm_key *key)
{
    return key->pub.publicArea.nameAlg;
}

int tk_key_has_password(const tk_tpm_key *key)
{
    return key->auth.size > 0;
}

const TPM2B_NAME *tk_key_name(tk_tpm *tpm, tk_tpm_key *key)
{
    if (key->name.size == 0 && !tk_object_name(tpm, &key->pub, &key->name)) {
        key->name.size = 0;
        return NULL;
    }
    return &key->name;
}

const TPM2B_AUTH *tk_key_auth(const tk_tpm_key *key)
{
    return &key->auth;
}

int tk_key_needs_policy(const tk_tpm_key *key)
{
    return !key->info.userwithauth && key->policy_count > 0;
}

const tk_tpm_pubinfo *tk_tpm_key_info(const tk_tpm_key *key)
{
    return &key->info;
}

int tk_key_set_import_seed(tk_tpm_key *key, const TPM2B_ENCRYPTED_SECRET *seed)
{
    if ((key->import_seed = OPENSSL_memdup(seed, sizeof(*seed))) == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "importable key");
        return 0;
    }
    return 1;
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
        != TSS2_RC_SUCCESS || (copy = OPENSSL_memdup(blob, len)) == NULL)
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

static TSS2_RC import_pending(tk_tpm *tpm, void *arg)
{
    tk_tpm_key *key = arg;
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

int tk_tpm_key_blobs(tk_tpm_key *key, uint32_t *parent,
                     const unsigned char **pub, size_t *pub_len,
                     const unsigned char **priv, size_t *priv_len)
{
    if (key->persistent != 0 || key->external != NULL)
        return 0;
    /* A written key file must be loadable: import a duplicate first. */
    if (__atomic_load_n(&key->import_seed, __ATOMIC_ACQUIRE) != NULL
        && !tk_tpm_run(key->tpm, import_pending, key))
        return 0;
    *parent = key->parent;
    *pub = key->pub_blob;
    *pub_len = key->pub_len;
    *priv = key->priv_blob;
    *priv_len = key->priv_len;
    return 1;
}

tk_tpm *tk_tpm_key_tpm(const tk_tpm_key *key)
{
    return key->tpm;
}

uint32_t tk_tpm_key_handle(const tk_tpm_key *key)
{
    return key->persistent;
}

TSS2_RC tk_parent_get(tk_tpm *tpm, uint32_t parent, const TPM2B_AUTH *auth,
                      ESYS_TR *out)
{
    TSS2_RC rc;

    if (parent == 0 || parent == TK_TPM_PARENT_PRIMARY)
        return tk_primary_get(tpm, out);
    rc = Esys_TR_FromTPMPublic(tpm->esys, parent, ESYS_TR_NONE, ESYS_TR_NONE,
                               ESYS_TR_NONE, out);
    if (rc != TSS2_RC_SUCCESS)
        return tk_fail(tpm, rc, TK_R_BAD_KEY, "finding the parent key");
    Esys_TR_SetAuth(tpm->esys, *out, auth);
    return TSS2_RC_SUCCESS;
}

void tk_parent_release(tk_tpm *tpm, uint32_t parent, ESYS_TR *handle)
{
    if (parent == 0 || parent == TK_TPM_PARENT_PRIMARY) {
        if (tpm->park)
            tk_primary_park(tpm);
    } else {
        Esys_TR_Close(tpm->esys, handle);
    }
}

/* Make room by flushing our least recently used key. 0 if we hold none. */
static int evict_one(tk_tpm *tpm, tk_tpm_key *except)
{
    tk_tpm_key *victim = NULL;

    for (tk_tpm_key *k = tpm->loaded; k != NULL; k = k->next)
        if (k != except && k->persistent == 0)
            victim = k;
    if (victim == NULL)
        return 0;
    tk_debug("evicting a key to free a TPM slot");
    unload(tpm, victim, 1);
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
    TSS2_RC rc = Esys_TR_FromTPMPublic(tpm->esys, handle, ESYS_TR_NONE,
                                       ESYS_TR_NONE, ESYS_TR_NONE, out);

    if (rc != TSS2_RC_SUCCESS) {
        Tss2_Sys_FlushContext(tpm->sys, handle);
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
    rc = Tss2_Sys_LoadExternal_Prepare(tpm->sys, key->external, &key->pub,
                                       TPM2_RH_NULL);
    if (rc == TSS2_RC_SUCCESS)
        rc = tk_call_run(tpm, &call, TPM2_CC_LoadExternal);
    if (rc == TSS2_RC_SUCCESS)
        rc = Tss2_Sys_LoadExternal_Complete(tpm->sys, &handle, &name);
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
        rc = Tss2_Sys_Load_Prepare(tpm->sys, parent_handle, &key->priv, &key->pub);
    if (rc == TSS2_RC_SUCCESS)
        rc = tk_call_run(tpm, &call, TPM2_CC_Load);
    if (rc == TSS2_RC_SUCCESS)
        rc = Tss2_Sys_Load_Complete(tpm->sys, &handle, &name);
    OPENSSL_cleanse(&call, sizeof(call));
    if (rc == TSS2_RC_SUCCESS)
        rc = adopt(tpm, handle, &key->handle);
    return rc;
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
        rc = Esys_Load(tpm->esys, parent, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                       ESYS_TR_NONE, &key->priv, &key->pub, &key->handle);
    if (rc != TSS2_RC_SUCCESS) {
        key->handle = ESYS_TR_NONE;
        tk_fail(tpm, rc, (rc & 0xfff) == TPM2_RC_AUTH_FAIL
                         || (rc & 0xfff) == TPM2_RC_BAD_AUTH
                         ? TK_R_AUTH_FAILED : TK_R_BAD_KEY, "TPM2_Load");
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
        rc = Esys_TR_FromTPMPublic(tpm->esys, key->persistent, ESYS_TR_NONE,
                                   ESYS_TR_NONE, ESYS_TR_NONE, &key->handle);
        if (rc != TSS2_RC_SUCCESS) {
            key->handle = ESYS_TR_NONE;
            return tk_fail(tpm, rc, TK_R_BAD_KEY, "finding the persistent key");
        }
        link_loaded(tpm, key);
        goto loaded;
    }
    if (key->saved != NULL && key->saved_generation != tpm->generation) {
        Esys_Free(key->saved);      /* from a connection or TPM now gone */
        key->saved = NULL;
    }
    for (;;) {
        if (key->saved != NULL) {
            rc = Esys_ContextLoad(tpm->esys, key->saved, &key->handle);
            if (rc == TSS2_RC_SUCCESS)
                break;
            key->handle = ESYS_TR_NONE;
            if (rc == TPM2_RC_OBJECT_MEMORY) {
                if (evict_one(tpm, key))
                    continue;
                return tk_fail(tpm, rc, TK_R_TPM_COMMAND_FAILED,
                               "TPM2_ContextLoad");
            }
            Esys_Free(key->saved);  /* unusable: load from the blobs */
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
    Esys_TR_SetAuth(tpm->esys, key->handle, &key->auth);
    *out = key->handle;
    return TSS2_RC_SUCCESS;
}

void tk_keys_park(tk_tpm *tpm)
{
    tk_tpm_key *k, *next;

    if (!tpm->park)
        return;
    for (k = tpm->loaded; k != NULL; k = next) {
        next = k->next;
        if (k->persistent == 0 && k->saved == NULL) {
            if (Esys_ContextSave(tpm->esys, k->handle, &k->saved)
                == TSS2_RC_SUCCESS)
                k->saved_generation = tpm->generation;
            else
                k->saved = NULL;
        }
        unload(tpm, k, 1);
    }
}

void tk_keys_drop(tk_tpm *tpm, int flush)
{
    while (tpm->loaded != NULL)
        unload(tpm, tpm->loaded, flush);
    tpm->generation++;
}
