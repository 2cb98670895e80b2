/* SPDX-License-Identifier: Apache-2.0 */
/* TPM2-HMAC without a TPM: the digest-name and secret handling of
 * mac/hmac_secret.c (RFC 2104 key reduction, checked against OpenSSL's
 * HMAC), the hash tables of the TPM layer, and the EVP_MAC of the built
 * module with TPMKIT_TCTI on a closed port: sizes, parameters, key-uri
 * forms and key files read without the TPM, and failures that say why. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <tss2/tss2_mu.h>

#include "testutil.h"
#include "../../decoders/keyfile.h"
#include "../../mac/mac.h"
#include "../../tpm/pubinfo.h"

#define PROPQ "provider=tpmkit"

static tku_module m;
static char dir[64];

static void setup(void)
{
    tku_module_load(&m);
    strcpy(dir, "/tmp/tk_mac_params.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];

    tku_module_unload(&m);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(digest_names)
{
    static const struct {
        const char *name;
        int nid;
    } ok[] = {
        { "SHA1", NID_sha1 },       { "SHA-1", NID_sha1 },
        { "sha1", NID_sha1 },       { "SHA256", NID_sha256 },
        { "SHA2-256", NID_sha256 }, { "SHA-256", NID_sha256 },
        { "SHA384", NID_sha384 },   { "SHA2-384", NID_sha384 },
        { "SHA512", NID_sha512 },   { "sha512", NID_sha512 },
    };
    static const char *const bad[] = { "MD5",      "SHA224",   "SHA512-256",
                                       "SHA3-256", "SHAKE256", "",
                                       "nope" };

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        ck_assert_msg(tk_hmac_digest_nid(NULL, ok[i].name) == ok[i].nid, "%s",
                      ok[i].name);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(tk_hmac_digest_nid(NULL, bad[i]) == NID_undef,
                      "%s accepted", bad[i]);
}
END_TEST

/* The TPM layer's hash and curve tables, entry by entry, against
 * OpenSSL's digest sizes and the TPM 2.0 algorithm ids. */
START_TEST(hash_and_curve_tables)
{
    static const struct {
        int nid;
        TPMI_ALG_HASH alg;
        const char *md;
    } hashes[] = {
        { NID_sha1, TPM2_ALG_SHA1, "SHA1" },
        { NID_sha256, TPM2_ALG_SHA256, "SHA256" },
        { NID_sha384, TPM2_ALG_SHA384, "SHA384" },
        { NID_sha512, TPM2_ALG_SHA512, "SHA512" },
    };
    static const struct {
        int nid;
        TPMI_ECC_CURVE curve;
    } curves[] = {
        { NID_X9_62_prime192v1, TPM2_ECC_NIST_P192 },
        { NID_secp224r1, TPM2_ECC_NIST_P224 },
        { NID_X9_62_prime256v1, TPM2_ECC_NIST_P256 },
        { NID_secp384r1, TPM2_ECC_NIST_P384 },
        { NID_secp521r1, TPM2_ECC_NIST_P521 },
    };

    for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++) {
        EVP_MD *md = EVP_MD_fetch(NULL, hashes[i].md, NULL);

        ck_assert_uint_eq(tk_tpm_hash_alg(hashes[i].nid), hashes[i].alg);
        ck_assert_int_eq(tk_tpm_hash_nid(hashes[i].alg), hashes[i].nid);
        ck_assert_uint_eq(tk_tpm_digest_size(hashes[i].nid),
                          (size_t)EVP_MD_get_size(md));
        EVP_MD_free(md);
    }
    ck_assert_uint_eq(tk_tpm_hash_alg(NID_md5), TPM2_ALG_NULL);
    ck_assert_uint_eq(tk_tpm_hash_alg(NID_sha224), TPM2_ALG_NULL);
    ck_assert_int_eq(tk_tpm_hash_nid(TPM2_ALG_SM3_256), NID_undef);
    ck_assert_int_eq(tk_tpm_hash_nid(TPM2_ALG_NULL), NID_undef);
    /* Anything else is taken as SHA-256 sized. */
    ck_assert_uint_eq(tk_tpm_digest_size(NID_undef), 32);
    for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
        ck_assert_uint_eq(tk_tpm_curve(curves[i].nid), curves[i].curve);
    ck_assert_uint_eq(tk_tpm_curve(NID_brainpoolP256r1), TPM2_ECC_NONE);
    ck_assert_uint_eq(tk_tpm_curve(NID_secp256k1), TPM2_ECC_NONE);
}
END_TEST

