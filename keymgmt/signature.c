/* SPDX-License-Identifier: Apache-2.0 */
/* Signatures with TPM keys: RSA PKCS#1 v1.5 and PSS, ECDSA.
 *
 * The message is hashed in software and only the digest goes to the TPM:
 * one TPM command per signature. PSS on a key that may decrypt is padded
 * in software (EMSA-PSS, any salt length) and finished with one raw RSA
 * operation, because TPMs choose PSS salt lengths of their own. Verifying
 * needs no secret and runs in software on the public key. */
#define OPENSSL_SUPPRESS_DEPRECATED /* RSA_padding_add_*: EMSA encoders */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/buffer.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/rsa.h>

#include "dispatch.h"
#include "key.h"
#include "../provider/errors.h"

typedef struct tk_sig_ctx {
    tk_prov_ctx *prov;
    tk_key *key;
    int rsa;           /* RSA (else ECDSA) */
    int pad_mode;      /* RSA_PKCS1_PADDING or RSA_PKCS1_PSS_PADDING */
    int saltlen;       /* >= 0 or RSA_PSS_SALTLEN_* */
    EVP_MD *md;        /* NULL: the caller passes a raw digest */
    EVP_MD *mgf1_md;   /* NULL: same as md */
    EVP_MD_CTX *mdctx; /* digest_sign / digest_verify */
    BUF_MEM *msg;      /* restricted keys: the message, for the TPM */
} tk_sig_ctx;

static OSSL_FUNC_signature_newctx_fn rsa_newctx;
static OSSL_FUNC_signature_newctx_fn ecdsa_newctx;
static OSSL_FUNC_signature_freectx_fn sig_freectx;
static OSSL_FUNC_signature_dupctx_fn sig_dupctx;
static OSSL_FUNC_signature_sign_init_fn sign_init;
static OSSL_FUNC_signature_sign_fn sig_sign;
static OSSL_FUNC_signature_verify_init_fn verify_init;
static OSSL_FUNC_signature_verify_fn sig_verify;
static OSSL_FUNC_signature_digest_sign_init_fn digest_sign_init;
/* digest_update serves both digest_sign_update and digest_verify_update. */
static OSSL_FUNC_signature_digest_sign_update_fn digest_update;
static OSSL_FUNC_signature_digest_verify_update_fn digest_update;
static OSSL_FUNC_signature_digest_sign_final_fn digest_sign_final;
static OSSL_FUNC_signature_digest_verify_init_fn digest_verify_init;
static OSSL_FUNC_signature_digest_verify_final_fn digest_verify_final;
static OSSL_FUNC_signature_get_ctx_params_fn sig_get_ctx_params;
static OSSL_FUNC_signature_gettable_ctx_params_fn sig_gettable_ctx_params;
static OSSL_FUNC_signature_set_ctx_params_fn sig_set_ctx_params;
static OSSL_FUNC_signature_settable_ctx_params_fn sig_settable_ctx_params;

static void *sig_newctx(void *provctx, int rsa)
{
    tk_sig_ctx *ctx = OPENSSL_zalloc(sizeof(*ctx));

    if (ctx == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "signature context");
        return NULL;
    }
    ctx->prov = provctx;
    ctx->rsa = rsa;
    return ctx;
}

static void *rsa_newctx(void *provctx, const char *propq)
{
    (void)propq;
    return sig_newctx(provctx, 1);
}

static void *ecdsa_newctx(void *provctx, const char *propq)
{
    (void)propq;
    return sig_newctx(provctx, 0);
}

static void sig_freectx(void *vctx)
{
    tk_sig_ctx *ctx = vctx;

    if (ctx == NULL)
        return;
    tk_key_free(ctx->key);
    EVP_MD_free(ctx->md);
    EVP_MD_free(ctx->mgf1_md);
    EVP_MD_CTX_free(ctx->mdctx);
    BUF_MEM_free(ctx->msg);
    OPENSSL_free(ctx);
}

