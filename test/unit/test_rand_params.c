/* SPDX-License-Identifier: Apache-2.0 */
/* TPM2-SEED without a TPM: what it reports (state, strength, maximum
 * request), the strength it refuses, and that a draw fails closed with
 * tpmkit's error when the TPM cannot be reached. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "testutil.h"

static tku_module mod;

static void setup(void)
{
    tku_module_load(&mod);
}

static void teardown(void)
{
    tku_module_unload(&mod);
}

static EVP_RAND_CTX *seed_ctx(void)
{
    EVP_RAND *rand = EVP_RAND_fetch(mod.libctx, "TPM2-SEED", "provider=tpmkit");
    EVP_RAND_CTX *ctx;

    ck_assert_ptr_nonnull(rand);
    ctx = EVP_RAND_CTX_new(rand, NULL);
    EVP_RAND_free(rand);
    ck_assert_ptr_nonnull(ctx);
    return ctx;
}

START_TEST(reports_what_a_seed_source_must)
{
    EVP_RAND_CTX *ctx = seed_ctx();

    /* A DRBG parent must offer at least 256 bits. */
    ck_assert_uint_eq(EVP_RAND_get_strength(ctx), 256);
    ck_assert_int_eq(EVP_RAND_get_state(ctx), EVP_RAND_STATE_UNINITIALISED);
    {
        size_t max = 0;
        OSSL_PARAM params[] = {
            OSSL_PARAM_size_t(OSSL_RAND_PARAM_MAX_REQUEST, &max), OSSL_PARAM_END
        };

        ck_assert_int_eq(EVP_RAND_CTX_get_params(ctx, params), 1);
        ck_assert_uint_ge(max, 4096);
    }
    ck_assert_int_eq(EVP_RAND_instantiate(ctx, 256, 0, NULL, 0, NULL), 1);
    ck_assert_int_eq(EVP_RAND_get_state(ctx), EVP_RAND_STATE_READY);
    EVP_RAND_CTX_free(ctx);
}
END_TEST

START_TEST(refuses_more_strength_than_it_has)
{
    EVP_RAND_CTX *ctx = seed_ctx();
    unsigned char buf[16];

    ck_assert_int_eq(EVP_RAND_instantiate(ctx, 384, 0, NULL, 0, NULL), 0);
    tku_assert_error("at most 256 bits");
    ck_assert_int_eq(EVP_RAND_instantiate(ctx, 256, 0, NULL, 0, NULL), 1);
    ck_assert_int_eq(EVP_RAND_generate(ctx, buf, sizeof(buf), 512, 0, NULL, 0),
                     0);
    tku_assert_error("at most 256 bits");
    EVP_RAND_CTX_free(ctx);
}
END_TEST

START_TEST(fails_closed_without_a_tpm)
{
    EVP_RAND_CTX *ctx = seed_ctx();
    unsigned char buf[32];

    memset(buf, 0xa5, sizeof(buf));
    ck_assert_int_eq(EVP_RAND_instantiate(ctx, 256, 0, NULL, 0, NULL), 1);
    ck_assert_int_eq(EVP_RAND_generate(ctx, buf, sizeof(buf), 0, 0, NULL, 0),
                     0);
    tku_assert_error("TCTI");
    EVP_RAND_CTX_free(ctx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rand_params");
    TCase *tc = tcase_create("seed");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, reports_what_a_seed_source_must);
    tcase_add_test(tc, refuses_more_strength_than_it_has);
    tcase_add_test(tc, fails_closed_without_a_tpm);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
