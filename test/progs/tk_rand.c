/* SPDX-License-Identifier: Apache-2.0 */
/* Drawing random bytes the ways an application would.
 *
 *   tk_rand seed-hex N          N bytes straight from TPM2-SEED, as hex
 *   tk_rand seed-check          TPM2-SEED for many request sizes, strength
 *                               and max_request
 *   tk_rand rand-bytes COUNT N  COUNT calls of RAND_bytes(N) (the DRBG that
 *                               the configuration seeds from the TPM)
 *
 * With "keep-loaded" first, the program also takes its own reference on
 * tpmkit (OSSL_PROVIDER_load) and exits without OSSL_PROVIDER_unload, as
 * many applications do: OpenSSL then never tears the provider down.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include "tk_util.h"

static size_t arg_size(const char *text)
{
    char *end;
    unsigned long value = strtoul(text, &end, 10);

    if (*text == '\0' || *end != '\0' || value == 0)
        tk_die("bad number \"%s\"", text);
    return value;
}

static int seed_hex(size_t len)
{
    EVP_RAND_CTX *ctx = tk_seed_new();
    unsigned char *buf = OPENSSL_malloc(len);

    if (buf == NULL || !tk_seed_draw(ctx, buf, len))
        tk_die("drawing %zu bytes", len);
    tk_print_hex(buf, len);
    OPENSSL_free(buf);
    EVP_RAND_CTX_free(ctx);
    return 0;
}

static int seed_check(void)
{
    /* Around the 64-byte TPM2_GetRandom limit and EVP_RAND's max_request
     * split, plus a large one. */
    static const size_t sizes[] = { 1, 31, 64, 65, 1000, 5000, 100000 };
    EVP_RAND_CTX *ctx = tk_seed_new();
    size_t max_request = 0;
    OSSL_PARAM params[] = { OSSL_PARAM_size_t(OSSL_RAND_PARAM_MAX_REQUEST,
                                              &max_request),
                            OSSL_PARAM_END };
    int failed = 0;

    if (EVP_RAND_get_strength(ctx) != 256) {
        printf("FAIL strength: expected 256, got %u\n",
               EVP_RAND_get_strength(ctx));
        failed = 1;
    } else {
        printf("ok strength 256\n");
    }
    if (!EVP_RAND_CTX_get_params(ctx, params) || max_request == 0) {
        printf("FAIL max_request: expected > 0, got %zu\n", max_request);
        failed = 1;
    } else {
        printf("ok max_request %zu\n", max_request);
    }
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t n = sizes[i];
        unsigned char *a = OPENSSL_zalloc(n), *b = OPENSSL_zalloc(n);

        if (a == NULL || b == NULL)
            tk_die("out of memory");
        if (!tk_seed_draw(ctx, a, n) || !tk_seed_draw(ctx, b, n)) {
            printf("FAIL %zu bytes: generate failed\n", n);
            failed = 1;
        } else if (tk_all_zero(a, n) || tk_all_zero(b, n)) {
            printf("FAIL %zu bytes: all zero\n", n);
            failed = 1;
        } else if (n > 1 && memcmp(a, b, n) == 0) {
            /* One byte repeats by chance 1 time in 256: only compare
             * longer draws. */
            printf("FAIL %zu bytes: two draws are identical\n", n);
            failed = 1;
        } else {
            printf("ok %zu bytes\n", n);
        }
        OPENSSL_free(a);
        OPENSSL_free(b);
    }
    EVP_RAND_CTX_free(ctx);
    return failed;
}

static int rand_bytes(size_t count, size_t len)
{
    unsigned char *buf = OPENSSL_malloc(len);

    if (buf == NULL)
        tk_die("out of memory");
    for (size_t i = 0; i < count; i++)
        if (!tk_rand_bytes(buf, len))
            tk_die("RAND_bytes call %zu of %zu", i + 1, count);
    tk_print_hex(buf, len);
    OPENSSL_free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    int rc;

    tk_init();
    if (argc >= 2 && strcmp(argv[1], "keep-loaded") == 0) {
        if (OSSL_PROVIDER_load(NULL, "tpmkit") == NULL)
            tk_die("OSSL_PROVIDER_load(tpmkit)");
        argc--;
        argv++;
    }
    if (argc == 3 && strcmp(argv[1], "seed-hex") == 0)
        rc = seed_hex(arg_size(argv[2]));
    else if (argc == 2 && strcmp(argv[1], "seed-check") == 0)
        rc = seed_check();
    else if (argc == 4 && strcmp(argv[1], "rand-bytes") == 0)
        rc = rand_bytes(arg_size(argv[2]), arg_size(argv[3]));
    else
        tk_die("usage: tk_rand [keep-loaded] seed-hex N | seed-check | "
               "rand-bytes COUNT N");
    return rc;
}