/* As OpenSSL's own providers do: the copy starts with none of the
 * original's references, takes each one in turn, and owns a reference only
 * once it has it, so that sig_freectx() cleans up after any failure. */
static void *sig_dupctx(void *vctx)
{
    const tk_sig_ctx *src = vctx;
    tk_sig_ctx *dst = OPENSSL_memdup(src, sizeof(*src));

    if (dst == NULL)
        return NULL;
    dst->key = NULL;
    dst->md = NULL;
    dst->mgf1_md = NULL;
    dst->mdctx = NULL;
    dst->msg = NULL;

    if (src->key != NULL) {
        if (!tk_key_up_ref(src->key))
            goto err;
        dst->key = src->key;
    }
    if (src->md != NULL) {
        if (!EVP_MD_up_ref(src->md))
            goto err;
        dst->md = src->md;
    }
    if (src->mgf1_md != NULL) {
        if (!EVP_MD_up_ref(src->mgf1_md))
            goto err;
        dst->mgf1_md = src->mgf1_md;
    }
    if (src->mdctx != NULL) {
        if ((dst->mdctx = EVP_MD_CTX_new()) == NULL
            || !EVP_MD_CTX_copy_ex(dst->mdctx, src->mdctx))
            goto err;
    }
    if (src->msg != NULL) {
        /* Empty until the first update: BUF_MEM_grow(, 0) returns 0. */
        if ((dst->msg = BUF_MEM_new()) == NULL
            || (src->msg->length > 0
                && !BUF_MEM_grow(dst->msg, src->msg->length)))
            goto err;
        if (src->msg->length > 0)
            memcpy(dst->msg->data, src->msg->data, src->msg->length);
    }
    return dst;
err:
    sig_freectx(dst);
    return NULL;
}

static int set_md(tk_sig_ctx *ctx, EVP_MD **dst, const char *name)
{
    EVP_MD *md = EVP_MD_fetch(ctx->prov->sw_libctx, name, NULL);

    if (md == NULL) {
        tk_raise(TK_R_NOT_SUPPORTED, "unknown digest \"%s\"", name);
        return 0;
    }
    EVP_MD_free(*dst);
    *dst = md;
    return 1;
}

static int set_pad_mode(tk_sig_ctx *ctx, const OSSL_PARAM *p)
{
    int mode = 0;

    /* TLS sets it as an integer; the CLI (-pkeyopt) as a string. */
    if (p->data_type == OSSL_PARAM_UTF8_STRING) {
        if (strcmp(p->data, "pkcs1") == 0)
            mode = RSA_PKCS1_PADDING;
        else if (strcmp(p->data, "pss") == 0)
            mode = RSA_PKCS1_PSS_PADDING;
    } else if (!OSSL_PARAM_get_int(p, &mode)) {
        return 0;
    }
    if (mode != RSA_PKCS1_PADDING && mode != RSA_PKCS1_PSS_PADDING) {
        tk_raise(TK_R_NOT_SUPPORTED,
                 "TPM RSA keys sign with pkcs1 or pss padding");
        return 0;
    }
    if (ctx->key != NULL && ctx->key->type == TK_KEY_RSA_PSS
        && mode != RSA_PKCS1_PSS_PADDING) {
        tk_raise(TK_R_NOT_SUPPORTED,
                 "an RSA-PSS key signs with pss padding only");
        return 0;
    }
    ctx->pad_mode = mode;
    return 1;
}

/* The special salt lengths and their names, as OpenSSL spells them. */
static const struct {
    int value;
    const char *name;
} saltlen_names[] = {
    { RSA_PSS_SALTLEN_DIGEST, OSSL_PKEY_RSA_PSS_SALT_LEN_DIGEST },
    { RSA_PSS_SALTLEN_MAX, OSSL_PKEY_RSA_PSS_SALT_LEN_MAX },
    { RSA_PSS_SALTLEN_AUTO, OSSL_PKEY_RSA_PSS_SALT_LEN_AUTO },
};

