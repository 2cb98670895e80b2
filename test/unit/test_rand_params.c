/* TPM2-SEED (rand/seed.c) without a TPM: seed lengths, strength and
 * request limits, additional input, state and the seed statistics, over
 * a fake TPM whose random bytes are known; then as a parent of OpenSSL's
 * DRBGs; then in the built module with TPMKIT_TCTI on a closed port,
 * where loading and instantiating work and drawing fails. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include "fake_tpm.h"
#include "../../rand/seed.h"

#define PROPQ "provider=tpmkit"

static tku_module m;

static void setup(void)
{
    fake_module_load(&m);
}

static void module_setup(void)
{
    tku_module_load(&m);
}

static void teardown(void)
{
    tku_module_unload(&m);
}

/* The seed source's own functions. */
static struct {
    OSSL_FUNC_rand_newctx_fn *newctx;
    OSSL_FUNC_rand_freectx_fn *freectx;
    OSSL_FUNC_rand_instantiate_fn *instantiate;
    OSSL_FUNC_rand_uninstantiate_fn *uninstantiate;
    OSSL_FUNC_rand_generate_fn *generate;
    OSSL_FUNC_rand_reseed_fn *reseed;
    OSSL_FUNC_rand_get_seed_fn *get_seed;
    OSSL_FUNC_rand_clear_seed_fn *clear_seed;
    OSSL_FUNC_rand_get_ctx_params_fn *get_params;
    OSSL_FUNC_rand_enable_locking_fn *enable_locking;
    OSSL_FUNC_rand_lock_fn *lock;
    OSSL_FUNC_rand_unlock_fn *unlock;
    OSSL_FUNC_rand_verify_zeroization_fn *verify_zeroization;
} f;

static void *seed_ctx(void)
{
    const OSSL_DISPATCH *d = tk_seed_functions;
    void *ctx;

    f.newctx = (OSSL_FUNC_rand_newctx_fn *)tku_dispatch(d, OSSL_FUNC_RAND_NEWCTX);
    f.freectx = (OSSL_FUNC_rand_freectx_fn *)tku_dispatch(d, OSSL_FUNC_RAND_FREECTX);
    f.instantiate = (OSSL_FUNC_rand_instantiate_fn *)
        tku_dispatch(d, OSSL_FUNC_RAND_INSTANTIATE);
    f.uninstantiate = (OSSL_FUNC_rand_uninstantiate_fn *)
        tku_dispatch(d, OSSL_FUNC_RAND_UNINSTANTIATE);
    f.generate = (OSSL_FUNC_rand_generate_fn *)tku_dispatch(d, OSSL_FUNC_RAND_GENERATE);
    f.reseed = (OSSL_FUNC_rand_reseed_fn *)tku_dispatch(d, OSSL_FUNC_RAND_RESEED);
    f.get_seed = (OSSL_FUNC_rand_get_seed_fn *)tku_dispatch(d, OSSL_FUNC_RAND_GET_SEED);
    f.clear_seed = (OSSL_FUNC_rand_clear_seed_fn *)
        tku_dispatch(d, OSSL_FUNC_RAND_CLEAR_SEED);
    f.get_params = (OSSL_FUNC_rand_get_ctx_params_fn *)
        tku_dispatch(d, OSSL_FUNC_RAND_GET_CTX_PARAMS);
    f.enable_locking = (OSSL_FUNC_rand_enable_locking_fn *)
        tku_dispatch(d, OSSL_FUNC_RAND_ENABLE_LOCKING);
    f.lock = (OSSL_FUNC_rand_lock_fn *)tku_dispatch(d, OSSL_FUNC_RAND_LOCK);
    f.unlock = (OSSL_FUNC_rand_unlock_fn *)tku_dispatch(d, OSSL_FUNC_RAND_UNLOCK);
    f.verify_zeroization = (OSSL_FUNC_rand_verify_zeroization_fn *)
        tku_dispatch(d, OSSL_FUNC_RAND_VERIFY_ZEROIZATION);
    ctx = f.newctx(fake_prov(), NULL, NULL);
    ck_assert_ptr_nonnull(ctx);
    return ctx;
}

