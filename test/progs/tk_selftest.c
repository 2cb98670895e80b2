/* SPDX-License-Identifier: Apache-2.0 */
/* tk_selftest [keep]: OSSL_PROVIDER_self_test on tpmkit.
 * Exit 0 passed, 1 failed, 2 not loaded. With "keep" the program exits
 * without OSSL_PROVIDER_unload, as many applications do. */
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/provider.h>

#include "tk_util.h"

int main(int argc, char **argv)
{
    OSSL_PROVIDER *prov;
    int passed;

    tk_init();
    /* Returns the instance the configuration activated. */
    prov = OSSL_PROVIDER_load(NULL, "tpmkit");
    if (prov == NULL)
        tk_die("OSSL_PROVIDER_load(tpmkit)");
    passed = OSSL_PROVIDER_self_test(prov);
    printf("self-test: %s\n", passed ? "passed" : "failed");
    if (!passed)
        ERR_print_errors_fp(stderr);
    if (!(argc == 2 && strcmp(argv[1], "keep") == 0))
        OSSL_PROVIDER_unload(prov);
    return passed ? 0 : 1;
}