static int set_saltlen(tk_sig_ctx *ctx, const OSSL_PARAM *p)
{
    int saltlen = 0, known = 0;
    size_t i;

    /* TLS 1.3 sets the string "digest"; -pkeyopt a number or a word. */
    if (p->data_type == OSSL_PARAM_UTF8_STRING) {
        const char *s = p->data;
        char *end = NULL;
        long n;

        for (i = 0; i < sizeof(saltlen_names) / sizeof(saltlen_names[0]); i++)
            if (strcmp(s, saltlen_names[i].name) == 0) {
                saltlen = saltlen_names[i].value;
                known = 1;
            }
        if (!known) {
            n = strtol(s, &end, 10);
            if (*s == '\0' || *end != '\0' || n < 0 || n > 4096) {
                tk_raise(TK_R_BAD_REQUEST, "bad PSS salt length %s", s);
                return 0;
            }
            saltlen = (int)n;
        }
    } else if (!OSSL_PARAM_get_int(p, &saltlen)) {
        return 0;
    }
    if (saltlen < RSA_PSS_SALTLEN_MAX) {
        tk_raise(TK_R_BAD_REQUEST, "bad PSS salt length %d", saltlen);
        return 0;
    }
    ctx->saltlen = saltlen;
    return 1;
}

static int sig_set_ctx_params(void *vctx, const OSSL_PARAM params[])
{
    tk_sig_ctx *ctx = vctx;
    const OSSL_PARAM *p;

    if (params == NULL)
        return 1;
    if ((p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_DIGEST))
            != NULL
        && (p->data_type != OSSL_PARAM_UTF8_STRING
            || !set_md(ctx, &ctx->md, p->data)))
        return 0;
    if (!ctx->rsa)
        return 1;
    if ((p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_PAD_MODE))
            != NULL
        && !set_pad_mode(ctx, p))
        return 0;
    if ((p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_PSS_SALTLEN))
            != NULL
        && !set_saltlen(ctx, p))
        return 0;
    if ((p = OSSL_PARAM_locate_const(params, OSSL_SIGNATURE_PARAM_MGF1_DIGEST))
            != NULL
        && (p->data_type != OSSL_PARAM_UTF8_STRING
            || !set_md(ctx, &ctx->mgf1_md, p->data)))
        return 0;
    return 1;
}

static const OSSL_PARAM *sig_settable_ctx_params(void *vctx, void *provctx)
{
    static const OSSL_PARAM settable[] = {
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PROPERTIES, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, NULL, 0),
        OSSL_PARAM_END
    };

    (void)vctx, (void)provctx;
    return settable;
}

static size_t digest_size(const tk_sig_ctx *ctx)
{
    return ctx->md != NULL ? (size_t)EVP_MD_get_size(ctx->md) : 0;
}

/* Can we pad ourselves and finish with a raw RSA operation? Otherwise the
 * TPM signs (and picks the PSS salt: the digest length). */
static int raw_rsa_ok(const tk_sig_ctx *ctx)
{
    const tk_tpm_pubinfo *info;

    if (ctx->key->tpm_key == NULL)
        return 1; /* a public key: only verifies, any salt */
    info = tk_tpm_key_info(ctx->key->tpm_key);
    return info->can_decrypt && !info->restricted;
}

/* The salt length a signature really uses (PSS). */
static int effective_saltlen(const tk_sig_ctx *ctx)
{
    int hlen = (int)digest_size(ctx);
    int emlen = (EVP_PKEY_get_bits(ctx->key->pub) - 1 + 7) / 8;

    if (!raw_rsa_ok(ctx))
        return hlen;
    switch (ctx->saltlen) {
    case RSA_PSS_SALTLEN_DIGEST:
        return hlen;
    case RSA_PSS_SALTLEN_AUTO:
    case RSA_PSS_SALTLEN_MAX:
        return emlen - hlen - 2;
    default:
        return ctx->saltlen;
    }
}

/* A software context on the public key with the same settings: it
 * verifies, and it knows the X.509 AlgorithmIdentifier of our signature. */
