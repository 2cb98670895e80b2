/* SPDX-License-Identifier: Apache-2.0 */
/* EVP_MAC "TPM2-HMAC": HMAC computed by the TPM with a key that never
 * leaves it. The key comes from `key-uri` (a TSS2 key file or a persistent
 * handle) or, as raw bytes (`key` or the init key), is loaded into the TPM
 * as an ephemeral object over the encrypting session.
 *
 * Input is buffered: up to one TPM2_HMAC's worth it is sent in a single
 * command at final; beyond that it streams through a TPM HMAC sequence in
 * large pieces, so any length works without holding it all. */
#include <string.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/params.h>

#include "mac.h"
#include "../provider/errors.h"

#define PARAM_KEY_URI "key-uri"
#define PARAM_PASSWORD "password"
/* Data is sent to the sequence once this much is waiting. */
#define FLUSH_AT (16 * TK_TPM_HMAC_ONESHOT)

typedef struct tk_hmac_ctx {
    tk_prov_ctx *prov;
    char *uri, *password;
    unsigned char *raw_key; /* secure heap */
    size_t raw_len;
    int digest_nid;       /* requested; 0: the key's own */
    int key_changed;      /* uri/key set since the key was resolved */
    tk_tpm_key *key;      /* resolved at init */
    tk_tpm_hmac_seq *seq; /* once input outgrew one command */
    unsigned char *buf;
    size_t len;
} tk_hmac_ctx;

static OSSL_FUNC_mac_newctx_fn hmac_new;
static OSSL_FUNC_mac_dupctx_fn hmac_dup;
static OSSL_FUNC_mac_freectx_fn hmac_free;
static OSSL_FUNC_mac_init_fn hmac_init;
static OSSL_FUNC_mac_update_fn hmac_update;
static OSSL_FUNC_mac_final_fn hmac_final;
static OSSL_FUNC_mac_get_ctx_params_fn hmac_get_ctx_params;
static OSSL_FUNC_mac_gettable_ctx_params_fn hmac_gettable_ctx_params;
static OSSL_FUNC_mac_set_ctx_params_fn hmac_set_ctx_params;
static OSSL_FUNC_mac_settable_ctx_params_fn hmac_settable_ctx_params;

static void *hmac_new(void *provctx)
{
    tk_hmac_ctx *ctx = OPENSSL_zalloc(sizeof(*ctx));

    if (ctx == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "TPM2-HMAC context");
        return NULL;
    }
    ctx->prov = provctx;
    ctx->buf = OPENSSL_malloc(FLUSH_AT + TK_TPM_HMAC_ONESHOT);
    if (ctx->buf == NULL) {
        OPENSSL_free(ctx);
        tk_raise(TK_R_OUT_OF_MEMORY, "TPM2-HMAC context");
        return NULL;
    }
    return ctx;
}

static void clear_secret(char **s)
{
    if (*s != NULL)
        OPENSSL_clear_free(*s, strlen(*s));
    *s = NULL;
}

static void reset_input(tk_hmac_ctx *ctx)
{
    tk_tpm_hmac_seq_free(ctx->seq);
    ctx->seq = NULL;
    OPENSSL_cleanse(ctx->buf, ctx->len);
    ctx->len = 0;
}

static void hmac_free(void *vctx)
{
    tk_hmac_ctx *ctx = vctx;

    if (ctx == NULL)
        return;
    reset_input(ctx);
    OPENSSL_free(ctx->buf);
    OPENSSL_free(ctx->uri);
    clear_secret(&ctx->password);
    OPENSSL_secure_clear_free(ctx->raw_key, ctx->raw_len);
    tk_tpm_key_free(ctx->key);
    OPENSSL_free(ctx);
}

/* A fresh context takes a copy or a reference of each part of the
 * original in turn, so that hmac_free() cleans up after any failure. */
