/* SPDX-License-Identifier: Apache-2.0 */
/* Duplicates made in software: an existing RSA or EC private key wrapped
 * for a storage parent's public key so that only the TPM holding that
 * parent can take it in (TPM2_Import). TPM 2.0 Part 1, "Duplication":
 * no inner wrapper; the outer wrapper is AES-128-CFB and an HMAC under keys
 * KDFa derives from a random seed, and the seed is encrypted to the parent
 * (ECC: ECDH + KDFe, RSA: OAEP), both with the label "DUPLICATE". The
 * private key leaves this process only inside that wrapper.
 *
 * tk_dup_* never talk to a TPM; tk_tpm_parent_public (parent.c) reads the
 * public area of a parent of this TPM. No tss2 type crosses this
 * interface: blobs are marshalled TPM2B_PUBLIC / TPM2B_PRIVATE /
 * TPM2B_ENCRYPTED_SECRET, as importable key files hold them. */
#ifndef TK_TPM_DUPLICATE_H
#define TK_TPM_DUPLICATE_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/types.h>

#include "tpm.h"

typedef struct tk_dup {
    unsigned char *pub, *dup, *seed; /* OPENSSL_free'd by tk_dup_clear */
    size_t pub_len, dup_len, seed_len;
} tk_dup;

/* Wrap `key` (RSA 2048/3072 or EC P-256/P-384, a private key) for the
 * parent whose public area is `parent_pub`, as an unrestricted key that
 * signs and decrypts (RSA) or derives (EC), like the keys tpmkit makes.
 * `auth` is its password (NULL/0: none, exempt from lockout). OpenSSL
 * work happens in `libctx`. 1 on success; raises an error naming what is
 * unsupported otherwise. */
int tk_dup_make(OSSL_LIB_CTX *libctx, const unsigned char *parent_pub,
                size_t parent_len, const EVP_PKEY *key,
                const unsigned char *auth, size_t auth_len, tk_dup *out);
/* The same with an authPolicy (a SHA-256 policy digest, policy_new.h):
 * then only the policy authorizes the key (userWithAuth clear). */
int tk_dup_make_policy(OSSL_LIB_CTX *libctx, const unsigned char *parent_pub,
                       size_t parent_len, const EVP_PKEY *key,
                       const unsigned char *auth, size_t auth_len,
                       const unsigned char *policy_digest, size_t policy_len,
                       tk_dup *out);
void tk_dup_clear(tk_dup *d);

/* The public area of a storage parent given as a plain public key: an EC
 * P-256 key is the standard storage primary (parent 0x40000001) with that
 * point; an RSA 2048 key the usual RSA storage key template (AES-128-CFB,
 * SHA-256), which is not the standard primary. *standard says which. */
int tk_dup_parent_from_pkey(const EVP_PKEY *pub, unsigned char **parent_pub,
                            size_t *len, int *standard);
/* Check a marshalled TPM2B_PUBLIC as a parent: a restricted decryption key
 * that tpmkit can wrap for. *standard: it is the standard primary's
 * template. 0 with an error raised if unusable. */
int tk_dup_parent_check(const unsigned char *parent_pub, size_t len,
                        int *standard);

/* Can it be the RSA-2048 storage primary (rsa_primary.h), the parent a
 * key file's rsaParent TRUE names: an RSA 2048 storage key with its
 * symmetric scheme and name algorithm? */
int tk_dup_parent_is_rsa_primary(const unsigned char *parent_pub, size_t len);

/* The public area of parent `parent` (TK_TPM_PARENT_PRIMARY: the storage
 * primary as checked against tpm-identity; TK_TPM_PARENT_RSA_PRIMARY and
 * 0x81xxxxxx: as TPM2_ReadPublic reports it). Caller frees *pub (OPENSSL_free). */
int tk_tpm_parent_public(tk_tpm *tpm, uint32_t parent, unsigned char **pub,
                         size_t *len);

#endif
