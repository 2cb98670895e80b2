/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: bytes -> TSS2 key file -> TPM blobs, and back.
 *
 * Whatever the input, decoding must not crash, leak or hang; a file that
 * decodes must re-encode, decode to the same fields and encode to the same
 * bytes again; its blobs go through the same checks the provider applies
 * before a key ever reaches the TPM. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "../../decoders/keyfile.h"
#include "../../tpm/key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            abort();                                                           \
    } while (0)

static int same_bytes(const unsigned char *a, size_t a_len,
                      const unsigned char *b, size_t b_len)
{
    return a_len == b_len && (a_len == 0 || memcmp(a, b, a_len) == 0);
}

static void round_trip(const tk_keyfile *kf)
{
    unsigned char *der = NULL, *der2 = NULL;
    size_t len = 0, len2 = 0;
    tk_keyfile again;

    CHECK(tk_keyfile_encode(kf, &der, &len) == 1);
    CHECK(tk_keyfile_decode(der, len, &again) == TK_KEYFILE_OK);
    CHECK(again.importable == kf->importable);
    CHECK(again.sealed == kf->sealed);
    CHECK(again.empty_auth == kf->empty_auth);
    CHECK(again.parent == kf->parent);
    CHECK((again.description == NULL) == (kf->description == NULL));
    CHECK(kf->description == NULL
          || strcmp(again.description, kf->description) == 0);
    CHECK(same_bytes(again.pub, again.pub_len, kf->pub, kf->pub_len));
    CHECK(same_bytes(again.priv, again.priv_len, kf->priv, kf->priv_len));
    CHECK(
        same_bytes(again.secret, again.secret_len, kf->secret, kf->secret_len));
    CHECK(tk_keyfile_encode(&again, &der2, &len2) == 1);
    CHECK(same_bytes(der, len, der2, len2));
    tk_keyfile_clear(&again);
    OPENSSL_free(der);
    OPENSSL_free(der2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tk_keyfile kf;
    tk_tpm_pubinfo info;
    char why[160];
    int rv = tk_keyfile_decode_ex(data, size, &kf, why, sizeof(why));

    CHECK(rv == TK_KEYFILE_OK || rv == TK_KEYFILE_NOT_MINE
          || rv == TK_KEYFILE_MALFORMED);
    if (rv != TK_KEYFILE_OK) {
        CHECK(kf.pub == NULL && kf.priv == NULL && kf.description == NULL);
        CHECK(rv != TK_KEYFILE_MALFORMED || why[0] != '\0');
        return 0;
    }
    CHECK(kf.pub != NULL && kf.pub_len > 0 && kf.priv != NULL
          && kf.priv_len > 0);
    /* The provider's next steps, minus the TPM. */
    if (tk_tpm_parse_public(kf.pub, kf.pub_len, &info)) {
        CHECK(info.kind == TK_TPM_KEY_RSA || info.kind == TK_TPM_KEY_EC
              || info.kind == TK_TPM_KEY_HMAC
              || info.kind == TK_TPM_KEY_SEALED);
        CHECK(info.n_len <= sizeof(info.n)
              && info.point_len <= sizeof(info.point));
    }
    (void)tk_tpm_check_private(kf.priv, kf.priv_len);
    round_trip(&kf);
    tk_keyfile_clear(&kf);
    return 0;
}
