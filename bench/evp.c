/* SPDX-License-Identifier: Apache-2.0 */
/* tpmkit and tpm2-openssl through EVP, the way an application calls them.
 * Each implementation lives in its own library context, so the two TPM
 * providers never see each other's keys or fetches. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "bench.h"

#define MSG_LEN 64

OSSL_LIB_CTX *evp_libctx(bench_env *env, enum evp_which which)
{
    switch (which) {
    case EVP_SW:
        return env->sw;
    case EVP_TK:
        return env->tk;
    case EVP_TK_CLEAR:
        return env->tk_clear;
    case EVP_T2O:
        return env->t2o;
    }
    return NULL;
}

/* Property query for keys and operations: tpm2-openssl needs to be
 * preferred where the default provider could take the job. */
static const char *propq_of(enum evp_which which)
{
    return which == EVP_T2O ? "?provider=tpm2" : NULL;
}

/* Free a library context with the providers this program loaded into it:
 * each OSSL_PROVIDER_load holds a reference that freeing the context alone
 * does not drop (the provider would never be torn down). */
static int collect_provider(OSSL_PROVIDER *prov, void *arg)
{
    OSSL_PROVIDER **list = arg;

    for (int i = 0; i < 7; i++) {
        if (list[i] == NULL) {
            list[i] = prov;
            break;
        }
    }
    return 1;
}

void bench_libctx_free(OSSL_LIB_CTX *libctx)
{
    OSSL_PROVIDER *list[8] = { NULL };

    if (libctx == NULL)
        return;
    OSSL_PROVIDER_do_all(libctx, collect_provider, list);
    for (int i = 0; list[i] != NULL; i++)
        OSSL_PROVIDER_unload(list[i]);
    OSSL_LIB_CTX_free(libctx);
}

struct evp_state {
    const evp_arg *arg;
    OSSL_LIB_CTX *libctx, *own_libctx;
    EVP_RAND_CTX *rand;
    EVP_PKEY *key, *peer;
    EVP_MD_CTX *md;
    EVP_PKEY_CTX *pctx;
    EVP_MAC_CTX *mac;
    unsigned char *buf, *in;
    size_t buf_len, in_len;
};

static void evp_done(void *p)
{
    struct evp_state *st = p;

    if (st == NULL)
        return;
    EVP_RAND_CTX_free(st->rand);
    EVP_PKEY_free(st->key);
    EVP_PKEY_free(st->peer);
    EVP_MD_CTX_free(st->md);
    EVP_PKEY_CTX_free(st->pctx);
    EVP_MAC_CTX_free(st->mac);
    free(st->buf);
    free(st->in);
    bench_libctx_free(st->own_libctx);
    free(st);
}

/* A library context where RAND_bytes is tpm2-openssl's RAND (made afresh:
 * the shared tpm2-openssl context keeps OpenSSL's DRBG for TLS). */
static OSSL_LIB_CTX *t2o_rand_libctx(char *why)
{
    OSSL_LIB_CTX *libctx = OSSL_LIB_CTX_new();

    if (libctx == NULL
        || !RAND_set_DRBG_type(libctx, "CTR-DRBG", "provider=tpm2", NULL, NULL)
        || OSSL_PROVIDER_load(libctx, "default") == NULL
        || OSSL_PROVIDER_load(libctx, "tpm2") == NULL) {
        bench_ossl_why(why, "cannot load tpm2-openssl");
        bench_libctx_free(libctx);
        return NULL;
    }
    return libctx;
}

