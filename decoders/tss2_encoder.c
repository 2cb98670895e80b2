/* SPDX-License-Identifier: Apache-2.0 */
/* tpmkit key -> TSS2 key file (PEM "TSS2 PRIVATE KEY" or DER). Registered
 * for the PrivateKeyInfo structure, which is what PEM_write_bio_PrivateKey
 * and i2d_PrivateKey ask for, and for type-specific DER, which
 * i2d_PrivateKey tries first. Only keys with blobs can be written: a
 * persistent key lives in the TPM under its handle. */
#include <string.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <openssl/pem.h>

#include "codecs.h"
#include "keyfile.h"
#include "../provider/errors.h"
#include "../provider/prov_ctx.h"

typedef struct tss2_enc_ctx {
    tk_prov_ctx *prov;
    int cipher_requested;
} tss2_enc_ctx;

static OSSL_FUNC_encoder_newctx_fn tss2_enc_newctx;
static OSSL_FUNC_encoder_freectx_fn tss2_enc_freectx;
static OSSL_FUNC_encoder_settable_ctx_params_fn tss2_enc_settable_ctx_params;
static OSSL_FUNC_encoder_set_ctx_params_fn tss2_enc_set_ctx_params;
static OSSL_FUNC_encoder_does_selection_fn tss2_enc_does_selection;
static OSSL_FUNC_encoder_encode_fn tss2_pem_encode;
static OSSL_FUNC_encoder_encode_fn tss2_der_encode;

static void *tss2_enc_newctx(void *provctx)
{
    tss2_enc_ctx *ctx = OPENSSL_zalloc(sizeof(*ctx));

    if (ctx == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "encoder");
        return NULL;
    }
    ctx->prov = provctx;
    return ctx;
}

static void tss2_enc_freectx(void *vctx)
{
    OPENSSL_free(vctx);
}

static const OSSL_PARAM *tss2_enc_settable_ctx_params(void *provctx)
{
    static const OSSL_PARAM settable[] = {
        OSSL_PARAM_utf8_string(OSSL_ENCODER_PARAM_CIPHER, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_ENCODER_PARAM_PROPERTIES, NULL, 0),
        OSSL_PARAM_END
    };

    (void)provctx;
    return settable;
}

/* A TSS2 key file is not encrypted with a passphrase: the private blob is
 * already wrapped by the TPM. Remember a request for a cipher so that
 * encoding fails loudly instead of writing a file the user believes is
 * password-protected. */
static int tss2_enc_set_ctx_params(void *vctx, const OSSL_PARAM params[])
{
    tss2_enc_ctx *ctx = vctx;
    const OSSL_PARAM *p = OSSL_PARAM_locate_const(params,
                                                  OSSL_ENCODER_PARAM_CIPHER);
    const char *name = NULL;

    if (p != NULL) {
        if (!OSSL_PARAM_get_utf8_string_ptr(p, &name))
            return 0;
        ctx->cipher_requested = name != NULL && name[0] != '\0';
    }
    return 1;
}

static int tss2_enc_does_selection(void *provctx, int selection)
{
    (void)provctx;
    return (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0;
}

/* Encode `kf` with the key's signed policies as its authPolicy (borrowed:
 * kf's arrays are freed here, their contents are not). */
static int signed_policies_der(tk_tpm_key *tpm_key, tk_keyfile *kf,
                               unsigned char **der, size_t *len)
{
    const tk_tpm_signed_policy *sp;
    size_t n = tk_tpm_key_signed_policies(tpm_key, &sp);
    tk_keyfile_auth_policy *ap;
    int ok = 0;

    if (n == 0)
        return tk_keyfile_encode(kf, der, len);
    if ((ap = OPENSSL_zalloc(n * sizeof(*ap))) == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "key file");
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        ap[i].name = (char *)sp[i].name;
        ap[i].count = sp[i].count;
        if ((ap[i].steps = OPENSSL_zalloc(sp[i].count * sizeof(*ap[i].steps)))
            == NULL) {
            tk_raise(TK_R_OUT_OF_MEMORY, "key file");
            goto end;
        }
        for (size_t j = 0; j < sp[i].count; j++) {
            ap[i].steps[j].code = sp[i].steps[j].code;
            ap[i].steps[j].params = (unsigned char *)sp[i].steps[j].params;
            ap[i].steps[j].len = sp[i].steps[j].len;
        }
    }
    kf->auth_policy = ap;
    kf->auth_policy_count = n;
    ok = tk_keyfile_encode(kf, der, len);
end:
    for (size_t i = 0; i < n; i++)
        OPENSSL_free(ap[i].steps);
    OPENSSL_free(ap);
    kf->auth_policy = NULL;
    kf->auth_policy_count = 0;
    return ok;
}