static void *hmac_dup(void *vsrc)
{
    const tk_hmac_ctx *src = vsrc;
    tk_hmac_ctx *dst = hmac_new(src->prov);

    if (dst == NULL)
        return NULL;
    dst->digest_nid = src->digest_nid;
    dst->key_changed = src->key_changed;
    if (src->uri != NULL && (dst->uri = OPENSSL_strdup(src->uri)) == NULL)
        goto err;
    if (src->password != NULL
        && (dst->password = OPENSSL_strdup(src->password)) == NULL)
        goto err;
    if (src->raw_key != NULL) {
        if ((dst->raw_key = OPENSSL_secure_malloc(
                 src->raw_len > 0 ? src->raw_len : 1))
            == NULL)
            goto err;
        if (src->raw_len > 0)
            memcpy(dst->raw_key, src->raw_key, src->raw_len);
        dst->raw_len = src->raw_len;
    }
    if (src->key != NULL) {
        if (!tk_tpm_key_up_ref(src->key))
            goto err;
        dst->key = src->key;
    }
    if (src->seq != NULL && (dst->seq = tk_tpm_hmac_seq_dup(src->seq)) == NULL)
        goto err;
    memcpy(dst->buf, src->buf, src->len);
    dst->len = src->len;
    return dst;
err:
    hmac_free(dst);
    return NULL;
}

static int set_raw_key(tk_hmac_ctx *ctx, const unsigned char *key, size_t len)
{
    OPENSSL_secure_clear_free(ctx->raw_key, ctx->raw_len);
    ctx->raw_key = NULL;
    ctx->raw_len = 0;
    if ((ctx->raw_key = OPENSSL_secure_malloc(len > 0 ? len : 1)) == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "HMAC key");
        return 0;
    }
    if (len > 0)
        memcpy(ctx->raw_key, key, len);
    ctx->raw_len = len;
    OPENSSL_free(ctx->uri);
    ctx->uri = NULL;
    ctx->key_changed = 1;
    return 1;
}

static int hmac_set_ctx_params(void *vctx, const OSSL_PARAM params[])
{
    tk_hmac_ctx *ctx = vctx;
    const OSSL_PARAM *p;
    const void *key;
    size_t key_len;
    char *text = NULL;

    if (params == NULL)
        return 1;
    if ((p = OSSL_PARAM_locate_const(params, OSSL_MAC_PARAM_DIGEST)) != NULL) {
        const char *name;

        if (!OSSL_PARAM_get_utf8_string_ptr(p, &name))
            return 0;
        if ((ctx->digest_nid = tk_hmac_digest_nid(ctx->prov->sw_libctx, name))
            == NID_undef)
            return 0;
        if (ctx->raw_key != NULL)
            ctx->key_changed = 1; /* an ephemeral key is made per hash */
    }
    if ((p = OSSL_PARAM_locate_const(params, PARAM_PASSWORD)) != NULL) {
        if (!OSSL_PARAM_get_utf8_string(p, &text, 0))
            return 0;
        clear_secret(&ctx->password);
        ctx->password = text;
        ctx->key_changed = 1;
    }
    if ((p = OSSL_PARAM_locate_const(params, PARAM_KEY_URI)) != NULL) {
        text = NULL;
        if (!OSSL_PARAM_get_utf8_string(p, &text, 0))
            return 0;
        OPENSSL_free(ctx->uri);
        ctx->uri = text;
        OPENSSL_secure_clear_free(ctx->raw_key, ctx->raw_len);
        ctx->raw_key = NULL;
        ctx->raw_len = 0;
        ctx->key_changed = 1;
    }
    if ((p = OSSL_PARAM_locate_const(params, OSSL_MAC_PARAM_KEY)) != NULL) {
        if (!OSSL_PARAM_get_octet_string_ptr(p, &key, &key_len)
            || !set_raw_key(ctx, key, key_len))
            return 0;
    }
    return 1;
}

/* The key for the next MAC, and a check that it computes the requested
 * HMAC: the TPM binds an HMAC key to one hash. */
