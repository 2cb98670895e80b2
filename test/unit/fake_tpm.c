#include "fake_tpm.h"

#include <check.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>

#include "../../keymgmt/algorithms.h"
#include "../../provider/errors.h"
#include "../../rand/seed.h"

fake_state fake;

struct tk_tpm_key {
    int refs;
    tk_tpm_pubinfo info;
    EVP_PKEY *sw;
    unsigned char auth[256], parent_auth[256];
    size_t auth_len, parent_auth_len;
    int has_auth, has_parent_auth;
};

/* Made by tk_tpm_create_key, handed over by tk_tpm_key_from_blobs. */
static tk_tpm_key *pending;
static tk_prov_ctx *last_prov;
/* Stands in for the connection: never dereferenced by the fake. */
static int fake_connection;

void fake_reset(void)
{
    memset(&fake, 0, sizeof(fake));
}

static void record(const char *op, int scheme, int hash_nid,
                   const unsigned char *in, size_t len)
{
    fake.calls++;
    fake.op = op;
    fake.scheme = scheme;
    fake.hash_nid = hash_nid;
    ck_assert_uint_le(len, sizeof(fake.in));
    if (len > 0)
        memcpy(fake.in, in, len);
    fake.in_len = len;
}

static int refuse(const char *what)
{
    tk_raise(TK_R_TPM_COMMAND_FAILED, "fake TPM refuses %s", what);
    return 0;
}

tk_tpm_key *fake_key_new(EVP_PKEY *sw, int attrs, int hash_nid)
{
    tk_tpm_key *key = OPENSSL_zalloc(sizeof(*key));
    tk_tpm_pubinfo *info;

    ck_assert_ptr_nonnull(key);
    key->refs = 1;
    info = &key->info;
    info->can_sign = (attrs & FAKE_SIGN) != 0;
    info->can_decrypt = (attrs & FAKE_DECRYPT) != 0;
    info->restricted = (attrs & FAKE_RESTRICTED) != 0;
    info->userwithauth = 1;
    info->hash_nid = hash_nid;
    if (sw == NULL) {
        info->kind = TK_TPM_KEY_HMAC;
        return key;
    }
    ck_assert_int_eq(EVP_PKEY_up_ref(sw), 1);
    key->sw = sw;
    info->bits = (unsigned)EVP_PKEY_get_bits(sw);
    if (EVP_PKEY_is_a(sw, "RSA") || EVP_PKEY_is_a(sw, "RSA-PSS")) {
        BIGNUM *n = NULL, *e = NULL;

        info->kind = TK_TPM_KEY_RSA;
        ck_assert(EVP_PKEY_get_bn_param(sw, OSSL_PKEY_PARAM_RSA_N, &n));
        ck_assert(EVP_PKEY_get_bn_param(sw, OSSL_PKEY_PARAM_RSA_E, &e));
        ck_assert_int_le(BN_num_bytes(n), (int)sizeof(info->n));
        info->n_len = (size_t)BN_bn2bin(n, info->n);
        info->e = (uint32_t)BN_get_word(e);
        BN_free(n);
        BN_free(e);
    } else {
        char group[64];

        info->kind = TK_TPM_KEY_EC;
        ck_assert(EVP_PKEY_get_utf8_string_param(sw, OSSL_PKEY_PARAM_GROUP_NAME,
                                                 group, sizeof(group), NULL));
        info->curve_nid = OBJ_sn2nid(group);
        ck_assert_int_ne(info->curve_nid, NID_undef);
        ck_assert(EVP_PKEY_get_octet_string_param(sw, OSSL_PKEY_PARAM_PUB_KEY,
                                                  info->point,
                                                  sizeof(info->point),
                                                  &info->point_len));
    }
    return key;
}

EVP_PKEY *fake_key_software(const tk_tpm_key *key)
{
    return key->sw;
}

tk_tpm_pubinfo *fake_key_info(tk_tpm_key *key)
{
    return &key->info;
}

const unsigned char *fake_key_auth(const tk_tpm_key *key, size_t *len)
{
    *len = key->auth_len;
    return key->has_auth ? key->auth : NULL;
}