static EVP_PKEY_CTX *shadow_ctx(tk_sig_ctx *ctx, int saltlen)
{
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(ctx->prov->sw_libctx,
                                                    ctx->key->pub, NULL);

    if (pctx == NULL || EVP_PKEY_verify_init(pctx) <= 0
        || (ctx->md != NULL
            && EVP_PKEY_CTX_set_signature_md(pctx, ctx->md) <= 0)
        || (ctx->rsa
            && (EVP_PKEY_CTX_set_rsa_padding(pctx, ctx->pad_mode) <= 0
                || (ctx->pad_mode == RSA_PKCS1_PSS_PADDING
                    && (EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, saltlen) <= 0
                        || (ctx->mgf1_md != NULL
                            && EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, ctx->mgf1_md)
                                   <= 0)))))) {
        EVP_PKEY_CTX_free(pctx);
        tk_raise(TK_R_NOT_SUPPORTED, "unsupported signature settings");
        return NULL;
    }
    return pctx;
}

/* EVP_PKEY_CTX_get_rsa_padding asks for the name (a string); TLS and
 * OSSL_PARAM users for the number. Answer in the form asked for. */
static int get_pad_mode(const tk_sig_ctx *ctx, OSSL_PARAM *p)
{
    if (p->data_type == OSSL_PARAM_UTF8_STRING)
        return OSSL_PARAM_set_utf8_string(p,
                                          ctx->pad_mode == RSA_PKCS1_PSS_PADDING
                                              ? OSSL_PKEY_RSA_PAD_MODE_PSS
                                              : OSSL_PKEY_RSA_PAD_MODE_PKCSV15);
    return OSSL_PARAM_set_int(p, ctx->pad_mode);
}

/* The same for the salt length (EVP_PKEY_CTX_get_rsa_pss_saltlen asks for
 * a string: a special length's name, or the number in decimal). */
static int get_saltlen(const tk_sig_ctx *ctx, OSSL_PARAM *p)
{
    char num[16];
    size_t i;

    if (p->data_type != OSSL_PARAM_UTF8_STRING)
        return OSSL_PARAM_set_int(p, ctx->saltlen);
    for (i = 0; i < sizeof(saltlen_names) / sizeof(saltlen_names[0]); i++)
        if (saltlen_names[i].value == ctx->saltlen)
            return OSSL_PARAM_set_utf8_string(p, saltlen_names[i].name);
    snprintf(num, sizeof(num), "%d", ctx->saltlen);
    return OSSL_PARAM_set_utf8_string(p, num);
}

static int sig_get_ctx_params(void *vctx, OSSL_PARAM params[])
{
    tk_sig_ctx *ctx = vctx;
    OSSL_PARAM *p;

    if ((p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_ALGORITHM_ID))
        != NULL) {
        EVP_PKEY_CTX *shadow;
        OSSL_PARAM query[2] = { OSSL_PARAM_END, OSSL_PARAM_END };
        int ok;

        if (ctx->key == NULL
            || (shadow = shadow_ctx(ctx, ctx->rsa ? effective_saltlen(ctx) : 0))
                   == NULL)
            return 0;
        query[0] = *p;
        ok = EVP_PKEY_CTX_get_params(shadow, query);
        p->return_size = query[0].return_size;
        EVP_PKEY_CTX_free(shadow);
        if (!ok)
            return 0;
    }
    if ((p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_DIGEST)) != NULL
        && !OSSL_PARAM_set_utf8_string(
            p, ctx->md != NULL ? EVP_MD_get0_name(ctx->md) : ""))
        return 0;
    if (!ctx->rsa)
        return 1;
    if ((p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_PAD_MODE)) != NULL
        && !get_pad_mode(ctx, p))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_PSS_SALTLEN))
            != NULL
        && !get_saltlen(ctx, p))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_MGF1_DIGEST))
        != NULL) {
        const EVP_MD *mgf1 = ctx->mgf1_md != NULL ? ctx->mgf1_md : ctx->md;

        if (!OSSL_PARAM_set_utf8_string(p, mgf1 != NULL ? EVP_MD_get0_name(mgf1)
                                                        : ""))
            return 0;
    }
    return 1;
}