static int setup_rand(struct evp_state *st, char *why)
{
    const char *name = st->arg->which == EVP_T2O ? "CTR-DRBG" : "TPM2-SEED";
    const char *propq = st->arg->which == EVP_T2O ? "provider=tpm2"
                                                  : "provider=tpmkit";
    EVP_RAND *rand = EVP_RAND_fetch(st->libctx, name, propq);

    if (rand == NULL) {
        bench_ossl_why(why, "no TPM random source");
        return 0;
    }
    st->rand = EVP_RAND_CTX_new(rand, NULL);
    EVP_RAND_free(rand);
    if (st->rand == NULL
        || !EVP_RAND_instantiate(st->rand, 0, 0, NULL, 0, NULL)) {
        bench_ossl_why(why, "cannot instantiate the TPM random source");
        return 0;
    }
    return 1;
}

/* The RSA public key in software, to make a ciphertext for decryption. */
static int make_ciphertext(struct evp_state *st, bench_env *env, char *why)
{
    char path[512];
    BIO *in = BIO_new_file(bench_path(env, "rsa.pub.pem", path, sizeof(path)),
                           "r");
    EVP_PKEY *pub = in != NULL ? PEM_read_bio_PUBKEY_ex(in, NULL, NULL, NULL,
                                                        env->sw, NULL)
                               : NULL;
    EVP_PKEY_CTX *ctx = pub != NULL
                            ? EVP_PKEY_CTX_new_from_pkey(env->sw, pub, NULL)
                            : NULL;
    unsigned char msg[32];
    int ok;

    RAND_bytes(msg, sizeof(msg));
    st->in_len = 512;
    ok = ctx != NULL && (st->in = malloc(st->in_len)) != NULL
         && EVP_PKEY_encrypt_init(ctx) > 0
         && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) > 0
         && EVP_PKEY_encrypt(ctx, st->in, &st->in_len, msg, sizeof(msg)) > 0;
    if (!ok)
        bench_ossl_why(why, "cannot make an OAEP ciphertext");
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pub);
    BIO_free(in);
    return ok;
}

/* The peer of an ECDH: a software P-256 public key (public only: a TPM
 * provider may refuse to import a private part). */
static EVP_PKEY *public_peer(OSSL_LIB_CTX *libctx)
{
    EVP_PKEY *full = EVP_PKEY_Q_keygen(libctx, "provider=default", "EC",
                                       "P-256");
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(libctx, "EC",
                                                   "provider=default");
    EVP_PKEY *peer = NULL;
    unsigned char pt[65];
    size_t len = 0;
    OSSL_PARAM params[3];

    if (full != NULL && ctx != NULL
        && EVP_PKEY_get_octet_string_param(full, OSSL_PKEY_PARAM_PUB_KEY, pt,
                                           sizeof(pt), &len)) {
        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                     "P-256", 0);
        params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                                      pt, len);
        params[2] = OSSL_PARAM_construct_end();
        if (EVP_PKEY_fromdata_init(ctx) <= 0
            || EVP_PKEY_fromdata(ctx, &peer, EVP_PKEY_PUBLIC_KEY, params) <= 0)
            peer = NULL;
    }
    EVP_PKEY_free(full);
    EVP_PKEY_CTX_free(ctx);
    return peer;
}

static int seeded_by_tpmkit(bench_env *env, char *why)
{
    char status[160] = "", *p = status;
    unsigned char b[16];
    OSSL_PARAM params[] = {
        OSSL_PARAM_utf8_string("seed-status", p, sizeof(status)), OSSL_PARAM_END
    };

    if (!RAND_bytes_ex(env->tk, b, sizeof(b), 0)) {
        bench_ossl_why(why, "RAND_bytes with TPM2-SEED as seed source");
        return 0;
    }
    if (!OSSL_PROVIDER_get_params(env->tk_prov, params)
        || strncmp(status, "ok:", 3) != 0) {
        snprintf(why, BENCH_WHY,
                 "the DRBG is not seeded by tpmkit: seed-status \"%.100s\"",
                 status);
        return 0;
    }
    return 1;
}