static void openssl_hmac(const char *md, const unsigned char *key,
                         size_t key_len, unsigned char *out, size_t *out_len)
{
    static const unsigned char data[] = "Hi There, RFC 2104";

    ck_assert_ptr_nonnull(EVP_Q_mac(NULL, "HMAC", NULL, md, NULL, key, key_len,
                                    data, sizeof(data), out, EVP_MAX_MD_SIZE,
                                    out_len));
}

/* Keys up to the block size go to the TPM as they are, longer ones as
 * their hash, the empty key as 00; the MAC never changes. */
START_TEST(secrets_per_rfc2104)
{
    static const struct {
        const char *md;
        int nid;
        size_t block;
    } hashes[] = {
        { "SHA1", NID_sha1, 64 },
        { "SHA256", NID_sha256, 64 },
        { "SHA384", NID_sha384, 128 },
        { "SHA512", NID_sha512, 128 },
    };
    unsigned char key[300], out[128], want[EVP_MAX_MD_SIZE],
        got[EVP_MAX_MD_SIZE];
    size_t out_len, want_len, got_len;

    for (size_t i = 0; i < sizeof(key); i++)
        key[i] = (unsigned char)(0xa0 ^ i);
    for (size_t h = 0; h < sizeof(hashes) / sizeof(hashes[0]); h++) {
        size_t block = hashes[h].block;
        size_t lens[] = {
            0, 1, 20, block - 1, block, block + 1, 2 * block, 300
        };

        for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
            size_t len = lens[l];

            memset(out, 0xee, sizeof(out));
            ck_assert(tk_hmac_prepare_key(NULL, hashes[h].nid, key, len, out,
                                          &out_len));
            if (len == 0) {
                ck_assert_uint_eq(out_len, 1);
                ck_assert_uint_eq(out[0], 0);
            } else if (len <= block) {
                ck_assert_uint_eq(out_len, len);
                ck_assert_mem_eq(out, key, len);
            } else {
                unsigned char h2[EVP_MAX_MD_SIZE];
                unsigned int h2_len;

                ck_assert(EVP_Digest(key, len, h2, &h2_len,
                                     EVP_get_digestbyname(hashes[h].md), NULL));
                ck_assert_uint_eq(out_len, h2_len);
                ck_assert_mem_eq(out, h2, h2_len);
            }
            ck_assert_uint_le(out_len, block);
            openssl_hmac(hashes[h].md, key, len, want, &want_len);
            openssl_hmac(hashes[h].md, out, out_len, got, &got_len);
            ck_assert_msg(
                got_len == want_len && memcmp(got, want, want_len) == 0,
                "%s with a %zu-byte key: another MAC", hashes[h].md, len);
        }
    }
    /* No hash, no key. */
    ck_assert(!tk_hmac_prepare_key(NULL, NID_undef, key, 10, out, &out_len));
}
END_TEST

static EVP_MAC_CTX *mac_ctx(void)
{
    EVP_MAC *mac = EVP_MAC_fetch(m.libctx, "TPM2-HMAC", PROPQ);
    EVP_MAC_CTX *ctx;

    ck_assert_ptr_nonnull(mac);
    ctx = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);
    ck_assert_ptr_nonnull(ctx);
    return ctx;
}

static int set_string(EVP_MAC_CTX *ctx, const char *key, const char *value)
{
    OSSL_PARAM p[] = { TKU_UTF8(key, value), OSSL_PARAM_END };

    return EVP_MAC_CTX_set_params(ctx, p);
}

START_TEST(sizes_follow_the_digest)
{
    static const struct {
        const char *md;
        size_t size, block;
    } cases[] = {
        { "SHA1", 20, 64 },    { "SHA256", 32, 64 }, { "SHA384", 48, 128 },
        { "SHA512", 64, 128 }, { "SHA-1", 20, 64 },
    };
    EVP_MAC_CTX *ctx = mac_ctx();

    /* Before anything is set: SHA-256. */
    ck_assert_uint_eq(EVP_MAC_CTX_get_mac_size(ctx), 32);
    ck_assert_uint_eq(EVP_MAC_CTX_get_block_size(ctx), 64);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert(set_string(ctx, OSSL_MAC_PARAM_DIGEST, cases[i].md));
        ck_assert_uint_eq(EVP_MAC_CTX_get_mac_size(ctx), cases[i].size);
        ck_assert_uint_eq(EVP_MAC_CTX_get_block_size(ctx), cases[i].block);
    }
    /* A digest the TPM does not HMAC with is refused. */
    ck_assert(!set_string(ctx, OSSL_MAC_PARAM_DIGEST, "MD5"));
    tku_assert_error("use SHA1, SHA256, SHA384 or SHA512");
    ck_assert(!set_string(ctx, OSSL_MAC_PARAM_DIGEST, "SHA3-512"));
    tku_assert_error("TPM HMAC digest \"SHA3-512\"");
    EVP_MAC_CTX_free(ctx);
}
END_TEST

