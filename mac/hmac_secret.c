/* SPDX-License-Identifier: Apache-2.0 */
/* Digest names and secrets for TPM HMAC keys. */
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include "mac.h"
#include "../provider/errors.h"

int tk_hmac_digest_nid(OSSL_LIB_CTX *libctx, const char *name)
{
    EVP_MD *md = EVP_MD_fetch(libctx, name, NULL);
    int nid = md != NULL ? EVP_MD_get_type(md) : NID_undef;

    EVP_MD_free(md);
    switch (nid) {
    case NID_sha1:
    case NID_sha256:
    case NID_sha384:
    case NID_sha512:
        return nid;
    default:
        tk_raise(TK_R_NOT_SUPPORTED,
                 "TPM HMAC digest \"%s\": use SHA1, SHA256,"
                 " SHA384 or SHA512",
                 name);
        return NID_undef;
    }
}

int tk_hmac_prepare_key(OSSL_LIB_CTX *libctx, int hash_nid,
                        const unsigned char *key, size_t len,
                        unsigned char *out, size_t *out_len)
{
    EVP_MD *md = EVP_MD_fetch(libctx, OBJ_nid2sn(hash_nid), NULL);
    unsigned int hlen = 0;
    int ok = md != NULL;

    if (ok && len == 0) {
        /* HMAC pads the key with zeros: the empty key is the key 00, which
         * the TPM accepts (an empty keyed-hash secret it does not). */
        out[0] = 0;
        *out_len = 1;
    } else if (ok && len > (size_t)EVP_MD_get_block_size(md)) {
        ok = EVP_Digest(key, len, out, &hlen, md, NULL);
        *out_len = hlen;
    } else if (ok) {
        if (len > 0)
            memcpy(out, key, len);
        *out_len = len;
    }
    EVP_MD_free(md);
    if (!ok)
        tk_raise(TK_R_INTERNAL, "cannot prepare the HMAC key");
    return ok;
}