static int evp_setup(bench_env *env, const void *a, void **out, char *why)
{
    const evp_arg *arg = a;
    struct evp_state *st = calloc(1, sizeof(*st));
    char path[512];

    if (st == NULL) {
        snprintf(why, BENCH_WHY, "out of memory");
        return 0;
    }
    st->arg = arg;
    st->libctx = evp_libctx(env, arg->which);
    if (arg->which == EVP_T2O && env->t2o == NULL) {
        snprintf(why, BENCH_WHY, "%s", env->t2o_why);
        goto fail;
    }
    if (arg->op == EVP_RANDBYTES && arg->which == EVP_T2O) {
        if ((st->own_libctx = t2o_rand_libctx(why)) == NULL)
            goto fail;
        st->libctx = st->own_libctx;
    }
    st->buf_len = arg->size > 1024 ? arg->size : 1024;
    if ((st->buf = malloc(st->buf_len)) == NULL)
        goto fail;
    RAND_bytes(st->buf, (int)st->buf_len);
    if (arg->key != NULL
        && (st->key = bench_load_key(
                st->libctx, propq_of(arg->which),
                bench_path(env, arg->key, path, sizeof(path)), why))
               == NULL)
        goto fail;
    switch (arg->op) {
    case EVP_SEED:
        if (!setup_rand(st, why))
            goto fail;
        break;
    case EVP_RANDBYTES:
        /* The comparison means something only if tpmkit really seeded it. */
        if (arg->which == EVP_TK && !seeded_by_tpmkit(env, why))
            goto fail;
        break;
    case EVP_SIGN_PKCS1:
    case EVP_SIGN_PSS:
    case EVP_SIGN_ECDSA:
        if ((st->md = EVP_MD_CTX_new()) == NULL)
            goto fail;
        break;
    case EVP_DECRYPT_OAEP:
        if (!make_ciphertext(st, env, why))
            goto fail;
        /* fall through */
    case EVP_DERIVE:
        st->pctx = EVP_PKEY_CTX_new_from_pkey(st->libctx, st->key,
                                              propq_of(arg->which));
        if (st->pctx == NULL) {
            bench_ossl_why(why, "EVP_PKEY_CTX_new_from_pkey");
            goto fail;
        }
        if (arg->op == EVP_DERIVE
            && (st->peer = public_peer(st->libctx)) == NULL) {
            bench_ossl_why(why, "cannot make a peer key");
            goto fail;
        }
        /* A provider may not take OAEP at all: say so instead of "fails". */
        if (arg->op == EVP_DECRYPT_OAEP
            && (EVP_PKEY_decrypt_init(st->pctx) <= 0
                || EVP_PKEY_CTX_set_rsa_padding(st->pctx,
                                                RSA_PKCS1_OAEP_PADDING)
                       <= 0)) {
            bench_ossl_why(why, "EVP_PKEY_CTX_set_rsa_padding(OAEP) refused");
            goto fail;
        }
        break;
    case EVP_MAC_HMAC: {
        EVP_MAC *mac;
        OSSL_PARAM params[3];

        if (!env->have_hmac) {
            snprintf(why, BENCH_WHY, "%s", env->hmac_why);
            goto fail;
        }
        mac = EVP_MAC_fetch(st->libctx, "TPM2-HMAC", "provider=tpmkit");
        st->mac = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
        EVP_MAC_free(mac);
        bench_path(env, "hmac.pem", path, sizeof(path));
        params[0] = OSSL_PARAM_construct_utf8_string("key-uri", path, 0);
        params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                     "SHA256", 0);
        params[2] = OSSL_PARAM_construct_end();
        if (st->mac == NULL || !EVP_MAC_CTX_set_params(st->mac, params)) {
            bench_ossl_why(why, "cannot set up TPM2-HMAC");
            goto fail;
        }
        break;
    }
    }
    *out = st;
    return 1;
fail:
    evp_done(st);
    return 0;
}

