/* SPDX-License-Identifier: Apache-2.0 */
/* OSSL_STORE loader for the "handle:" scheme:
 *   handle:0x81xxxxxx[?pass]  a persistent key (?pass: ask for its password)
 *   handle:0x01xxxxxx         an NV index holding a DER certificate, e.g.
 *                             the EK certificate at 0x01c00002
 * OpenSSL routes any URI whose scheme names a store loader here, so the
 * plain CLI (`openssl pkey -in handle:0x81000002`) works. Each URI yields
 * exactly one object. */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <openssl/core_names.h>
#include <openssl/core_object.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <openssl/store.h>

#include "codecs.h"
#include "der.h"
#include "../provider/errors.h"
#include "../provider/prov_ctx.h"

#define SCHEME "handle:"
#define TK_PASSWORD_MAX 256

typedef struct handle_ctx {
    tk_prov_ctx *prov;
    char *uri;
    uint32_t handle;
    int ask_pass;
    int expect; /* OSSL_STORE_INFO_* or 0 for anything */
    int done;
} handle_ctx;

static OSSL_FUNC_store_open_fn handle_open;
static OSSL_FUNC_store_settable_ctx_params_fn handle_settable_ctx_params;
static OSSL_FUNC_store_set_ctx_params_fn handle_set_ctx_params;
static OSSL_FUNC_store_load_fn handle_load;
static OSSL_FUNC_store_eof_fn handle_eof;
static OSSL_FUNC_store_close_fn handle_close;
static OSSL_FUNC_store_export_object_fn handle_export_object;

/* "handle:" HEX ["?pass"], HEX with or without 0x, at most 8 digits. */
static int parse_uri(const char *uri, uint32_t *handle, int *ask_pass)
{
    const char *p;
    size_t digits = 0;
    uint32_t v = 0;

    if (strncasecmp(uri, SCHEME, strlen(SCHEME)) != 0)
        return 0;
    p = uri + strlen(SCHEME);
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        p += 2;
    for (; isxdigit((unsigned char)*p); p++, digits++) {
        if (digits == 8)
            return 0;
        v = (v << 4)
            | (uint32_t)(isdigit((unsigned char)*p)
                             ? *p - '0'
                             : tolower((unsigned char)*p) - 'a' + 10);
    }
    if (digits == 0)
        return 0;
    if (strcmp(p, "?pass") == 0)
        *ask_pass = 1;
    else if (*p != '\0')
        return 0;
    *handle = v;
    return 1;
}

static void *handle_open(void *provctx, const char *uri)
{
    handle_ctx *ctx;
    uint32_t handle = 0;
    int ask_pass = 0;

    if (uri == NULL || !parse_uri(uri, &handle, &ask_pass)) {
        tk_raise(TK_R_BAD_REQUEST,
                 "bad URI \"%s\": expected handle:0x81xxxxxx"
                 " (persistent key, optionally ?pass) or handle:0x01xxxxxx"
                 " (NV index)",
                 uri != NULL ? uri : "");
        return NULL;
    }
    if ((handle >> 24) != 0x81 && (handle >> 24) != 0x01) {
        tk_raise(TK_R_BAD_REQUEST,
                 "%s: 0x%08x is neither a persistent key"
                 " (0x81xxxxxx) nor an NV index (0x01xxxxxx)",
                 uri, handle);
        return NULL;
    }
    if (ask_pass && (handle >> 24) != 0x81) {
        tk_raise(TK_R_BAD_REQUEST, "%s: ?pass applies to persistent keys only",
                 uri);
        return NULL;
    }
    if ((ctx = OPENSSL_zalloc(sizeof(*ctx))) == NULL
        || (ctx->uri = OPENSSL_strdup(uri)) == NULL) {
        OPENSSL_free(ctx);
        tk_raise(TK_R_OUT_OF_MEMORY, "store");
        return NULL;
    }
    ctx->prov = provctx;
    ctx->handle = handle;
    ctx->ask_pass = ask_pass;
    return ctx;
}

static const OSSL_PARAM *handle_settable_ctx_params(void *provctx)
{
    static const OSSL_PARAM settable[] = {
        OSSL_PARAM_int(OSSL_STORE_PARAM_EXPECT, NULL), OSSL_PARAM_END
    };

    (void)provctx;
    return settable;
}

/* OpenSSL passes its input type, properties and search criteria here too;
 * a handle needs none of them. */
static int handle_set_ctx_params(void *vctx, const OSSL_PARAM params[])
{
    handle_ctx *ctx = vctx;
    const OSSL_PARAM *p = OSSL_PARAM_locate_const(params,
                                                  OSSL_STORE_PARAM_EXPECT);

    if (p != NULL && !OSSL_PARAM_get_int(p, &ctx->expect))
        return 0;
    return 1;
}

static int load_key(handle_ctx *ctx, OSSL_CALLBACK *object_cb,
                    void *object_cbarg, OSSL_PASSPHRASE_CALLBACK *pw_cb,
                    void *pw_cbarg)
{
    tk_key *key;
    int ok = 0;

    if (ctx->expect != 0 && ctx->expect != OSSL_STORE_INFO_PKEY
        && ctx->expect != OSSL_STORE_INFO_PUBKEY) {
        tk_raise(TK_R_BAD_REQUEST, "%s is a TPM key, not a certificate",
                 ctx->uri);
        return 0;
    }
    if ((key = tk_key_from_persistent(ctx->prov, ctx->handle)) == NULL)
        return 0;
    if (ctx->ask_pass) {
        char pass[TK_PASSWORD_MAX];
        size_t len = 0;

        /* The user said the key has a password: not getting one is an
         * error, not a reason to try the empty one. */
        if (!tk_ask_password(pw_cb, pw_cbarg, NULL, pass, sizeof(pass), &len)) {
            tk_raise(TK_R_AUTH_FAILED, "%s: no password given", ctx->uri);
            goto end;
        }
        ok = tk_key_set_password(key, pass, len);
        OPENSSL_cleanse(pass, sizeof(pass));
        if (!ok)
            goto end;
        key->empty_auth = 0;
    }
    ok = tk_key_pass_reference(&key, ctx->uri, object_cb, object_cbarg);
end:
    tk_key_free(key);
    return ok;
}

