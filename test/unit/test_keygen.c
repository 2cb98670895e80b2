/* Key generation parameters (keymgmt/keygen.c, genpkey -pkeyopt) over a
 * software stand-in for the TPM: every accepted option must reach the
 * TPM's key-creation request as the value it names, every bad one must be
 * refused before the TPM is asked. HMAC secrets longer than the hash's
 * block are reduced as RFC 2104 says, which must give the same MACs. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>

#include "fake_tpm.h"

#define PROPQ "provider=tpmkit"

static tku_module m;

static void setup(void)
{
    fake_module_load(&m);
}

static void teardown(void)
{
    tku_module_unload(&m);
}

static EVP_PKEY_CTX *gen_ctx(const char *type)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(m.libctx, type, PROPQ);

    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(EVP_PKEY_keygen_init(ctx), 1);
    return ctx;
}

/* Generate; NULL if it failed. */
static EVP_PKEY *generate(EVP_PKEY_CTX *ctx)
{
    EVP_PKEY *pkey = NULL;

    if (EVP_PKEY_generate(ctx, &pkey) != 1)
        return NULL;
    return pkey;
}

/* Set one parameter on a fresh context of `type`: 1 if accepted. With
 * no_key the request is recorded and generation then fails. */
static int try_params(const char *type, const OSSL_PARAM *params)
{
    EVP_PKEY_CTX *ctx = gen_ctx(type);
    int ok = EVP_PKEY_CTX_set_params(ctx, params) == 1;

    if (ok) {
        fake.no_key = 1;
        fake.calls = 0;
        ck_assert_ptr_null(generate(ctx));
        fake.no_key = 0;
        ck_assert_int_eq(fake.calls, 1);
        ck_assert_str_eq(fake.op, "create");
        ERR_clear_error();
    }
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

static int try_string(const char *type, const char *key, const char *value)
{
    OSSL_PARAM params[] = {
        TKU_UTF8(key, value),
        OSSL_PARAM_END
    };

    return try_params(type, params);
}

START_TEST(defaults)
{
    EVP_PKEY_CTX *c = gen_ctx("RSA");
    EVP_PKEY *key = generate(c), *ec, *pss;
    size_t len = 1;
    char group[32];

    EVP_PKEY_CTX_free(c);
    ck_assert_ptr_nonnull(key);
    ck_assert_int_eq(fake.gen.kind, TK_TPM_KEY_RSA);
    ck_assert_uint_eq(fake.gen.bits, 2048);
    ck_assert_uint_eq(fake.gen.exponent, 65537);
    ck_assert_int_eq(fake.gen.rsa_pss, 0);
    ck_assert_uint_eq(fake.gen.parent, TK_TPM_PARENT_PRIMARY);
    ck_assert_int_eq(fake.gen_has_auth, 0);
    ck_assert_int_eq(fake.gen_has_parent_auth, 0);
    ck_assert_int_eq(fake.gen_has_secret, 0);
    ck_assert_uint_eq(fake.last_parent, TK_TPM_PARENT_PRIMARY);
    /* The key has the empty password, set explicitly. */
    ck_assert_ptr_nonnull(fake_key_auth(fake.last_key, &len));
    ck_assert_uint_eq(len, 0);
    ck_assert(EVP_PKEY_is_a(key, "RSA"));
    ck_assert_int_eq(EVP_PKEY_get_bits(key), 2048);
    ck_assert_int_eq(EVP_PKEY_eq(key, fake_key_software(fake.last_key)), 1);
    EVP_PKEY_free(key);

    c = gen_ctx("RSA-PSS");
    pss = generate(c);
    EVP_PKEY_CTX_free(c);
    ck_assert_ptr_nonnull(pss);
    ck_assert_int_eq(fake.gen.kind, TK_TPM_KEY_RSA);
    ck_assert_int_eq(fake.gen.rsa_pss, 1);
    ck_assert(EVP_PKEY_is_a(pss, "RSA-PSS"));
    EVP_PKEY_free(pss);

    c = gen_ctx("EC");
    ec = generate(c);
    EVP_PKEY_CTX_free(c);
    ck_assert_ptr_nonnull(ec);
    ck_assert_int_eq(fake.gen.kind, TK_TPM_KEY_EC);
    ck_assert_int_eq(fake.gen.curve_nid, NID_X9_62_prime256v1);
    ck_assert_int_eq(EVP_PKEY_get_group_name(ec, group, sizeof(group), NULL), 1);
    ck_assert_str_eq(group, "prime256v1");
    ck_assert_int_eq(EVP_PKEY_eq(ec, fake_key_software(fake.last_key)), 1);
    EVP_PKEY_free(ec);
}
END_TEST

START_TEST(options_reach_the_tpm)
{
    unsigned bits = 3072;
    BIGNUM *e = BN_new();
    unsigned char ebuf[4];
    OSSL_PARAM params[7];
    EVP_PKEY_CTX *ctx;
    EVP_PKEY *key;
    const unsigned char *auth;
    size_t len;

    ck_assert(BN_set_word(e, 3));
    ck_assert_int_eq(BN_bn2nativepad(e, ebuf, sizeof(ebuf)), (int)sizeof(ebuf));
    params[0] = OSSL_PARAM_construct_uint(OSSL_PKEY_PARAM_RSA_BITS, &bits);
    params[1] = OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_RSA_E, ebuf, sizeof(ebuf));
    params[2] = OSSL_PARAM_construct_utf8_string("user-auth", "s3cret", 0);
    params[3] = OSSL_PARAM_construct_utf8_string("parent", "0x81000001", 0);
    params[4] = OSSL_PARAM_construct_utf8_string("parent-auth", "owner pw", 0);
    params[5] = OSSL_PARAM_construct_end();
    ck_assert(try_params("RSA", params));
    ck_assert_uint_eq(fake.gen.bits, 3072);
    ck_assert_uint_eq(fake.gen.exponent, 3);
    ck_assert_uint_eq(fake.gen.parent, 0x81000001u);
    ck_assert_uint_eq(fake.gen.auth_len, 6);
    ck_assert_mem_eq(fake.gen.auth, "s3cret", 6);
    ck_assert_uint_eq(fake.gen.parent_auth_len, 8);
    ck_assert_mem_eq(fake.gen.parent_auth, "owner pw", 8);
    BN_free(e);

    /* And the key that comes back carries both passwords and the parent. */
    ctx = gen_ctx("EC");
    ck_assert_int_eq(EVP_PKEY_CTX_set_params(ctx, params + 2), 1);
    key = generate(ctx);
    ck_assert_ptr_nonnull(key);
    ck_assert_uint_eq(fake.last_parent, 0x81000001u);
    auth = fake_key_auth(fake.last_key, &len);
    ck_assert_uint_eq(len, 6);
    ck_assert_mem_eq(auth, "s3cret", 6);
    auth = fake_key_parent_auth(fake.last_key, &len);
    ck_assert_uint_eq(len, 8);
    ck_assert_mem_eq(auth, "owner pw", 8);
    EVP_PKEY_free(key);
    EVP_PKEY_CTX_free(ctx);

    /* A later value replaces an earlier one. */
    ctx = gen_ctx("RSA");
    ck_assert_int_eq(EVP_PKEY_CTX_set_params(ctx, params + 2), 1);
    params[2] = OSSL_PARAM_construct_utf8_string("user-auth", "2nd", 0);
    params[3] = OSSL_PARAM_construct_end();
    ck_assert_int_eq(EVP_PKEY_CTX_set_params(ctx, params + 2), 1);
    fake.no_key = 1;
    ck_assert_ptr_null(generate(ctx));
    ERR_clear_error();
    ck_assert_uint_eq(fake.gen.auth_len, 3);
    ck_assert_mem_eq(fake.gen.auth, "2nd", 3);
    EVP_PKEY_CTX_free(ctx);
}
END_TEST