static const OSSL_PARAM *sig_gettable_ctx_params(void *vctx, void *provctx)
{
    static const OSSL_PARAM gettable[] = {
        OSSL_PARAM_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, NULL, 0),
        OSSL_PARAM_END
    };

    (void)vctx, (void)provctx;
    return gettable;
}

static int sig_init(tk_sig_ctx *ctx, void *vkey, const OSSL_PARAM params[],
                    int need_private)
{
    tk_key *key = vkey;

    if (key != NULL) {
        if (need_private && key->tpm_key == NULL) {
            tk_raise(TK_R_NOT_SUPPORTED,
                     "signing needs the TPM key, not a public key");
            return 0;
        }
        if ((ctx->rsa && key->type == TK_KEY_EC)
            || (!ctx->rsa && key->type != TK_KEY_EC)) {
            tk_raise(TK_R_NOT_SUPPORTED, "wrong key type for this signature");
            return 0;
        }
        tk_key_up_ref(key);
        tk_key_free(ctx->key);
        ctx->key = key;
    }
    if (ctx->key == NULL) {
        tk_raise(TK_R_BAD_REQUEST, "no key");
        return 0;
    }
    BUF_MEM_free(ctx->msg);
    ctx->msg = NULL;
    ctx->pad_mode = ctx->key->type == TK_KEY_RSA_PSS ? RSA_PKCS1_PSS_PADDING
                                                     : RSA_PKCS1_PADDING;
    ctx->saltlen = RSA_PSS_SALTLEN_AUTO;
    return sig_set_ctx_params(ctx, params);
}

static int sign_init(void *vctx, void *vkey, const OSSL_PARAM params[])
{
    return sig_init(vctx, vkey, params, 1);
}

static int verify_init(void *vctx, void *vkey, const OSSL_PARAM params[])
{
    return sig_init(vctx, vkey, params, 0);
}

static int hash_nid_for(const tk_sig_ctx *ctx, size_t digest_len)
{
    if (ctx->md != NULL)
        return EVP_MD_get_type(ctx->md);
    switch (digest_len) { /* a bare digest: known by its size */
    case 20:
        return NID_sha1;
    case 32:
        return NID_sha256;
    case 48:
        return NID_sha384;
    case 64:
        return NID_sha512;
    default:
        return NID_undef;
    }
}

/* The TPM signs a digest we made; a restricted key only one the TPM made
 * from the message itself (collected by digest_update). */
static int tpm_sign(tk_sig_ctx *ctx, int scheme, const unsigned char *dgst,
                    size_t dlen, unsigned char *sig, size_t *siglen)
{
    int hash_nid = hash_nid_for(ctx, dlen);

    if (tk_tpm_key_info(ctx->key->tpm_key)->restricted) {
        if (ctx->msg == NULL) {
            tk_raise(TK_R_NOT_SUPPORTED,
                     "a restricted TPM key signs messages,"
                     " not digests (use dgst, not pkeyutl)");
            return 0;
        }
        return tk_tpm_sign_message(ctx->key->tpm_key, scheme, hash_nid,
                                   (unsigned char *)ctx->msg->data,
                                   ctx->msg->length, sig, siglen);
    }
    return tk_tpm_sign(ctx->key->tpm_key, scheme, hash_nid, dgst, dlen, sig,
                       siglen);
}