const unsigned char *fake_key_parent_auth(const tk_tpm_key *key, size_t *len)
{
    *len = key->parent_auth_len;
    return key->has_parent_auth ? key->parent_auth : NULL;
}

/* ---- tpm/key.h ---- */

const tk_tpm_pubinfo *tk_tpm_key_info(const tk_tpm_key *key)
{
    return &key->info;
}

void tk_tpm_key_free(tk_tpm_key *key)
{
    if (key == NULL || --key->refs > 0)
        return;
    EVP_PKEY_free(key->sw);
    OPENSSL_clear_free(key, sizeof(*key));
}

static int copy_auth(unsigned char *dst, size_t *dst_len, int *has,
                     const unsigned char *auth, size_t len)
{
    if (len > 256)
        return refuse("a password that long");
    if (len > 0)
        memcpy(dst, auth, len);
    *dst_len = len;
    *has = 1;
    return 1;
}

int tk_tpm_key_set_auth(tk_tpm_key *key, const unsigned char *auth, size_t len)
{
    return copy_auth(key->auth, &key->auth_len, &key->has_auth, auth, len);
}

int tk_tpm_key_set_parent_auth(tk_tpm_key *key, const unsigned char *auth,
                               size_t len)
{
    return copy_auth(key->parent_auth, &key->parent_auth_len,
                     &key->has_parent_auth, auth, len);
}

static EVP_PKEY *rsa_key(unsigned bits, uint32_t exponent)
{
    EVP_PKEY_CTX *ctx;
    EVP_PKEY *pkey = NULL;
    BIGNUM *e;

    if (exponent == 0 || exponent == 65537) {
        pkey = tku_rsa(bits);
        EVP_PKEY_up_ref(pkey);
        return pkey;
    }
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    e = BN_new();
    ck_assert(BN_set_word(e, exponent));
    if (EVP_PKEY_keygen_init(ctx) <= 0
        || EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits) <= 0
        || EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e) <= 0
        || EVP_PKEY_keygen(ctx, &pkey) <= 0)
        pkey = NULL;
    BN_free(e);
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

int tk_tpm_create_key(tk_tpm *tpm, const tk_tpm_keygen *gen,
                      unsigned char **pub, size_t *pub_len,
                      unsigned char **priv, size_t *priv_len)
{
    EVP_PKEY *sw = NULL;
    int attrs = FAKE_SIGN;
    tk_tpm_key *key;

    ck_assert_ptr_eq(tpm, (tk_tpm *)&fake_connection);
    record("create", 0, gen->hash_nid, NULL, 0);
    fake.gen = *gen;
    fake.gen_has_auth = gen->auth != NULL;
    fake.gen_has_parent_auth = gen->parent_auth != NULL;
    fake.gen_has_secret = gen->secret != NULL;
    ck_assert_uint_le(gen->auth_len, sizeof(fake.gen_auth));
    ck_assert_uint_le(gen->parent_auth_len, sizeof(fake.gen_parent_auth));
    ck_assert_uint_le(gen->secret_len, sizeof(fake.gen_secret));
    if (gen->auth != NULL)
        memcpy(fake.gen_auth, gen->auth, gen->auth_len);
    if (gen->parent_auth != NULL)
        memcpy(fake.gen_parent_auth, gen->parent_auth, gen->parent_auth_len);
    if (gen->secret != NULL)
        memcpy(fake.gen_secret, gen->secret, gen->secret_len);
    fake.gen.auth = fake.gen_auth;
    fake.gen.parent_auth = fake.gen_parent_auth;
    fake.gen.secret = fake.gen_secret;
    if (fake.fail || fake.no_key)
        return refuse("to create keys");

    switch (gen->kind) {
    case TK_TPM_KEY_RSA:
        if ((sw = rsa_key(gen->bits, gen->exponent)) == NULL)
            return refuse("this RSA key size or exponent");
        if (!gen->rsa_pss)
            attrs |= FAKE_DECRYPT;
        break;
    case TK_TPM_KEY_EC:
        if (OBJ_nid2sn(gen->curve_nid) == NULL)
            return refuse("this curve");
        sw = tku_ec(OBJ_nid2sn(gen->curve_nid));
        EVP_PKEY_up_ref(sw);
        attrs |= FAKE_DECRYPT;
        break;
    case TK_TPM_KEY_HMAC:
        break;
    default:
        return refuse("this kind of key");
    }
    if (fake.restricted)
        attrs = (attrs & ~FAKE_DECRYPT) | FAKE_RESTRICTED;
    key = fake_key_new(sw, attrs, gen->kind == TK_TPM_KEY_HMAC ? gen->hash_nid : 0);
    EVP_PKEY_free(sw);
    if (gen->rsa_pss) {
        key->info.rsa_pss = 1;
        key->info.scheme_hash_nid = NID_sha256;
    }
    tk_tpm_key_free(pending);
    pending = key;
    /* The "blobs" name the pending key. */
    *pub = OPENSSL_memdup(&key, sizeof(key));
    *pub_len = sizeof(key);
    *priv = OPENSSL_memdup("priv", 4);
    *priv_len = 4;
    return 1;
}

