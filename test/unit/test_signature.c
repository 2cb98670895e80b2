/* Signatures with TPM keys (keymgmt/signature.c) over a software stand-in
 * for the TPM: what tpmkit pads in software and hands to the TPM's raw RSA
 * operation must be the EMSA-PSS or EMSA-PKCS1-v1_5 encoding OpenSSL makes
 * and checks; what it leaves to the TPM (sign-only and restricted keys,
 * ECDSA) must go with the right scheme, hash and input, and come back as
 * signatures OpenSSL verifies. */
#define OPENSSL_SUPPRESS_DEPRECATED     /* RSA_verify_PKCS1_PSS_mgf1 and co. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>
#include <openssl/rsa.h>

#include "fake_tpm.h"
#include "../../keymgmt/dispatch.h"
#include "../../keymgmt/key.h"

#define PROPQ "provider=tpmkit"

static tku_module m;
static const unsigned char msg[] = "tpmkit signs what OpenSSL verifies";

static void setup(void)
{
    fake_module_load(&m);
}

static void teardown(void)
{
    tku_module_unload(&m);
}

/* A TPM key made through tpmkit's key generation. */
static EVP_PKEY *tpm_keygen(const char *type, const OSSL_PARAM *params)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(m.libctx, type, PROPQ);
    EVP_PKEY *pkey = NULL;

    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(EVP_PKEY_keygen_init(ctx), 1);
    ck_assert_int_eq(EVP_PKEY_CTX_set_params(ctx, params), 1);
    ck_assert_msg(EVP_PKEY_generate(ctx, &pkey) == 1, "keygen: %s", tku_errors());
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

static EVP_PKEY *tpm_rsa(const char *type, unsigned bits)
{
    OSSL_PARAM params[] = {
        OSSL_PARAM_uint(OSSL_PKEY_PARAM_RSA_BITS, &bits),
        OSSL_PARAM_END
    };

    return tpm_keygen(type, params);
}

static EVP_PKEY *tpm_ec(const char *group)
{
    OSSL_PARAM params[] = {
        TKU_UTF8(OSSL_PKEY_PARAM_GROUP_NAME, group),
        OSSL_PARAM_END
    };

    return tpm_keygen("EC", params);
}

static int md_size(const char *md)
{
    EVP_MD *m_ = EVP_MD_fetch(NULL, md, NULL);
    int n = EVP_MD_get_size(m_);

    EVP_MD_free(m_);
    return n;
}

static void hash(const char *md, const unsigned char *data, size_t len,
                 unsigned char *out)
{
    ck_assert_int_eq(EVP_Q_digest(NULL, md, NULL, data, len, out, NULL), 1);
}

/* Sign `msg` with tpmkit (message in, hashed by tpmkit). */
static int tpm_digest_sign(EVP_PKEY *key, const char *md, const OSSL_PARAM *params,
                           unsigned char *sig, size_t *siglen)
{
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    int ok = EVP_DigestSignInit_ex(mctx, NULL, md, m.libctx, PROPQ, key, params) == 1
             && EVP_DigestSign(mctx, sig, siglen, msg, sizeof(msg)) == 1;

    EVP_MD_CTX_free(mctx);
    return ok;
}

/* Verify with OpenSSL on the software key. `saltlen` is exact for PSS. */
static int sw_verify(EVP_PKEY *sw, const char *md, int pad, int saltlen,
                     const char *mgf1, const unsigned char *sig, size_t siglen)
{
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int ok = EVP_DigestVerifyInit_ex(mctx, &pctx, md, NULL, NULL, sw, NULL) == 1
             && (pad == 0 || EVP_PKEY_CTX_set_rsa_padding(pctx, pad) == 1)
             && (pad != RSA_PKCS1_PSS_PADDING
                 || EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, saltlen) == 1)
             && (mgf1 == NULL || EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, mgf1, NULL) == 1)
             && EVP_DigestVerify(mctx, sig, siglen, msg, sizeof(msg)) == 1;

    EVP_MD_CTX_free(mctx);
    ERR_clear_error();
    return ok;
}

/* The signature is the TPM's raw private operation on what tpmkit sent:
 * the public operation gives that input back. */