static int ecdsa_sign(tk_sig_ctx *ctx, unsigned char *sig, size_t *siglen,
                      size_t sigsize, const unsigned char *dgst, size_t dlen)
{
    unsigned char raw[2 * 66];
    size_t raw_len = 0, half;
    ECDSA_SIG *ecsig = NULL;
    BIGNUM *r, *s;
    unsigned char *p = sig;
    int der_len, ok = 0;

    if (!tpm_sign(ctx, TK_TPM_SIG_ECDSA, dgst, dlen, raw, &raw_len))
        return 0;
    half = raw_len / 2;
    r = BN_bin2bn(raw, (int)half, NULL);
    s = BN_bin2bn(raw + half, (int)half, NULL);
    if (r == NULL || s == NULL || (ecsig = ECDSA_SIG_new()) == NULL
        || !ECDSA_SIG_set0(ecsig, r, s)) {
        BN_free(r);
        BN_free(s);
        goto end;
    }
    der_len = i2d_ECDSA_SIG(ecsig, NULL);
    if (der_len <= 0 || (size_t)der_len > sigsize) {
        tk_raise(TK_R_BAD_REQUEST, "signature buffer too small");
        goto end;
    }
    *siglen = (size_t)i2d_ECDSA_SIG(ecsig, &p);
    ok = 1;
end:
    ECDSA_SIG_free(ecsig);
    return ok;
}

static int rsa_sign(tk_sig_ctx *ctx, unsigned char *sig, size_t *siglen,
                    size_t sigsize, const unsigned char *dgst, size_t dlen)
{
    const tk_tpm_pubinfo *info = tk_tpm_key_info(ctx->key->tpm_key);
    const RSA *rsa = EVP_PKEY_get0_RSA(ctx->key->pub);
    int raw_ok = raw_rsa_ok(ctx);
    unsigned char em[512];
    size_t k = info->n_len;
    int ok;

    if (sigsize < k) {
        tk_raise(TK_R_BAD_REQUEST, "signature buffer too small");
        return 0;
    }
    if (ctx->pad_mode == RSA_PKCS1_PSS_PADDING) {
        if (ctx->md == NULL) {
            tk_raise(TK_R_BAD_REQUEST, "PSS needs a digest");
            return 0;
        }
        if (!raw_ok) { /* sign-only key: the TPM picks the salt */
            if (ctx->saltlen >= 0 && ctx->saltlen != (int)dlen) {
                tk_raise(TK_R_NOT_SUPPORTED,
                         "this TPM key signs PSS with a salt"
                         " as long as the digest (%zu bytes) only",
                         dlen);
                return 0;
            }
            if (info->scheme_hash_nid != 0
                && info->scheme_hash_nid != hash_nid_for(ctx, dlen)) {
                tk_raise(TK_R_NOT_SUPPORTED,
                         "this TPM key signs %s digests only",
                         OBJ_nid2sn(info->scheme_hash_nid));
                return 0;
            }
            return tpm_sign(ctx, TK_TPM_SIG_RSAPSS, dgst, dlen, sig, siglen);
        }
        ok = RSA_padding_add_PKCS1_PSS_mgf1((RSA *)rsa, em, dgst, ctx->md,
                                            ctx->mgf1_md != NULL ? ctx->mgf1_md
                                                                 : ctx->md,
                                            effective_saltlen(ctx));
    } else if (ctx->md != NULL) {
        return tpm_sign(ctx, TK_TPM_SIG_RSASSA, dgst, dlen, sig, siglen);
    } else {
        /* No digest named: PKCS#1 v1.5 over the caller's bytes as they are. */
        if (!raw_ok) {
            tk_raise(TK_R_NOT_SUPPORTED,
                     "raw RSA signing needs a key that may decrypt");
            return 0;
        }
        ok = RSA_padding_add_PKCS1_type_1(em, (int)k, dgst, (int)dlen);
    }
    if (ok != 1) {
        tk_raise(TK_R_BAD_REQUEST,
                 "cannot pad %zu bytes for a %zu-byte RSA key", dlen, k);
        return 0;
    }
    ok = tk_tpm_rsa_private_sign(ctx->key->tpm_key, em, k, sig, siglen);
    OPENSSL_cleanse(em, sizeof(em));
    return ok;
}

/* Every signature is verified with the public key before it is returned:
 * a request or response changed on the bus, or a faulty TPM computation
 * (the RSA-CRT fault attack), must give an error, never a bad signature.
 * Verifying costs microseconds next to the TPM's milliseconds. */
