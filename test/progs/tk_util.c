/* SPDX-License-Identifier: Apache-2.0 */
#include "tk_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

void tk_die(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("FAILED: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    ERR_print_errors_fp(stderr);
    exit(1);
}

void tk_init(void)
{
    if (!OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL))
        tk_die("cannot load the OpenSSL configuration");
    if (!OSSL_PROVIDER_available(NULL, "tpmkit")) {
        fprintf(stderr, "tpmkit is not loaded (check OPENSSL_CONF)\n");
        ERR_print_errors_fp(stderr);
        exit(2);
    }
}

EVP_RAND_CTX *tk_seed_new(void)
{
    EVP_RAND *rand = EVP_RAND_fetch(NULL, "TPM2-SEED", "provider=tpmkit");
    EVP_RAND_CTX *ctx;

    if (rand == NULL)
        tk_die("EVP_RAND_fetch(TPM2-SEED)");
    ctx = EVP_RAND_CTX_new(rand, NULL);
    EVP_RAND_free(rand);
    if (ctx == NULL)
        tk_die("EVP_RAND_CTX_new(TPM2-SEED)");
    if (!EVP_RAND_instantiate(ctx, 256, 0, NULL, 0, NULL))
        tk_die("EVP_RAND_instantiate(TPM2-SEED)");
    return ctx;
}

int tk_seed_draw(EVP_RAND_CTX *ctx, unsigned char *out, size_t len)
{
    if (EVP_RAND_generate(ctx, out, len, 256, 0, NULL, 0))
        return 1;
    fprintf(stderr, "EVP_RAND_generate(TPM2-SEED, %zu bytes) failed\n", len);
    ERR_print_errors_fp(stderr);
    return 0;
}

int tk_rand_bytes(unsigned char *out, size_t len)
{
    if (RAND_bytes(out, (int)len) == 1)
        return 1;
    fprintf(stderr, "RAND_bytes(%zu bytes) failed\n", len);
    ERR_print_errors_fp(stderr);
    return 0;
}

int tk_all_zero(const unsigned char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (buf[i] != 0)
            return 0;
    return 1;
}

void tk_print_hex(const unsigned char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        printf("%02x", buf[i]);
    putchar('\n');
}