static int key_file_der(const tk_key *key, unsigned char **der, size_t *len)
{
    tk_keyfile kf;
    tk_keyfile_policy policy[TK_KEYFILE_MAX_POLICY];
    const tk_tpm_policy_step *steps;
    uint32_t parent;
    const unsigned char *pub, *priv;

    memset(&kf, 0, sizeof(kf));
    if (key == NULL || key->tpm_key == NULL) {
        tk_raise(TK_R_BAD_REQUEST,
                 "only TPM keys can be written as TSS2 key files"
                 " (this key has no TPM part)");
        return 0;
    }
    if (!tk_tpm_key_blobs(key->tpm_key, &parent, &pub, &kf.pub_len, &priv,
                          &kf.priv_len)) {
        uint32_t handle = tk_tpm_key_handle(key->tpm_key);

        if (handle == 0)
            return 0; /* an import failed: its error is raised */
        tk_raise(TK_R_NOT_SUPPORTED,
                 "persistent TPM key 0x%08x has no key file;"
                 " refer to it as handle:0x%08x",
                 handle, handle);
        return 0;
    }
    /* kf borrows the blobs and the description: never cleared. */
    kf.pub = (unsigned char *)pub;
    kf.priv = (unsigned char *)priv;
    tk_keyfile_set_tpm_parent(&kf, parent);
    /* Always explicit: tpm2-openssl takes an absent emptyAuth as TRUE and
     * would then use a password-protected key without its password. */
    kf.empty_auth = key->empty_auth ? 1 : 0;
    kf.description = key->description;
    /* The policy travels with the key: without it a policy-only key
     * could not be used again. */
    kf.policy_count = tk_tpm_key_policy(key->tpm_key, &steps);
    if (kf.policy_count > TK_KEYFILE_MAX_POLICY) {
        tk_raise(TK_R_BAD_KEY, "a key file holds at most %d policy steps",
                 TK_KEYFILE_MAX_POLICY);
        return 0;
    }
    for (size_t i = 0; i < kf.policy_count; i++) {
        policy[i].code = steps[i].code;
        policy[i].params = (unsigned char *)steps[i].params;
        policy[i].len = steps[i].len;
    }
    kf.policy = kf.policy_count > 0 ? policy : NULL;
    return signed_policies_der(key->tpm_key, &kf, der, len);
}

static int tss2_encode(void *vctx, OSSL_CORE_BIO *cout, const void *key,
                       const OSSL_PARAM key_abstract[], int selection, int pem)
{
    tss2_enc_ctx *ctx = vctx;
    unsigned char *der = NULL;
    size_t len = 0;
    BIO *out = NULL;
    int ok = 0;

    if (key_abstract != NULL || key == NULL
        || (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) == 0) {
        tk_raise(TK_R_BAD_REQUEST,
                 "a TSS2 key file holds a whole TPM key pair");
        return 0;
    }
    if (ctx->cipher_requested) {
        tk_raise(TK_R_NOT_SUPPORTED,
                 "TSS2 key files cannot be encrypted: the TPM"
                 " already protects the private key; give the key a password"
                 " with -pkeyopt user-auth instead");
        return 0;
    }
    if (!key_file_der(key, &der, &len))
        return 0;
    if ((out = BIO_new_from_core_bio(ctx->prov->core_libctx, cout)) == NULL)
        goto end;
    if (pem)
        ok = PEM_write_bio(out, TK_KEYFILE_PEM_LABEL, "", der, (long)len) > 0;
    else
        ok = BIO_write(out, der, (int)len) == (int)len;
    if (!ok)
        tk_raise(TK_R_INTERNAL, "could not write the key file");
end:
    BIO_free(out);
    OPENSSL_free(der);
    return ok;
}

static int tss2_pem_encode(void *vctx, OSSL_CORE_BIO *cout, const void *key,
                           const OSSL_PARAM key_abstract[], int selection,
                           OSSL_PASSPHRASE_CALLBACK *cb, void *cbarg)
{
    (void)cb;
    (void)cbarg;
    return tss2_encode(vctx, cout, key, key_abstract, selection, 1);
}

static int tss2_der_encode(void *vctx, OSSL_CORE_BIO *cout, const void *key,
                           const OSSL_PARAM key_abstract[], int selection,
                           OSSL_PASSPHRASE_CALLBACK *cb, void *cbarg)
{
    (void)cb;
    (void)cbarg;
    return tss2_encode(vctx, cout, key, key_abstract, selection, 0);
}

/* Everything but encode(), which writes PEM or DER. */
#define TSS2_ENCODER_FUNCTIONS                                                 \
    { OSSL_FUNC_ENCODER_NEWCTX, (void (*)(void))tss2_enc_newctx },             \
        { OSSL_FUNC_ENCODER_FREECTX, (void (*)(void))tss2_enc_freectx },       \
        { OSSL_FUNC_ENCODER_SETTABLE_CTX_PARAMS,                               \
          (void (*)(void))tss2_enc_settable_ctx_params },                      \
        { OSSL_FUNC_ENCODER_SET_CTX_PARAMS,                                    \
          (void (*)(void))tss2_enc_set_ctx_params },                           \
    {                                                                          \
        OSSL_FUNC_ENCODER_DOES_SELECTION,                                      \
            (void (*)(void))tss2_enc_does_selection                            \
    }

const OSSL_DISPATCH tk_tss2_pem_encoder_functions[] = {
    TSS2_ENCODER_FUNCTIONS,
    { OSSL_FUNC_ENCODER_ENCODE, (void (*)(void))tss2_pem_encode },
    { 0, NULL }
};

const OSSL_DISPATCH tk_tss2_der_encoder_functions[] = {
    TSS2_ENCODER_FUNCTIONS,
    { OSSL_FUNC_ENCODER_ENCODE, (void (*)(void))tss2_der_encode },
    { 0, NULL }
};