static int state_of(void *ctx)
{
    int state = -1;
    OSSL_PARAM p[] = { OSSL_PARAM_int(OSSL_RAND_PARAM_STATE, &state), OSSL_PARAM_END };

    ck_assert_int_eq(f.get_params(ctx, p), 1);
    return state;
}

/* One seed: its length, and that it is what the TPM gave. */
static size_t seed_of(void *ctx, int entropy, size_t min, size_t max)
{
    unsigned char *out = NULL;
    size_t len;

    fake.calls = 0;
    len = f.get_seed(ctx, &out, entropy, min, max, 0, NULL, 0);
    if (len == 0) {
        ck_assert_ptr_null(out);
        return 0;
    }
    ck_assert_int_eq(fake.calls, 1);
    ck_assert_str_eq(fake.op, "random");
    ck_assert_uint_eq(fake.in_len, len);
    ck_assert_mem_eq(out, fake.in, len);
    f.clear_seed(ctx, out, len);
    return len;
}

START_TEST(seed_lengths)
{
    void *ctx = seed_ctx();

    ck_assert_uint_eq(seed_of(ctx, 256, 0, 1000), 32);
    ck_assert_uint_eq(seed_of(ctx, 128, 0, 1000), 16);
    ck_assert_uint_eq(seed_of(ctx, 100, 0, 1000), 13);
    ck_assert_uint_eq(seed_of(ctx, 256, 48, 1000), 48);
    ck_assert_uint_eq(seed_of(ctx, 0, 24, 1000), 24);
    ck_assert_uint_eq(seed_of(ctx, 256, 32, 32), 32);
    fake.calls = 0;
    ck_assert_uint_eq(seed_of(ctx, 256, 0, 31), 0);
    tku_assert_error("seed length out of range (0..31, 256 bits)");
    ck_assert_uint_eq(seed_of(ctx, 0, 0, 1000), 0);
    tku_assert_error("seed length out of range");
    ck_assert_int_eq(fake.calls, 0);
    f.freectx(ctx);
}
END_TEST

/* The caller's additional input is XORed into the seed, wrapping
 * around when it is longer. */
START_TEST(additional_input_is_mixed_in)
{
    void *ctx = seed_ctx();
    unsigned char adin[45], *out = NULL, want[32];
    size_t len;

    for (size_t i = 0; i < sizeof(adin); i++)
        adin[i] = (unsigned char)(i * 29 + 3);
    len = f.get_seed(ctx, &out, 256, 0, 100, 0, adin, sizeof(adin));
    ck_assert_uint_eq(len, 32);
    ck_assert_uint_eq(fake.in_len, 32);
    for (size_t i = 0; i < 32; i++)
        want[i] = fake.in[i] ^ adin[i] ^ (i < 13 ? adin[32 + i] : 0);
    ck_assert_mem_eq(out, want, 32);
    f.clear_seed(ctx, out, len);
    f.freectx(ctx);
}
END_TEST