static void assert_raw_input_is(EVP_PKEY *sw, const unsigned char *sig,
                                size_t siglen)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, sw, NULL);
    unsigned char em[512];
    size_t em_len = sizeof(em);

    ck_assert_int_eq(EVP_PKEY_verify_recover_init(ctx), 1);
    ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING), 1);
    ck_assert_int_eq(EVP_PKEY_verify_recover(ctx, em, &em_len, sig, siglen), 1);
    ck_assert_uint_eq(em_len, fake.in_len);
    ck_assert_mem_eq(em, fake.in, em_len);
    EVP_PKEY_CTX_free(ctx);
}

/* The salt a PSS setting gives with this key and digest. */
static int expected_salt(const char *setting, int key_bits, int hlen)
{
    int emlen = (key_bits - 1 + 7) / 8;

    if (strcmp(setting, "digest") == 0)
        return hlen;
    if (strcmp(setting, "max") == 0 || strcmp(setting, "auto") == 0)
        return emlen - hlen - 2;
    return atoi(setting);
}

/* Sign with PSS through tpmkit; check the encoded message it handed to
 * the TPM with OpenSSL's EMSA-PSS verification at exactly the expected
 * salt length, and the signature with OpenSSL's RSASSA-PSS. */
static void check_pss(EVP_PKEY *key, int bits, const char *md, const char *salt,
                      const char *mgf1)
{
    EVP_PKEY *sw = fake_key_software(fake.last_key);
    OSSL_PARAM params[] = {
        TKU_UTF8(OSSL_SIGNATURE_PARAM_PAD_MODE, "pss"),
        TKU_UTF8(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, salt),
        OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, (char *)mgf1,
                               mgf1 != NULL ? strlen(mgf1) : 0),
        OSSL_PARAM_END
    };
    unsigned char sig[512], mhash[EVP_MAX_MD_SIZE];
    size_t siglen = sizeof(sig);
    int hlen = md_size(md), want = expected_salt(salt, bits, hlen);
    EVP_MD *emd = EVP_MD_fetch(NULL, md, NULL);
    EVP_MD *emgf1 = EVP_MD_fetch(NULL, mgf1 != NULL ? mgf1 : md, NULL);

    if (mgf1 == NULL)
        params[2] = params[3];
    fake.calls = 0;
    ck_assert_msg(tpm_digest_sign(key, md, params, sig, &siglen),
                  "%d-bit %s salt %s: %s", bits, md, salt, tku_errors());
    ck_assert_int_eq(fake.calls, 1);
    ck_assert_str_eq(fake.op, "rsa_private_sign");
    ck_assert_uint_eq(siglen, (size_t)(bits + 7) / 8);
    ck_assert_uint_eq(fake.in_len, siglen);
    assert_raw_input_is(sw, sig, siglen);

    hash(md, msg, sizeof(msg), mhash);
    ck_assert_msg(RSA_verify_PKCS1_PSS_mgf1((RSA *)EVP_PKEY_get0_RSA(sw), mhash,
                                            emd, emgf1, fake.in, want) == 1,
                  "%d-bit %s salt %s: not EMSA-PSS with a %d-byte salt", bits,
                  md, salt, want);
    ck_assert_msg(sw_verify(sw, md, RSA_PKCS1_PSS_PADDING, want, mgf1, sig, siglen),
                  "%d-bit %s salt %s (%d): OpenSSL does not verify", bits, md,
                  salt, want);
    /* The length is exact: one byte less (or more) does not verify. */
    ck_assert(!sw_verify(sw, md, RSA_PKCS1_PSS_PADDING, want > 0 ? want - 1 : 1,
                         mgf1, sig, siglen));
    ERR_clear_error();
    EVP_MD_free(emd);
    EVP_MD_free(emgf1);
}

START_TEST(pss_salt_lengths_match_openssl)
{
    static const char *const mds[] = { "SHA1", "SHA256", "SHA384", "SHA512" };
    static const char *const salts[] = { "digest", "max", "auto", "0", "20", "77" };
    EVP_PKEY *key = tpm_rsa("RSA", 2048);

    for (size_t i = 0; i < sizeof(mds) / sizeof(mds[0]); i++)
        for (size_t j = 0; j < sizeof(salts) / sizeof(salts[0]); j++)
            check_pss(key, 2048, mds[i], salts[j], NULL);
    EVP_PKEY_free(key);
}
END_TEST