static int resolve_key(tk_hmac_ctx *ctx)
{
    tk_tpm_key *key = NULL;
    int key_nid;

    if (ctx->key_changed || ctx->key == NULL) {
        if (ctx->uri != NULL) {
            tk_key *k = tk_hmac_key_from_uri(ctx->prov, ctx->uri,
                                             ctx->password);

            if (k == NULL)
                return 0;
            key = k->tpm_key;
            tk_tpm_key_up_ref(key);
            tk_key_free(k);
        } else if (ctx->raw_key != NULL) {
            unsigned char prepared[128];
            size_t prepared_len = 0;
            int nid = ctx->digest_nid != 0 ? ctx->digest_nid : NID_sha256;

            if (!tk_hmac_prepare_key(ctx->prov->sw_libctx, nid, ctx->raw_key,
                                     ctx->raw_len, prepared, &prepared_len))
                return 0;
            tk_tpm *tpm = tk_prov_tpm(ctx->prov);

            key = tpm == NULL ? NULL
                              : tk_tpm_key_from_secret(tpm, nid, prepared,
                                                       prepared_len);
            OPENSSL_cleanse(prepared, sizeof(prepared));
            if (key == NULL)
                return 0;
        } else {
            tk_raise(TK_R_BAD_REQUEST,
                     "TPM2-HMAC needs a key: set key-uri (a"
                     " TSS2 key file or handle:0x81xxxxxx) or key");
            return 0;
        }
        tk_tpm_key_free(ctx->key);
        ctx->key = key;
        ctx->key_changed = 0;
    }
    key_nid = tk_tpm_key_info(ctx->key)->hash_nid;
    if (ctx->digest_nid != 0 && ctx->digest_nid != key_nid) {
        tk_raise(TK_R_BAD_REQUEST,
                 "this TPM key computes HMAC-%s only, not"
                 " HMAC-%s",
                 OBJ_nid2sn(key_nid), OBJ_nid2sn(ctx->digest_nid));
        return 0;
    }
    return 1;
}

static int hmac_init(void *vctx, const unsigned char *key, size_t keylen,
                     const OSSL_PARAM params[])
{
    tk_hmac_ctx *ctx = vctx;

    if (!hmac_set_ctx_params(ctx, params)
        || (key != NULL && !set_raw_key(ctx, key, keylen)))
        return 0;
    reset_input(ctx);
    return resolve_key(ctx);
}

/* Hand whole TPM-command pieces to the sequence, keep the rest. */
static int flush(tk_hmac_ctx *ctx)
{
    size_t send = ctx->len - ctx->len % TK_TPM_HMAC_ONESHOT;

    if (ctx->seq == NULL && (ctx->seq = tk_tpm_hmac_seq_new(ctx->key)) == NULL)
        return 0;
    if (!tk_tpm_hmac_seq_update(ctx->seq, ctx->buf, send))
        return 0;
    memmove(ctx->buf, ctx->buf + send, ctx->len - send);
    ctx->len -= send;
    return 1;
}

static int hmac_update(void *vctx, const unsigned char *data, size_t len)
{
    tk_hmac_ctx *ctx = vctx;
    size_t take;

    if (ctx->key == NULL) {
        tk_raise(TK_R_BAD_REQUEST, "TPM2-HMAC: update before init");
        return 0;
    }
    while (len > 0) {
        take = FLUSH_AT + TK_TPM_HMAC_ONESHOT - ctx->len;
        if (take > len)
            take = len;
        memcpy(ctx->buf + ctx->len, data, take);
        ctx->len += take;
        data += take;
        len -= take;
        if (ctx->len > FLUSH_AT && !flush(ctx))
            return 0;
    }
    return 1;
}

static int hmac_final(void *vctx, unsigned char *out, size_t *outl,
                      size_t outsize)
{
    tk_hmac_ctx *ctx = vctx;
    size_t size;
    int ok;

    if (ctx->key == NULL) {
        tk_raise(TK_R_BAD_REQUEST, "TPM2-HMAC: final before init");
        return 0;
    }
    size = tk_tpm_hmac_size(ctx->key);
    if (outsize < size) {
        tk_raise(TK_R_BAD_REQUEST, "MAC buffer of %zu bytes, need %zu", outsize,
                 size);
        return 0;
    }
    if (ctx->seq == NULL && ctx->len <= TK_TPM_HMAC_ONESHOT)
        ok = tk_tpm_hmac(ctx->key, ctx->buf, ctx->len, out, outl);
    else
        ok = (ctx->seq != NULL
              || (ctx->seq = tk_tpm_hmac_seq_new(ctx->key)) != NULL)
             && tk_tpm_hmac_seq_final(ctx->seq, ctx->buf, ctx->len, out, outl);
    reset_input(ctx);
    return ok;
}

