/* SPDX-License-Identifier: Apache-2.0 */
/* RSA decryption with a TPM key: the TPM does the raw private operation,
 * OpenSSL's constant-time checks remove PKCS#1 v1.5 or OAEP padding.
 * Encryption needs no secret and runs in software on the public key. */
#define OPENSSL_SUPPRESS_DEPRECATED /* RSA_padding_check_*: constant time */
#include <string.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rsa.h>

#include "dispatch.h"
#include "key.h"
#include "../provider/errors.h"

/* OpenSSL 3.2 and later: PKCS#1 v1.5 implicit rejection (a synthetic
 * message instead of an error). CMS and PKCS#7 turn it off; tpmkit never
 * does it and always reports bad padding as an error. */
#define TK_PARAM_IMPLICIT_REJECTION "implicit-rejection"

typedef struct tk_rsa_ctx {
    tk_prov_ctx *prov;
    tk_key *key;
    int pad_mode; /* RSA_PKCS1_PADDING, RSA_PKCS1_OAEP_PADDING, RSA_NO_PADDING */
    EVP_MD *oaep_md, *mgf1_md;
    unsigned char *label;
    size_t label_len;
} tk_rsa_ctx;

static OSSL_FUNC_asym_cipher_newctx_fn rsa_newctx;
static OSSL_FUNC_asym_cipher_freectx_fn rsa_freectx;
static OSSL_FUNC_asym_cipher_decrypt_init_fn decrypt_init;
static OSSL_FUNC_asym_cipher_decrypt_fn rsa_decrypt;
static OSSL_FUNC_asym_cipher_encrypt_init_fn encrypt_init;
static OSSL_FUNC_asym_cipher_encrypt_fn rsa_encrypt;
static OSSL_FUNC_asym_cipher_get_ctx_params_fn rsa_get_ctx_params;
static OSSL_FUNC_asym_cipher_gettable_ctx_params_fn rsa_gettable_ctx_params;
static OSSL_FUNC_asym_cipher_set_ctx_params_fn rsa_set_ctx_params;
static OSSL_FUNC_asym_cipher_settable_ctx_params_fn rsa_settable_ctx_params;

static void *rsa_newctx(void *provctx)
{
    tk_rsa_ctx *ctx = OPENSSL_zalloc(sizeof(*ctx));

    if (ctx == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "RSA context");
        return NULL;
    }
    ctx->prov = provctx;
    return ctx;
}

static void rsa_freectx(void *vctx)
{
    tk_rsa_ctx *ctx = vctx;

    if (ctx == NULL)
        return;
    tk_key_free(ctx->key);
    EVP_MD_free(ctx->oaep_md);
    EVP_MD_free(ctx->mgf1_md);
    OPENSSL_free(ctx->label);
    OPENSSL_free(ctx);
}

static int set_md(tk_rsa_ctx *ctx, EVP_MD **dst, const OSSL_PARAM *p)
{
    EVP_MD *md;

    if (p->data_type != OSSL_PARAM_UTF8_STRING
        || (md = EVP_MD_fetch(ctx->prov->sw_libctx, p->data, NULL)) == NULL) {
        tk_raise(TK_R_NOT_SUPPORTED, "unknown OAEP digest");
        return 0;
    }
    EVP_MD_free(*dst);
    *dst = md;
    return 1;
}

static int set_pad_mode(tk_rsa_ctx *ctx, const OSSL_PARAM *p)
{
    int mode = 0;

    if (p->data_type == OSSL_PARAM_UTF8_STRING) {
        if (strcmp(p->data, OSSL_PKEY_RSA_PAD_MODE_PKCSV15) == 0)
            mode = RSA_PKCS1_PADDING;
        else if (strcmp(p->data, OSSL_PKEY_RSA_PAD_MODE_OAEP) == 0)
            mode = RSA_PKCS1_OAEP_PADDING;
        else if (strcmp(p->data, OSSL_PKEY_RSA_PAD_MODE_NONE) == 0)
            mode = RSA_NO_PADDING;
    } else if (!OSSL_PARAM_get_int(p, &mode)) {
        return 0;
    }
    if (mode != RSA_PKCS1_PADDING && mode != RSA_PKCS1_OAEP_PADDING
        && mode != RSA_NO_PADDING) {
        tk_raise(TK_R_NOT_SUPPORTED, "RSA padding must be pkcs1, oaep or none");
        return 0;
    }
    ctx->pad_mode = mode;
    return 1;
}

