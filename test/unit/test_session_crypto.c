/* SPDX-License-Identifier: Apache-2.0 */
/* tpmkit's session arithmetic against OpenSSL's independent implementations
 * of the same standards: KDFa is SP 800-108 counter mode with HMAC (KBKDF),
 * KDFe is the SP 800-56A single-step KDF (SSKDF). A mistake here would show
 * as TPM authorization failures; these tests say which piece is wrong. */
#include <check.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "../../tpm/session_crypto.h"

static tk_crypto crypto;

static void setup(void)
{
    ck_assert(tk_crypto_init(&crypto, NULL));
}

static void teardown(void)
{
    tk_crypto_free(&crypto);
}

static void openssl_kbkdf(const char *digest, const unsigned char *key,
                          size_t key_len, const char *label,
                          const unsigned char *context, size_t context_len,
                          unsigned char *out, size_t out_len)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "KBKDF", NULL);
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
    OSSL_PARAM params[] = {
        OSSL_PARAM_utf8_string(OSSL_KDF_PARAM_MODE, "counter", 0),
        OSSL_PARAM_utf8_string(OSSL_KDF_PARAM_MAC, "HMAC", 0),
        OSSL_PARAM_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)digest, 0),
        OSSL_PARAM_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_len),
        OSSL_PARAM_octet_string(OSSL_KDF_PARAM_SALT, (void *)label,
                                strlen(label)),
        OSSL_PARAM_octet_string(OSSL_KDF_PARAM_INFO, (void *)context,
                                context_len),
        OSSL_PARAM_END,
    };

    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(EVP_KDF_derive(ctx, out, out_len, params), 1);
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
}

START_TEST(kdfa_matches_kbkdf)
{
    static const struct {
        TPMI_ALG_HASH alg;
        const char *name;
    } hashes[] = {
        { TPM2_ALG_SHA1, "SHA1" },
        { TPM2_ALG_SHA256, "SHA256" },
        { TPM2_ALG_SHA384, "SHA384" },
        { TPM2_ALG_SHA512, "SHA512" },
    };
    static const size_t lengths[] = { 16, 32, 48, 64, 100 };
    unsigned char key[40], u[32], v[20], uv[52], mine[100], theirs[100];

    RAND_bytes(key, sizeof(key));
    RAND_bytes(u, sizeof(u));
    RAND_bytes(v, sizeof(v));
    memcpy(uv, u, sizeof(u));
    memcpy(uv + sizeof(u), v, sizeof(v));
    for (size_t h = 0; h < 4; h++) {
        for (size_t l = 0; l < 5; l++) {
            tk_iov ui = { u, sizeof(u) }, vi = { v, sizeof(v) };

            ck_assert(tk_crypto_kdfa(&crypto, hashes[h].alg, key, sizeof(key),
                                     "CFB", &ui, &vi, lengths[l] * 8, mine));
            openssl_kbkdf(hashes[h].name, key, sizeof(key), "CFB", uv,
                          sizeof(uv), theirs, lengths[l]);
            ck_assert_mem_eq(mine, theirs, lengths[l]);
        }
    }
}
END_TEST

START_TEST(kdfa_with_an_empty_key)
{
    /* An unsalted, unbound session has an empty session key. */
    unsigned char u[16] = { 1 }, v[16] = { 2 }, uv[32], mine[32], theirs[32];
    tk_iov ui = { u, 16 }, vi = { v, 16 };

    memcpy(uv, u, 16);
    memcpy(uv + 16, v, 16);
    ck_assert(tk_crypto_kdfa(&crypto, TPM2_ALG_SHA256, NULL, 0, "ATH", &ui, &vi,
                             256, mine));
    /* KBKDF wants a key; an HMAC key of one zero byte equals the empty one. */
    openssl_kbkdf("SHA256", (const unsigned char *)"", 1, "ATH", uv, 32, theirs,
                  32);
    ck_assert_mem_eq(mine, theirs, 32);
}
END_TEST