START_TEST(pss_mgf1_digest_is_its_own)
{
    EVP_PKEY *key = tpm_rsa("RSA", 2048), *sw = fake_key_software(fake.last_key);
    OSSL_PARAM params[] = {
        TKU_UTF8(OSSL_SIGNATURE_PARAM_PAD_MODE, "pss"),
        TKU_UTF8(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, "SHA1"),
        OSSL_PARAM_END
    };
    unsigned char sig[256];
    size_t siglen = sizeof(sig);

    check_pss(key, 2048, "SHA256", "digest", "SHA1");
    check_pss(key, 2048, "SHA512", "max", "SHA256");
    /* MGF1 follows the message digest unless told otherwise. */
    ck_assert(tpm_digest_sign(key, "SHA384", params, sig, &siglen));
    ck_assert(sw_verify(sw, "SHA384", RSA_PKCS1_PSS_PADDING, 256 - 48 - 2, "SHA1",
                        sig, siglen));
    ck_assert(!sw_verify(sw, "SHA384", RSA_PKCS1_PSS_PADDING, 256 - 48 - 2, "SHA384",
                         sig, siglen));
    EVP_PKEY_free(key);
}
END_TEST

/* Key sizes where the encoded message is one byte shorter than the
 * modulus (1537 bits) or barely fits the hash (1024 bits, SHA-512). */
START_TEST(pss_on_awkward_key_sizes)
{
    EVP_PKEY *odd = tpm_rsa("RSA", 1537), *small;
    OSSL_PARAM params[] = {
        TKU_UTF8(OSSL_SIGNATURE_PARAM_PAD_MODE, "pss"),
        TKU_UTF8(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, "digest"),
        OSSL_PARAM_END
    };
    unsigned char sig[256];
    size_t siglen = sizeof(sig);

    ck_assert_int_eq(EVP_PKEY_get_bits(odd), 1537);
    check_pss(odd, 1537, "SHA256", "max", NULL);
    check_pss(odd, 1537, "SHA256", "digest", NULL);
    check_pss(odd, 1537, "SHA512", "auto", NULL);
    small = tpm_rsa("RSA", 1024);
    check_pss(small, 1024, "SHA512", "max", NULL);
    check_pss(small, 1024, "SHA256", "94", NULL);
    /* 128 bytes cannot hold a 64-byte hash, a 64-byte salt and 2 more. */
    ck_assert(!tpm_digest_sign(small, "SHA512", params, sig, &siglen));
    tku_assert_error("cannot pad");
    EVP_PKEY_free(small);
    EVP_PKEY_free(odd);
}
END_TEST

START_TEST(pss_salt_limits)
{
    EVP_PKEY *key = tpm_rsa("RSA", 2048);
    int longest = 256 - 32 - 2, too_long = longest + 1, bad = -4;
    OSSL_PARAM params[] = {
        TKU_UTF8(OSSL_SIGNATURE_PARAM_PAD_MODE, "pss"),
        OSSL_PARAM_int(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, &longest),
        OSSL_PARAM_END
    };
    unsigned char sig[256];
    size_t siglen = sizeof(sig);

    ck_assert(tpm_digest_sign(key, "SHA256", params, sig, &siglen));
    ck_assert(sw_verify(fake_key_software(fake.last_key), "SHA256",
                        RSA_PKCS1_PSS_PADDING, longest, NULL, sig, siglen));
    params[1] = OSSL_PARAM_construct_int(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, &too_long);
    fake.calls = 0;
    ck_assert(!tpm_digest_sign(key, "SHA256", params, sig, &siglen));
    tku_assert_error("cannot pad");
    ck_assert_int_eq(fake.calls, 0);
    /* Below RSA_PSS_SALTLEN_MAX (-3) no salt length means anything. */
    params[1] = OSSL_PARAM_construct_int(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, &bad);
    ck_assert(!tpm_digest_sign(key, "SHA256", params, sig, &siglen));
    tku_assert_error("bad PSS salt length -4");
    params[1] = OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN,
                                                 "-9", 0);
    ck_assert(!tpm_digest_sign(key, "SHA256", params, sig, &siglen));
    tku_assert_error("bad PSS salt length -9");
    EVP_PKEY_free(key);
}
END_TEST