static int sign_once(struct evp_state *st)
{
    unsigned char sig[512];
    size_t sig_len = sizeof(sig);
    EVP_PKEY_CTX *pctx = NULL;

    if (!EVP_DigestSignInit_ex(st->md, &pctx, "SHA256", st->libctx,
                               propq_of(st->arg->which), st->key, NULL))
        return 0;
    if (st->arg->op == EVP_SIGN_PSS
        && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0
            || EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST)
                   <= 0))
        return 0;
    return EVP_DigestSign(st->md, sig, &sig_len, st->buf, MSG_LEN) > 0;
}

static int evp_run(void *p)
{
    struct evp_state *st = p;
    unsigned char out[512];
    size_t out_len = sizeof(out);

    switch (st->arg->op) {
    case EVP_SEED:
        return EVP_RAND_generate(st->rand, st->buf, st->arg->size, 0, 0, NULL,
                                 0);
    case EVP_RANDBYTES:
        return RAND_bytes_ex(st->libctx, st->buf, st->arg->size, 0);
    case EVP_SIGN_PKCS1:
    case EVP_SIGN_PSS:
    case EVP_SIGN_ECDSA:
        return sign_once(st);
    case EVP_DECRYPT_OAEP:
        return EVP_PKEY_decrypt_init(st->pctx) > 0
               && EVP_PKEY_CTX_set_rsa_padding(st->pctx, RSA_PKCS1_OAEP_PADDING)
                      > 0
               && EVP_PKEY_decrypt(st->pctx, out, &out_len, st->in, st->in_len)
                      > 0;
    case EVP_DERIVE:
        return EVP_PKEY_derive_init(st->pctx) > 0
               && EVP_PKEY_derive_set_peer(st->pctx, st->peer) > 0
               && EVP_PKEY_derive(st->pctx, out, &out_len) > 0;
    case EVP_MAC_HMAC:
        return EVP_MAC_init(st->mac, NULL, 0, NULL)
               && EVP_MAC_update(st->mac, st->buf, st->arg->size)
               && EVP_MAC_final(st->mac, out, &out_len, sizeof(out));
    }
    return 0;
}

const bench_impl evp_impl = { evp_setup, evp_run, evp_done, NULL };

/* --- the shared library contexts ------------------------------------------ */

static OSSL_LIB_CTX *tpmkit_libctx(const char *module_dir,
                                   const char *encryption, int seed,
                                   OSSL_PROVIDER **prov, char *why)
{
    OSSL_LIB_CTX *libctx = OSSL_LIB_CTX_new();
    const char *old = getenv("TPMKIT_SESSION_ENCRYPTION");
    char *saved = old != NULL ? strdup(old) : NULL;
    int ok;

    /* tpmkit reads its settings when it is loaded. */
    if (encryption != NULL)
        setenv("TPMKIT_SESSION_ENCRYPTION", encryption, 1);
    ok = libctx != NULL
         && (!seed
             || RAND_set_seed_source_type(libctx, "TPM2-SEED",
                                          "provider=tpmkit"))
         && OSSL_PROVIDER_set_default_search_path(libctx, module_dir)
         && OSSL_PROVIDER_load(libctx, "default") != NULL
         && (*prov = OSSL_PROVIDER_load(libctx, "tpmkit")) != NULL;
    if (saved != NULL)
        setenv("TPMKIT_SESSION_ENCRYPTION", saved, 1);
    else
        unsetenv("TPMKIT_SESSION_ENCRYPTION");
    free(saved);
    if (!ok) {
        bench_ossl_why(why, "cannot load tpmkit");
        bench_libctx_free(libctx);
        return NULL;
    }
    return libctx;
}

