/* SPDX-License-Identifier: Apache-2.0 */
/* Sealed data: a secret of up to TK_TPM_SEAL_MAX bytes kept in a TPM
 * keyed-hash object (TPM2_Create, then TPM2_Unseal to read it back).
 * The secret crosses the bus only encrypted: as TPM2_Create's first
 * command parameter and TPM2_Unseal's first response parameter, under the
 * salted session. Both refuse to run with session encryption off. No tss2
 * type crosses this interface; blobs are marshalled TPM2B_PUBLIC and
 * TPM2B_PRIVATE, as in key files. */
#ifndef TK_TPM_SEAL_H
#define TK_TPM_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "key.h"

/* MAX_SYM_DATA: the most a sealed-data object holds. */
#define TK_TPM_SEAL_MAX 128

typedef struct tk_tpm_seal_req {
    const unsigned char *secret; /* 1..TK_TPM_SEAL_MAX bytes */
    size_t secret_len;
    const unsigned char *auth; /* the object's password; NULL/0: none,
                                * and then exempt from DA lockout */
    size_t auth_len;
    uint32_t parent; /* 0 or TK_TPM_PARENT_PRIMARY, or 0x81xxxxxx */
    /* The object's authPolicy (SHA-256 policy digest, policy_new.h), or
     * NULL. With a policy only the policy authorizes (userWithAuth clear). */
    const unsigned char *policy_digest;
    size_t policy_digest_len;
} tk_tpm_seal_req;

/* Seal; on success the caller owns *pub and *priv (OPENSSL_free). */
int tk_tpm_seal(tk_tpm *tpm, const tk_tpm_seal_req *req, unsigned char **pub,
                size_t *pub_len, unsigned char **priv, size_t *priv_len);
/* Unseal a sealed-data object (a key from tk_tpm_key_from_blobs of kind
 * TK_TPM_KEY_SEALED, its password set). Writes at most `size` bytes. */
int tk_tpm_unseal(tk_tpm_key *key, unsigned char *out, size_t size,
                  size_t *out_len);

#endif