/* The controls openssl's -sigopt and libssl use, not OSSL_PARAMs. */
START_TEST(pss_through_ctrls)
{
    EVP_PKEY *key = tpm_rsa("RSA", 2048), *sw = fake_key_software(fake.last_key);
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    unsigned char sig[256];
    size_t siglen = sizeof(sig);

    ck_assert_int_eq(EVP_DigestSignInit_ex(mctx, &pctx, "SHA256", m.libctx, PROPQ,
                                           key, NULL), 1);
    ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
    ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 40), 1);
    ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA512", NULL), 1);
    ck_assert_int_eq(EVP_DigestSign(mctx, sig, &siglen, msg, sizeof(msg)), 1);
    ck_assert(sw_verify(sw, "SHA256", RSA_PKCS1_PSS_PADDING, 40, "SHA512", sig, siglen));
    EVP_MD_CTX_free(mctx);

    mctx = EVP_MD_CTX_new();
    ck_assert_int_eq(EVP_DigestSignInit_ex(mctx, &pctx, "SHA384", m.libctx, PROPQ,
                                           key, NULL), 1);
    ck_assert_int_eq(EVP_PKEY_CTX_ctrl_str(pctx, "rsa_padding_mode", "pss"), 1);
    ck_assert_int_eq(EVP_PKEY_CTX_ctrl_str(pctx, "rsa_pss_saltlen", "digest"), 1);
    siglen = sizeof(sig);
    ck_assert_int_eq(EVP_DigestSign(mctx, sig, &siglen, msg, sizeof(msg)), 1);
    ck_assert(sw_verify(sw, "SHA384", RSA_PKCS1_PSS_PADDING, 48, NULL, sig, siglen));
    EVP_MD_CTX_free(mctx);
    EVP_PKEY_free(key);
}
END_TEST

/* PKCS#1 v1.5 with a digest: the TPM's RSASSA scheme does the padding. */
START_TEST(pkcs1_is_the_tpm_scheme)
{
    static const struct { const char *md; int nid; } mds[] = {
        { "SHA1", NID_sha1 }, { "SHA256", NID_sha256 },
        { "SHA384", NID_sha384 }, { "SHA512", NID_sha512 },
    };
    EVP_PKEY *key = tpm_rsa("RSA", 2048), *sw = fake_key_software(fake.last_key);
    unsigned char sig[256], dgst[EVP_MAX_MD_SIZE];
    size_t siglen;

    for (size_t i = 0; i < sizeof(mds) / sizeof(mds[0]); i++) {
        siglen = sizeof(sig);
        ck_assert_msg(tpm_digest_sign(key, mds[i].md, NULL, sig, &siglen), "%s: %s",
                      mds[i].md, tku_errors());
        ck_assert_str_eq(fake.op, "sign");
        ck_assert_int_eq(fake.scheme, TK_TPM_SIG_RSASSA);
        ck_assert_int_eq(fake.hash_nid, mds[i].nid);
        hash(mds[i].md, msg, sizeof(msg), dgst);
        ck_assert_uint_eq(fake.in_len, (size_t)md_size(mds[i].md));
        ck_assert_mem_eq(fake.in, dgst, fake.in_len);
        ck_assert(sw_verify(sw, mds[i].md, RSA_PKCS1_PADDING, 0, NULL, sig, siglen));
        ck_assert(!sw_verify(sw, mds[i].md, RSA_PKCS1_PSS_PADDING, RSA_PSS_SALTLEN_AUTO,
                             NULL, sig, siglen));
    }
    EVP_PKEY_free(key);
}
END_TEST

/* Without a digest (TLS 1.0/1.1's MD5+SHA-1, pkeyutl on raw bytes) the
 * input is padded as it is, which only a key that may decrypt allows. */
START_TEST(pkcs1_over_raw_bytes)
{
    EVP_PKEY *key = tpm_rsa("RSA", 2048), *sw = fake_key_software(fake.last_key);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(m.libctx, key, PROPQ);
    unsigned char data[36], em[256], sig[256], back[256];
    size_t siglen = sizeof(sig), back_len = sizeof(back);
    EVP_PKEY_CTX *vctx = EVP_PKEY_CTX_new_from_pkey(NULL, sw, NULL);

    memset(data, 0x5a, sizeof(data));
    data[0] = 0x01;
    ck_assert_int_eq(EVP_PKEY_sign_init(ctx), 1);
    ck_assert_int_eq(EVP_PKEY_sign(ctx, sig, &siglen, data, sizeof(data)), 1);
    ck_assert_str_eq(fake.op, "rsa_private_sign");
    ck_assert_int_eq(RSA_padding_add_PKCS1_type_1(em, sizeof(em), data, sizeof(data)), 1);
    ck_assert_uint_eq(fake.in_len, sizeof(em));
    ck_assert_mem_eq(fake.in, em, sizeof(em));
    assert_raw_input_is(sw, sig, siglen);
    ck_assert_int_eq(EVP_PKEY_verify_recover_init(vctx), 1);
    ck_assert_int_eq(EVP_PKEY_verify_recover(vctx, back, &back_len, sig, siglen), 1);
    ck_assert_uint_eq(back_len, sizeof(data));
    ck_assert_mem_eq(back, data, sizeof(data));
    /* 11 bytes of padding at least. */
    siglen = sizeof(sig);
    ck_assert_int_ne(EVP_PKEY_sign(ctx, sig, &siglen, em, 256 - 10), 1);
    tku_assert_error("cannot pad");
    EVP_PKEY_CTX_free(vctx);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
}
END_TEST