static int check_signature(tk_sig_ctx *ctx, unsigned char *sig, size_t *siglen,
                           const unsigned char *dgst, size_t dlen)
{
    EVP_PKEY_CTX *shadow;
    int ok;

    ERR_set_mark();
    shadow = shadow_ctx(ctx, effective_saltlen(ctx));
    ok = shadow != NULL
         && EVP_PKEY_verify(shadow, sig, *siglen, dgst, dlen) == 1;
    EVP_PKEY_CTX_free(shadow);
    ERR_pop_to_mark();
    if (ok)
        return 1;
    OPENSSL_cleanse(sig, *siglen);
    *siglen = 0;
    tk_raise(TK_R_TPM_COMMAND_FAILED,
             "the signature from the TPM does not verify with the key's"
             " public key (changed on the way from the TPM, or a TPM fault);"
             " nothing was returned");
    return 0;
}

static int sign_digest(tk_sig_ctx *ctx, unsigned char *sig, size_t *siglen,
                       size_t sigsize, const unsigned char *dgst, size_t dlen)
{
    if (sig == NULL) {
        *siglen = (size_t)EVP_PKEY_get_size(ctx->key->pub);
        return 1;
    }
    if (ctx->md != NULL && dlen != digest_size(ctx)) {
        tk_raise(TK_R_BAD_REQUEST, "digest is %zu bytes, %s makes %zu", dlen,
                 EVP_MD_get0_name(ctx->md), digest_size(ctx));
        return 0;
    }
    if (!(ctx->rsa ? rsa_sign(ctx, sig, siglen, sigsize, dgst, dlen)
                   : ecdsa_sign(ctx, sig, siglen, sigsize, dgst, dlen)))
        return 0;
    return check_signature(ctx, sig, siglen, dgst, dlen);
}

static int sig_sign(void *vctx, unsigned char *sig, size_t *siglen,
                    size_t sigsize, const unsigned char *tbs, size_t tbslen)
{
    return sign_digest(vctx, sig, siglen, sigsize, tbs, tbslen);
}

static int sig_verify(void *vctx, const unsigned char *sig, size_t siglen,
                      const unsigned char *tbs, size_t tbslen)
{
    tk_sig_ctx *ctx = vctx;
    EVP_PKEY_CTX *shadow = shadow_ctx(ctx, ctx->saltlen);
    int ok = shadow != NULL
             && EVP_PKEY_verify(shadow, sig, siglen, tbs, tbslen) == 1;

    EVP_PKEY_CTX_free(shadow);
    return ok;
}

static int digest_init(tk_sig_ctx *ctx, const char *mdname, void *vkey,
                       const OSSL_PARAM params[], int sign)
{
    if (!sig_init(ctx, vkey, params, sign))
        return 0;
    if ((mdname == NULL || *mdname == '\0') && ctx->md == NULL)
        mdname = "SHA256";
    if (mdname != NULL && *mdname != '\0' && !set_md(ctx, &ctx->md, mdname))
        return 0;
    if (ctx->mdctx == NULL && (ctx->mdctx = EVP_MD_CTX_new()) == NULL)
        return 0;
    BUF_MEM_free(ctx->msg);
    ctx->msg = NULL;
    if (sign && ctx->key->tpm_key != NULL
        && tk_tpm_key_info(ctx->key->tpm_key)->restricted
        && (ctx->msg = BUF_MEM_new()) == NULL)
        return 0;
    return EVP_DigestInit_ex2(ctx->mdctx, ctx->md, NULL);
}

static int digest_sign_init(void *vctx, const char *mdname, void *vkey,
                            const OSSL_PARAM params[])
{
    return digest_init(vctx, mdname, vkey, params, 1);
}

static int digest_verify_init(void *vctx, const char *mdname, void *vkey,
                              const OSSL_PARAM params[])
{
    return digest_init(vctx, mdname, vkey, params, 0);
}

