/* SPDX-License-Identifier: Apache-2.0 */
/* TPM2-SEED: a seed source for OpenSSL's DRBGs ([random] seed = TPM2-SEED)
 * whose generate() also hands out raw TPM random bytes.
 *
 * A seed source has no parent and must report strength >= 256, which the
 * primary DRBG checks at creation and at every reseed. get_seed() is called
 * once per (re)seeding; with a 32-byte request that is one TPM2_GetRandom. */
#include <string.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "seed.h"
#include "../provider/errors.h"
#include "../provider/prov_ctx.h"

#define SEED_STRENGTH 256
/* Bounds how long one generate() holds the TPM lock; EVP_RAND splits
 * larger requests into pieces of this size. */
#define SEED_MAX_REQUEST 4096

typedef struct tk_seed {
    tk_prov_ctx *prov;
    int state;
    CRYPTO_RWLOCK *lock;
} tk_seed;

static OSSL_FUNC_rand_newctx_fn seed_newctx;
static OSSL_FUNC_rand_freectx_fn seed_freectx;
static OSSL_FUNC_rand_instantiate_fn seed_instantiate;
static OSSL_FUNC_rand_uninstantiate_fn seed_uninstantiate;
static OSSL_FUNC_rand_generate_fn seed_generate;
static OSSL_FUNC_rand_reseed_fn seed_reseed;
static OSSL_FUNC_rand_enable_locking_fn seed_enable_locking;
static OSSL_FUNC_rand_lock_fn seed_lock;
static OSSL_FUNC_rand_unlock_fn seed_unlock;
static OSSL_FUNC_rand_gettable_ctx_params_fn seed_gettable_ctx_params;
static OSSL_FUNC_rand_get_ctx_params_fn seed_get_ctx_params;
static OSSL_FUNC_rand_verify_zeroization_fn seed_verify_zeroization;
static OSSL_FUNC_rand_get_seed_fn seed_get_seed;
static OSSL_FUNC_rand_clear_seed_fn seed_clear_seed;

static void *seed_newctx(void *provctx, void *parent,
                         const OSSL_DISPATCH *parent_dispatch)
{
    tk_seed *seed;

    (void)parent_dispatch;
    if (parent != NULL) {
        tk_raise(TK_R_BAD_REQUEST,
                 "TPM2-SEED is a seed source and takes no parent");
        return NULL;
    }
    seed = OPENSSL_zalloc(sizeof(*seed));
    if (seed == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "TPM2-SEED context");
        return NULL;
    }
    seed->prov = provctx;
    seed->state = EVP_RAND_STATE_UNINITIALISED;
    return seed;
}

static void seed_freectx(void *vseed)
{
    tk_seed *seed = vseed;

    if (seed == NULL)
        return;
    CRYPTO_THREAD_lock_free(seed->lock);
    OPENSSL_free(seed);
}

/* Connecting is left to the first draw: a provider that loads must not
 * block on, or fail for, a TPM that is not needed yet. Nor does a bad
 * configuration fail here: OpenSSL drops a seed source that cannot be
 * instantiated and seeds from the operating system instead, without a
 * word. get_seed() fails, so the DRBG stays unseeded and says why. */
static int seed_instantiate(void *vseed, unsigned int strength,
                            int prediction_resistance,
                            const unsigned char *pstr, size_t pstr_len,
                            const OSSL_PARAM params[])
{
    tk_seed *seed = vseed;

    (void)prediction_resistance, (void)pstr, (void)pstr_len, (void)params;
    if (strength > SEED_STRENGTH) {
        tk_raise(TK_R_BAD_REQUEST,
                 "TPM2-SEED gives at most %d bits of strength, %u asked",
                 SEED_STRENGTH, strength);
        return 0;
    }
    seed->state = EVP_RAND_STATE_READY;
    return 1;
}

static int seed_uninstantiate(void *vseed)
{
    ((tk_seed *)vseed)->state = EVP_RAND_STATE_UNINITIALISED;
    return 1;
}

static int draw(tk_seed *seed, unsigned char *out, size_t len)
{
    tk_tpm *tpm = tk_prov_tpm(seed->prov);

    if (tpm == NULL || !tk_tpm_random(tpm, out, len)) {
        seed->state = EVP_RAND_STATE_ERROR;
        return 0;
    }
    seed->state = EVP_RAND_STATE_READY;
    return 1;
}

static int seed_generate(void *vseed, unsigned char *out, size_t outlen,
                         unsigned int strength, int prediction_resistance,
                         const unsigned char *adin, size_t adin_len)
{
    (void)prediction_resistance, (void)adin, (void)adin_len;
    if (strength > SEED_STRENGTH) {
        tk_raise(TK_R_BAD_REQUEST,
                 "TPM2-SEED gives at most %d bits of strength, %u asked",
                 SEED_STRENGTH, strength);
        return 0;
    }
    return draw(vseed, out, outlen);
}

static int seed_reseed(void *vseed, int prediction_resistance,
                       const unsigned char *ent, size_t ent_len,
                       const unsigned char *adin, size_t adin_len)
{
    /* Every draw is fresh from the TPM: there is nothing to reseed. */
    (void)vseed, (void)prediction_resistance, (void)ent, (void)ent_len;
    (void)adin, (void)adin_len;
    return 1;
}