/* -pkeyopt NAME:VALUE as openssl genpkey passes it (ctrl strings). */
START_TEST(pkeyopt_strings)
{
    static const struct {
        const char *type, *name, *value;
    } opts[] = {
        { "RSA", "bits", "1024" },
        { "RSA", "rsa_keygen_bits", "3072" },
        { "RSA", "rsa_keygen_pubexp", "17" },
        { "RSA", "user-auth", "pw" },
        { "RSA", "parent", "0x81000002" },
        { "RSA", "parent-auth", "ppw" },
        { "EC", "group", "P-384" },
        { "EC", "ec_paramgen_curve", "P-521" },
        { "EC", "user-auth", "ecpw" },
        { "TPM2-HMAC", "digest", "SHA512" },
        { "TPM2-HMAC", "hexkey", "00112233445566778899" },
        { "TPM2-HMAC", "key", "text secret" },
        { "TPM2-HMAC", "user-auth", "hmacpw" },
    };

    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        EVP_PKEY_CTX *ctx = gen_ctx(opts[i].type);

        ck_assert_msg(EVP_PKEY_CTX_ctrl_str(ctx, opts[i].name, opts[i].value) > 0,
                      "%s -pkeyopt %s:%s: %s", opts[i].type, opts[i].name,
                      opts[i].value, tku_errors());
        fake.no_key = 1;
        ck_assert_ptr_null(generate(ctx));
        ERR_clear_error();
        EVP_PKEY_CTX_free(ctx);
        switch (i) {
        case 0: ck_assert_uint_eq(fake.gen.bits, 1024); break;
        case 1: ck_assert_uint_eq(fake.gen.bits, 3072); break;
        case 2: ck_assert_uint_eq(fake.gen.exponent, 17); break;
        case 3: case 8: case 12:
            ck_assert_uint_eq(fake.gen.auth_len, strlen(opts[i].value));
            ck_assert_mem_eq(fake.gen.auth, opts[i].value, fake.gen.auth_len);
            break;
        case 4: ck_assert_uint_eq(fake.gen.parent, 0x81000002u); break;
        case 5:
            ck_assert_uint_eq(fake.gen.parent_auth_len, 3);
            ck_assert_mem_eq(fake.gen.parent_auth, "ppw", 3);
            break;
        case 6: ck_assert_int_eq(fake.gen.curve_nid, NID_secp384r1); break;
        case 7: ck_assert_int_eq(fake.gen.curve_nid, NID_secp521r1); break;
        case 9: ck_assert_int_eq(fake.gen.hash_nid, NID_sha512); break;
        case 10:
            ck_assert_uint_eq(fake.gen.secret_len, 10);
            ck_assert_mem_eq(fake.gen.secret,
                             "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99", 10);
            break;
        case 11:
            ck_assert_uint_eq(fake.gen.secret_len, 11);
            ck_assert_mem_eq(fake.gen.secret, "text secret", 11);
            break;
        }
    }
    /* Not hex: refused by OpenSSL before tpmkit sees it. */
    {
        EVP_PKEY_CTX *ctx = gen_ctx("TPM2-HMAC");

        ck_assert_int_le(EVP_PKEY_CTX_ctrl_str(ctx, "hexkey", "0g"), 0);
        ERR_clear_error();
        EVP_PKEY_CTX_free(ctx);
    }
}
END_TEST