static int digest_update(void *vctx, const unsigned char *data, size_t len)
{
    tk_sig_ctx *ctx = vctx;

    /* BUF_MEM_grow of an empty buffer by nothing returns 0. */
    if (ctx->msg != NULL && len > 0) {
        size_t old = ctx->msg->length;

        if (!BUF_MEM_grow(ctx->msg, old + len))
            return 0;
        memcpy(ctx->msg->data + old, data, len);
    }
    return ctx->mdctx != NULL && EVP_DigestUpdate(ctx->mdctx, data, len);
}

static int digest_sign_final(void *vctx, unsigned char *sig, size_t *siglen,
                             size_t sigsize)
{
    tk_sig_ctx *ctx = vctx;
    unsigned char dgst[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;

    if (sig == NULL)
        return sign_digest(ctx, NULL, siglen, 0, NULL, 0);
    if (ctx->mdctx == NULL || !EVP_DigestFinal_ex(ctx->mdctx, dgst, &dlen))
        return 0;
    return sign_digest(ctx, sig, siglen, sigsize, dgst, dlen);
}

static int digest_verify_final(void *vctx, const unsigned char *sig,
                               size_t siglen)
{
    tk_sig_ctx *ctx = vctx;
    unsigned char dgst[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;

    if (ctx->mdctx == NULL || !EVP_DigestFinal_ex(ctx->mdctx, dgst, &dlen))
        return 0;
    return sig_verify(ctx, sig, siglen, dgst, dlen);
}

/* Everything but the constructor, which says RSA or ECDSA. */
#define SIGNATURE_FUNCTIONS                                                    \
    { OSSL_FUNC_SIGNATURE_FREECTX, (void (*)(void))sig_freectx },              \
        { OSSL_FUNC_SIGNATURE_DUPCTX, (void (*)(void))sig_dupctx },            \
        { OSSL_FUNC_SIGNATURE_SIGN_INIT, (void (*)(void))sign_init },          \
        { OSSL_FUNC_SIGNATURE_SIGN, (void (*)(void))sig_sign },                \
        { OSSL_FUNC_SIGNATURE_VERIFY_INIT, (void (*)(void))verify_init },      \
        { OSSL_FUNC_SIGNATURE_VERIFY, (void (*)(void))sig_verify },            \
        { OSSL_FUNC_SIGNATURE_DIGEST_SIGN_INIT,                                \
          (void (*)(void))digest_sign_init },                                  \
        { OSSL_FUNC_SIGNATURE_DIGEST_SIGN_UPDATE,                              \
          (void (*)(void))digest_update },                                     \
        { OSSL_FUNC_SIGNATURE_DIGEST_SIGN_FINAL,                               \
          (void (*)(void))digest_sign_final },                                 \
        { OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_INIT,                              \
          (void (*)(void))digest_verify_init },                                \
        { OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_UPDATE,                            \
          (void (*)(void))digest_update },                                     \
        { OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_FINAL,                             \
          (void (*)(void))digest_verify_final },                               \
        { OSSL_FUNC_SIGNATURE_GET_CTX_PARAMS,                                  \
          (void (*)(void))sig_get_ctx_params },                                \
        { OSSL_FUNC_SIGNATURE_GETTABLE_CTX_PARAMS,                             \
          (void (*)(void))sig_gettable_ctx_params },                           \
        { OSSL_FUNC_SIGNATURE_SET_CTX_PARAMS,                                  \
          (void (*)(void))sig_set_ctx_params },                                \
    {                                                                          \
        OSSL_FUNC_SIGNATURE_SETTABLE_CTX_PARAMS,                               \
            (void (*)(void))sig_settable_ctx_params                            \
    }

const OSSL_DISPATCH tk_rsa_signature_functions[] = {
    { OSSL_FUNC_SIGNATURE_NEWCTX, (void (*)(void))rsa_newctx },
    SIGNATURE_FUNCTIONS,
    { 0, NULL }
};

const OSSL_DISPATCH tk_ecdsa_signature_functions[] = {
    { OSSL_FUNC_SIGNATURE_NEWCTX, (void (*)(void))ecdsa_newctx },
    SIGNATURE_FUNCTIONS,
    { 0, NULL }
};