START_TEST(ecdh_salt_matches_sskdf)
{
    /* A P-256 key standing in for the TPM's storage primary. */
    EVP_PKEY *tpm_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    unsigned char octets[65], salt[32], z[32], info[7 + 64], theirs[32];
    size_t octets_len = 0, z_len = sizeof(z);
    TPMS_ECC_POINT tpm_point = { 0 }, ephemeral = { 0 };
    EVP_PKEY_CTX *ctx;
    EVP_PKEY *peer;
    EVP_KDF *kdf;
    EVP_KDF_CTX *kctx;

    ck_assert_ptr_nonnull(tpm_key);
    ck_assert(EVP_PKEY_get_octet_string_param(
        tpm_key, OSSL_PKEY_PARAM_PUB_KEY, octets, sizeof(octets), &octets_len));
    tpm_point.x.size = tpm_point.y.size = 32;
    memcpy(tpm_point.x.buffer, octets + 1, 32);
    memcpy(tpm_point.y.buffer, octets + 33, 32);
    ck_assert(tk_crypto_ecdh_salt(&crypto, TPM2_ALG_SHA256, &tpm_point,
                                  &ephemeral, salt, sizeof(salt)));

    /* The TPM's side: ECDH of its private key with the ephemeral point. */
    octets[0] = 0x04;
    memcpy(octets + 1, ephemeral.x.buffer, 32);
    memcpy(octets + 33, ephemeral.y.buffer, 32);
    {
        OSSL_PARAM params[] = {
            OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0),
            OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, octets, 65),
            OSSL_PARAM_END,
        };

        peer = NULL;
        ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
        ck_assert(EVP_PKEY_fromdata_init(ctx) > 0);
        ck_assert(EVP_PKEY_fromdata(ctx, &peer, EVP_PKEY_PUBLIC_KEY, params)
                  > 0);
        EVP_PKEY_CTX_free(ctx);
    }
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, tpm_key, NULL);
    ck_assert(EVP_PKEY_derive_init(ctx) > 0);
    ck_assert(EVP_PKEY_derive_set_peer(ctx, peer) > 0);
    ck_assert(EVP_PKEY_derive(ctx, z, &z_len) > 0);
    EVP_PKEY_CTX_free(ctx);

    memcpy(info, "SECRET", 7);
    memcpy(info + 7, ephemeral.x.buffer, 32);
    memcpy(info + 39, tpm_point.x.buffer, 32);
    kdf = EVP_KDF_fetch(NULL, "SSKDF", NULL);
    kctx = EVP_KDF_CTX_new(kdf);
    {
        OSSL_PARAM params[] = {
            OSSL_PARAM_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
            OSSL_PARAM_octet_string(OSSL_KDF_PARAM_KEY, z, 32),
            OSSL_PARAM_octet_string(OSSL_KDF_PARAM_INFO, info, 7 + 64),
            OSSL_PARAM_END,
        };

        ck_assert_int_eq(EVP_KDF_derive(kctx, theirs, sizeof(theirs), params),
                         1);
    }
    ck_assert_mem_eq(salt, theirs, 32);
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
    EVP_PKEY_free(peer);
    EVP_PKEY_free(tpm_key);
}
END_TEST

START_TEST(cfb_round_trip_and_standard)
{
    unsigned char key_iv[32], data[77], copy[77], theirs[77];
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len = 0;

    RAND_bytes(key_iv, sizeof(key_iv));
    RAND_bytes(data, sizeof(data));
    memcpy(copy, data, sizeof(data));
    ck_assert(tk_crypto_cfb(&crypto, key_iv, copy, sizeof(copy), 1));
    ck_assert(EVP_EncryptInit_ex2(ctx, EVP_aes_128_cfb128(), key_iv,
                                  key_iv + 16, NULL));
    ck_assert(EVP_EncryptUpdate(ctx, theirs, &len, data, sizeof(data)));
    ck_assert_mem_eq(copy, theirs, sizeof(data));
    ck_assert(tk_crypto_cfb(&crypto, key_iv, copy, sizeof(copy), 0));
    ck_assert_mem_eq(copy, data, sizeof(data));
    EVP_CIPHER_CTX_free(ctx);
}
END_TEST

START_TEST(hmac_in_pieces_equals_one_shot)
{
    unsigned char key[70], msg[300], mine[64], theirs[64];
    size_t theirs_len = 0;
    tk_iov parts[] = { { msg, 1 }, { msg + 1, 0 }, { msg + 1, 299 } };

    RAND_bytes(key, sizeof(key));
    RAND_bytes(msg, sizeof(msg));
    ck_assert(tk_crypto_hmac(&crypto, TPM2_ALG_SHA384, key, sizeof(key), parts,
                             3, mine));
    ck_assert_ptr_nonnull(EVP_Q_mac(NULL, "HMAC", NULL, "SHA384", NULL, key,
                                    sizeof(key), msg, sizeof(msg), theirs,
                                    sizeof(theirs), &theirs_len));
    ck_assert_uint_eq(theirs_len, 48);
    ck_assert_mem_eq(mine, theirs, 48);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("session_crypto");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, kdfa_matches_kbkdf);
    tcase_add_test(tc, kdfa_with_an_empty_key);
    tcase_add_test(tc, ecdh_salt_matches_sskdf);
    tcase_add_test(tc, cfb_round_trip_and_standard);
    tcase_add_test(tc, hmac_in_pieces_equals_one_shot);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