START_TEST(sign_buffers_and_digest_sizes)
{
    EVP_PKEY *key = tpm_rsa("RSA", 2048);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(m.libctx, key, PROPQ);
    unsigned char dgst[32] = { 1 }, sig[256];
    size_t siglen = 0;

    ck_assert_int_eq(EVP_PKEY_sign_init(ctx), 1);
    ck_assert_int_eq(EVP_PKEY_sign(ctx, NULL, &siglen, dgst, sizeof(dgst)), 1);
    ck_assert_uint_eq(siglen, 256);
    siglen = 255;
    ck_assert_int_ne(EVP_PKEY_sign(ctx, sig, &siglen, dgst, sizeof(dgst)), 1);
    tku_assert_error("signature buffer too small");
    ck_assert_int_eq(EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()), 1);
    siglen = sizeof(sig);
    ck_assert_int_ne(EVP_PKEY_sign(ctx, sig, &siglen, dgst, 20), 1);
    tku_assert_error("digest is 20 bytes");
    /* PSS over a bare digest of unnamed hash cannot be encoded. */
    ck_assert_int_eq(EVP_PKEY_sign_init(ctx), 1);
    ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING), 1);
    siglen = sizeof(sig);
    ck_assert_int_ne(EVP_PKEY_sign(ctx, sig, &siglen, dgst, sizeof(dgst)), 1);
    tku_assert_error("PSS needs a digest");
    /* A TPM that fails makes the signature fail. */
    ck_assert_int_eq(EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()), 1);
    fake.fail = 1;
    siglen = sizeof(sig);
    ck_assert_int_ne(EVP_PKEY_sign(ctx, sig, &siglen, dgst, sizeof(dgst)), 1);
    tku_assert_error("fake TPM refuses");
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
}
END_TEST

/* RSA-PSS keys sign only: the TPM pads, with a salt as long as the digest
 * and the hash the key is bound to. */
START_TEST(sign_only_pss_key_leaves_padding_to_the_tpm)
{
    EVP_PKEY *key = tpm_rsa("RSA-PSS", 2048), *sw = fake_key_software(fake.last_key);
    int twenty = 20;
    OSSL_PARAM salt20[] = {
        OSSL_PARAM_int(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, &twenty),
        OSSL_PARAM_END
    };
    OSSL_PARAM pkcs1[] = {
        TKU_UTF8(OSSL_SIGNATURE_PARAM_PAD_MODE, "pkcs1"),
        OSSL_PARAM_END
    };
    OSSL_PARAM max[] = {
        TKU_UTF8(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, "max"),
        OSSL_PARAM_END
    };
    unsigned char sig[256], dgst[32], aid[128];
    size_t siglen = sizeof(sig);
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int pad = 0;
    OSSL_PARAM get[] = {
        OSSL_PARAM_int(OSSL_SIGNATURE_PARAM_PAD_MODE, &pad),
        OSSL_PARAM_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, aid, sizeof(aid)),
        OSSL_PARAM_END
    };
    long saltlen;
    int hash_nid, mgf1_nid;

    ck_assert(!fake_key_info(fake.last_key)->can_decrypt);
    ck_assert(tpm_digest_sign(key, "SHA256", NULL, sig, &siglen));
    ck_assert_str_eq(fake.op, "sign");
    ck_assert_int_eq(fake.scheme, TK_TPM_SIG_RSAPSS);
    ck_assert_int_eq(fake.hash_nid, NID_sha256);
    hash("SHA256", msg, sizeof(msg), dgst);
    ck_assert_mem_eq(fake.in, dgst, 32);
    ck_assert(sw_verify(sw, "SHA256", RSA_PKCS1_PSS_PADDING, 32, NULL, sig, siglen));

    /* What the TPM cannot do is refused before it is asked. */
    fake.calls = 0;
    ck_assert(!tpm_digest_sign(key, "SHA256", salt20, sig, &siglen));
    tku_assert_error("salt as long as the digest");
    ck_assert(!tpm_digest_sign(key, "SHA384", NULL, sig, &siglen));
    tku_assert_error("signs SHA256 digests only");
    ck_assert(!tpm_digest_sign(key, "SHA256", pkcs1, sig, &siglen));
    tku_assert_error("pss padding only");
    ck_assert_int_eq(fake.calls, 0);

    /* "max" is what the TPM does: the digest length, also in the
     * AlgorithmIdentifier a certificate would carry. */
    ck_assert_int_eq(EVP_DigestSignInit_ex(mctx, &pctx, "SHA256", m.libctx, PROPQ,
                                           key, max), 1);
    ck_assert_int_eq(EVP_PKEY_CTX_get_params(pctx, get), 1);
    ck_assert_int_eq(pad, RSA_PKCS1_PSS_PADDING);
    tku_aid_pss(aid, get[1].return_size, &saltlen, &hash_nid, &mgf1_nid);
    ck_assert_int_eq(saltlen, 32);
    ck_assert_int_eq(hash_nid, NID_sha256);
    ck_assert_int_eq(mgf1_nid, NID_sha256);
    siglen = sizeof(sig);
    ck_assert_int_eq(EVP_DigestSign(mctx, sig, &siglen, msg, sizeof(msg)), 1);
    ck_assert(sw_verify(sw, "SHA256", RSA_PKCS1_PSS_PADDING, 32, NULL, sig, siglen));
    EVP_MD_CTX_free(mctx);
    EVP_PKEY_free(key);
}
END_TEST