tk_tpm_key *tk_tpm_key_from_blobs(tk_tpm *tpm, uint32_t parent,
                                  const unsigned char *pub, size_t pub_len,
                                  const unsigned char *priv, size_t priv_len)
{
    tk_tpm_key *key;

    (void)tpm, (void)priv, (void)priv_len;
    if (pub_len != sizeof(key)) {
        refuse("blobs it did not make");
        return NULL;
    }
    memcpy(&key, pub, sizeof(key));
    ck_assert_ptr_eq(key, pending);
    pending = NULL;
    fake.last_key = key;
    fake.last_parent = parent;
    return key;
}

tk_tpm_key *tk_tpm_key_from_persistent(tk_tpm *tpm, uint32_t handle)
{
    (void)tpm, (void)handle;
    refuse("persistent handles");
    return NULL;
}

static EVP_MD *hash_md(int hash_nid)
{
    return hash_nid == NID_undef ? NULL : EVP_MD_fetch(NULL, OBJ_nid2sn(hash_nid), NULL);
}

/* Sign a digest as the TPM would with this scheme. */
static int sign_digest(tk_tpm_key *key, int scheme, int hash_nid,
                       const unsigned char *digest, size_t digest_len,
                       unsigned char *sig, size_t *sig_len)
{
    EVP_MD *md = hash_md(hash_nid);
    EVP_PKEY_CTX *ctx = NULL;
    unsigned char der[256];
    size_t der_len = sizeof(der);
    int ok = 0;

    if (fake.fail || key->sw == NULL || !key->info.can_sign || md == NULL
        || (size_t)EVP_MD_get_size(md) != digest_len)
        goto end;
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key->sw, NULL);
    if (ctx == NULL || EVP_PKEY_sign_init(ctx) <= 0
        || EVP_PKEY_CTX_set_signature_md(ctx, md) <= 0)
        goto end;
    if (scheme == TK_TPM_SIG_ECDSA) {
        size_t field = (key->info.bits + 7) / 8;
        const unsigned char *p = der;
        ECDSA_SIG *es;

        if (key->info.kind != TK_TPM_KEY_EC
            || EVP_PKEY_sign(ctx, der, &der_len, digest, digest_len) <= 0
            || (es = d2i_ECDSA_SIG(NULL, &p, (long)der_len)) == NULL)
            goto end;
        ok = BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, (int)field) == (int)field
             && BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + field, (int)field)
                == (int)field;
        *sig_len = 2 * field;
        ECDSA_SIG_free(es);
        goto end;
    }
    if (key->info.kind != TK_TPM_KEY_RSA
        || EVP_PKEY_CTX_set_rsa_padding(ctx, scheme == TK_TPM_SIG_RSAPSS
                                             ? RSA_PKCS1_PSS_PADDING
                                             : RSA_PKCS1_PADDING) <= 0
        /* A TPM's PSS salt is as long as the digest. */
        || (scheme == TK_TPM_SIG_RSAPSS
            && EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST) <= 0))
        goto end;
    *sig_len = key->info.n_len;
    ok = EVP_PKEY_sign(ctx, sig, sig_len, digest, digest_len) > 0;
end:
    EVP_PKEY_CTX_free(ctx);
    EVP_MD_free(md);
    return ok ? 1 : refuse("to sign");
}

