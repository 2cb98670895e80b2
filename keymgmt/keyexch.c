/* SPDX-License-Identifier: Apache-2.0 */
/* ECDH with a TPM key: TPM2_ECDH_ZGen with the peer's public point. The
 * peer key arrives imported into our key management (public only).
 *
 * The context takes the parameters OpenSSL's own ECDH takes, because CMS
 * (KeyAgreeRecipientInfo) and other callers set them: the cofactor mode
 * (the TPM's curves all have cofactor 1, where cofactor ECDH is plain
 * ECDH) and the X9.63 KDF, which runs in software over the shared secret
 * the TPM returns: that secret is the output of ECDH either way. */
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/objects.h>
#include <openssl/params.h>

#include "dispatch.h"
#include "key.h"
#include "../provider/errors.h"

typedef struct tk_ecdh_ctx {
    tk_prov_ctx *prov;
    tk_key *key, *peer;
    int cofactor_mode;  /* -1 (the key's default: off), 0 or 1 */
    int kdf_x963;       /* 1: the X9.63 KDF over the shared secret */
    EVP_MD *kdf_md;     /* the KDF's digest */
    unsigned char *ukm; /* the KDF's shared info */
    size_t ukm_len;
    size_t kdf_outlen; /* bytes the KDF makes */
} tk_ecdh_ctx;

static OSSL_FUNC_keyexch_newctx_fn ecdh_newctx;
static OSSL_FUNC_keyexch_freectx_fn ecdh_freectx;
static OSSL_FUNC_keyexch_init_fn ecdh_init;
static OSSL_FUNC_keyexch_set_peer_fn ecdh_set_peer;
static OSSL_FUNC_keyexch_derive_fn ecdh_derive;
static OSSL_FUNC_keyexch_dupctx_fn ecdh_dupctx;
static OSSL_FUNC_keyexch_set_ctx_params_fn ecdh_set_ctx_params;
static OSSL_FUNC_keyexch_settable_ctx_params_fn ecdh_settable_ctx_params;
static OSSL_FUNC_keyexch_get_ctx_params_fn ecdh_get_ctx_params;
static OSSL_FUNC_keyexch_gettable_ctx_params_fn ecdh_gettable_ctx_params;

static void *ecdh_newctx(void *provctx)
{
    tk_ecdh_ctx *ctx = OPENSSL_zalloc(sizeof(*ctx));

    if (ctx == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "ECDH context");
        return NULL;
    }
    ctx->prov = provctx;
    ctx->cofactor_mode = -1;
    return ctx;
}

/* Back to plain ECDH, as a new init leaves OpenSSL's own ECDH. */
static void reset_kdf(tk_ecdh_ctx *ctx)
{
    ctx->cofactor_mode = -1;
    ctx->kdf_x963 = 0;
    EVP_MD_free(ctx->kdf_md);
    ctx->kdf_md = NULL;
    OPENSSL_clear_free(ctx->ukm, ctx->ukm_len);
    ctx->ukm = NULL;
    ctx->ukm_len = 0;
    ctx->kdf_outlen = 0;
}

static void ecdh_freectx(void *vctx)
{
    tk_ecdh_ctx *ctx = vctx;

    if (ctx == NULL)
        return;
    tk_key_free(ctx->key);
    tk_key_free(ctx->peer);
    reset_kdf(ctx);
    OPENSSL_free(ctx);
}