static size_t count(const OSSL_PARAM *p)
{
    size_t n = 0;

    for (; p != NULL && p->key != NULL; p++)
        n++;
    return n;
}

START_TEST(parameter_lists)
{
    EVP_MAC *mac = EVP_MAC_fetch(m.libctx, "TPM2-HMAC", PROPQ);
    const OSSL_PARAM *settable = EVP_MAC_settable_ctx_params(mac);
    const OSSL_PARAM *gettable = EVP_MAC_gettable_ctx_params(mac);
    static const char *const set[] = { "key-uri", OSSL_MAC_PARAM_DIGEST,
                                       OSSL_MAC_PARAM_KEY, "password" };
    static const char *const get[] = { OSSL_MAC_PARAM_SIZE,
                                       OSSL_MAC_PARAM_BLOCK_SIZE };

    for (size_t i = 0; i < 4; i++)
        ck_assert_msg(OSSL_PARAM_locate_const(settable, set[i]) != NULL, "%s",
                      set[i]);
    ck_assert_uint_eq(count(settable), 4);
    for (size_t i = 0; i < 2; i++)
        ck_assert_msg(OSSL_PARAM_locate_const(gettable, get[i]) != NULL, "%s",
                      get[i]);
    ck_assert_uint_eq(count(gettable), 2);
    EVP_MAC_free(mac);
}
END_TEST

START_TEST(init_needs_a_key)
{
    EVP_MAC_CTX *ctx = mac_ctx();
    unsigned char out[64];
    size_t out_len;

    ck_assert_int_eq(EVP_MAC_init(ctx, NULL, 0, NULL), 0);
    tku_assert_error("TPM2-HMAC needs a key");
    ck_assert_int_eq(EVP_MAC_update(ctx, (const unsigned char *)"x", 1), 0);
    tku_assert_error("update before init");
    ck_assert_int_eq(EVP_MAC_final(ctx, out, &out_len, sizeof(out)), 0);
    tku_assert_error("final before init");
    /* A persistent handle is written 0x81xxxxxx; this one is rejected
     * before any TPM is asked. */
    ck_assert(set_string(ctx, "key-uri", "handle:81000001"));
    ck_assert_int_eq(EVP_MAC_init(ctx, NULL, 0, NULL), 0);
    tku_assert_error("expected handle:0x81xxxxxx");
    ck_assert(set_string(ctx, "key-uri", "handle:0x81000001zz"));
    ck_assert_int_eq(EVP_MAC_init(ctx, NULL, 0, NULL), 0);
    tku_assert_error("expected handle:0x81xxxxxx");
    /* A well-formed handle needs the TPM to read its public part. */
    ck_assert(set_string(ctx, "key-uri", "handle:0x81000001"));
    ck_assert_int_eq(EVP_MAC_init(ctx, NULL, 0, NULL), 0);
    tku_assert_error(tku_closed_tcti());
    EVP_MAC_CTX_free(ctx);
}
END_TEST

/* A raw key is loaded into the TPM only when a MAC is computed: init and
 * update work without it, final does not. */
START_TEST(raw_key_needs_the_tpm_at_final)
{
    EVP_MAC_CTX *ctx = mac_ctx(), *dup;
    unsigned char key[200], out[64];
    size_t out_len = 0;
    OSSL_PARAM sha384[] = { TKU_UTF8(OSSL_MAC_PARAM_DIGEST, "SHA384"),
                            OSSL_PARAM_END };

    memset(key, 7, sizeof(key));
    ck_assert_msg(EVP_MAC_init(ctx, key, sizeof(key), sha384) == 1, "%s",
                  tku_errors());
    ck_assert_uint_eq(EVP_MAC_CTX_get_mac_size(ctx), 48);
    ck_assert_int_eq(EVP_MAC_update(ctx, key, sizeof(key)), 1);
    dup = EVP_MAC_CTX_dup(ctx);
    ck_assert_ptr_nonnull(dup);
    ck_assert_uint_eq(EVP_MAC_CTX_get_mac_size(dup), 48);
    ck_assert_int_eq(EVP_MAC_final(ctx, out, &out_len, sizeof(out)), 0);
    tku_assert_error("TPM unreachable");
    ck_assert_int_eq(EVP_MAC_final(dup, out, &out_len, sizeof(out)), 0);
    tku_assert_error(tku_closed_tcti());
    EVP_MAC_CTX_free(dup);
    EVP_MAC_CTX_free(ctx);
}
END_TEST