static size_t current_size(tk_hmac_ctx *ctx)
{
    int nid;

    /* Before init the key file says which hash the MAC will use. */
    if (ctx->key == NULL && ctx->uri != NULL) {
        ERR_set_mark();
        if (!resolve_key(ctx))
            ERR_pop_to_mark();
        else
            ERR_clear_last_mark();
    }
    nid = ctx->key != NULL       ? tk_tpm_key_info(ctx->key)->hash_nid
          : ctx->digest_nid != 0 ? ctx->digest_nid
                                 : NID_sha256;

    return tk_tpm_digest_size(nid);
}

static int hmac_get_ctx_params(void *vctx, OSSL_PARAM params[])
{
    tk_hmac_ctx *ctx = vctx;
    size_t size = current_size(ctx);
    OSSL_PARAM *p;

    if ((p = OSSL_PARAM_locate(params, OSSL_MAC_PARAM_SIZE)) != NULL
        && !OSSL_PARAM_set_size_t(p, size))
        return 0;
    /* SHA-1/256 hash 64-byte blocks, SHA-384/512 128-byte blocks. */
    if ((p = OSSL_PARAM_locate(params, OSSL_MAC_PARAM_BLOCK_SIZE)) != NULL
        && !OSSL_PARAM_set_size_t(p, size > 32 ? 128 : 64))
        return 0;
    return 1;
}

static const OSSL_PARAM *hmac_gettable_ctx_params(void *vctx, void *provctx)
{
    static const OSSL_PARAM gettable[] = {
        OSSL_PARAM_size_t(OSSL_MAC_PARAM_SIZE, NULL),
        OSSL_PARAM_size_t(OSSL_MAC_PARAM_BLOCK_SIZE, NULL), OSSL_PARAM_END
    };

    (void)vctx, (void)provctx;
    return gettable;
}

static const OSSL_PARAM *hmac_settable_ctx_params(void *vctx, void *provctx)
{
    static const OSSL_PARAM settable[] = {
        OSSL_PARAM_utf8_string(PARAM_KEY_URI, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_DIGEST, NULL, 0),
        OSSL_PARAM_octet_string(OSSL_MAC_PARAM_KEY, NULL, 0),
        OSSL_PARAM_utf8_string(PARAM_PASSWORD, NULL, 0), OSSL_PARAM_END
    };

    (void)vctx, (void)provctx;
    return settable;
}

const OSSL_DISPATCH tk_tpm2_hmac_functions[] = {
    { OSSL_FUNC_MAC_NEWCTX, (void (*)(void))hmac_new },
    { OSSL_FUNC_MAC_DUPCTX, (void (*)(void))hmac_dup },
    { OSSL_FUNC_MAC_FREECTX, (void (*)(void))hmac_free },
    { OSSL_FUNC_MAC_INIT, (void (*)(void))hmac_init },
    { OSSL_FUNC_MAC_UPDATE, (void (*)(void))hmac_update },
    { OSSL_FUNC_MAC_FINAL, (void (*)(void))hmac_final },
    { OSSL_FUNC_MAC_GET_CTX_PARAMS, (void (*)(void))hmac_get_ctx_params },
    { OSSL_FUNC_MAC_GETTABLE_CTX_PARAMS,
      (void (*)(void))hmac_gettable_ctx_params },
    { OSSL_FUNC_MAC_SET_CTX_PARAMS, (void (*)(void))hmac_set_ctx_params },
    { OSSL_FUNC_MAC_SETTABLE_CTX_PARAMS,
      (void (*)(void))hmac_settable_ctx_params },
    { 0, NULL }
};