START_TEST(curve_names)
{
    static const struct { const char *name; int nid; } ok[] = {
        { "P-256", NID_X9_62_prime256v1 }, { "prime256v1", NID_X9_62_prime256v1 },
        { "P-384", NID_secp384r1 }, { "secp384r1", NID_secp384r1 },
        { "P-521", NID_secp521r1 }, { "secp521r1", NID_secp521r1 },
        { "P-224", NID_secp224r1 }, { "P-192", NID_X9_62_prime192v1 },
    };
    static const char *const bad[] = { "P-999", "nope", "", "p256" };

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        ck_assert_msg(try_string("EC", OSSL_PKEY_PARAM_GROUP_NAME, ok[i].name),
                      "%s: %s", ok[i].name, tku_errors());
        ck_assert_int_eq(fake.gen.kind, TK_TPM_KEY_EC);
        ck_assert_int_eq(fake.gen.curve_nid, ok[i].nid);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(!try_string("EC", OSSL_PKEY_PARAM_GROUP_NAME, bad[i]),
                      "\"%s\" accepted", bad[i]);
        tku_assert_error("unknown curve");
    }
}
END_TEST

static int try_exponent(uint64_t value)
{
    BIGNUM *e = BN_new();
    unsigned char buf[8];
    OSSL_PARAM params[2];
    int ok;

    ck_assert(BN_set_word(e, (BN_ULONG)value));
    ck_assert_int_eq(BN_bn2nativepad(e, buf, sizeof(buf)), (int)sizeof(buf));
    params[0] = OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_RSA_E, buf, sizeof(buf));
    params[1] = OSSL_PARAM_construct_end();
    ok = try_params("RSA", params);
    BN_free(e);
    return ok;
}

START_TEST(exponents)
{
    static const uint64_t ok[] = { 3, 17, 65537, 0x7fffffffULL, 0xffffffffULL };
    static const uint64_t bad[] = { 0, 2, 65536, 0x100000001ULL, 0xfffffffffULL };

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        ck_assert_msg(try_exponent(ok[i]), "e=%llu: %s", (unsigned long long)ok[i],
                      tku_errors());
        ck_assert_uint_eq(fake.gen.exponent, ok[i]);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(!try_exponent(bad[i]), "e=%llu accepted",
                      (unsigned long long)bad[i]);
        tku_assert_error("odd and fit 32 bits");
    }
}
END_TEST