/* A restricted key signs only what the TPM hashed: tpmkit keeps the
 * message, also across a copied context. */
START_TEST(restricted_key_signs_the_message)
{
    EVP_PKEY *key, *sw;
    EVP_MD_CTX *a = EVP_MD_CTX_new(), *b = EVP_MD_CTX_new();
    EVP_PKEY_CTX *ctx;
    unsigned char sig[256], dgst[32] = { 0 };
    size_t siglen = sizeof(sig);
    EVP_MD_CTX *v = EVP_MD_CTX_new();

    fake.restricted = 1;
    key = tpm_rsa("RSA", 2048);
    sw = fake_key_software(fake.last_key);
    ck_assert_int_eq(EVP_DigestSignInit_ex(a, NULL, "SHA256", m.libctx, PROPQ, key,
                                           NULL), 1);
    ck_assert_int_eq(EVP_DigestSignUpdate(a, "abc", 3), 1);
    ck_assert_int_eq(EVP_DigestSignUpdate(a, "def", 3), 1);
    ck_assert_int_eq(EVP_MD_CTX_copy_ex(b, a), 1);
    ck_assert_int_eq(EVP_DigestSignUpdate(a, "ghi", 3), 1);
    ck_assert_int_eq(EVP_DigestSignUpdate(b, "XYZ!", 4), 1);

    ck_assert_int_eq(EVP_DigestSignFinal(a, sig, &siglen), 1);
    ck_assert_str_eq(fake.op, "sign_message");
    ck_assert_int_eq(fake.scheme, TK_TPM_SIG_RSASSA);
    ck_assert_uint_eq(fake.in_len, 9);
    ck_assert_mem_eq(fake.in, "abcdefghi", 9);
    ck_assert_int_eq(EVP_DigestVerifyInit_ex(v, NULL, "SHA256", NULL, NULL, sw, NULL), 1);
    ck_assert_int_eq(EVP_DigestVerify(v, sig, siglen, (const unsigned char *)"abcdefghi",
                                      9), 1);

    siglen = sizeof(sig);
    ck_assert_int_eq(EVP_DigestSignFinal(b, sig, &siglen), 1);
    ck_assert_uint_eq(fake.in_len, 10);
    ck_assert_mem_eq(fake.in, "abcdefXYZ!", 10);

    /* A digest made outside the TPM is refused by tpmkit, not the TPM. */
    ctx = EVP_PKEY_CTX_new_from_pkey(m.libctx, key, PROPQ);
    ck_assert_int_eq(EVP_PKEY_sign_init(ctx), 1);
    ck_assert_int_eq(EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()), 1);
    fake.calls = 0;
    siglen = sizeof(sig);
    ck_assert_int_ne(EVP_PKEY_sign(ctx, sig, &siglen, dgst, sizeof(dgst)), 1);
    tku_assert_error("signs messages, not digests");
    /* Nor may it pad raw bytes itself. */
    ck_assert_int_eq(EVP_PKEY_sign_init(ctx), 1);
    siglen = sizeof(sig);
    ck_assert_int_ne(EVP_PKEY_sign(ctx, sig, &siglen, dgst, sizeof(dgst)), 1);
    tku_assert_error("raw RSA signing needs a key that may decrypt");
    ck_assert_int_eq(fake.calls, 0);
    EVP_PKEY_CTX_free(ctx);
    EVP_MD_CTX_free(v);
    EVP_MD_CTX_free(a);
    EVP_MD_CTX_free(b);
    EVP_PKEY_free(key);
}
END_TEST

