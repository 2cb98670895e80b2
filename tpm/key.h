/* SPDX-License-Identifier: Apache-2.0 */
/* TPM-resident keys, as the TPM layer sees them: marshalled public and
 * private blobs under a parent, loaded on demand and evicted when the TPM
 * runs short of slots. No tss2 type crosses this interface.
 *
 * Blobs are the key-file representation: `pub` a marshalled TPM2B_PUBLIC,
 * `priv` a marshalled TPM2B_PRIVATE (both with their size prefix). */
#ifndef TK_TPM_KEY_H
#define TK_TPM_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "tpm.h"

/* The parent handle key files use for the standard storage primary. */
#define TK_TPM_PARENT_PRIMARY 0x40000001u
/* tpmkit's name for the RSA-2048 storage primary: no TPM handle, never
 * sent to a TPM nor written to a file (a key file says parent 0x40000001
 * with rsaParent TRUE). Accepted wherever a parent is. */
#define TK_TPM_PARENT_RSA_PRIMARY 0x40ff0001u

/* SEALED: a keyed-hash object holding data (TPM2_Unseal), neither signing
 * nor decrypting: no key operation applies to it. */
enum tk_tpm_key_kind {
    TK_TPM_KEY_RSA = 1,
    TK_TPM_KEY_EC,
    TK_TPM_KEY_HMAC,
    TK_TPM_KEY_SEALED
};

/* What the public blob says, decoded without the TPM. */
typedef struct tk_tpm_pubinfo {
    int kind;             /* enum tk_tpm_key_kind */
    unsigned bits;        /* RSA modulus / EC field size */
    unsigned char n[512]; /* RSA modulus, big-endian */
    size_t n_len;
    uint32_t e;               /* RSA public exponent */
    int curve_nid;            /* EC: OpenSSL NID of the curve */
    unsigned char point[133]; /* EC: uncompressed point 04||x||y */
    size_t point_len;
    int hash_nid; /* HMAC: the key's hash (NID) */
    int can_sign, can_decrypt, restricted, userwithauth, noda;
    int scheme_hash_nid; /* a fixed signing scheme's hash, or 0 */
    int rsa_pss;         /* RSA key bound to the RSASSA-PSS scheme */
} tk_tpm_pubinfo;

/* Decode and sanity-check a marshalled TPM2B_PUBLIC. 0 if malformed or of
 * a kind tpmkit does not handle (raises an error saying which). */
int tk_tpm_parse_public(const unsigned char *pub, size_t len,
                        tk_tpm_pubinfo *out);
/* Check that a marshalled TPM2B_PRIVATE is well formed. */
int tk_tpm_check_private(const unsigned char *priv, size_t len);

/* Key generation inside the TPM. */
typedef struct tk_tpm_keygen {
    int kind;                  /* TK_TPM_KEY_RSA or TK_TPM_KEY_EC */
    unsigned bits;             /* RSA: 1024, 2048, 3072 */
    uint32_t exponent;         /* RSA: 0 means 65537 */
    int rsa_pss;               /* RSA: a sign-only RSASSA-PSS/SHA-256 key */
    int curve_nid;             /* EC */
    const unsigned char *auth; /* the key's password; NULL/0: none (noda) */
    size_t auth_len;
    int hash_nid;                /* HMAC: the key's hash */
    const unsigned char *secret; /* HMAC: a secret to import (at most the
                                  * hash's block size); NULL: the TPM makes
                                  * one. Needs session encryption. */
    size_t secret_len;
    uint32_t parent; /* 0 or TK_TPM_PARENT_PRIMARY, TK_TPM_PARENT_RSA_PRIMARY,
                      * or 0x81xxxxxx */
    const unsigned char *parent_auth;
    size_t parent_auth_len;
    /* The key's authPolicy (SHA-256 policy digest, tpm/policy.h), or NULL.
     * With a policy only the policy authorizes (userWithAuth clear). */
    const unsigned char *policy_digest;
    size_t policy_digest_len;
} tk_tpm_keygen;