static int rsa_set_ctx_params(void *vctx, const OSSL_PARAM params[])
{
    tk_rsa_ctx *ctx = vctx;
    const OSSL_PARAM *p;

    if (params == NULL)
        return 1;
    if ((p = OSSL_PARAM_locate_const(params, OSSL_ASYM_CIPHER_PARAM_PAD_MODE))
            != NULL
        && !set_pad_mode(ctx, p))
        return 0;
    if ((p = OSSL_PARAM_locate_const(params,
                                     OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST))
            != NULL
        && !set_md(ctx, &ctx->oaep_md, p))
        return 0;
    if ((p = OSSL_PARAM_locate_const(params,
                                     OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST))
            != NULL
        && !set_md(ctx, &ctx->mgf1_md, p))
        return 0;
    if ((p = OSSL_PARAM_locate_const(params, OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL))
        != NULL) {
        void *label = NULL;
        size_t len = 0;

        if (!OSSL_PARAM_get_octet_string(p, &label, 0, &len))
            return 0;
        OPENSSL_free(ctx->label);
        ctx->label = label;
        ctx->label_len = len;
    }
    if ((p = OSSL_PARAM_locate_const(params, TK_PARAM_IMPLICIT_REJECTION))
        != NULL) {
        unsigned int on = 1;

        if (!OSSL_PARAM_get_uint(p, &on))
            return 0;
        if (on != 0) {
            tk_raise(TK_R_NOT_SUPPORTED,
                     "PKCS#1 v1.5 implicit rejection: tpmkit reports bad"
                     " padding as an error");
            return 0;
        }
    }
    return 1;
}

static const OSSL_PARAM *rsa_settable_ctx_params(void *vctx, void *provctx)
{
    static const OSSL_PARAM settable[] = {
        OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_PAD_MODE, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST, NULL, 0),
        OSSL_PARAM_octet_string(OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL, NULL, 0),
        OSSL_PARAM_uint(TK_PARAM_IMPLICIT_REJECTION, NULL),
        OSSL_PARAM_END
    };

    (void)vctx, (void)provctx;
    return settable;
}

static int rsa_get_ctx_params(void *vctx, OSSL_PARAM params[])
{
    tk_rsa_ctx *ctx = vctx;
    OSSL_PARAM *p = OSSL_PARAM_locate(params, OSSL_ASYM_CIPHER_PARAM_PAD_MODE);

    /* EVP_PKEY_CTX_get_rsa_padding asks for the name. */
    if (p != NULL && p->data_type == OSSL_PARAM_UTF8_STRING) {
        if (!OSSL_PARAM_set_utf8_string(p,
                                        ctx->pad_mode == RSA_PKCS1_OAEP_PADDING
                                            ? OSSL_PKEY_RSA_PAD_MODE_OAEP
                                        : ctx->pad_mode == RSA_NO_PADDING
                                            ? OSSL_PKEY_RSA_PAD_MODE_NONE
                                            : OSSL_PKEY_RSA_PAD_MODE_PKCSV15))
            return 0;
    } else if (p != NULL && !OSSL_PARAM_set_int(p, ctx->pad_mode)) {
        return 0;
    }
    p = OSSL_PARAM_locate(params, TK_PARAM_IMPLICIT_REJECTION);
    return p == NULL || OSSL_PARAM_set_uint(p, 0);
}

static const OSSL_PARAM *rsa_gettable_ctx_params(void *vctx, void *provctx)
{
    static const OSSL_PARAM gettable[] = {
        OSSL_PARAM_int(OSSL_ASYM_CIPHER_PARAM_PAD_MODE, NULL),
        OSSL_PARAM_uint(TK_PARAM_IMPLICIT_REJECTION, NULL), OSSL_PARAM_END
    };

    (void)vctx, (void)provctx;
    return gettable;
}

static int rsa_init(tk_rsa_ctx *ctx, tk_key *key, const OSSL_PARAM params[],
                    int need_private)
{
    if (key == NULL || key->type == TK_KEY_EC
        || (need_private && key->tpm_key == NULL)) {
        tk_raise(TK_R_NOT_SUPPORTED,
                 "RSA decryption needs an RSA key in the TPM");
        return 0;
    }
    tk_key_up_ref(key);
    tk_key_free(ctx->key);
    ctx->key = key;
    ctx->pad_mode = RSA_PKCS1_PADDING;
    return rsa_set_ctx_params(ctx, params);
}

static int decrypt_init(void *vctx, void *vkey, const OSSL_PARAM params[])
{
    return rsa_init(vctx, vkey, params, 1);
}

static int encrypt_init(void *vctx, void *vkey, const OSSL_PARAM params[])
{
    return rsa_init(vctx, vkey, params, 0);
}