START_TEST(failures_are_counted)
{
    void *ctx = seed_ctx();
    tk_prov_ctx *prov = fake_prov();
    unsigned char *out = NULL, buf[8];
    char text[400];

    tk_seed_stats_describe(prov, text, sizeof(text));
    ck_assert_str_eq(text, "not used: no DRBG has drawn a TPM seed");
    fake.fail = 1;
    ck_assert_uint_eq(f.get_seed(ctx, &out, 256, 0, 100, 0, NULL, 0), 0);
    ck_assert_ptr_null(out);
    tku_assert_error("the TPM gave no seed; this DRBG stays unseeded (TCTI \"fake:tpm\")");
    ck_assert_uint_eq(prov->seed.failures, 1);
    ck_assert_int_eq(prov->seed.last_failed, 1);
    tk_seed_stats_describe(prov, text, sizeof(text));
    ck_assert_str_eq(text, "FAILED: the fake TPM failed (1 failed, 0 good seeding(s))");
    ck_assert_int_eq(f.generate(ctx, buf, sizeof(buf), 256, 0, NULL, 0), 0);
    ck_assert_int_eq(state_of(ctx), EVP_RAND_STATE_ERROR);
    ERR_clear_error();

    fake.fail = 0;
    ck_assert_uint_eq(seed_of(ctx, 256, 0, 100), 32);
    ck_assert_uint_eq(seed_of(ctx, 256, 0, 100), 32);
    ck_assert_uint_eq(prov->seed.seeds, 2);
    ck_assert_int_eq(state_of(ctx), EVP_RAND_STATE_READY);
    tk_seed_stats_describe(prov, text, sizeof(text));
    ck_assert_str_eq(text, "ok: 2 seeding(s) from the TPM");
    f.freectx(ctx);
}
END_TEST

START_TEST(strength_state_and_limits)
{
    void *ctx = seed_ctx();
    unsigned strength = 0;
    size_t max_request = 0;
    unsigned char buf[16];
    OSSL_PARAM p[] = {
        OSSL_PARAM_uint(OSSL_RAND_PARAM_STRENGTH, &strength),
        OSSL_PARAM_size_t(OSSL_RAND_PARAM_MAX_REQUEST, &max_request),
        OSSL_PARAM_END
    };

    ck_assert_int_eq(f.get_params(ctx, p), 1);
    ck_assert_uint_eq(strength, 256);
    ck_assert_uint_eq(max_request, 4096);
    ck_assert_int_eq(state_of(ctx), EVP_RAND_STATE_UNINITIALISED);
    ck_assert_int_eq(f.instantiate(ctx, 257, 0, NULL, 0, NULL), 0);
    tku_assert_error("at most 256 bits of strength, 257 asked");
    ck_assert_int_eq(state_of(ctx), EVP_RAND_STATE_UNINITIALISED);
    /* Instantiating never touches the TPM. */
    fake.calls = 0;
    ck_assert_int_eq(f.instantiate(ctx, 256, 1, NULL, 0, NULL), 1);
    ck_assert_int_eq(fake.calls, 0);
    ck_assert_int_eq(state_of(ctx), EVP_RAND_STATE_READY);
    ck_assert_int_eq(f.generate(ctx, buf, sizeof(buf), 384, 0, NULL, 0), 0);
    tku_assert_error("at most 256 bits of strength, 384 asked");
    ck_assert_int_eq(fake.calls, 0);
    ck_assert_int_eq(f.generate(ctx, buf, sizeof(buf), 256, 1, NULL, 0), 1);
    ck_assert_int_eq(fake.calls, 1);
    ck_assert_mem_eq(buf, fake.in, sizeof(buf));
    /* Nothing to reseed: every draw comes from the TPM. */
    ck_assert_int_eq(f.reseed(ctx, 1, NULL, 0, NULL, 0), 1);
    ck_assert_int_eq(fake.calls, 1);
    ck_assert_int_eq(f.verify_zeroization(ctx), 1);
    ck_assert_int_eq(f.uninstantiate(ctx), 1);
    ck_assert_int_eq(state_of(ctx), EVP_RAND_STATE_UNINITIALISED);
    /* Locking works before and after it is enabled. */
    ck_assert_int_eq(f.lock(ctx), 1);
    f.unlock(ctx);
    ck_assert_int_eq(f.enable_locking(ctx), 1);
    ck_assert_int_eq(f.enable_locking(ctx), 1);
    ck_assert_int_eq(f.lock(ctx), 1);
    f.unlock(ctx);
    f.freectx(ctx);
    /* A seed source has no parent. */
    ck_assert_ptr_null(f.newctx(fake_prov(), &f, NULL));
    tku_assert_error("takes no parent");
}
END_TEST