int tk_tpm_sign(tk_tpm_key *key, int scheme, int hash_nid,
                const unsigned char *digest, size_t digest_len,
                unsigned char *sig, size_t *sig_len)
{
    record("sign", scheme, hash_nid, digest, digest_len);
    /* A restricted key signs only digests the TPM made itself. */
    if (key->info.restricted)
        return refuse("an outside digest for a restricted key");
    return sign_digest(key, scheme, hash_nid, digest, digest_len, sig, sig_len);
}

int tk_tpm_sign_message(tk_tpm_key *key, int scheme, int hash_nid,
                        const unsigned char *msg, size_t msg_len,
                        unsigned char *sig, size_t *sig_len)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    EVP_MD *md = hash_md(hash_nid);
    int ok;

    record("sign_message", scheme, hash_nid, msg, msg_len);
    ok = md != NULL && EVP_Digest(msg, msg_len, digest, &dlen, md, NULL);
    EVP_MD_free(md);
    if (!ok)
        return refuse("this hash");
    return sign_digest(key, scheme, hash_nid, digest, dlen, sig, sig_len);
}

/* m^d mod n with the software key: in and out are modulus-sized. */
static int raw_private(tk_tpm_key *key, const unsigned char *in, size_t in_len,
                       unsigned char *out, size_t *out_len)
{
    EVP_PKEY_CTX *ctx;
    int ok;

    if (fake.fail || key->info.kind != TK_TPM_KEY_RSA || !key->info.can_decrypt
        || key->info.restricted || in_len != key->info.n_len)
        return refuse("the raw RSA operation");
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key->sw, NULL);
    *out_len = key->info.n_len;
    ok = ctx != NULL && EVP_PKEY_decrypt_init(ctx) > 0
         && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) > 0
         && EVP_PKEY_decrypt(ctx, out, out_len, in, in_len) > 0
         && *out_len == key->info.n_len;
    EVP_PKEY_CTX_free(ctx);
    return ok ? 1 : refuse("this RSA input");
}

int tk_tpm_rsa_private(tk_tpm_key *key, const unsigned char *in, size_t in_len,
                       unsigned char *out, size_t *out_len)
{
    record("rsa_private", 0, 0, in, in_len);
    return raw_private(key, in, in_len, out, out_len);
}

int tk_tpm_rsa_private_sign(tk_tpm_key *key, const unsigned char *in,
                            size_t in_len, unsigned char *out, size_t *out_len)
{
    record("rsa_private_sign", 0, 0, in, in_len);
    return raw_private(key, in, in_len, out, out_len);
}

int tk_tpm_ecdh(tk_tpm_key *key, const unsigned char *peer, size_t peer_len,
                unsigned char *secret, size_t *secret_len)
{
    OSSL_PARAM params[3];
    EVP_PKEY_CTX *ctx = NULL, *pctx = NULL;
    EVP_PKEY *peer_key = NULL;
    int ok;

    record("ecdh", 0, 0, peer, peer_len);
    if (fake.fail || key->info.kind != TK_TPM_KEY_EC || !key->info.can_decrypt)
        return refuse("ECDH");
    /* TPM2_ECDH_ZGen takes x and y of the field size exactly. */
    if (peer_len != 1 + 2 * ((key->info.bits + 7) / 8) || peer[0] != 0x04)
        return refuse("a point of that size");
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                 (char *)OBJ_nid2sn(key->info.curve_nid), 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                                  (void *)peer, peer_len);
    params[2] = OSSL_PARAM_construct_end();
    pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    ok = pctx != NULL && EVP_PKEY_fromdata_init(pctx) > 0
         && EVP_PKEY_fromdata(pctx, &peer_key, EVP_PKEY_PUBLIC_KEY, params) > 0
         && (ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key->sw, NULL)) != NULL
         && EVP_PKEY_derive_init(ctx) > 0
         && EVP_PKEY_derive_set_peer(ctx, peer_key) > 0
         && (*secret_len = 66, EVP_PKEY_derive(ctx, secret, secret_len) > 0);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_CTX_free(pctx);
    EVP_PKEY_free(peer_key);
    return ok ? 1 : refuse("this peer point");
}