static int rsa_decrypt(void *vctx, unsigned char *out, size_t *outlen,
                       size_t outsize, const unsigned char *in, size_t inlen)
{
    tk_rsa_ctx *ctx = vctx;
    size_t k = tk_tpm_key_info(ctx->key->tpm_key)->n_len, em_len = 0;
    unsigned char em[512];
    int len;

    if (out == NULL) {
        *outlen = k;
        return 1;
    }
    if (inlen != k) {
        tk_raise(TK_R_BAD_REQUEST, "ciphertext is %zu bytes, the key needs %zu",
                 inlen, k);
        return 0;
    }
    if (!tk_tpm_rsa_private(ctx->key->tpm_key, in, inlen, em, &em_len))
        return 0;
    switch (ctx->pad_mode) {
    case RSA_NO_PADDING:
        len = em_len <= outsize ? (int)em_len : -1;
        if (len > 0)
            memcpy(out, em, em_len);
        break;
    case RSA_PKCS1_OAEP_PADDING: {
        const EVP_MD *md = ctx->oaep_md != NULL ? ctx->oaep_md : EVP_sha1();

        /* The encoded message starts with its leading zero byte: skip it. */
        len = RSA_padding_check_PKCS1_OAEP_mgf1(
            out, (int)outsize, em + 1, (int)k - 1, (int)k, ctx->label,
            (int)ctx->label_len, md, ctx->mgf1_md != NULL ? ctx->mgf1_md : md);
        break;
    }
    default:
        len = RSA_padding_check_PKCS1_type_2(out, (int)outsize, em + 1,
                                             (int)k - 1, (int)k);
        break;
    }
    OPENSSL_cleanse(em, sizeof(em));
    if (len < 0) {
        tk_raise(TK_R_BAD_REQUEST,
                 "RSA decryption failed (bad padding or buffer)");
        return 0;
    }
    *outlen = (size_t)len;
    return 1;
}

/* The OAEP settings of this context on the default provider's context;
 * the label is copied (set0 takes ownership). */
static int set_oaep(const tk_rsa_ctx *ctx, EVP_PKEY_CTX *pctx)
{
    unsigned char *label = NULL;

    if (ctx->oaep_md != NULL
        && EVP_PKEY_CTX_set_rsa_oaep_md(pctx, ctx->oaep_md) <= 0)
        return 0;
    if (ctx->mgf1_md != NULL
        && EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, ctx->mgf1_md) <= 0)
        return 0;
    if (ctx->label_len == 0)
        return 1;
    if ((label = OPENSSL_memdup(ctx->label, ctx->label_len)) == NULL)
        return 0;
    if (EVP_PKEY_CTX_set0_rsa_oaep_label(pctx, label, (int)ctx->label_len)
        <= 0) {
        OPENSSL_free(label);
        return 0;
    }
    return 1;
}

/* Encrypting to a TPM key is public: the default provider does it. */
static int rsa_encrypt(void *vctx, unsigned char *out, size_t *outlen,
                       size_t outsize, const unsigned char *in, size_t inlen)
{
    tk_rsa_ctx *ctx = vctx;
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(ctx->prov->sw_libctx,
                                                    ctx->key->pub, NULL);
    int ok = pctx != NULL && EVP_PKEY_encrypt_init(pctx) > 0
             && EVP_PKEY_CTX_set_rsa_padding(pctx, ctx->pad_mode) > 0
             && (ctx->pad_mode != RSA_PKCS1_OAEP_PADDING || set_oaep(ctx, pctx))
             && (out == NULL || (*outlen = outsize, 1))
             && EVP_PKEY_encrypt(pctx, out, outlen, in, inlen) > 0;

    EVP_PKEY_CTX_free(pctx);
    return ok;
}

const OSSL_DISPATCH tk_rsa_asym_cipher_functions[] = {
    { OSSL_FUNC_ASYM_CIPHER_NEWCTX, (void (*)(void))rsa_newctx },
    { OSSL_FUNC_ASYM_CIPHER_FREECTX, (void (*)(void))rsa_freectx },
    { OSSL_FUNC_ASYM_CIPHER_DECRYPT_INIT, (void (*)(void))decrypt_init },
    { OSSL_FUNC_ASYM_CIPHER_DECRYPT, (void (*)(void))rsa_decrypt },
    { OSSL_FUNC_ASYM_CIPHER_ENCRYPT_INIT, (void (*)(void))encrypt_init },
    { OSSL_FUNC_ASYM_CIPHER_ENCRYPT, (void (*)(void))rsa_encrypt },
    { OSSL_FUNC_ASYM_CIPHER_GET_CTX_PARAMS,
      (void (*)(void))rsa_get_ctx_params },
    { OSSL_FUNC_ASYM_CIPHER_GETTABLE_CTX_PARAMS,
      (void (*)(void))rsa_gettable_ctx_params },
    { OSSL_FUNC_ASYM_CIPHER_SET_CTX_PARAMS,
      (void (*)(void))rsa_set_ctx_params },
    { OSSL_FUNC_ASYM_CIPHER_SETTABLE_CTX_PARAMS,
      (void (*)(void))rsa_settable_ctx_params },
    { 0, NULL }
};