/* Create a key; on success the caller owns *pub and *priv (OPENSSL_free). */
int tk_tpm_create_key(tk_tpm *tpm, const tk_tpm_keygen *gen,
                      unsigned char **pub, size_t *pub_len,
                      unsigned char **priv, size_t *priv_len);

typedef struct tk_tpm_key tk_tpm_key;

/* A key from blobs (copied). Parent 0 means TK_TPM_PARENT_PRIMARY. Does not
 * touch the TPM. NULL if the blobs are malformed (error raised). */
tk_tpm_key *tk_tpm_key_from_blobs(tk_tpm *tpm, uint32_t parent,
                                  const unsigned char *pub, size_t pub_len,
                                  const unsigned char *priv, size_t priv_len);
/* An HMAC key from raw secret bytes (at most the hash's block size): an
 * ephemeral object, loaded with TPM2_LoadExternal over the encrypting
 * session whenever it is needed. Does not touch the TPM. */
tk_tpm_key *tk_tpm_key_from_secret(tk_tpm *tpm, int hash_nid,
                                   const unsigned char *secret, size_t len);
/* A persistent key (0x81xxxxxx): reads its public part from the TPM. */
tk_tpm_key *tk_tpm_key_from_persistent(tk_tpm *tpm, uint32_t handle);
/* An importable key (a duplicate and its encrypted seed, made for the
 * parent's public key). TPM2_Import runs under the parent on first use;
 * from then on the key has ordinary loadable blobs. `seed` may be a
 * marshalled TPM2B_ENCRYPTED_SECRET or its bare buffer. */
tk_tpm_key *tk_tpm_key_import(tk_tpm *tpm, uint32_t parent,
                              const unsigned char *pub, size_t pub_len,
                              const unsigned char *dup, size_t dup_len,
                              const unsigned char *seed, size_t seed_len);
int tk_tpm_key_up_ref(tk_tpm_key *key);
/* Drop a reference; the last one flushes the key if loaded. */
void tk_tpm_key_free(tk_tpm_key *key);

/* Passwords (copied, cleansed on free). */
int tk_tpm_key_set_auth(tk_tpm_key *key, const unsigned char *auth, size_t len);
int tk_tpm_key_set_parent_auth(tk_tpm_key *key, const unsigned char *auth,
                               size_t len);

/* Policy authorization, from a key file's policy field: each step is a
 * policy command and its parameter area. A key that does not take its
 * password directly (no userWithAuth) is used through a fresh policy
 * session that replays these steps. */
typedef struct tk_tpm_policy_step {
    uint32_t code;
    const unsigned char *params;
    size_t len;
} tk_tpm_policy_step;
/* Can tpmkit replay this policy command? Raises an error naming it if not. */
int tk_tpm_policy_supported(uint32_t code);
int tk_tpm_key_set_policy(tk_tpm_key *key, const tk_tpm_policy_step *steps,
                          size_t count);
/* The key's policy steps (owned by the key); their number. */
size_t tk_tpm_key_policy(const tk_tpm_key *key,
                         const tk_tpm_policy_step **steps);

/* Signed policies (a key file's authPolicy): each a list of steps ending
 * in a PolicyAuthorize step that carries the signer's signature. A key
 * whose policy has a PolicyAuthorize step is used by trying them in order
 * at that step (tpm/policy_authorize.c). */
typedef struct tk_tpm_signed_policy {
    const char *name; /* NULL: unnamed */
    const tk_tpm_policy_step *steps;
    size_t count;
} tk_tpm_signed_policy;
/* Replace the key's signed policies with copies of these. */
int tk_tpm_key_set_signed_policies(tk_tpm_key *key,
                                   const tk_tpm_signed_policy *policies,
                                   size_t count);
/* The key's signed policies (owned by the key); their number. */
size_t tk_tpm_key_signed_policies(const tk_tpm_key *key,
                                  const tk_tpm_signed_policy **policies);

const tk_tpm_pubinfo *tk_tpm_key_info(const tk_tpm_key *key);
/* The loadable blobs and parent (an importable key is imported first); 0
 * for a persistent or ephemeral key, which has none. */