/* Through EVP_RAND: long requests are split at max_request. */
START_TEST(evp_splits_long_requests)
{
    EVP_RAND *rand = EVP_RAND_fetch(m.libctx, "TPM2-SEED", PROPQ);
    EVP_RAND_CTX *ctx = EVP_RAND_CTX_new(rand, NULL);
    unsigned char *buf = OPENSSL_malloc(10000);

    ck_assert_ptr_nonnull(ctx);
    ck_assert_uint_eq(EVP_RAND_get_strength(ctx), 256);
    ck_assert_int_eq(EVP_RAND_instantiate(ctx, 256, 0, NULL, 0, NULL), 1);
    fake.calls = 0;
    ck_assert_int_eq(EVP_RAND_generate(ctx, buf, 10000, 256, 0, NULL, 0), 1);
    ck_assert_int_eq(fake.calls, 3);
    ck_assert_uint_eq(fake.in_len, 10000 - 2 * 4096);
    ck_assert_mem_eq(buf + 2 * 4096, fake.in, fake.in_len);
    OPENSSL_free(buf);
    EVP_RAND_CTX_free(ctx);
    EVP_RAND_free(rand);
}
END_TEST

/* OpenSSL's CTR-DRBG seeded from TPM2-SEED: each (re)seeding is one draw
 * from the TPM; a failed one leaves the DRBG unseeded. */
START_TEST(drbg_parent)
{
    EVP_RAND *seed = EVP_RAND_fetch(m.libctx, "TPM2-SEED", PROPQ);
    EVP_RAND *ctr = EVP_RAND_fetch(m.libctx, "CTR-DRBG", "provider=default");
    EVP_RAND_CTX *parent = EVP_RAND_CTX_new(seed, NULL), *drbg;
    OSSL_PARAM params[] = { TKU_UTF8(OSSL_DRBG_PARAM_CIPHER, "AES-256-CTR"),
                            OSSL_PARAM_END };
    unsigned char out[64];

    ck_assert_ptr_nonnull(ctr);
    ck_assert_int_eq(EVP_RAND_instantiate(parent, 256, 0, NULL, 0, NULL), 1);
    drbg = EVP_RAND_CTX_new(ctr, parent);
    ck_assert_ptr_nonnull(drbg);
    fake.calls = 0;
    ck_assert_msg(EVP_RAND_instantiate(drbg, 256, 0, NULL, 0, params) == 1, "%s",
                  tku_errors());
    ck_assert_int_ge(fake.calls, 1);
    ck_assert_str_eq(fake.op, "random");
    ck_assert_uint_ge(fake.in_len, 32);
    ck_assert_uint_eq(fake_prov()->seed.seeds, (unsigned long)fake.calls);
    ck_assert_int_eq(EVP_RAND_generate(drbg, out, sizeof(out), 256, 0, NULL, 0), 1);
    /* Prediction resistance asks the TPM again. */
    fake.calls = 0;
    ck_assert_int_eq(EVP_RAND_generate(drbg, out, sizeof(out), 256, 1, NULL, 0), 1);
    ck_assert_int_ge(fake.calls, 1);
    fake.fail = 1;
    ck_assert_int_eq(EVP_RAND_generate(drbg, out, sizeof(out), 256, 1, NULL, 0), 0);
    ERR_clear_error();
    ck_assert_uint_eq(fake_prov()->seed.failures, 1);
    EVP_RAND_CTX_free(drbg);
    EVP_RAND_CTX_free(parent);
    EVP_RAND_free(ctr);
    EVP_RAND_free(seed);
}
END_TEST