static size_t seed_get_seed(void *vseed, unsigned char **pout, int entropy,
                            size_t min_len, size_t max_len,
                            int prediction_resistance,
                            const unsigned char *adin, size_t adin_len)
{
    tk_seed *seed = vseed;
    size_t len = entropy > 0 ? ((size_t)entropy + 7) / 8 : 0;
    unsigned char *buf;

    (void)prediction_resistance;
    if (len < min_len)
        len = min_len;
    if (len > max_len || len == 0) {
        tk_raise(TK_R_BAD_REQUEST,
                 "seed length out of range (%zu..%zu, %d bits)", min_len,
                 max_len, entropy);
        return 0;
    }
    buf = OPENSSL_secure_malloc(len);
    if (buf == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "seed buffer");
        return 0;
    }
    if (!draw(seed, buf, len)) {
        tk_seed_stats_failed(seed->prov);
        if (seed->prov->tpm == NULL)
            tk_raise(TK_R_SEED_FAILED, "no seed from the TPM (bad tpmkit"
                                       " configuration); this DRBG stays"
                                       " unseeded");
        else
            tk_raise(TK_R_SEED_FAILED,
                     "the TPM gave no seed; this DRBG stays unseeded (TCTI"
                     " \"%s\")",
                     tk_tpm_tcti(seed->prov->tpm));
        OPENSSL_secure_clear_free(buf, len);
        return 0;
    }
    /* Mix in the caller's additional input, as OpenSSL's own seed source
     * does: it cannot lower the entropy of full-entropy TPM output. */
    for (size_t i = 0; adin != NULL && i < adin_len; i++)
        buf[i % len] ^= adin[i];
    tk_seed_stats_ok(seed->prov);
    *pout = buf;
    return len;
}

/* In OpenSSL 3.0 this receives the child DRBG, not our context: touch only
 * the buffer. */
static void seed_clear_seed(void *vctx, unsigned char *out, size_t outlen)
{
    (void)vctx;
    OPENSSL_secure_clear_free(out, outlen);
}

static int seed_enable_locking(void *vseed)
{
    tk_seed *seed = vseed;

    if (seed->lock == NULL && (seed->lock = CRYPTO_THREAD_lock_new()) == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "TPM2-SEED lock");
        return 0;
    }
    return 1;
}

static int seed_lock(void *vseed)
{
    tk_seed *seed = vseed;

    return seed->lock == NULL || CRYPTO_THREAD_write_lock(seed->lock);
}

static void seed_unlock(void *vseed)
{
    tk_seed *seed = vseed;

    if (seed->lock != NULL)
        CRYPTO_THREAD_unlock(seed->lock);
}

static const OSSL_PARAM *seed_gettable_ctx_params(void *vseed, void *provctx)
{
    static const OSSL_PARAM gettable[] = {
        OSSL_PARAM_int(OSSL_RAND_PARAM_STATE, NULL),
        OSSL_PARAM_uint(OSSL_RAND_PARAM_STRENGTH, NULL),
        OSSL_PARAM_size_t(OSSL_RAND_PARAM_MAX_REQUEST, NULL), OSSL_PARAM_END
    };

    (void)vseed, (void)provctx;
    return gettable;
}

static int seed_get_ctx_params(void *vseed, OSSL_PARAM params[])
{
    tk_seed *seed = vseed;
    OSSL_PARAM *p;

    p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_STATE);
    if (p != NULL && !OSSL_PARAM_set_int(p, seed->state))
        return 0;
    p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_STRENGTH);
    if (p != NULL && !OSSL_PARAM_set_uint(p, SEED_STRENGTH))
        return 0;
    p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_MAX_REQUEST);
    if (p != NULL && !OSSL_PARAM_set_size_t(p, SEED_MAX_REQUEST))
        return 0;
    return 1;
}

static int seed_verify_zeroization(void *vseed)
{
    (void)vseed; /* no secret state is kept between draws */
    return 1;
}

const OSSL_DISPATCH tk_seed_functions[] = {
    { OSSL_FUNC_RAND_NEWCTX, (void (*)(void))seed_newctx },
    { OSSL_FUNC_RAND_FREECTX, (void (*)(void))seed_freectx },
    { OSSL_FUNC_RAND_INSTANTIATE, (void (*)(void))seed_instantiate },
    { OSSL_FUNC_RAND_UNINSTANTIATE, (void (*)(void))seed_uninstantiate },
    { OSSL_FUNC_RAND_GENERATE, (void (*)(void))seed_generate },
    { OSSL_FUNC_RAND_RESEED, (void (*)(void))seed_reseed },
    { OSSL_FUNC_RAND_ENABLE_LOCKING, (void (*)(void))seed_enable_locking },
    { OSSL_FUNC_RAND_LOCK, (void (*)(void))seed_lock },
    { OSSL_FUNC_RAND_UNLOCK, (void (*)(void))seed_unlock },
    { OSSL_FUNC_RAND_GETTABLE_CTX_PARAMS,
      (void (*)(void))seed_gettable_ctx_params },
    { OSSL_FUNC_RAND_GET_CTX_PARAMS, (void (*)(void))seed_get_ctx_params },
    { OSSL_FUNC_RAND_VERIFY_ZEROIZATION,
      (void (*)(void))seed_verify_zeroization },
    { OSSL_FUNC_RAND_GET_SEED, (void (*)(void))seed_get_seed },
    { OSSL_FUNC_RAND_CLEAR_SEED, (void (*)(void))seed_clear_seed },
    { 0, NULL }
};
