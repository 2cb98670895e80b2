/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the TPM layer: a key object's fields, what its holders may ask of
 * it, and loading it into the TPM (keyload.c; the caller holds the
 * connection lock). */
#ifndef TK_TPM_KEYOBJ_H
#define TK_TPM_KEYOBJ_H

#include <tss2/tss2_esys.h>

#include "key.h"
#include "session_crypto.h"

struct tk_tpm_key {
    tk_tpm *tpm;
    int refs;            /* atomic */
    uint32_t parent;     /* TK_TPM_PARENT_PRIMARY or 0x81xxxxxx */
    uint32_t persistent; /* 0x81xxxxxx, or 0 for a blob key */
    unsigned char *pub_blob, *priv_blob;
    size_t pub_len, priv_len;
    TPM2B_PUBLIC pub;
    TPM2B_PRIVATE priv;
    TPM2B_AUTH auth, parent_auth;
    TPM2B_SENSITIVE *external;  /* an ephemeral key's secret, or NULL */
    tk_tpm_policy_step *policy; /* owned copies of the policy steps */
    size_t policy_count;
    tk_tpm_signed_policy *signed_policies; /* owned copies */
    size_t signed_count;
    tk_tpm_pubinfo info;

    /* Guarded by the connection lock. */
    TPM2B_ENCRYPTED_SECRET *import_seed; /* priv is a duplicate to import */
    unsigned char *dup_blob; /* the duplicate, once replaced by priv_blob */
    TPM2B_NAME name;         /* computed on first use */
    ESYS_TR handle;          /* ESYS_TR_NONE unless loaded */
    TPMS_CONTEXT *saved;     /* context for a cheap reload */
    unsigned saved_generation;
    struct tk_tpm_key *prev, *next; /* the loaded list while loaded */
};

/* keyobj.c: the key object without the TPM. */
tk_tpm_key *tk_key_new(tk_tpm *tpm);
/* Frees the object's memory; the key must not be loaded. */
void tk_key_destroy(tk_tpm_key *key);
tk_tpm *tk_tpm_key_tpm(const tk_tpm_key *key);
/* The key's name algorithm (policy sessions must use it). */
TPMI_ALG_HASH tk_key_name_alg(const tk_tpm_key *key);
/* Has the key a password (then it is authorized through the salted
 * session, never in clear)? */
int tk_key_has_password(const tk_tpm_key *key);
const TPM2B_AUTH *tk_key_auth(const tk_tpm_key *key);
/* The key's name (computed once); NULL if it cannot be. */
const TPM2B_NAME *tk_key_name(tk_crypto *crypto, tk_tpm_key *key);
/* Does using the key need its policy (no userWithAuth, steps known)? */
int tk_key_needs_policy(const tk_tpm_key *key);

/* keyload.c: the keys loaded in the TPM now, most recent first. */
typedef struct tk_key_cache {
    struct tk_tpm_key *loaded;
    unsigned generation; /* bumped whenever TPM-side state is forgotten */
} tk_key_cache;

/* Load the key (evicting our least recently used keys if the TPM is full)
 * and set its password; *out is usable for one command. */
TSS2_RC tk_key_load(tk_tpm *tpm, tk_tpm_key *key, ESYS_TR *out);
/* Flush (or just forget) one key if loaded. */
void tk_key_unload(tk_tpm *tpm, tk_tpm_key *key, int flush);
/* Import a pending duplicate under the key's parent (a written key file
 * must be loadable). */
TSS2_RC tk_key_import_pending(tk_tpm *tpm, tk_tpm_key *key);
/* After an operation: park loaded keys when `park` is set (context-saved
 * and flushed; only flushed when `unsaved`). */
void tk_keys_park(tk_tpm *tpm, int unsaved);
/* Flush our least recently used key to free an object slot; 0 if we
 * hold none. */
int tk_keys_make_room(tk_tpm *tpm);
/* Forget every loaded key (flushing them first if `flush`). */
void tk_keys_drop(tk_tpm *tpm, int flush);
/* Parent of a new or loaded key, with its password set. */
TSS2_RC tk_parent_get(tk_tpm *tpm, uint32_t parent, const TPM2B_AUTH *auth,
                      ESYS_TR *out);
/* Done with it: park the primary (no resource manager) or let go of the
 * persistent parent's ESYS_TR. */
void tk_parent_release(tk_tpm *tpm, uint32_t parent, ESYS_TR *handle);

#endif