START_TEST(parents)
{
    static const struct { const char *text; uint32_t handle; } ok[] = {
        { "0x40000001", 0x40000001u }, { "0x81000000", 0x81000000u },
        { "0x81ffffff", 0x81ffffffu }, { "0X81000001", 0x81000001u },
        { "2164260865", 0x81000001u }, { "1073741825", 0x40000001u },
    };
    static const char *const bad[] = {
        "", "0x80000001", "0x40000007", "0x4000000c", "0x01000001", "0x82000000",
        "0x81000001 ", " 0x81000001x", "0x181000001", "-1", "owner",
    };
    int n = 0x81000001;
    OSSL_PARAM as_int[] = { OSSL_PARAM_int("parent", &n), OSSL_PARAM_END };

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        ck_assert_msg(try_string("RSA", "parent", ok[i].text), "%s: %s", ok[i].text,
                      tku_errors());
        ck_assert_uint_eq(fake.gen.parent, ok[i].handle);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(!try_string("EC", "parent", bad[i]), "\"%s\" accepted", bad[i]);
        tku_assert_error("parent must be 0x40000001 or a persistent handle");
    }
    /* A parent is a string, not a number. */
    ck_assert(!try_params("RSA", as_int));
    ERR_clear_error();
}
END_TEST

START_TEST(parameter_types)
{
    int bits_int = 1024, negative = -1;
    size_t bits_size = 3072;
    OSSL_PARAM p[2] = { OSSL_PARAM_END, OSSL_PARAM_END };

    p[0] = OSSL_PARAM_construct_int(OSSL_PKEY_PARAM_RSA_BITS, &bits_int);
    ck_assert(try_params("RSA", p));
    ck_assert_uint_eq(fake.gen.bits, 1024);
    p[0] = OSSL_PARAM_construct_size_t(OSSL_PKEY_PARAM_RSA_BITS, &bits_size);
    ck_assert(try_params("RSA", p));
    ck_assert_uint_eq(fake.gen.bits, 3072);
    p[0] = OSSL_PARAM_construct_int(OSSL_PKEY_PARAM_RSA_BITS, &negative);
    ck_assert(!try_params("RSA", p));
    p[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_RSA_BITS, "2048", 0);
    ck_assert(!try_params("RSA", p));
    p[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_RSA_E, "65537", 0);
    ck_assert(!try_params("RSA", p));
    p[0] = OSSL_PARAM_construct_octet_string("user-auth", "pw", 2);
    ck_assert(!try_params("RSA", p));
    p[0] = OSSL_PARAM_construct_int(OSSL_PKEY_PARAM_GROUP_NAME, &bits_int);
    ck_assert(!try_params("EC", p));
    p[0] = OSSL_PARAM_construct_utf8_string("key", "not octets", 0);
    ck_assert(!try_params("TPM2-HMAC", p));
    ERR_clear_error();
}
END_TEST

/* HMAC(K, m) with OpenSSL. */
static void hmac(const char *md, const unsigned char *key, size_t key_len,
                 unsigned char *out, size_t *out_len)
{
    static const unsigned char data[] = "what the TPM will MAC";

    ck_assert_ptr_nonnull(EVP_Q_mac(NULL, "HMAC", NULL, md, NULL, key, key_len,
                                    data, sizeof(data), out, EVP_MAX_MD_SIZE,
                                    out_len));
}