/* A TSS2 key file around a public area, built with the TSS marshaller
 * and tpmkit's key-file encoder. */
static void write_key_file(const char *path, const TPMT_PUBLIC *area, int pem)
{
    TPM2B_PUBLIC pub = { .publicArea = *area };
    unsigned char pub_blob[sizeof(TPM2B_PUBLIC)],
        priv_blob[] = { 0, 4, 1, 2, 3, 4 };
    size_t pub_len = 0;
    tk_keyfile kf = { 0 };
    unsigned char *der = NULL;
    size_t der_len = 0;
    BIO *out = BIO_new_file(path, "wb");

    ck_assert_int_eq(Tss2_MU_TPM2B_PUBLIC_Marshal(&pub, pub_blob,
                                                  sizeof(pub_blob), &pub_len),
                     TSS2_RC_SUCCESS);
    kf.empty_auth = 1;
    kf.parent = 0x40000001u;
    kf.pub = pub_blob;
    kf.pub_len = pub_len;
    kf.priv = priv_blob;
    kf.priv_len = sizeof(priv_blob);
    ck_assert_int_eq(tk_keyfile_encode(&kf, &der, &der_len), 1);
    ck_assert_ptr_nonnull(out);
    if (pem)
        ck_assert_int_gt(
            PEM_write_bio(out, TK_KEYFILE_PEM_LABEL, "", der, (long)der_len),
            0);
    else
        ck_assert_int_eq(BIO_write(out, der, (int)der_len), (int)der_len);
    BIO_free(out);
    OPENSSL_free(der);
}

static TPMT_PUBLIC hmac_area(TPMI_ALG_HASH hash,
                             TPMI_ALG_KEYEDHASH_SCHEME scheme)
{
    TPMT_PUBLIC area = { 0 };

    area.type = TPM2_ALG_KEYEDHASH;
    area.nameAlg = TPM2_ALG_SHA256;
    area.objectAttributes = TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_USERWITHAUTH
                            | TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT;
    area.parameters.keyedHashDetail.scheme.scheme = scheme;
    area.parameters.keyedHashDetail.scheme.details.hmac.hashAlg = hash;
    area.unique.keyedHash.size = 32;
    memset(area.unique.keyedHash.buffer, 0x33, 32);
    return area;
}

static const char *file_in_dir(const char *name)
{
    static char path[128];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return path;
}