/* The copy owns a reference only once it has taken it (see sig_dupctx). */
static void *ecdh_dupctx(void *vctx)
{
    const tk_ecdh_ctx *src = vctx;
    tk_ecdh_ctx *dst = OPENSSL_memdup(src, sizeof(*src));

    if (dst == NULL)
        return NULL;
    dst->key = dst->peer = NULL;
    dst->kdf_md = NULL;
    dst->ukm = NULL;
    dst->ukm_len = 0;
    if (src->key != NULL) {
        if (!tk_key_up_ref(src->key))
            goto err;
        dst->key = src->key;
    }
    if (src->peer != NULL) {
        if (!tk_key_up_ref(src->peer))
            goto err;
        dst->peer = src->peer;
    }
    if (src->kdf_md != NULL) {
        if (!EVP_MD_up_ref(src->kdf_md))
            goto err;
        dst->kdf_md = src->kdf_md;
    }
    if (src->ukm != NULL) {
        if ((dst->ukm = OPENSSL_memdup(src->ukm, src->ukm_len)) == NULL)
            goto err;
        dst->ukm_len = src->ukm_len;
    }
    return dst;
err:
    ecdh_freectx(dst);
    return NULL;
}

static int ecdh_set_ctx_params(void *vctx, const OSSL_PARAM params[])
{
    tk_ecdh_ctx *ctx = vctx;
    const OSSL_PARAM *p;

    if (params == NULL)
        return 1;
    p = OSSL_PARAM_locate_const(params,
                                OSSL_EXCHANGE_PARAM_EC_ECDH_COFACTOR_MODE);
    if (p != NULL) {
        int mode;

        if (!OSSL_PARAM_get_int(p, &mode) || mode < -1 || mode > 1) {
            tk_raise(TK_R_BAD_REQUEST, "ECDH cofactor mode must be -1, 0 or 1");
            return 0;
        }
        ctx->cofactor_mode = mode;
    }
    p = OSSL_PARAM_locate_const(params, OSSL_EXCHANGE_PARAM_KDF_TYPE);
    if (p != NULL) {
        const char *type = NULL;

        if (!OSSL_PARAM_get_utf8_string_ptr(p, &type))
            return 0;
        if (*type == '\0') {
            ctx->kdf_x963 = 0;
        } else if (OPENSSL_strcasecmp(type, OSSL_KDF_NAME_X963KDF) == 0) {
            ctx->kdf_x963 = 1;
        } else {
            tk_raise(TK_R_NOT_SUPPORTED,
                     "ECDH KDF \"%s\": only X963KDF (or none)", type);
            return 0;
        }
    }
    p = OSSL_PARAM_locate_const(params, OSSL_EXCHANGE_PARAM_KDF_DIGEST);
    if (p != NULL) {
        const char *name = NULL, *props = NULL;
        const OSSL_PARAM *pp = OSSL_PARAM_locate_const(
            params, OSSL_EXCHANGE_PARAM_KDF_DIGEST_PROPS);
        EVP_MD *md;

        if (!OSSL_PARAM_get_utf8_string_ptr(p, &name)
            || (pp != NULL && !OSSL_PARAM_get_utf8_string_ptr(pp, &props)))
            return 0;
        md = EVP_MD_fetch(ctx->prov->sw_libctx, name, props);
        if (md == NULL) {
            tk_raise(TK_R_NOT_SUPPORTED, "unknown KDF digest \"%s\"", name);
            return 0;
        }
        EVP_MD_free(ctx->kdf_md);
        ctx->kdf_md = md;
    }
    p = OSSL_PARAM_locate_const(params, OSSL_EXCHANGE_PARAM_KDF_OUTLEN);
    if (p != NULL && !OSSL_PARAM_get_size_t(p, &ctx->kdf_outlen))
        return 0;
    p = OSSL_PARAM_locate_const(params, OSSL_EXCHANGE_PARAM_KDF_UKM);
    if (p != NULL) {
        void *ukm = NULL;
        size_t len = 0;

        if (!OSSL_PARAM_get_octet_string(p, &ukm, 0, &len))
            return 0;
        OPENSSL_clear_free(ctx->ukm, ctx->ukm_len);
        ctx->ukm = ukm;
        ctx->ukm_len = len;
    }
    return 1;
}

