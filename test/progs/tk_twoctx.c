/* SPDX-License-Identifier: Apache-2.0 */
/* tk_twoctx MODULE_DIR: two library contexts each load tpmkit; the first is
 * freed; then an operation in the second fails (TPMKIT_TCTI names an
 * unreachable TPM). Its error must be tpmkit's, intact: raised through an
 * instance that is still loaded, never through the freed one's core
 * handle (AddressSanitizer catches that). Exit 0 when the error reads
 * "tpmkit" / "TPM unreachable". */
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

static EVP_RAND_CTX *seed_in(OSSL_LIB_CTX *libctx)
{
    EVP_RAND *rand = EVP_RAND_fetch(libctx, "TPM2-SEED", "provider=tpmkit");
    EVP_RAND_CTX *ctx = rand != NULL ? EVP_RAND_CTX_new(rand, NULL) : NULL;

    EVP_RAND_free(rand);
    return ctx;
}

int main(int argc, char **argv)
{
    OSSL_LIB_CTX *first = OSSL_LIB_CTX_new(), *second = OSSL_LIB_CTX_new();
    OSSL_PROVIDER *p1, *p2;
    EVP_RAND_CTX *ctx;
    unsigned char buf[16];
    unsigned long err;
    const char *lib, *reason;
    int ok;

    if (argc != 2 || first == NULL || second == NULL)
        return 2;
    OSSL_PROVIDER_set_default_search_path(first, argv[1]);
    OSSL_PROVIDER_set_default_search_path(second, argv[1]);
    p1 = OSSL_PROVIDER_load(first, "tpmkit");
    p2 = OSSL_PROVIDER_load(second, "tpmkit");
    if (p1 == NULL || p2 == NULL) {
        ERR_print_errors_fp(stderr);
        return 2;
    }
    OSSL_PROVIDER_unload(p1);
    OSSL_LIB_CTX_free(first);

    if ((ctx = seed_in(second)) == NULL) {
        ERR_print_errors_fp(stderr);
        return 2;
    }
    ERR_clear_error();
    ok = EVP_RAND_instantiate(ctx, 0, 0, NULL, 0, NULL)
         && EVP_RAND_generate(ctx, buf, sizeof(buf), 0, 0, NULL, 0);
    if (ok) {
        fprintf(stderr, "the draw from an unreachable TPM succeeded\n");
        return 1;
    }
    err = ERR_peek_error();
    lib = ERR_lib_error_string(err);
    reason = ERR_reason_error_string(err);
    printf("error: %s: %s\n", lib ? lib : "(null)", reason ? reason : "(null)");
    ok = lib != NULL && strcmp(lib, "tpmkit") == 0 && reason != NULL
         && strcmp(reason, "TPM unreachable") == 0;
    ERR_print_errors_fp(stdout);
    EVP_RAND_CTX_free(ctx);
    OSSL_PROVIDER_unload(p2);
    OSSL_LIB_CTX_free(second);
    return ok ? 0 : 1;
}