/* Key files are read, and their hash learnt, without the TPM. */
START_TEST(key_files)
{
    TPMT_PUBLIC sha384 = hmac_area(TPM2_ALG_SHA384, TPM2_ALG_HMAC);
    TPMT_PUBLIC xor = hmac_area(TPM2_ALG_SHA256, TPM2_ALG_XOR);
    TPMT_PUBLIC ec = { 0 };
    EVP_MAC_CTX *ctx = mac_ctx();
    unsigned char out[64];
    size_t out_len;
    char path[128];

    write_key_file(file_in_dir("hmac384.pem"), &sha384, 1);
    write_key_file(file_in_dir("hmac384.der"), &sha384, 0);
    ck_assert(set_string(ctx, "key-uri", file_in_dir("hmac384.pem")));
    /* Before init the file says which hash the MAC will have. */
    ck_assert_uint_eq(EVP_MAC_CTX_get_mac_size(ctx), 48);
    ck_assert_uint_eq(EVP_MAC_CTX_get_block_size(ctx), 128);
    ck_assert_msg(EVP_MAC_init(ctx, NULL, 0, NULL) == 1, "%s", tku_errors());
    ck_assert_int_eq(EVP_MAC_update(ctx, (const unsigned char *)"data", 4), 1);
    ck_assert_int_eq(EVP_MAC_final(ctx, out, &out_len, sizeof(out)), 0);
    tku_assert_error("TPM unreachable");
    /* The key's hash is fixed: another digest is refused at init. */
    ck_assert(set_string(ctx, "key-uri", file_in_dir("hmac384.der")));
    ck_assert(set_string(ctx, OSSL_MAC_PARAM_DIGEST, "SHA256"));
    ck_assert_int_eq(EVP_MAC_init(ctx, NULL, 0, NULL), 0);
    tku_assert_error("computes HMAC-SHA384 only, not HMAC-SHA256");
    ck_assert(set_string(ctx, OSSL_MAC_PARAM_DIGEST, "SHA384"));
    ck_assert_msg(EVP_MAC_init(ctx, NULL, 0, NULL) == 1, "%s", tku_errors());

    /* Files that are not HMAC key files. */
    write_key_file(file_in_dir("xor.der"), &xor, 0);
    ck_assert(set_string(ctx, "key-uri", file_in_dir("xor.der")));
    ck_assert_int_eq(EVP_MAC_init(ctx, NULL, 0, NULL), 0);
    tku_assert_error("keyed-hash object is not an HMAC key");
    ec.type = TPM2_ALG_ECC;
    ec.nameAlg = TPM2_ALG_SHA256;
    ec.objectAttributes = TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_USERWITHAUTH;
    ec.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
    ec.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
    ec.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    ec.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
    ec.unique.ecc.x.size = 32;
    ec.unique.ecc.y.size = 32;
    memset(ec.unique.ecc.x.buffer, 1, 32);
    memset(ec.unique.ecc.y.buffer, 2, 32);
    write_key_file(file_in_dir("ec.pem"), &ec, 1);
    ck_assert(set_string(ctx, "key-uri", file_in_dir("ec.pem")));
    ck_assert_int_eq(EVP_MAC_init(ctx, NULL, 0, NULL), 0);
    tku_assert_error("holds no HMAC key");
    {
        BIO *b = BIO_new_file(file_in_dir("rsa.pem"), "w");

        ck_assert_int_eq(PEM_write_bio_PrivateKey(b, tku_rsa(1024), NULL, NULL,
                                                  0, NULL, NULL),
                         1);
        BIO_free(b);
    }
    ck_assert(set_string(ctx, "key-uri", file_in_dir("rsa.pem")));
    ck_assert_int_eq(EVP_MAC_init(ctx, NULL, 0, NULL), 0);
    tku_assert_error("is not a TSS2 PRIVATE KEY file");
    {
        BIO *b = BIO_new_file(file_in_dir("junk"), "w");

        BIO_puts(b, "just some text, not DER");
        BIO_free(b);
    }
    ck_assert(set_string(ctx, "key-uri", file_in_dir("junk")));
    ck_assert_int_eq(EVP_MAC_init(ctx, NULL, 0, NULL), 0);
    tku_assert_error("is not a TSS2 key file");
    {
        FILE *f = fopen(file_in_dir("huge"), "w");

        ck_assert_ptr_nonnull(f);
        for (size_t i = 0; i <= TK_KEYFILE_MAX_DER; i++)
            fputc(0x30, f);
        fclose(f);
    }
    ck_assert(set_string(ctx, "key-uri", file_in_dir("huge")));
    ck_assert_int_eq(EVP_MAC_init(ctx, NULL, 0, NULL), 0);
    tku_assert_error("too large for a TSS2 key file");
    snprintf(path, sizeof(path), "%s/missing.pem", dir);
    ck_assert(set_string(ctx, "key-uri", path));
    ck_assert_int_eq(EVP_MAC_init(ctx, NULL, 0, NULL), 0);
    tku_assert_error("cannot open the HMAC key file");
    EVP_MAC_CTX_free(ctx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mac_params");
    TCase *plain = tcase_create("secrets"), *module = tcase_create("module");
    SRunner *sr;
    int failed;

    tku_rsa(1024);
    tcase_add_test(plain, digest_names);
    tcase_add_test(plain, hash_and_curve_tables);
    tcase_add_test(plain, secrets_per_rfc2104);
    suite_add_tcase(s, plain);
    tcase_add_checked_fixture(module, setup, teardown);
    tcase_set_timeout(module, 60);
    tcase_add_test(module, sizes_follow_the_digest);
    tcase_add_test(module, parameter_lists);
    tcase_add_test(module, init_needs_a_key);
    tcase_add_test(module, raw_key_needs_the_tpm_at_final);
    tcase_add_test(module, key_files);
    suite_add_tcase(s, module);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