/* Length of the DER certificate at the start of `data`, or 0 if it is not
 * one: SEQUENCE { SEQUENCE tbs, SEQUENCE algorithm, BIT STRING }. NV
 * indices are often sized generously: the rest must be padding. */
static size_t certificate_length(const unsigned char *data, size_t len)
{
    tk_der d = { data, len }, cert, part;
    unsigned tag;
    const char *why;
    size_t cert_len, i;

    if (!tk_der_next(&d, &tag, &cert, &why) || tag != TK_DER_SEQUENCE)
        return 0;
    cert_len = len - d.left;
    if (!tk_der_next(&cert, &tag, &part, &why) || tag != TK_DER_SEQUENCE
        || !tk_der_next(&cert, &tag, &part, &why) || tag != TK_DER_SEQUENCE
        || !tk_der_next(&cert, &tag, &part, &why) || tag != TK_DER_BIT_STRING
        || cert.left != 0)
        return 0;
    for (i = cert_len; i < len; i++)
        if (data[i] != data[cert_len] || (data[i] != 0x00 && data[i] != 0xff))
            return 0;
    return cert_len;
}

static int load_nv(handle_ctx *ctx, OSSL_CALLBACK *object_cb,
                   void *object_cbarg)
{
    unsigned char *data = NULL;
    size_t len = 0, cert_len;
    tk_tpm *tpm;
    int ok = 0;

    if (ctx->expect != 0 && ctx->expect != OSSL_STORE_INFO_CERT) {
        tk_raise(TK_R_BAD_REQUEST,
                 "%s is an NV index (certificates only), not a"
                 " key",
                 ctx->uri);
        return 0;
    }
    if ((tpm = tk_prov_tpm(ctx->prov)) == NULL
        || !tk_tpm_nv_read(tpm, ctx->handle, &data, &len))
        return 0;
    if ((cert_len = certificate_length(data, len)) == 0) {
        tk_raise(TK_R_BAD_REQUEST,
                 "NV index 0x%08x holds %zu bytes that are not"
                 " a DER X.509 certificate",
                 ctx->handle, len);
        goto end;
    }
    {
        int object_type = OSSL_OBJECT_CERT;
        OSSL_PARAM params[4];

        params[0] = OSSL_PARAM_construct_int(OSSL_OBJECT_PARAM_TYPE,
                                             &object_type);
        params[1] = OSSL_PARAM_construct_octet_string(OSSL_OBJECT_PARAM_DATA,
                                                      data, cert_len);
        params[2] = OSSL_PARAM_construct_utf8_string(OSSL_OBJECT_PARAM_DESC,
                                                     ctx->uri, 0);
        params[3] = OSSL_PARAM_construct_end();
        ok = object_cb(params, object_cbarg);
    }
end:
    OPENSSL_free(data);
    return ok;
}

static int handle_load(void *vctx, OSSL_CALLBACK *object_cb, void *object_cbarg,
                       OSSL_PASSPHRASE_CALLBACK *pw_cb, void *pw_cbarg)
{
    handle_ctx *ctx = vctx;

    if (ctx->done)
        return 0;
    ctx->done = 1;
    if ((ctx->handle >> 24) == 0x81)
        return load_key(ctx, object_cb, object_cbarg, pw_cb, pw_cbarg);
    return load_nv(ctx, object_cb, object_cbarg);
}

static int handle_eof(void *vctx)
{
    handle_ctx *ctx = vctx;

    return ctx->done;
}

static int handle_close(void *vctx)
{
    handle_ctx *ctx = vctx;

    if (ctx != NULL) {
        OPENSSL_free(ctx->uri);
        OPENSSL_free(ctx);
    }
    return 1;
}

/* As for the decoders: our key objects must not be re-created in another
 * provider (without their private half); refusing makes OpenSSL use
 * tpmkit's own keymgmt. */
static int handle_export_object(void *vctx, const void *reference,
                                size_t reference_sz, OSSL_CALLBACK *export_cb,
                                void *export_cbarg)
{
    (void)vctx;
    (void)reference;
    (void)reference_sz;
    (void)export_cb;
    (void)export_cbarg;
    return 0;
}

const OSSL_DISPATCH tk_handle_store_functions[] = {
    { OSSL_FUNC_STORE_OPEN, (void (*)(void))handle_open },
    { OSSL_FUNC_STORE_SETTABLE_CTX_PARAMS,
      (void (*)(void))handle_settable_ctx_params },
    { OSSL_FUNC_STORE_SET_CTX_PARAMS, (void (*)(void))handle_set_ctx_params },
    { OSSL_FUNC_STORE_LOAD, (void (*)(void))handle_load },
    { OSSL_FUNC_STORE_EOF, (void (*)(void))handle_eof },
    { OSSL_FUNC_STORE_CLOSE, (void (*)(void))handle_close },
    { OSSL_FUNC_STORE_EXPORT_OBJECT, (void (*)(void))handle_export_object },
    { 0, NULL }
};