int tk_tpm_key_blobs(tk_tpm_key *key, uint32_t *parent,
                     const unsigned char **pub, size_t *pub_len,
                     const unsigned char **priv, size_t *priv_len);
/* The persistent handle, or 0. */
uint32_t tk_tpm_key_handle(const tk_tpm_key *key);

/* Private-key operations: each loads the key if needed (evicting others
 * when the TPM is full) and runs one TPM command. */
enum tk_tpm_sig_scheme {
    TK_TPM_SIG_RSASSA = 1,
    TK_TPM_SIG_RSAPSS,
    TK_TPM_SIG_ECDSA
};
/* `digest` is already hashed with `hash_nid`. RSA signatures come back as
 * the modulus-sized integer; ECDSA as r||s, each padded to the field size. */
int tk_tpm_sign(tk_tpm_key *key, int scheme, int hash_nid,
                const unsigned char *digest, size_t digest_len,
                unsigned char *sig, size_t *sig_len);
/* Restricted signing keys sign only digests the TPM made: the TPM hashes
 * `msg` (a hash sequence, with a validation ticket), then signs. */
int tk_tpm_sign_message(tk_tpm_key *key, int scheme, int hash_nid,
                        const unsigned char *msg, size_t msg_len,
                        unsigned char *sig, size_t *sig_len);
/* Raw RSA private operation (TPM2_RSA_Decrypt, scheme NULL): in and out
 * are modulus-sized. Padding is the caller's. */
int tk_tpm_rsa_private(tk_tpm_key *key, const unsigned char *in, size_t in_len,
                       unsigned char *out, size_t *out_len);
/* The same when the result is a signature (public): its response needs
 * no encryption. */
int tk_tpm_rsa_private_sign(tk_tpm_key *key, const unsigned char *in,
                            size_t in_len, unsigned char *out, size_t *out_len);
/* ECDH: the shared x coordinate with an uncompressed peer point. */
int tk_tpm_ecdh(tk_tpm_key *key, const unsigned char *peer, size_t peer_len,
                unsigned char *secret, size_t *secret_len);

/* HMAC with an HMAC key. The result is the key's hash size
 * (tk_tpm_hmac_size). One TPM2_HMAC takes TK_TPM_HMAC_ONESHOT bytes at
 * most; longer input goes through a sequence. */
#define TK_TPM_HMAC_ONESHOT 1024
/* Most input one HMAC sequence takes (kept in memory until the final). */
#define TK_TPM_HMAC_STREAM_MAX (256 << 20)
size_t tk_tpm_hmac_size(const tk_tpm_key *key);
/* Output size of SHA-1/256/384/512 by NID (32 for anything else). */
size_t tk_tpm_digest_size(int hash_nid);
int tk_tpm_hmac(tk_tpm_key *key, const unsigned char *data, size_t len,
                unsigned char *mac, size_t *mac_len);
/* A TPM HMAC sequence: holds no TPM slot between calls (the input waits
 * in memory, up to TK_TPM_HMAC_STREAM_MAX). A copy continues
 * independently from the same state. */
typedef struct tk_tpm_hmac_seq tk_tpm_hmac_seq;
tk_tpm_hmac_seq *tk_tpm_hmac_seq_new(tk_tpm_key *key);
tk_tpm_hmac_seq *tk_tpm_hmac_seq_dup(const tk_tpm_hmac_seq *seq);
int tk_tpm_hmac_seq_update(tk_tpm_hmac_seq *seq, const unsigned char *data,
                           size_t len);
int tk_tpm_hmac_seq_final(tk_tpm_hmac_seq *seq, const unsigned char *data,
                          size_t len, unsigned char *mac, size_t *mac_len);
void tk_tpm_hmac_seq_free(tk_tpm_hmac_seq *seq);

/* Read an NV index (0x01xxxxxx) in full; caller frees with OPENSSL_free. */
int tk_tpm_nv_read(tk_tpm *tpm, uint32_t index, unsigned char **data,
                   size_t *len);

#endif
