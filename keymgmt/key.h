/* SPDX-License-Identifier: Apache-2.0 */
/* The provider's key object, shared by keymgmt, signature, asym cipher,
 * key exchange, decoders, encoders and the store. The private key lives in
 * the TPM (tk_tpm_key); a software copy of the public key serves public
 * operations, parameters and export. */
#ifndef TK_KEY_H
#define TK_KEY_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/core_dispatch.h>
#include <openssl/types.h>

#include "../provider/prov_ctx.h"
#include "../tpm/key.h"

typedef enum tk_key_type {
    TK_KEY_RSA = 1, /* keymgmt "RSA" */
    TK_KEY_RSA_PSS, /* keymgmt "RSA-PSS" */
    TK_KEY_EC,      /* keymgmt "EC" */
    TK_KEY_HMAC,    /* keymgmt "TPM2-HMAC" (mac/): no public part */
} tk_key_type;

/* A tk_key is shared by reference between EVP_PKEYs and operation
 * contexts. The TPM key object never changes once the key is handed to
 * OpenSSL; `pub` does: import replaces it, and an ephemeral key's
 * set_params changes the EVP_PKEY itself. Copies (tk_key_dup) therefore
 * share the TPM key but not `pub` when it may change. */
typedef struct tk_key {
    tk_prov_ctx *prov;
    tk_key_type type;
    int refs;            /* atomic */
    tk_tpm_key *tpm_key; /* NULL for a public-only key (import) */
    EVP_PKEY *pub;       /* software public key, default provider
                                 * (NULL for HMAC keys); a software key's
                                 * whole key pair */
    int empty_auth;      /* key file's emptyAuth (1: no password) */
    char *description;   /* key file's description, or NULL */
    int software;        /* an ephemeral TLS key held in `pub` alone */
} tk_key;

/* A key from key-file blobs. `type_hint` may be 0 (derived from the public
 * blob: RSA or EC). Validates the blobs; does not touch the TPM. */
tk_key *tk_key_from_blobs(tk_prov_ctx *prov, tk_key_type type_hint,
                          uint32_t parent, const unsigned char *pub,
                          size_t pub_len, const unsigned char *priv,
                          size_t priv_len, int empty_auth,
                          const char *description);
/* A persistent key (handle 0x81xxxxxx). */
tk_key *tk_key_from_persistent(tk_prov_ctx *prov, uint32_t handle);
/* Wrap an existing TPM key (takes the reference). */
tk_key *tk_key_from_tpm_key(tk_prov_ctx *prov, tk_key_type type_hint,
                            tk_tpm_key *tpm_key, int empty_auth,
                            const char *description);
/* A key with nothing in it yet (keymgmt new: public imports fill it). */
tk_key *tk_key_new_empty(void *provctx, tk_key_type type);
/* keymgmt load: decoders and the store hand over their tk_key by
 * reference; this takes it and clears the sender's pointer. */
OSSL_FUNC_keymgmt_load_fn tk_key_take_reference;
int tk_key_up_ref(tk_key *key);
/* keymgmt dup: a new key object that changes independently of `key`,
 * with the parts `selection` (OSSL_KEYMGMT_SELECT_*) asks for. */
tk_key *tk_key_dup(const tk_key *key, int selection);
void tk_key_free(tk_key *key);

/* "RSA", "RSA-PSS", "EC" or "TPM2-HMAC": the keymgmt name, also the
 * decoder data type. */
const char *tk_key_type_name(tk_key_type type);
/* The key's password (cleansed when the key is freed). */
int tk_key_set_password(tk_key *key, const char *pass, size_t len);

#endif