int evp_env_init(bench_env *env, char *why)
{
    OSSL_PROVIDER *clear_prov;
    char path[512];
    FILE *f;
    EVP_MAC *mac;

    env->sw = OSSL_LIB_CTX_new();
    if (env->sw == NULL || OSSL_PROVIDER_load(env->sw, "default") == NULL) {
        bench_ossl_why(why, "cannot load OpenSSL's default provider");
        return 0;
    }
    if ((env->tk = tpmkit_libctx(env->module_dir, "yes", 1, &env->tk_prov, why))
            == NULL
        || (env->tk_clear = tpmkit_libctx(env->module_dir, "no", 0, &clear_prov,
                                          why))
               == NULL)
        return 0;

    env->t2o = OSSL_LIB_CTX_new();
    if (env->t2o == NULL || OSSL_PROVIDER_load(env->t2o, "default") == NULL
        || OSSL_PROVIDER_load(env->t2o, "tpm2") == NULL) {
        bench_ossl_why(env->t2o_why, "tpm2-openssl does not load");
        bench_libctx_free(env->t2o);
        env->t2o = NULL;
    }
    mac = EVP_MAC_fetch(env->tk, "TPM2-HMAC", "provider=tpmkit");
    EVP_MAC_free(mac);
    ERR_clear_error();
    f = fopen(bench_path(env, "hmac.pem", path, sizeof(path)), "r");
    if (mac == NULL)
        snprintf(env->hmac_why, BENCH_WHY, "this tpmkit has no TPM2-HMAC");
    else if (f == NULL)
        snprintf(env->hmac_why, BENCH_WHY, "no TPM2-HMAC key (genpkey failed)");
    else
        env->have_hmac = 1;
    if (f != NULL)
        fclose(f);
    return 1;
}

void evp_env_free(bench_env *env)
{
    bench_libctx_free(env->sw);
    bench_libctx_free(env->tk);
    bench_libctx_free(env->tk_clear);
    bench_libctx_free(env->t2o);
    env->sw = env->tk = env->tk_clear = env->t2o = NULL;
}

/* --- first use, in a fresh process ---------------------------------------- */

int evp_first_use(const char *module_dir, const char *keys, int t2o,
                  double ms[3], char *why)
{
    OSSL_LIB_CTX *libctx = OSSL_LIB_CTX_new();
    bench_env env = { .keys = keys };
    struct evp_state st = { 0 };
    evp_arg arg = { t2o ? EVP_T2O : EVP_TK, EVP_SEED, 32, "ec.pem" };
    unsigned char buf[MSG_LEN];
    char path[512];
    double t;
    int ok = 0;

    st.arg = &arg;
    st.libctx = libctx;
    if (libctx == NULL || OSSL_PROVIDER_load(libctx, "default") == NULL
        || (!t2o
            && !OSSL_PROVIDER_set_default_search_path(libctx, module_dir))) {
        bench_ossl_why(why, "OpenSSL");
        goto out;
    }
    t = bench_now();
    if (OSSL_PROVIDER_load(libctx, t2o ? "tpm2" : "tpmkit") == NULL) {
        bench_ossl_why(why, "provider load");
        goto out;
    }
    ms[0] = (bench_now() - t) * 1e3;

    t = bench_now();
    if (!setup_rand(&st, why)
        || !EVP_RAND_generate(st.rand, buf, 32, 0, 0, NULL, 0)) {
        bench_ossl_why(why, "first random bytes");
        goto out;
    }
    ms[1] = (bench_now() - t) * 1e3;

    t = bench_now();
    arg.op = EVP_SIGN_ECDSA;
    st.buf = buf;
    if ((st.key = bench_load_key(libctx, propq_of(arg.which),
                                 bench_path(&env, "ec.pem", path, sizeof(path)),
                                 why))
            == NULL
        || (st.md = EVP_MD_CTX_new()) == NULL || !sign_once(&st)) {
        bench_ossl_why(why, "first signature");
        goto out;
    }
    ms[2] = (bench_now() - t) * 1e3;
    ok = 1;
out:
    EVP_RAND_CTX_free(st.rand);
    EVP_PKEY_free(st.key);
    EVP_MD_CTX_free(st.md);
    bench_libctx_free(libctx);
    return ok;
}
