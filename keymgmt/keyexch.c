/* SPDX-License-Identifier: Apache-2.0 */
/* ECDH with a TPM key: TPM2_ECDH_ZGen with the peer's public point. The
 * peer key arrives imported into our key management (public only). */
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "dispatch.h"
#include "key.h"
#include "../provider/errors.h"

typedef struct tk_ecdh_ctx {
    tk_prov_ctx *prov;
    tk_key *key, *peer;
} tk_ecdh_ctx;

static OSSL_FUNC_keyexch_newctx_fn ecdh_newctx;
static OSSL_FUNC_keyexch_freectx_fn ecdh_freectx;
static OSSL_FUNC_keyexch_init_fn ecdh_init;
static OSSL_FUNC_keyexch_set_peer_fn ecdh_set_peer;
static OSSL_FUNC_keyexch_derive_fn ecdh_derive;

static void *ecdh_newctx(void *provctx)
{
    tk_ecdh_ctx *ctx = OPENSSL_zalloc(sizeof(*ctx));

    if (ctx == NULL)
        tk_raise(TK_R_OUT_OF_MEMORY, "ECDH context");
    else
        ctx->prov = provctx;
    return ctx;
}

static void ecdh_freectx(void *vctx)
{
    tk_ecdh_ctx *ctx = vctx;

    if (ctx == NULL)
        return;
    tk_key_free(ctx->key);
    tk_key_free(ctx->peer);
    OPENSSL_free(ctx);
}

static int ecdh_init(void *vctx, void *vkey, const OSSL_PARAM params[])
{
    tk_ecdh_ctx *ctx = vctx;
    tk_key *key = vkey;

    (void)params;
    if (key == NULL || key->type != TK_KEY_EC
        || (key->tpm_key == NULL && !key->software)) {
        tk_raise(TK_R_NOT_SUPPORTED, "ECDH needs an EC key in the TPM");
        return 0;
    }
    tk_key_up_ref(key);
    tk_key_free(ctx->key);
    ctx->key = key;
    return 1;
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

/* A TLS key share (TPMKIT-EPHEMERAL-EC): ECDH in software. */
static int software_derive(tk_ecdh_ctx *ctx, unsigned char *secret,
                           size_t *secretlen, size_t outlen)
{
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(ctx->prov->sw_libctx,
                                                    ctx->key->pub, NULL);
    int ok;

    *secretlen = outlen;
    ok = pctx != NULL && EVP_PKEY_derive_init(pctx) > 0
         && EVP_PKEY_derive_set_peer(pctx, ctx->peer->pub) > 0
         && EVP_PKEY_derive(pctx, secret, secretlen) > 0;
    EVP_PKEY_CTX_free(pctx);
    return ok;
}

static int ecdh_derive(void *vctx, unsigned char *secret, size_t *secretlen,
                       size_t outlen)
{
    tk_ecdh_ctx *ctx = vctx;
    unsigned char point[1 + 2 * 66], z[66];
    size_t field, point_len, z_len = 0;
    int ok;

    if (ctx->key == NULL || ctx->peer == NULL) {
        tk_raise(TK_R_BAD_REQUEST, "ECDH needs a key and a peer");
        return 0;
    }
    if (ctx->key->software) {
        if (secret == NULL) {
            *secretlen = (size_t)(EVP_PKEY_get_bits(ctx->key->pub) + 7) / 8;
            return 1;
        }
        return software_derive(ctx, secret, secretlen, outlen);
    }
    field = (tk_tpm_key_info(ctx->key->tpm_key)->bits + 7) / 8;
    if (secret == NULL) {
        *secretlen = field;
        return 1;
    }
    if (outlen < field) {
        tk_raise(TK_R_BAD_REQUEST, "ECDH output buffer too small");
        return 0;
    }
    if (!peer_point(ctx, point, &point_len))
        return 0;
    ok = tk_tpm_ecdh(ctx->key->tpm_key, point, point_len, z, &z_len);
    if (ok) {
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
    { 0, NULL }
};
