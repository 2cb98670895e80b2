/* SPDX-License-Identifier: Apache-2.0 */
/* A TPM key as policy signer (policy.h): the approval is the one a
 * software signer makes (policy_signer.c), with TPM2_Sign in place of
 * OpenSSL's signature. The signer's public area in the step is tpmkit's
 * fixed signer area built from the key's public numbers, not the key's own
 * area: the name a key is bound to is the same whichever of the two holds
 * the private key. */
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>

#include "policy.h"
#include "../provider/errors.h"

static EVP_PKEY *from_params(OSSL_LIB_CTX *libctx, const char *type,
                             OSSL_PARAM_BLD *bld)
{
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(libctx, type, NULL);
    EVP_PKEY *pkey = NULL;

    if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0
        || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return pkey;
}

EVP_PKEY *tk_tpm_policy_signer_public(OSSL_LIB_CTX *libctx,
                                      const tk_tpm_key *signer)
{
    const tk_tpm_pubinfo *info = tk_tpm_key_info(signer);
    OSSL_PARAM_BLD *bld;
    EVP_PKEY *pkey = NULL;
    BIGNUM *n = NULL, *e = NULL;

    if ((info->kind != TK_TPM_KEY_RSA && info->kind != TK_TPM_KEY_EC)
        || !info->can_sign || info->restricted || info->rsa_pss
        || (info->scheme_hash_nid != 0
            && info->scheme_hash_nid != NID_sha256)) {
        tk_raise(TK_R_NOT_SUPPORTED,
                 "a TPM policy signer must be an unrestricted RSA or EC"
                 " signing key that can sign SHA-256 digests with RSASSA or"
                 " ECDSA");
        return NULL;
    }
    if ((bld = OSSL_PARAM_BLD_new()) == NULL)
        goto end;
    if (info->kind == TK_TPM_KEY_RSA) {
        n = BN_bin2bn(info->n, (int)info->n_len, NULL);
        e = BN_new();
        if (n != NULL && e != NULL
            && BN_set_word(e, info->e != 0 ? info->e : 65537)
            && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n)
            && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
            pkey = from_params(libctx, "RSA", bld);
    } else if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                               OBJ_nid2sn(info->curve_nid), 0)
               && OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
                                                   info->point,
                                                   info->point_len)) {
        pkey = from_params(libctx, "EC", bld);
    }
end:
    BN_free(n);
    BN_free(e);
    OSSL_PARAM_BLD_free(bld);
    if (pkey == NULL)
        tk_raise(TK_R_INTERNAL, "cannot read the TPM policy signer's public"
                                " key");
    return pkey;
}

static int sign_tpm(void *arg, const unsigned char *digest, size_t dlen,
                    unsigned char *raw, size_t *raw_len)
{
    tk_tpm_key *key = arg;
    int ec = tk_tpm_key_info(key)->kind == TK_TPM_KEY_EC;

    return *raw_len >= 512
           && tk_tpm_sign(key, ec ? TK_TPM_SIG_ECDSA : TK_TPM_SIG_RSASSA,
                          NID_sha256, digest, dlen, raw, raw_len);
}

int tk_tpm_policy_sign_tpm(OSSL_LIB_CTX *libctx, tk_tpm_key *signer,
                           const tk_tpm_policy_step *steps, size_t count,
                           tk_tpm_policy_step *out)
{
    EVP_PKEY *pub = tk_tpm_policy_signer_public(libctx, signer);
    int ok = pub != NULL
             && tk_tpm_policy_sign_by(libctx, pub, sign_tpm, signer, steps,
                                      count, out);

    EVP_PKEY_free(pub);
    return ok;
}
