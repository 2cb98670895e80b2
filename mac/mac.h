/* SPDX-License-Identifier: Apache-2.0 */
/* TPM2-HMAC: the EVP_MAC and the HMAC key type (keymgmt "TPM2-HMAC"). */
#ifndef TK_MAC_H
#define TK_MAC_H

#include <stddef.h>
#include <openssl/core.h>
#include <openssl/types.h>

#include "../keymgmt/key.h"

#define TK_HMAC_NAME "TPM2-HMAC"

extern const OSSL_ALGORITHM tk_mac_algorithms[];
extern const OSSL_DISPATCH tk_hmac_keymgmt_functions[];
extern const OSSL_DISPATCH tk_tpm2_hmac_functions[];

/* The NID of a digest name the TPM can HMAC with (SHA-1/256/384/512);
 * NID_undef with an error raised otherwise. */
int tk_hmac_digest_nid(OSSL_LIB_CTX *libctx, const char *name);

/* RFC 2104: a key longer than the hash's block size is replaced by its
 * hash, which gives the same MAC and fits the TPM. `out` holds at least
 * 128 bytes (the largest block size). */
int tk_hmac_prepare_key(OSSL_LIB_CTX *libctx, int hash_nid,
                        const unsigned char *key, size_t len,
                        unsigned char *out, size_t *out_len);

/* The HMAC key a `key-uri` names: a TSS2 key file (PEM or DER) or
 * handle:0x81xxxxxx. `password` (may be NULL) authorizes keys that have
 * one. */
tk_key *tk_hmac_key_from_uri(tk_prov_ctx *prov, const char *uri,
                             const char *password);

#endif