START_TEST(hmac_secrets_follow_rfc2104)
{
    static const struct { const char *md; int nid; size_t len; int hashed; } cases[] = {
        { "SHA256", NID_sha256, 1, 0 }, { "SHA256", NID_sha256, 64, 0 },
        { "SHA256", NID_sha256, 65, 1 }, { "SHA1", NID_sha1, 65, 1 },
        { "SHA384", NID_sha384, 100, 0 }, { "SHA384", NID_sha384, 128, 0 },
        { "SHA384", NID_sha384, 129, 1 }, { "SHA512", NID_sha512, 200, 1 },
    };
    unsigned char secret[200], want[EVP_MAX_MD_SIZE], got[EVP_MAX_MD_SIZE];
    size_t want_len, got_len;

    for (size_t i = 0; i < sizeof(secret); i++)
        secret[i] = (unsigned char)(i * 7 + 1);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        OSSL_PARAM params[] = {
            TKU_UTF8("digest", cases[i].md),
            OSSL_PARAM_octet_string("key", secret, cases[i].len),
            OSSL_PARAM_END
        };

        ck_assert_msg(try_params("TPM2-HMAC", params), "%s/%zu: %s", cases[i].md,
                      cases[i].len, tku_errors());
        ck_assert_int_eq(fake.gen.kind, TK_TPM_KEY_HMAC);
        ck_assert_int_eq(fake.gen.hash_nid, cases[i].nid);
        ck_assert(fake.gen_has_secret);
        if (cases[i].hashed) {
            unsigned char h[EVP_MAX_MD_SIZE];
            unsigned int hlen = 0;

            ck_assert(EVP_Digest(secret, cases[i].len, h, &hlen,
                                 EVP_get_digestbyname(cases[i].md), NULL));
            ck_assert_uint_eq(fake.gen.secret_len, hlen);
            ck_assert_mem_eq(fake.gen.secret, h, hlen);
        } else {
            ck_assert_uint_eq(fake.gen.secret_len, cases[i].len);
            ck_assert_mem_eq(fake.gen.secret, secret, cases[i].len);
        }
        /* Either way the MAC is the one of the original secret. */
        hmac(cases[i].md, secret, cases[i].len, want, &want_len);
        hmac(cases[i].md, fake.gen.secret, fake.gen.secret_len, got, &got_len);
        ck_assert_uint_eq(got_len, want_len);
        ck_assert_mem_eq(got, want, want_len);
    }
}
END_TEST

START_TEST(hmac_secret_edge_cases)
{
    unsigned char secret[100], want[EVP_MAX_MD_SIZE], got[EVP_MAX_MD_SIZE];
    size_t want_len, got_len;
    OSSL_PARAM key[] = { OSSL_PARAM_octet_string("key", secret, sizeof(secret)),
                         OSSL_PARAM_END };
    OSSL_PARAM empty[] = { OSSL_PARAM_octet_string("key", secret, 0), OSSL_PARAM_END };
    OSSL_PARAM priv[] = {
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PRIV_KEY, secret, 10),
        OSSL_PARAM_END
    };
    OSSL_PARAM sha512[] = { TKU_UTF8("digest", "SHA512"),
                            OSSL_PARAM_END };
    EVP_PKEY_CTX *ctx;

    memset(secret, 0x42, sizeof(secret));
    /* The digest may come after the key: the secret is reduced for the
     * digest in force at generation (SHA-512's 128-byte block here). */
    ctx = gen_ctx("TPM2-HMAC");
    ck_assert_int_eq(EVP_PKEY_CTX_set_params(ctx, key), 1);
    ck_assert_int_eq(EVP_PKEY_CTX_set_params(ctx, sha512), 1);
    fake.no_key = 1;
    ck_assert_ptr_null(generate(ctx));
    ERR_clear_error();
    EVP_PKEY_CTX_free(ctx);
    ck_assert_int_eq(fake.gen.hash_nid, NID_sha512);
    ck_assert_uint_eq(fake.gen.secret_len, sizeof(secret));
    /* Under the default SHA-256 the same secret is hashed. */
    ck_assert(try_params("TPM2-HMAC", key));
    ck_assert_int_eq(fake.gen.hash_nid, NID_sha256);
    ck_assert_uint_eq(fake.gen.secret_len, 32);

    /* The empty secret is the one-byte secret 00: same MAC, and a TPM
     * accepts it. */
    ck_assert(try_params("TPM2-HMAC", empty));
    ck_assert_uint_eq(fake.gen.secret_len, 1);
    ck_assert_uint_eq(fake.gen.secret[0], 0);
    hmac("SHA256", secret, 0, want, &want_len);
    hmac("SHA256", fake.gen.secret, 1, got, &got_len);
    ck_assert_mem_eq(got, want, want_len);

    /* "priv" is the same as "key"; without either the TPM makes one. */
    ck_assert(try_params("TPM2-HMAC", priv));
    ck_assert_uint_eq(fake.gen.secret_len, 10);
    ck_assert(try_params("TPM2-HMAC", sha512));
    ck_assert_int_eq(fake.gen_has_secret, 0);
}
END_TEST