/* The TPM's r||s becomes the DER ECDSA-Sig-Value OpenSSL verifies (which
 * also rejects non-minimal INTEGERs: r or s with a leading zero byte come
 * up about once in 128 signatures). */
START_TEST(ecdsa_signatures_are_der)
{
    static const struct { const char *group, *md; int nid; } cases[] = {
        { "P-256", "SHA256", NID_sha256 },
        { "P-384", "SHA384", NID_sha384 },
        { "P-521", "SHA512", NID_sha512 },
        { "P-256", "SHA1", NID_sha1 },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        EVP_PKEY *key = tpm_ec(cases[i].group), *sw = fake_key_software(fake.last_key);
        unsigned char sig[160], dgst[EVP_MAX_MD_SIZE];
        size_t siglen;
        int rounds = i == 0 ? 300 : 20;

        hash(cases[i].md, msg, sizeof(msg), dgst);
        for (int r = 0; r < rounds; r++) {
            const unsigned char *p = sig;
            ECDSA_SIG *es;

            siglen = sizeof(sig);
            ck_assert(tpm_digest_sign(key, cases[i].md, NULL, sig, &siglen));
            ck_assert_str_eq(fake.op, "sign");
            ck_assert_int_eq(fake.scheme, TK_TPM_SIG_ECDSA);
            ck_assert_int_eq(fake.hash_nid, cases[i].nid);
            ck_assert_mem_eq(fake.in, dgst, (size_t)md_size(cases[i].md));
            ck_assert_uint_le(siglen, (size_t)EVP_PKEY_get_size(key));
            es = d2i_ECDSA_SIG(NULL, &p, (long)siglen);
            ck_assert_ptr_nonnull(es);
            ck_assert_ptr_eq(p, sig + siglen);
            ECDSA_SIG_free(es);
            ck_assert_msg(sw_verify(sw, cases[i].md, 0, 0, NULL, sig, siglen),
                          "%s/%s round %d", cases[i].group, cases[i].md, r);
        }
        EVP_PKEY_free(key);
    }
}
END_TEST

/* A bare digest's hash is known by its size. */
START_TEST(bare_digest_hash_by_size)
{
    static const struct { size_t len; int nid; } sizes[] = {
        { 20, NID_sha1 }, { 32, NID_sha256 }, { 48, NID_sha384 }, { 64, NID_sha512 },
    };
    EVP_PKEY *key = tpm_ec("P-384"), *sw = fake_key_software(fake.last_key);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(m.libctx, key, PROPQ);
    EVP_PKEY_CTX *vctx = EVP_PKEY_CTX_new_from_pkey(NULL, sw, NULL);
    unsigned char dgst[64], sig[160];
    size_t siglen;

    memset(dgst, 0xa5, sizeof(dgst));
    ck_assert_int_eq(EVP_PKEY_sign_init(ctx), 1);
    ck_assert_int_eq(EVP_PKEY_verify_init(vctx), 1);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        siglen = sizeof(sig);
        ck_assert_int_eq(EVP_PKEY_sign(ctx, sig, &siglen, dgst, sizes[i].len), 1);
        ck_assert_int_eq(fake.hash_nid, sizes[i].nid);
        ck_assert_int_eq(EVP_PKEY_verify(vctx, sig, siglen, dgst, sizes[i].len), 1);
    }
    /* 28 bytes (SHA-224) is no hash a TPM signs with here. */
    siglen = sizeof(sig);
    ck_assert_int_ne(EVP_PKEY_sign(ctx, sig, &siglen, dgst, 28), 1);
    ck_assert_int_eq(fake.hash_nid, NID_undef);
    ERR_clear_error();
    EVP_PKEY_CTX_free(vctx);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
}
END_TEST

/* Key checks at init, straight through the dispatch tables (EVP picks
 * the signature by key type and would not even try these). */
