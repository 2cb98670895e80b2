/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the unit tests that need no TPM: software keys, the
 * OpenSSL error queue as text, dispatch-table lookups, and a library
 * context with the built tpmkit module behind a TCTI nobody answers. */
#ifndef TK_TESTUTIL_H
#define TK_TESTUTIL_H

#include <stddef.h>
#include <openssl/core.h>
#include <openssl/provider.h>
#include <openssl/types.h>

/* Software keys from the default provider, made once per process and
 * cached (call them from main() so that forked tests share them). The
 * caller does not own the result. */
EVP_PKEY *tku_rsa(unsigned bits);
EVP_PKEY *tku_ec(const char *group);

/* A fresh public-only copy of `sw` in `libctx`, made by the key manager
 * `type` that `propq` selects (EVP_PKEY_fromdata). NULL on failure. */
EVP_PKEY *tku_public_copy(OSSL_LIB_CTX *libctx, const char *type,
                          const char *propq, const EVP_PKEY *sw);

/* A UTF-8 string parameter with its length, as OpenSSL's own callers
 * build them (OSSL_PARAM_utf8_string() with size 0 means the empty
 * string to anything that reads it with OSSL_PARAM_get_utf8_string). */
#define TKU_UTF8(key, value)                                                   \
    OSSL_PARAM_utf8_string((key), (char *)(value), strlen(value))

/* Drain the calling thread's error queue into one line of text (each
 * error's reason and data, " | " between them). The buffer is static. */
const char *tku_errors(void);
/* Assert that the error queue mentions `needle` (and drain it). */
#define tku_assert_error(needle)                                               \
    do {                                                                       \
        const char *tku_e_ = tku_errors();                                     \
        ck_assert_msg(strstr(tku_e_, (needle)) != NULL,                        \
                      "expected an error saying \"%s\", got: %s", (needle),    \
                      tku_e_);                                                 \
    } while (0)

/* The function `id` of a dispatch table; aborts the test if absent. */
void (*tku_dispatch(const OSSL_DISPATCH *table, int id))(void);

/* A TCTI string for a loopback port nothing listens on. */
const char *tku_closed_tcti(void);

/* A library context with OpenSSL's default provider and the tpmkit module
 * ($TK_MODULE) loaded, TPMKIT_TCTI pointing at a closed port: everything
 * that needs no TPM works, everything that does fails fast. */
typedef struct tku_module {
    OSSL_LIB_CTX *libctx;
    OSSL_PROVIDER *tpmkit, *dflt;
} tku_module;

void tku_module_load(tku_module *m);
void tku_module_unload(tku_module *m);

/* Bytes from hex, for vectors; aborts on bad input. */
size_t tku_unhex(const char *hex, unsigned char *out, size_t max);

/* An AlgorithmIdentifier (DER): its algorithm's NID; for RSASSA-PSS also
 * the parameters (salt length, hash and MGF1 hash NIDs, defaults filled
 * in). Aborts the test if the DER does not parse. */
int tku_aid_nid(const unsigned char *der, size_t len);
void tku_aid_pss(const unsigned char *der, size_t len, long *saltlen,
                 int *hash_nid, int *mgf1_nid);

#endif