static const OSSL_PARAM *ecdh_settable_ctx_params(void *vctx, void *provctx)
{
    static const OSSL_PARAM settable[] = {
        OSSL_PARAM_int(OSSL_EXCHANGE_PARAM_EC_ECDH_COFACTOR_MODE, NULL),
        OSSL_PARAM_utf8_string(OSSL_EXCHANGE_PARAM_KDF_TYPE, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_EXCHANGE_PARAM_KDF_DIGEST, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_EXCHANGE_PARAM_KDF_DIGEST_PROPS, NULL, 0),
        OSSL_PARAM_size_t(OSSL_EXCHANGE_PARAM_KDF_OUTLEN, NULL),
        OSSL_PARAM_octet_string(OSSL_EXCHANGE_PARAM_KDF_UKM, NULL, 0),
        OSSL_PARAM_END
    };

    (void)vctx, (void)provctx;
    return settable;
}

static int ecdh_get_ctx_params(void *vctx, OSSL_PARAM params[])
{
    tk_ecdh_ctx *ctx = vctx;
    OSSL_PARAM *p;

    /* -1 means the key's own mode: a TPM key has no cofactor flag. */
    p = OSSL_PARAM_locate(params, OSSL_EXCHANGE_PARAM_EC_ECDH_COFACTOR_MODE);
    if (p != NULL && !OSSL_PARAM_set_int(p, ctx->cofactor_mode == 1 ? 1 : 0))
        return 0;
    p = OSSL_PARAM_locate(params, OSSL_EXCHANGE_PARAM_KDF_TYPE);
    if (p != NULL
        && !OSSL_PARAM_set_utf8_string(p, ctx->kdf_x963 ? OSSL_KDF_NAME_X963KDF
                                                        : ""))
        return 0;
    p = OSSL_PARAM_locate(params, OSSL_EXCHANGE_PARAM_KDF_DIGEST);
    if (p != NULL
        && !OSSL_PARAM_set_utf8_string(
            p, ctx->kdf_md != NULL ? EVP_MD_get0_name(ctx->kdf_md) : ""))
        return 0;
    p = OSSL_PARAM_locate(params, OSSL_EXCHANGE_PARAM_KDF_OUTLEN);
    if (p != NULL && !OSSL_PARAM_set_size_t(p, ctx->kdf_outlen))
        return 0;
    p = OSSL_PARAM_locate(params, OSSL_EXCHANGE_PARAM_KDF_UKM);
    if (p != NULL && !OSSL_PARAM_set_octet_ptr(p, ctx->ukm, ctx->ukm_len))
        return 0;
    return 1;
}

static const OSSL_PARAM *ecdh_gettable_ctx_params(void *vctx, void *provctx)
{
    static const OSSL_PARAM gettable[] = {
        OSSL_PARAM_int(OSSL_EXCHANGE_PARAM_EC_ECDH_COFACTOR_MODE, NULL),
        OSSL_PARAM_utf8_string(OSSL_EXCHANGE_PARAM_KDF_TYPE, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_EXCHANGE_PARAM_KDF_DIGEST, NULL, 0),
        OSSL_PARAM_size_t(OSSL_EXCHANGE_PARAM_KDF_OUTLEN, NULL),
        OSSL_PARAM_DEFN(OSSL_EXCHANGE_PARAM_KDF_UKM, OSSL_PARAM_OCTET_PTR, NULL,
                        0),
        OSSL_PARAM_END
    };

    (void)vctx, (void)provctx;
    return gettable;
}

static int ecdh_init(void *vctx, void *vkey, const OSSL_PARAM params[])
{
    tk_ecdh_ctx *ctx = vctx;
    tk_key *key = vkey;

    if (key == NULL || key->type != TK_KEY_EC
        || (key->tpm_key == NULL && !key->software)) {
        tk_raise(TK_R_NOT_SUPPORTED, "ECDH needs an EC key in the TPM");
        return 0;
    }
    tk_key_up_ref(key);
    tk_key_free(ctx->key);
    ctx->key = key;
    reset_kdf(ctx);
    return ecdh_set_ctx_params(ctx, params);
}