/* ---- tpm/tpm.h ---- */

int tk_tpm_random(tk_tpm *tpm, unsigned char *out, size_t len)
{
    static unsigned counter;

    ck_assert_ptr_eq(tpm, (tk_tpm *)&fake_connection);
    if (fake.fail) {
        record("random", 0, 0, NULL, 0);
        return refuse("random bytes");
    }
    for (size_t i = 0; i < len; i++)
        out[i] = (unsigned char)(counter++ * 167 + 13);
    record("random", 0, 0, out, len < sizeof(fake.in) ? len : sizeof(fake.in));
    return 1;
}

const char *tk_tpm_tcti(const tk_tpm *tpm)
{
    (void)tpm;
    return "fake:tpm";
}

void tk_tpm_last_error(tk_tpm *tpm, char *out, size_t out_len)
{
    (void)tpm;
    snprintf(out, out_len, "the fake TPM failed");
}

/* ---- the builtin provider ---- */

static const OSSL_ALGORITHM fake_rands[] = {
    { "TPM2-SEED", "provider=tpmkit", tk_seed_functions, "seed from the fake TPM" },
    { NULL, NULL, NULL, NULL }
};

static const OSSL_ALGORITHM *fake_query(void *provctx, int operation_id,
                                        int *no_cache)
{
    (void)provctx;
    *no_cache = 0;
    switch (operation_id) {
    case OSSL_OP_KEYMGMT: return tk_keymgmt_algorithms;
    case OSSL_OP_SIGNATURE: return tk_signature_algorithms;
    case OSSL_OP_ASYM_CIPHER: return tk_asym_cipher_algorithms;
    case OSSL_OP_KEYEXCH: return tk_keyexch_algorithms;
    case OSSL_OP_RAND: return fake_rands;
    default: return NULL;
    }
}

static const OSSL_ITEM *fake_reasons(void *provctx)
{
    (void)provctx;
    return tk_reason_strings();
}

static void fake_teardown(void *provctx)
{
    tk_prov_ctx *ctx = provctx;

    if (ctx == last_prov)
        last_prov = NULL;
    OSSL_LIB_CTX_free(ctx->sw_libctx);
    pthread_mutex_destroy(&ctx->seed.lock);
    OPENSSL_free(ctx);
}

static const OSSL_DISPATCH fake_functions[] = {
    { OSSL_FUNC_PROVIDER_TEARDOWN, (void (*)(void))fake_teardown },
    { OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))fake_query },
    { OSSL_FUNC_PROVIDER_GET_REASON_STRINGS, (void (*)(void))fake_reasons },
    { 0, NULL }
};

static int fake_init(const OSSL_CORE_HANDLE *core, const OSSL_DISPATCH *in,
                     const OSSL_DISPATCH **out, void **provctx)
{
    tk_prov_ctx *ctx = OPENSSL_zalloc(sizeof(*ctx));

    tk_errors_init(core, in);
    if (ctx == NULL)
        return 0;
    ctx->core = core;
    ctx->tpm = (tk_tpm *)&fake_connection;
    ctx->sw_libctx = OSSL_LIB_CTX_new();
    pthread_mutex_init(&ctx->seed.lock, NULL);
    if (ctx->sw_libctx == NULL) {
        fake_teardown(ctx);
        return 0;
    }
    last_prov = ctx;
    *out = fake_functions;
    *provctx = ctx;
    return 1;
}

void fake_module_load(tku_module *m)
{
    fake_reset();
    m->libctx = OSSL_LIB_CTX_new();
    ck_assert_ptr_nonnull(m->libctx);
    ck_assert(OSSL_PROVIDER_add_builtin(m->libctx, "tpmkit", fake_init));
    m->dflt = OSSL_PROVIDER_load(m->libctx, "default");
    m->tpmkit = OSSL_PROVIDER_load(m->libctx, "tpmkit");
    ck_assert_ptr_nonnull(m->dflt);
    ck_assert_msg(m->tpmkit != NULL, "builtin tpmkit: %s", tku_errors());
}

tk_prov_ctx *fake_prov(void)
{
    ck_assert_ptr_nonnull(last_prov);
    return last_prov;
}
