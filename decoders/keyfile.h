/* SPDX-License-Identifier: Apache-2.0 */
/* The TPM 2.0 key-file format (TSS2 PRIVATE KEY): ASN.1 DER <-> struct.
 *
 *   TPMKey ::= SEQUENCE {
 *     type        OBJECT IDENTIFIER,      -- loadable 2.23.133.10.1.3,
 *                                          -- importable 2.23.133.10.1.4,
 *                                          -- sealed data 2.23.133.10.1.5
 *     emptyAuth   [0] EXPLICIT BOOLEAN OPTIONAL,
 *     policy      [1] EXPLICIT SEQUENCE OF TPMPolicy OPTIONAL,
 *     secret      [2] EXPLICIT OCTET STRING OPTIONAL,
 *     authPolicy  [3] EXPLICIT SEQUENCE OF TPMAuthPolicy OPTIONAL,
 *     description [4] EXPLICIT UTF8String OPTIONAL,
 *     rsaParent   [5] EXPLICIT BOOLEAN OPTIONAL,
 *     parent      INTEGER,
 *     pubkey      OCTET STRING,           -- marshalled TPM2B_PUBLIC
 *     privkey     OCTET STRING }          -- marshalled TPM2B_PRIVATE
 */
#ifndef TK_KEYFILE_H
#define TK_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#define TK_KEYFILE_PEM_LABEL "TSS2 PRIVATE KEY"

/* One TPMPolicy: a policy command and its parameter area (everything
 * after the policy session handle). */
typedef struct tk_keyfile_policy {
    uint32_t code;
    unsigned char *params;
    size_t len;
} tk_keyfile_policy;

#define TK_KEYFILE_MAX_POLICY 32 /* steps in the policy field */

/* One TPMAuthPolicy (a signed policy): an optional name and its steps,
 * the last a PolicyAuthorize carrying the signature. */
typedef struct tk_keyfile_auth_policy {
    char *name; /* NULL if absent */
    tk_keyfile_policy *steps;
    size_t count;
} tk_keyfile_auth_policy;

#define TK_KEYFILE_MAX_AUTH_POLICY 32 /* entries in authPolicy */

typedef struct tk_keyfile {
    int importable;            /* OID .4 (TPM2_Import blob) instead of .3 */
    int sealed;                /* OID .5: a sealed-data object, not a key
                                * (tpmkit-key unseal reads it) */
    int empty_auth;            /* -1 absent, 0 FALSE, 1 TRUE */
    int has_policy;            /* a policy / authPolicy is present */
    tk_keyfile_policy *policy; /* the policy field's steps, in order */
    size_t policy_count;
    int has_auth_policy; /* authPolicy (signed policies) present */
    tk_keyfile_auth_policy *auth_policy; /* its entries, in order; room
                                          * for TK_KEYFILE_MAX_AUTH_POLICY
                                          * when allocated by the codec */
    size_t auth_policy_count;
    char *description; /* NULL if absent */
    /* rsaParent: 1 TRUE (parent 0x40000001 is the RSA-2048 storage
     * primary, not the ECC P-256 one), 0 absent, -1 FALSE as written
     * (kept so that the file re-encodes unchanged). */
    int rsa_parent;
    uint32_t parent; /* as a TPM handle (negative INTEGERs mapped) */
    unsigned char *pub;
    size_t pub_len;
    unsigned char *priv;
    size_t priv_len;
    unsigned char *secret; /* importable keys: the encrypted seed */
    size_t secret_len;
} tk_keyfile;

enum tk_keyfile_result {
    TK_KEYFILE_OK = 1,
    TK_KEYFILE_NOT_MINE = 0,   /* not a TPM key file: let others try */
    TK_KEYFILE_MALFORMED = -1, /* a TPM key file, but broken */
};

/* Limits: key files are small; anything bigger is hostile or broken. */
#define TK_KEYFILE_MAX_DER 65536
#define TK_KEYFILE_MAX_BLOB 4096 /* pubkey, privkey, secret */
#define TK_KEYFILE_MAX_DESCRIPTION 1024

/* Decode DER; the whole input must be one TPMKey (no trailing bytes).
 * Raises a "malformed TSS2 key file: <why>" error for MALFORMED; `out` is
 * left empty unless the result is OK. */
int tk_keyfile_decode(const unsigned char *der, size_t len, tk_keyfile *out);
/* The same without raising: the reason for MALFORMED goes into `why`. */
int tk_keyfile_decode_ex(const unsigned char *der, size_t len, tk_keyfile *out,
                         char *why, size_t why_len);
/* Encode to DER (OPENSSL_malloc'd). 1 on success. Writes emptyAuth unless
 * empty_auth is -1 (FALSE explicitly: tpm2-openssl reads an absent emptyAuth
 * as TRUE), the policy steps, the signed policies (authPolicy), the
 * description and rsaParent when set, the parent as a positive INTEGER.
 * Whatever decode accepted (with a non-negative parent INTEGER) encodes
 * to the same bytes. */
int tk_keyfile_encode(const tk_keyfile *kf, unsigned char **der, size_t *len);
void tk_keyfile_clear(tk_keyfile *kf);

/* The parent as the TPM layer names it (tpm/key.h): parent 0x40000001
 * with rsaParent TRUE is TK_TPM_PARENT_RSA_PRIMARY; rsaParent beside any
 * other parent says nothing about it and is ignored. */
uint32_t tk_keyfile_tpm_parent(const tk_keyfile *kf);
/* Can `text` be a key file's description (UTF-8 without NUL, at most
 * TK_KEYFILE_MAX_DESCRIPTION bytes)? */
int tk_keyfile_description_ok(const char *text);
/* The inverse: parent and rsaParent for a TPM-layer parent (0 is the
 * standard primary). */
void tk_keyfile_set_tpm_parent(tk_keyfile *kf, uint32_t parent);

#endif