static int ecdh_set_peer(void *vctx, void *vpeer)
{
    tk_ecdh_ctx *ctx = vctx;
    tk_key *peer = vpeer;

    if (peer == NULL || peer->type != TK_KEY_EC || peer->pub == NULL) {
        tk_raise(TK_R_BAD_REQUEST, "the ECDH peer must be an EC public key");
        return 0;
    }
    tk_key_up_ref(peer);
    tk_key_free(ctx->peer);
    ctx->peer = peer;
    return 1;
}

/* The peer's point, uncompressed and padded to the field size. */
static int peer_point(const tk_ecdh_ctx *ctx, unsigned char *point, size_t *len)
{
    size_t field = (tk_tpm_key_info(ctx->key->tpm_key)->bits + 7) / 8;
    BIGNUM *x = NULL, *y = NULL;
    int ok;

    ok = EVP_PKEY_get_bn_param(ctx->peer->pub, OSSL_PKEY_PARAM_EC_PUB_X, &x)
         && EVP_PKEY_get_bn_param(ctx->peer->pub, OSSL_PKEY_PARAM_EC_PUB_Y, &y)
         && BN_bn2binpad(x, point + 1, (int)field) == (int)field
         && BN_bn2binpad(y, point + 1 + field, (int)field) == (int)field;
    point[0] = 0x04;
    *len = 1 + 2 * field;
    BN_free(x);
    BN_free(y);
    if (!ok)
        tk_raise(TK_R_BAD_REQUEST, "the ECDH peer is not on the key's curve");
    return ok;
}

/* Bytes of the shared secret: the size of the curve's field. */
static size_t field_len(const tk_ecdh_ctx *ctx)
{
    if (ctx->key->software)
        return (size_t)(EVP_PKEY_get_bits(ctx->key->pub) + 7) / 8;
    return (tk_tpm_key_info(ctx->key->tpm_key)->bits + 7) / 8;
}

/* Cofactor ECDH multiplies by the cofactor: nothing to do on a curve whose
 * cofactor is 1, as on every curve a TPM offers; refuse any other. */
static int cofactor_ok(const tk_ecdh_ctx *ctx)
{
    char group[64];
    EC_GROUP *g;
    int nid, ok = 0;

    if (ctx->cofactor_mode != 1)
        return 1;
    if (EVP_PKEY_get_group_name(ctx->key->pub, group, sizeof(group), NULL) == 1
        && ((nid = OBJ_sn2nid(group)) != NID_undef
            || (nid = EC_curve_nist2nid(group)) != NID_undef)
        && (g = EC_GROUP_new_by_curve_name(nid)) != NULL) {
        ok = BN_is_one(EC_GROUP_get0_cofactor(g));
        EC_GROUP_free(g);
    }
    if (!ok)
        tk_raise(TK_R_NOT_SUPPORTED,
                 "cofactor ECDH on a curve whose cofactor is not 1");
    return ok;
}

/* The shared secret Z (the x coordinate of the shared point), field_len()
 * bytes: by the TPM, or in software for a TLS key share
 * (TPMKIT-EPHEMERAL-EC). */
static int shared_secret(tk_ecdh_ctx *ctx, unsigned char *z, size_t zsize,
                         size_t *z_len)
{
    unsigned char point[1 + 2 * 66];
    size_t point_len;

    if (ctx->key->software) {
        EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(ctx->prov->sw_libctx,
                                                        ctx->key->pub, NULL);
        int ok;

        *z_len = zsize;
        ok = pctx != NULL && EVP_PKEY_derive_init(pctx) > 0
             && EVP_PKEY_derive_set_peer(pctx, ctx->peer->pub) > 0
             && EVP_PKEY_derive(pctx, z, z_len) > 0;
        EVP_PKEY_CTX_free(pctx);
        return ok;
    }
    return peer_point(ctx, point, &point_len)
           && tk_tpm_ecdh(ctx->key->tpm_key, point, point_len, z, z_len);
}