START_TEST(hmac_digests)
{
    static const struct { const char *name; int nid; } ok[] = {
        { "SHA1", NID_sha1 }, { "SHA-1", NID_sha1 }, { "sha256", NID_sha256 },
        { "SHA2-256", NID_sha256 }, { "SHA384", NID_sha384 }, { "SHA2-512", NID_sha512 },
    };
    static const char *const bad[] = { "MD5", "SHA224", "SHA512-256", "SHA3-256",
                                       "nope" };
    EVP_PKEY_CTX *ctx;
    EVP_PKEY *key;
    char name[32];
    OSSL_PARAM sha384[] = { TKU_UTF8("digest", "SHA384"),
                            OSSL_PARAM_END };

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        ck_assert_msg(try_string("TPM2-HMAC", "digest", ok[i].name), "%s: %s",
                      ok[i].name, tku_errors());
        ck_assert_int_eq(fake.gen.hash_nid, ok[i].nid);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(!try_string("TPM2-HMAC", "digest", bad[i]), "%s accepted",
                      bad[i]);
        tku_assert_error("use SHA1, SHA256, SHA384 or SHA512");
    }
    /* The generated key reports its digest as its default. */
    ctx = gen_ctx("TPM2-HMAC");
    ck_assert_int_eq(EVP_PKEY_CTX_set_params(ctx, sha384), 1);
    key = generate(ctx);
    ck_assert_ptr_nonnull(key);
    ck_assert_int_eq(fake_key_info(fake.last_key)->kind, TK_TPM_KEY_HMAC);
    ck_assert_int_gt(EVP_PKEY_get_default_digest_name(key, name, sizeof(name)), 0);
    ck_assert_str_eq(name, "SHA384");
    EVP_PKEY_free(key);
    EVP_PKEY_CTX_free(ctx);
}
END_TEST

/* What each key type says it takes, exactly. */
static void assert_settable(const char *type, const char *const *names, size_t n)
{
    EVP_PKEY_CTX *ctx = gen_ctx(type);
    const OSSL_PARAM *settable = EVP_PKEY_CTX_settable_params(ctx), *p;
    size_t count = 0;

    ck_assert_ptr_nonnull(settable);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(OSSL_PARAM_locate_const(settable, names[i]) != NULL,
                      "%s keygen does not list \"%s\"", type, names[i]);
    for (p = settable; p->key != NULL; p++)
        count++;
    ck_assert_uint_eq(count, n);
    EVP_PKEY_CTX_free(ctx);
}

START_TEST(settable_params)
{
    static const char *const rsa[] = { "bits", "e", "user-auth", "parent",
                                       "parent-auth" };
    static const char *const ec[] = { "group", "user-auth", "parent", "parent-auth" };
    static const char *const hmac_names[] = { "digest", "key", "priv", "user-auth",
                                              "parent", "parent-auth" };

    assert_settable("RSA", rsa, 5);
    assert_settable("RSA-PSS", rsa, 5);
    assert_settable("EC", ec, 4);
    assert_settable("TPM2-HMAC", hmac_names, 6);
}
END_TEST

START_TEST(only_key_pairs_are_generated)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(m.libctx, "EC", PROPQ);

    ck_assert_int_le(EVP_PKEY_paramgen_init(ctx), 0);
    tku_assert_error("generated as key pairs only");
    EVP_PKEY_CTX_free(ctx);
}
END_TEST

START_TEST(tpm_failure_gives_no_key)
{
    EVP_PKEY_CTX *ctx = gen_ctx("EC");

    fake.fail = 1;
    ck_assert_ptr_null(generate(ctx));
    tku_assert_error("fake TPM refuses to create keys");
    EVP_PKEY_CTX_free(ctx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("keygen");
    TCase *tc = tcase_create("fake-tpm");
    SRunner *sr;
    int failed;

    tku_rsa(2048);
    tku_ec("P-256");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, options_reach_the_tpm);
    tcase_add_test(tc, pkeyopt_strings);
    tcase_add_test(tc, curve_names);
    tcase_add_test(tc, exponents);
    tcase_add_test(tc, parents);
    tcase_add_test(tc, parameter_types);
    tcase_add_test(tc, hmac_secrets_follow_rfc2104);
    tcase_add_test(tc, hmac_secret_edge_cases);
    tcase_add_test(tc, hmac_digests);
    tcase_add_test(tc, settable_params);
    tcase_add_test(tc, only_key_pairs_are_generated);
    tcase_add_test(tc, tpm_failure_gives_no_key);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