/* The shipped module, nothing listening at its TCTI. */
START_TEST(module_without_a_tpm)
{
    EVP_RAND *seed = EVP_RAND_fetch(m.libctx, "TPM2-SEED", PROPQ);
    EVP_RAND *ctr = EVP_RAND_fetch(m.libctx, "CTR-DRBG", "provider=default");
    EVP_RAND_CTX *ctx = EVP_RAND_CTX_new(seed, NULL), *drbg;
    const OSSL_PARAM *gettable = EVP_RAND_gettable_ctx_params(seed);
    size_t max_request = 0;
    OSSL_PARAM get[] = { OSSL_PARAM_size_t(OSSL_RAND_PARAM_MAX_REQUEST, &max_request),
                         OSSL_PARAM_END };
    char status[512] = "";
    OSSL_PARAM prov[] = { OSSL_PARAM_utf8_string("seed-status", status, sizeof(status)),
                          OSSL_PARAM_END };
    OSSL_PARAM cipher[] = { TKU_UTF8(OSSL_DRBG_PARAM_CIPHER, "AES-256-CTR"),
                            OSSL_PARAM_END };
    unsigned char buf[32];

    ck_assert_ptr_nonnull(ctx);
    ck_assert_ptr_nonnull(OSSL_PARAM_locate_const(gettable, OSSL_RAND_PARAM_STATE));
    ck_assert_ptr_nonnull(OSSL_PARAM_locate_const(gettable, OSSL_RAND_PARAM_STRENGTH));
    ck_assert_ptr_nonnull(OSSL_PARAM_locate_const(gettable, OSSL_RAND_PARAM_MAX_REQUEST));
    ck_assert_int_eq(EVP_RAND_get_state(ctx), EVP_RAND_STATE_UNINITIALISED);
    ck_assert_uint_eq(EVP_RAND_get_strength(ctx), 256);
    ck_assert_int_eq(EVP_RAND_CTX_get_params(ctx, get), 1);
    ck_assert_uint_eq(max_request, 4096);
    ck_assert_int_eq(EVP_RAND_instantiate(ctx, 512, 0, NULL, 0, NULL), 0);
    tku_assert_error("at most 256 bits of strength");
    ck_assert_int_eq(EVP_RAND_instantiate(ctx, 256, 0, NULL, 0, NULL), 1);
    ck_assert_int_eq(EVP_RAND_get_state(ctx), EVP_RAND_STATE_READY);
    ck_assert_int_eq(EVP_RAND_generate(ctx, buf, sizeof(buf), 256, 0, NULL, 0), 0);
    tku_assert_error(tku_closed_tcti());
    ck_assert_int_eq(EVP_RAND_get_state(ctx), EVP_RAND_STATE_ERROR);

    /* A DRBG on top stays unseeded, and the provider says so. */
    drbg = EVP_RAND_CTX_new(ctr, ctx);
    ck_assert_ptr_nonnull(drbg);
    ck_assert_int_eq(EVP_RAND_instantiate(drbg, 256, 0, NULL, 0, cipher), 0);
    tku_assert_error("the TPM gave no seed");
    ck_assert_int_eq(OSSL_PROVIDER_get_params(m.tpmkit, prov), 1);
    ck_assert_msg(strncmp(status, "FAILED: ", 8) == 0, "seed-status: %s", status);
    ck_assert_msg(strstr(status, "(1 failed, 0 good seeding(s))") != NULL,
                  "seed-status: %s", status);
    EVP_RAND_CTX_free(drbg);
    EVP_RAND_CTX_free(ctx);
    EVP_RAND_free(ctr);
    EVP_RAND_free(seed);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rand_params");
    TCase *tc = tcase_create("fake-tpm"), *module = tcase_create("module");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, seed_lengths);
    tcase_add_test(tc, additional_input_is_mixed_in);
    tcase_add_test(tc, failures_are_counted);
    tcase_add_test(tc, strength_state_and_limits);
    tcase_add_test(tc, evp_splits_long_requests);
    tcase_add_test(tc, drbg_parent);
    suite_add_tcase(s, tc);
    tcase_add_checked_fixture(module, module_setup, teardown);
    tcase_set_timeout(module, 60);
    tcase_add_test(module, module_without_a_tpm);
    suite_add_tcase(s, module);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