START_TEST(init_checks_the_key)
{
    const OSSL_DISPATCH *rsa_fns = tk_rsa_signature_functions;
    const OSSL_DISPATCH *ecdsa_fns = tk_ecdsa_signature_functions;
    OSSL_FUNC_signature_newctx_fn *rsa_new = (OSSL_FUNC_signature_newctx_fn *)
        tku_dispatch(rsa_fns, OSSL_FUNC_SIGNATURE_NEWCTX);
    OSSL_FUNC_signature_newctx_fn *ecdsa_new = (OSSL_FUNC_signature_newctx_fn *)
        tku_dispatch(ecdsa_fns, OSSL_FUNC_SIGNATURE_NEWCTX);
    OSSL_FUNC_signature_sign_init_fn *sign_init = (OSSL_FUNC_signature_sign_init_fn *)
        tku_dispatch(rsa_fns, OSSL_FUNC_SIGNATURE_SIGN_INIT);
    OSSL_FUNC_signature_verify_init_fn *verify_init = (OSSL_FUNC_signature_verify_init_fn *)
        tku_dispatch(rsa_fns, OSSL_FUNC_SIGNATURE_VERIFY_INIT);
    OSSL_FUNC_signature_freectx_fn *freectx = (OSSL_FUNC_signature_freectx_fn *)
        tku_dispatch(rsa_fns, OSSL_FUNC_SIGNATURE_FREECTX);
    tk_key *rsa = tk_key_from_tpm_key(fake_prov(), 0,
                                      fake_key_new(tku_rsa(2048), FAKE_SIGN | FAKE_DECRYPT, 0),
                                      1, NULL);
    tk_key *ec = tk_key_from_tpm_key(fake_prov(), 0,
                                     fake_key_new(tku_ec("P-256"), FAKE_SIGN, 0), 1, NULL);
    tk_key *pub = tk_key_new_empty(fake_prov(), TK_KEY_RSA);
    void *r = rsa_new(fake_prov(), NULL), *e = ecdsa_new(fake_prov(), NULL);

    ck_assert_ptr_nonnull(rsa);
    ck_assert_ptr_nonnull(ec);
    ck_assert_int_eq(rsa->type, TK_KEY_RSA);
    ck_assert_int_eq(ec->type, TK_KEY_EC);
    ck_assert_int_eq(sign_init(r, NULL, NULL), 0);
    tku_assert_error("no key");
    ck_assert_int_eq(sign_init(r, ec, NULL), 0);
    tku_assert_error("wrong key type");
    ck_assert_int_eq(sign_init(e, rsa, NULL), 0);
    tku_assert_error("wrong key type");
    ck_assert_int_eq(sign_init(e, ec, NULL), 1);
    ck_assert_int_eq(sign_init(r, rsa, NULL), 1);
    /* A public key verifies but does not sign. */
    pub->pub = tku_public_copy(NULL, "RSA", NULL, tku_rsa(2048));
    ck_assert_ptr_nonnull(pub->pub);
    ck_assert_int_eq(sign_init(r, pub, NULL), 0);
    tku_assert_error("signing needs the TPM key");
    ck_assert_int_eq(verify_init(r, pub, NULL), 1);
    freectx(r);
    freectx(e);
    tk_key_free(pub);
    tk_key_free(rsa);
    tk_key_free(ec);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("signature");
    TCase *tc = tcase_create("fake-tpm");
    SRunner *sr;
    int failed;

    /* Made once, shared by the forked tests. */
    tku_rsa(2048);
    tku_rsa(1537);
    tku_rsa(1024);
    tku_ec("P-256");
    tku_ec("P-384");
    tku_ec("P-521");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, pss_salt_lengths_match_openssl);
    tcase_add_test(tc, pss_mgf1_digest_is_its_own);
    tcase_add_test(tc, pss_on_awkward_key_sizes);
    tcase_add_test(tc, pss_salt_limits);
    tcase_add_test(tc, pss_through_ctrls);
    tcase_add_test(tc, pkcs1_is_the_tpm_scheme);
    tcase_add_test(tc, pkcs1_over_raw_bytes);
    tcase_add_test(tc, sign_buffers_and_digest_sizes);
    tcase_add_test(tc, sign_only_pss_key_leaves_padding_to_the_tpm);
    tcase_add_test(tc, restricted_key_signs_the_message);
    tcase_add_test(tc, ecdsa_signatures_are_der);
    tcase_add_test(tc, bare_digest_hash_by_size);
    tcase_add_test(tc, init_checks_the_key);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