/* X9.63 KDF (ANSI X9.63, SEC 1 3.6.1) over Z with the shared info. */
static int x963_kdf(tk_ecdh_ctx *ctx, const unsigned char *z, size_t z_len,
                    unsigned char *out, size_t out_len)
{
    EVP_KDF *kdf = EVP_KDF_fetch(ctx->prov->sw_libctx, OSSL_KDF_NAME_X963KDF,
                                 NULL);
    EVP_KDF_CTX *kctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[4], *p = params;
    int ok;

    *p++ = OSSL_PARAM_construct_utf8_string(
        OSSL_KDF_PARAM_DIGEST, (char *)EVP_MD_get0_name(ctx->kdf_md), 0);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)z,
                                             z_len);
    if (ctx->ukm != NULL)
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, ctx->ukm,
                                                 ctx->ukm_len);
    *p = OSSL_PARAM_construct_end();
    ok = kctx != NULL && EVP_KDF_derive(kctx, out, out_len, params) > 0;
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
    if (!ok)
        tk_raise(TK_R_BAD_REQUEST, "the X9.63 KDF over the ECDH secret failed");
    return ok;
}

static int ecdh_derive(void *vctx, unsigned char *secret, size_t *secretlen,
                       size_t outlen)
{
    tk_ecdh_ctx *ctx = vctx;
    unsigned char z[66];
    size_t field, z_len = 0;
    int ok;

    if (ctx->key == NULL || ctx->peer == NULL) {
        tk_raise(TK_R_BAD_REQUEST, "ECDH needs a key and a peer");
        return 0;
    }
    field = field_len(ctx);
    if (ctx->kdf_x963 && (ctx->kdf_md == NULL || ctx->kdf_outlen == 0)) {
        tk_raise(TK_R_BAD_REQUEST,
                 "the X9.63 KDF needs a digest and an output length");
        return 0;
    }
    if (secret == NULL) {
        *secretlen = ctx->kdf_x963 ? ctx->kdf_outlen : field;
        return 1;
    }
    if (outlen < (ctx->kdf_x963 ? ctx->kdf_outlen : field)) {
        tk_raise(TK_R_BAD_REQUEST, "ECDH output buffer too small");
        return 0;
    }
    if (!cofactor_ok(ctx))
        return 0;
    ok = shared_secret(ctx, z, sizeof(z), &z_len);
    if (ok && ctx->kdf_x963) {
        ok = x963_kdf(ctx, z, z_len, secret, ctx->kdf_outlen);
        *secretlen = ctx->kdf_outlen;
    } else if (ok) {
        memcpy(secret, z, z_len);
        *secretlen = z_len;
    }
    OPENSSL_cleanse(z, sizeof(z));
    return ok;
}

const OSSL_DISPATCH tk_ecdh_keyexch_functions[] = {
    { OSSL_FUNC_KEYEXCH_NEWCTX, (void (*)(void))ecdh_newctx },
    { OSSL_FUNC_KEYEXCH_FREECTX, (void (*)(void))ecdh_freectx },
    { OSSL_FUNC_KEYEXCH_INIT, (void (*)(void))ecdh_init },
    { OSSL_FUNC_KEYEXCH_SET_PEER, (void (*)(void))ecdh_set_peer },
    { OSSL_FUNC_KEYEXCH_DERIVE, (void (*)(void))ecdh_derive },
    { OSSL_FUNC_KEYEXCH_DUPCTX, (void (*)(void))ecdh_dupctx },
    { OSSL_FUNC_KEYEXCH_SET_CTX_PARAMS, (void (*)(void))ecdh_set_ctx_params },
    { OSSL_FUNC_KEYEXCH_SETTABLE_CTX_PARAMS,
      (void (*)(void))ecdh_settable_ctx_params },
    { OSSL_FUNC_KEYEXCH_GET_CTX_PARAMS, (void (*)(void))ecdh_get_ctx_params },
    { OSSL_FUNC_KEYEXCH_GETTABLE_CTX_PARAMS,
      (void (*)(void))ecdh_gettable_ctx_params },
    { 0, NULL }
};
