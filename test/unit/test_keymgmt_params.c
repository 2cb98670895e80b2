/* SPDX-License-Identifier: Apache-2.0 */
/* The built tpmkit module with no TPM behind it (TPMKIT_TCTI names a
 * closed port): its algorithm tables, provider parameters and TLS groups,
 * and everything keymgmt/ does without the TPM, through the public EVP
 * API: key generation and signature parameters, public keys imported
 * from elsewhere, signatures verified and messages encrypted in software,
 * AlgorithmIdentifiers, and the software EC keys used for TLS key shares.
 * What needs the TPM must fail, fast and saying why. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>

#include "testutil.h"

#define PROPQ "provider=tpmkit"

static tku_module m;
static const unsigned char msg[] = "signed in software, verified by tpmkit";

static void setup(void)
{
    tku_module_load(&m);
}

static void teardown(void)
{
    tku_module_unload(&m);
}

static int from_tpmkit(const OSSL_PROVIDER *prov)
{
    return prov != NULL
           && strcmp(OSSL_PROVIDER_get0_name(prov),
                     OSSL_PROVIDER_get0_name(m.tpmkit))
                  == 0;
}

START_TEST(algorithms_come_from_tpmkit)
{
    static const char *const keymgmts[] = {
        "RSA",       "rsaEncryption",       "1.2.840.113549.1.1.1",
        "RSA-PSS",   "RSASSA-PSS",          "1.2.840.113549.1.1.10",
        "EC",        "id-ecPublicKey",      "1.2.840.10045.2.1",
        "TPM2-HMAC", "TPMKIT-EPHEMERAL-EC",
    };
    static const char *const absent[] = { "DSA", "DH", "X25519", "ED25519" };
    EVP_SIGNATURE *sig;
    EVP_ASYM_CIPHER *cipher;
    EVP_KEYEXCH *kex;
    EVP_MAC *mac;
    EVP_RAND *rand;

    for (size_t i = 0; i < sizeof(keymgmts) / sizeof(keymgmts[0]); i++) {
        EVP_KEYMGMT *km = EVP_KEYMGMT_fetch(m.libctx, keymgmts[i], PROPQ);

        ck_assert_msg(km != NULL, "no key manager %s", keymgmts[i]);
        ck_assert(from_tpmkit(EVP_KEYMGMT_get0_provider(km)));
        EVP_KEYMGMT_free(km);
    }
    for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
        EVP_KEYMGMT *km = EVP_KEYMGMT_fetch(m.libctx, absent[i], PROPQ);

        ck_assert_msg(km == NULL, "tpmkit offers %s", absent[i]);
    }
    sig = EVP_SIGNATURE_fetch(m.libctx, "RSA", PROPQ);
    ck_assert(sig != NULL && from_tpmkit(EVP_SIGNATURE_get0_provider(sig)));
    EVP_SIGNATURE_free(sig);
    sig = EVP_SIGNATURE_fetch(m.libctx, "ECDSA", PROPQ);
    ck_assert(sig != NULL && from_tpmkit(EVP_SIGNATURE_get0_provider(sig)));
    EVP_SIGNATURE_free(sig);
    ck_assert_ptr_null(EVP_SIGNATURE_fetch(m.libctx, "ED25519", PROPQ));
    cipher = EVP_ASYM_CIPHER_fetch(m.libctx, "RSA", PROPQ);
    ck_assert(cipher != NULL
              && from_tpmkit(EVP_ASYM_CIPHER_get0_provider(cipher)));
    EVP_ASYM_CIPHER_free(cipher);
    kex = EVP_KEYEXCH_fetch(m.libctx, "ECDH", PROPQ);
    ck_assert(kex != NULL && from_tpmkit(EVP_KEYEXCH_get0_provider(kex)));
    EVP_KEYEXCH_free(kex);
    mac = EVP_MAC_fetch(m.libctx, "TPM2-HMAC", PROPQ);
    ck_assert(mac != NULL && from_tpmkit(EVP_MAC_get0_provider(mac)));
    EVP_MAC_free(mac);
    rand = EVP_RAND_fetch(m.libctx, "TPM2-SEED", PROPQ);
    ck_assert(rand != NULL && from_tpmkit(EVP_RAND_get0_provider(rand)));
    EVP_RAND_free(rand);
    /* No digests or ciphers: those stay with OpenSSL. */
    ck_assert_ptr_null(EVP_MD_fetch(m.libctx, "SHA256", PROPQ));
    ck_assert_ptr_null(EVP_CIPHER_fetch(m.libctx, "AES-128-GCM", PROPQ));
    ERR_clear_error();
}
END_TEST

START_TEST(provider_parameters)
{
    const char *name = NULL, *version = NULL, *buildinfo = NULL, *tcti = NULL;
    const char *encryption = NULL;
    char seed[512] = "", tpm[512] = "";
    int status = 0;
    OSSL_PARAM params[] = {
        OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_NAME, (char **)&name, 0),
        OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_VERSION, (char **)&version, 0),
        OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_BUILDINFO, (char **)&buildinfo, 0),
        OSSL_PARAM_int(OSSL_PROV_PARAM_STATUS, &status),
        OSSL_PARAM_utf8_ptr("tcti", (char **)&tcti, 0),
        OSSL_PARAM_utf8_ptr("session-encryption", (char **)&encryption, 0),
        OSSL_PARAM_utf8_string("seed-status", seed, sizeof(seed)),
        OSSL_PARAM_utf8_string("tpm-status", tpm, sizeof(tpm)),
        OSSL_PARAM_END
    };

    ck_assert_int_eq(OSSL_PROVIDER_get_params(m.tpmkit, params), 1);
    ck_assert_str_eq(name, "tpmkit");
    ck_assert_str_eq(version, TK_VERSION);
    ck_assert_ptr_nonnull(strstr(buildinfo, "tpmkit " TK_VERSION));
    ck_assert_int_eq(status, 1);
    ck_assert_str_eq(tcti, tku_closed_tcti());
    ck_assert_str_eq(encryption, "on");
    ck_assert_str_eq(seed, "not used: no DRBG has drawn a TPM seed");
    ck_assert_msg(strncmp(tpm, "FAILED: ", 8) == 0, "tpm-status: %s", tpm);
    ck_assert_msg(strstr(tpm, tcti) != NULL, "tpm-status lacks the TCTI: %s",
                  tpm);
    ERR_clear_error();
}
END_TEST

typedef struct groups_seen {
    int n;
    char name[4][32], internal[4][32], alg[4][32];
    unsigned id[4], bits[4], kem[4];
    int min_tls[4], max_tls[4], min_dtls[4], max_dtls[4];
} groups_seen;

static int collect_group(const OSSL_PARAM params[], void *arg)
{
    groups_seen *g = arg;
    const OSSL_PARAM *p;
    char *dst;
    int i = g->n++;

    ck_assert_int_lt(i, 4);
    dst = g->name[i];
    ck_assert(OSSL_PARAM_get_utf8_string(
        OSSL_PARAM_locate_const(params, OSSL_CAPABILITY_TLS_GROUP_NAME), &dst,
        32));
    dst = g->internal[i];
    ck_assert(OSSL_PARAM_get_utf8_string(
        OSSL_PARAM_locate_const(params,
                                OSSL_CAPABILITY_TLS_GROUP_NAME_INTERNAL),
        &dst, 32));
    dst = g->alg[i];
    ck_assert(OSSL_PARAM_get_utf8_string(
        OSSL_PARAM_locate_const(params, OSSL_CAPABILITY_TLS_GROUP_ALG), &dst,
        32));
    p = OSSL_PARAM_locate_const(params, OSSL_CAPABILITY_TLS_GROUP_ID);
    ck_assert(OSSL_PARAM_get_uint(p, &g->id[i]));
    p = OSSL_PARAM_locate_const(params,
                                OSSL_CAPABILITY_TLS_GROUP_SECURITY_BITS);
    ck_assert(OSSL_PARAM_get_uint(p, &g->bits[i]));
    p = OSSL_PARAM_locate_const(params, OSSL_CAPABILITY_TLS_GROUP_IS_KEM);
    ck_assert(OSSL_PARAM_get_uint(p, &g->kem[i]));
    ck_assert(OSSL_PARAM_get_int(
        OSSL_PARAM_locate_const(params, OSSL_CAPABILITY_TLS_GROUP_MIN_TLS),
        &g->min_tls[i]));
    ck_assert(OSSL_PARAM_get_int(
        OSSL_PARAM_locate_const(params, OSSL_CAPABILITY_TLS_GROUP_MAX_TLS),
        &g->max_tls[i]));
    ck_assert(OSSL_PARAM_get_int(
        OSSL_PARAM_locate_const(params, OSSL_CAPABILITY_TLS_GROUP_MIN_DTLS),
        &g->min_dtls[i]));
    ck_assert(OSSL_PARAM_get_int(
        OSSL_PARAM_locate_const(params, OSSL_CAPABILITY_TLS_GROUP_MAX_DTLS),
        &g->max_dtls[i]));
    return 1;
}

/* The TLS groups tpmkit announces, checked against the IANA ids and what
 * OpenSSL itself says about each curve's strength. */
START_TEST(tls_groups)
{
    static const struct {
        const char *name, *internal;
        unsigned id;
    } want[] = {
        { "secp256r1", "prime256v1", 23 },
        { "secp384r1", "secp384r1", 24 },
        { "secp521r1", "secp521r1", 25 },
    };
    groups_seen g = { 0 };

    ck_assert_int_eq(OSSL_PROVIDER_get_capabilities(m.tpmkit, "TLS-GROUP",
                                                    collect_group, &g),
                     1);
    ck_assert_int_eq(g.n, 3);
    for (int i = 0; i < 3; i++) {
        EVP_PKEY *k = tku_ec(want[i].internal);

        ck_assert_str_eq(g.name[i], want[i].name);
        ck_assert_str_eq(g.internal[i], want[i].internal);
        ck_assert_str_eq(g.alg[i], "TPMKIT-EPHEMERAL-EC");
        ck_assert_uint_eq(g.id[i], want[i].id);
        ck_assert_uint_eq(g.bits[i], (unsigned)EVP_PKEY_get_security_bits(k));
        ck_assert_uint_eq(g.kem[i], 0);
        ck_assert_int_eq(g.min_tls[i], 0x0301);
        ck_assert_int_eq(g.max_tls[i], 0);
        ck_assert_int_eq(g.min_dtls[i], 0xfeff);
        ck_assert_int_eq(g.max_dtls[i], 0);
    }
    /* Other capabilities: none, and no failure. */
    g.n = 0;
    ck_assert_int_eq(OSSL_PROVIDER_get_capabilities(m.tpmkit, "TLS-SIGALG",
                                                    collect_group, &g),
                     1);
    ck_assert_int_eq(g.n, 0);
}
END_TEST

static EVP_PKEY_CTX *gen_ctx(const char *type)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(m.libctx, type, PROPQ);

    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(EVP_PKEY_keygen_init(ctx), 1);
    return ctx;
}

/* In the shipped module: options that need no TPM are checked at once;
 * generation itself needs the TPM and fails, saying where it looked. */
START_TEST(keygen_without_a_tpm)
{
    static const struct {
        const char *type, *name, *value, *why;
    } bad[] = {
        { "RSA", "e", "65536", "odd and fit 32 bits" },
        { "RSA", "parent", "0x80000001", "parent must be" },
        { "EC", "group", "P-999", "unknown curve" },
        { "TPM2-HMAC", "digest", "MD5", "use SHA1, SHA256" },
        { "EC", "pcr-policy", "sha256:24", "bad PCR \"24\"" },
        { "RSA", "pcr-policy", "md5:1", "unknown PCR bank \"md5\"" },
    };
    static const struct {
        const char *type, *name, *value;
    } good[] = {
        { "RSA", "bits", "3072" },
        { "RSA", "e", "3" },
        { "EC", "group", "P-384" },
        { "RSA-PSS", "user-auth", "pw" },
        { "TPM2-HMAC", "hexkey", "0011" },
        { "EC", "parent", "0x81000001" },
        { "TPM2-HMAC", "pcr-policy", "sha1:0-7,23" },
        { "RSA-PSS", "policy-signer", "/nonexistent.pem" },
        { "EC", "pcr-values", "/nonexistent.bin" },
    };
    EVP_PKEY_CTX *ctx;
    EVP_PKEY *pkey = NULL;
    char why[512];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ctx = gen_ctx(bad[i].type);
        ck_assert_int_le(EVP_PKEY_CTX_ctrl_str(ctx, bad[i].name, bad[i].value),
                         0);
        tku_assert_error(bad[i].why);
        EVP_PKEY_CTX_free(ctx);
    }
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ctx = gen_ctx(good[i].type);
        ck_assert_msg(EVP_PKEY_CTX_ctrl_str(ctx, good[i].name, good[i].value)
                          > 0,
                      "%s %s:%s: %s", good[i].type, good[i].name, good[i].value,
                      tku_errors());
        EVP_PKEY_CTX_free(ctx);
    }
    ctx = gen_ctx("EC");
    ck_assert_int_le(EVP_PKEY_generate(ctx, &pkey), 0);
    ck_assert_ptr_null(pkey);
    snprintf(why, sizeof(why), "%s", tku_errors());
    ck_assert_msg(strstr(why, tku_closed_tcti()) != NULL, "errors: %s", why);
    ck_assert_msg(strstr(why, "TPM unreachable") != NULL, "errors: %s", why);
    EVP_PKEY_CTX_free(ctx);
}
END_TEST

START_TEST(public_keys_from_elsewhere)
{
    EVP_PKEY *sw = tku_rsa(2048),
             *pub = tku_public_copy(m.libctx, "RSA", PROPQ, sw);
    EVP_PKEY *ec = tku_public_copy(m.libctx, "EC", PROPQ, tku_ec("P-521"));
    EVP_PKEY *pss = tku_public_copy(m.libctx, "RSA-PSS", PROPQ, sw);
    OSSL_PARAM *params = NULL;
    char group[32];

    ck_assert_ptr_nonnull(pub);
    ck_assert_ptr_nonnull(ec);
    ck_assert_ptr_nonnull(pss);
    ck_assert(from_tpmkit(EVP_PKEY_get0_provider(pub)));
    ck_assert_int_eq(EVP_PKEY_get_bits(pub), 2048);
    ck_assert_int_eq(EVP_PKEY_get_size(pub), 256);
    ck_assert_int_eq(EVP_PKEY_get_security_bits(pub), 112);
    ck_assert_int_eq(EVP_PKEY_eq(pub, sw), 1);
    ck_assert(EVP_PKEY_is_a(pss, "RSA-PSS"));
    ck_assert_int_eq(EVP_PKEY_get_bits(pss), 2048);
    ck_assert_int_eq(EVP_PKEY_get_bits(ec), 521);
    ck_assert_int_eq(EVP_PKEY_get_security_bits(ec), 256);
    ck_assert_int_eq(EVP_PKEY_get_group_name(ec, group, sizeof(group), NULL),
                     1);
    ck_assert_str_eq(group, "secp521r1");
    ck_assert_int_eq(EVP_PKEY_eq(ec, tku_ec("P-521")), 1);
    ck_assert_int_ne(EVP_PKEY_eq(ec, tku_ec("P-256")), 1);
    /* Public export round-trips; a private one has nothing to give. */
    ck_assert_int_eq(EVP_PKEY_todata(pub, EVP_PKEY_PUBLIC_KEY, &params), 1);
    OSSL_PARAM_free(params);
    params = NULL;
    ck_assert_int_eq(EVP_PKEY_todata(pub, EVP_PKEY_KEYPAIR, &params), 0);
    ck_assert_ptr_null(tku_public_copy(m.libctx, "RSA", PROPQ, ec));
    ERR_clear_error();
    EVP_PKEY_free(pss);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(pub);
}
END_TEST

static EVP_PKEY_CTX *verify_ctx(EVP_PKEY *key)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(m.libctx, key, PROPQ);

    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(EVP_PKEY_verify_init(ctx), 1);
    return ctx;
}

static void get_pad_salt(EVP_PKEY_CTX *ctx, int *pad, int *salt)
{
    OSSL_PARAM get[] = { OSSL_PARAM_int(OSSL_SIGNATURE_PARAM_PAD_MODE, pad),
                         OSSL_PARAM_int(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, salt),
                         OSSL_PARAM_END };

    ck_assert_int_eq(EVP_PKEY_CTX_get_params(ctx, get), 1);
}

static int set_string(EVP_PKEY_CTX *ctx, const char *key, const char *value)
{
    OSSL_PARAM set[] = { TKU_UTF8(key, value), OSSL_PARAM_END };

    return EVP_PKEY_CTX_set_params(ctx, set) == 1;
}

static int set_int(EVP_PKEY_CTX *ctx, const char *key, int value)
{
    OSSL_PARAM set[] = { OSSL_PARAM_int(key, &value), OSSL_PARAM_END };

    return EVP_PKEY_CTX_set_params(ctx, set) == 1;
}

/* Padding and salt length arrive as numbers (libssl) or words (the
 * command line); both read back as numbers. */
START_TEST(signature_parameters)
{
    static const struct {
        const char *text;
        int value;
    } salts[] = {
        { "digest", RSA_PSS_SALTLEN_DIGEST },
        { "max", RSA_PSS_SALTLEN_MAX },
        { "auto", RSA_PSS_SALTLEN_AUTO },
        { "0", 0 },
        { "32", 32 },
        { "478", 478 },
    };
    EVP_PKEY *pub = tku_public_copy(m.libctx, "RSA", PROPQ, tku_rsa(2048));
    EVP_PKEY *pss = tku_public_copy(m.libctx, "RSA-PSS", PROPQ, tku_rsa(2048));
    EVP_PKEY_CTX *ctx = verify_ctx(pub), *pctx;
    int pad = 0, salt = 0;
    char md[32] = "unset";
    OSSL_PARAM get_md[] = { OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST,
                                                   md, sizeof(md)),
                            OSSL_PARAM_END };

    get_pad_salt(ctx, &pad, &salt);
    ck_assert_int_eq(pad, RSA_PKCS1_PADDING);
    ck_assert_int_eq(salt, RSA_PSS_SALTLEN_AUTO);
    ck_assert_int_eq(EVP_PKEY_CTX_get_params(ctx, get_md), 1);
    ck_assert_str_eq(md, "");

    ck_assert(set_string(ctx, OSSL_SIGNATURE_PARAM_PAD_MODE, "pss"));
    get_pad_salt(ctx, &pad, &salt);
    ck_assert_int_eq(pad, RSA_PKCS1_PSS_PADDING);
    ck_assert(set_int(ctx, OSSL_SIGNATURE_PARAM_PAD_MODE, RSA_PKCS1_PADDING));
    get_pad_salt(ctx, &pad, &salt);
    ck_assert_int_eq(pad, RSA_PKCS1_PADDING);
    ck_assert(
        set_int(ctx, OSSL_SIGNATURE_PARAM_PAD_MODE, RSA_PKCS1_PSS_PADDING));
    ck_assert(set_string(ctx, OSSL_SIGNATURE_PARAM_PAD_MODE, "pkcs1"));
    get_pad_salt(ctx, &pad, &salt);
    ck_assert_int_eq(pad, RSA_PKCS1_PADDING);
    /* Paddings a signature cannot have; the last good value stays. */
    ck_assert(!set_string(ctx, OSSL_SIGNATURE_PARAM_PAD_MODE, "oaep"));
    tku_assert_error("sign with pkcs1 or pss padding");
    ck_assert(!set_string(ctx, OSSL_SIGNATURE_PARAM_PAD_MODE, "x931"));
    ck_assert(!set_string(ctx, OSSL_SIGNATURE_PARAM_PAD_MODE, "PSS"));
    ck_assert(!set_int(ctx, OSSL_SIGNATURE_PARAM_PAD_MODE, RSA_NO_PADDING));
    ck_assert(
        !set_int(ctx, OSSL_SIGNATURE_PARAM_PAD_MODE, RSA_PKCS1_OAEP_PADDING));
    ck_assert(!set_int(ctx, OSSL_SIGNATURE_PARAM_PAD_MODE, RSA_X931_PADDING));
    ERR_clear_error();
    get_pad_salt(ctx, &pad, &salt);
    ck_assert_int_eq(pad, RSA_PKCS1_PADDING);

    for (size_t i = 0; i < sizeof(salts) / sizeof(salts[0]); i++) {
        ck_assert(
            set_string(ctx, OSSL_SIGNATURE_PARAM_PSS_SALTLEN, salts[i].text));
        get_pad_salt(ctx, &pad, &salt);
        ck_assert_int_eq(salt, salts[i].value);
        ck_assert(set_int(ctx, OSSL_SIGNATURE_PARAM_PSS_SALTLEN, 7));
        get_pad_salt(ctx, &pad, &salt);
        ck_assert_int_eq(salt, 7);
    }
    ck_assert(!set_int(ctx, OSSL_SIGNATURE_PARAM_PSS_SALTLEN, -4));
    tku_assert_error("bad PSS salt length -4");
    ck_assert(!set_string(ctx, OSSL_SIGNATURE_PARAM_PSS_SALTLEN, "-100"));
    tku_assert_error("bad PSS salt length -100");

    /* Digests by any of OpenSSL's names; unknown ones refused. */
    ck_assert(set_string(ctx, OSSL_SIGNATURE_PARAM_DIGEST, "sha384"));
    ck_assert_int_eq(EVP_PKEY_CTX_get_params(ctx, get_md), 1);
    ck_assert_str_eq(md, "SHA2-384");
    ck_assert(!set_string(ctx, OSSL_SIGNATURE_PARAM_DIGEST, "SHA-9"));
    tku_assert_error("unknown digest \"SHA-9\"");
    ck_assert(!set_int(ctx, OSSL_SIGNATURE_PARAM_DIGEST, 1));
    ck_assert(!set_string(ctx, OSSL_SIGNATURE_PARAM_MGF1_DIGEST, "nope"));
    tku_assert_error("unknown digest \"nope\"");

    /* The controls behind -sigopt. */
    ck_assert_int_eq(EVP_PKEY_CTX_ctrl_str(ctx, "rsa_padding_mode", "pss"), 1);
    ck_assert_int_eq(EVP_PKEY_CTX_ctrl_str(ctx, "rsa_pss_saltlen", "max"), 1);
    get_pad_salt(ctx, &pad, &salt);
    ck_assert_int_eq(pad, RSA_PKCS1_PSS_PADDING);
    ck_assert_int_eq(salt, RSA_PSS_SALTLEN_MAX);
    ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, 20), 1);
    get_pad_salt(ctx, &pad, &salt);
    ck_assert_int_eq(salt, 20);
    EVP_PKEY_CTX_free(ctx);

    /* An RSA-PSS key starts with, and keeps to, PSS. */
    pctx = verify_ctx(pss);
    get_pad_salt(pctx, &pad, &salt);
    ck_assert_int_eq(pad, RSA_PKCS1_PSS_PADDING);
    ck_assert(!set_string(pctx, OSSL_SIGNATURE_PARAM_PAD_MODE, "pkcs1"));
    tku_assert_error("an RSA-PSS key signs with pss padding only");
    ck_assert(set_string(pctx, OSSL_SIGNATURE_PARAM_PAD_MODE, "pss"));
    EVP_PKEY_CTX_free(pctx);
    EVP_PKEY_free(pss);
    EVP_PKEY_free(pub);
}
END_TEST

static size_t get_aid(EVP_PKEY_CTX *ctx, unsigned char *aid, size_t size)
{
    OSSL_PARAM get[] = { OSSL_PARAM_octet_string(
                             OSSL_SIGNATURE_PARAM_ALGORITHM_ID, aid, size),
                         OSSL_PARAM_END };

    ck_assert_msg(EVP_PKEY_CTX_get_params(ctx, get) == 1, "%s", tku_errors());
    return get[0].return_size;
}

/* The AlgorithmIdentifier OpenSSL's own provider gives the same settings,
 * with the salt length spelled out. */
static size_t openssl_aid(EVP_PKEY *sw, const char *md, int pad, int salt,
                          const char *mgf1, unsigned char *aid, size_t size)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, sw, NULL);
    size_t len;

    ck_assert_int_eq(EVP_PKEY_verify_init(ctx), 1);
    ck_assert_int_eq(
        EVP_PKEY_CTX_set_signature_md(ctx, EVP_get_digestbyname(md)), 1);
    if (pad != 0) {
        ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(ctx, pad), 1);
        if (pad == RSA_PKCS1_PSS_PADDING) {
            ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, salt), 1);
            if (mgf1 != NULL)
                ck_assert_int_eq(
                    EVP_PKEY_CTX_set_rsa_mgf1_md_name(ctx, mgf1, NULL), 1);
        }
    }
    len = get_aid(ctx, aid, size);
    EVP_PKEY_CTX_free(ctx);
    return len;
}

START_TEST(algorithm_identifiers)
{
    static const struct {
        const char *md, *salt, *mgf1;
        int nid;
        int want;
    } cases[] = {
        { "SHA256", "digest", NULL, NID_sha256, 32 },
        { "SHA256", "max", NULL, NID_sha256, 256 - 32 - 2 },
        { "SHA384", "auto", NULL, NID_sha384, 256 - 48 - 2 },
        { "SHA512", "20", "SHA256", NID_sha512, 20 },
        { "SHA1", "0", NULL, NID_sha1, 0 },
    };
    static const struct {
        const char *md;
        int nid;
    } pkcs1[] = {
        { "SHA1", NID_sha1WithRSAEncryption },
        { "SHA256", NID_sha256WithRSAEncryption },
        { "SHA384", NID_sha384WithRSAEncryption },
        { "SHA512", NID_sha512WithRSAEncryption },
    };
    static const struct {
        const char *md;
        int nid;
    } ecdsa[] = {
        { "SHA256", NID_ecdsa_with_SHA256 },
        { "SHA384", NID_ecdsa_with_SHA384 },
        { "SHA512", NID_ecdsa_with_SHA512 },
    };
    EVP_PKEY *sw = tku_rsa(2048),
             *pub = tku_public_copy(m.libctx, "RSA", PROPQ, sw);
    EVP_PKEY *ec = tku_public_copy(m.libctx, "EC", PROPQ, tku_ec("P-256"));
    unsigned char mine[128], theirs[128];
    size_t mine_len, theirs_len;
    long salt;
    int hash_nid, mgf1_nid;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        EVP_PKEY_CTX *ctx = verify_ctx(pub);

        ck_assert(set_string(ctx, OSSL_SIGNATURE_PARAM_DIGEST, cases[i].md));
        ck_assert(set_string(ctx, OSSL_SIGNATURE_PARAM_PAD_MODE, "pss"));
        ck_assert(
            set_string(ctx, OSSL_SIGNATURE_PARAM_PSS_SALTLEN, cases[i].salt));
        if (cases[i].mgf1 != NULL)
            ck_assert(set_string(ctx, OSSL_SIGNATURE_PARAM_MGF1_DIGEST,
                                 cases[i].mgf1));
        mine_len = get_aid(ctx, mine, sizeof(mine));
        tku_aid_pss(mine, mine_len, &salt, &hash_nid, &mgf1_nid);
        ck_assert_int_eq(salt, cases[i].want);
        ck_assert_int_eq(hash_nid, cases[i].nid);
        ck_assert_int_eq(mgf1_nid,
                         cases[i].mgf1 != NULL ? NID_sha256 : cases[i].nid);
        theirs_len = openssl_aid(sw, cases[i].md, RSA_PKCS1_PSS_PADDING,
                                 cases[i].want, cases[i].mgf1, theirs,
                                 sizeof(theirs));
        ck_assert_uint_eq(mine_len, theirs_len);
        ck_assert_mem_eq(mine, theirs, mine_len);
        EVP_PKEY_CTX_free(ctx);
    }
    for (size_t i = 0; i < sizeof(pkcs1) / sizeof(pkcs1[0]); i++) {
        EVP_PKEY_CTX *ctx = verify_ctx(pub);

        ck_assert(set_string(ctx, OSSL_SIGNATURE_PARAM_DIGEST, pkcs1[i].md));
        mine_len = get_aid(ctx, mine, sizeof(mine));
        ck_assert_int_eq(tku_aid_nid(mine, mine_len), pkcs1[i].nid);
        theirs_len = openssl_aid(sw, pkcs1[i].md, RSA_PKCS1_PADDING, 0, NULL,
                                 theirs, sizeof(theirs));
        ck_assert_uint_eq(mine_len, theirs_len);
        ck_assert_mem_eq(mine, theirs, mine_len);
        EVP_PKEY_CTX_free(ctx);
    }
    for (size_t i = 0; i < sizeof(ecdsa) / sizeof(ecdsa[0]); i++) {
        EVP_PKEY_CTX *ctx = verify_ctx(ec);

        ck_assert(set_string(ctx, OSSL_SIGNATURE_PARAM_DIGEST, ecdsa[i].md));
        mine_len = get_aid(ctx, mine, sizeof(mine));
        ck_assert_int_eq(tku_aid_nid(mine, mine_len), ecdsa[i].nid);
        EVP_PKEY_CTX_free(ctx);
    }
    EVP_PKEY_free(ec);
    EVP_PKEY_free(pub);
}
END_TEST

static size_t sw_sign(EVP_PKEY *sw, const char *md, int pad, int salt,
                      unsigned char *sig, size_t size)
{
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    size_t len = size;

    ck_assert_int_eq(
        EVP_DigestSignInit(mctx, &pctx, EVP_get_digestbyname(md), NULL, sw), 1);
    if (pad != 0)
        ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(pctx, pad), 1);
    if (pad == RSA_PKCS1_PSS_PADDING)
        ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt), 1);
    ck_assert_int_eq(EVP_DigestSign(mctx, sig, &len, msg, sizeof(msg)), 1);
    EVP_MD_CTX_free(mctx);
    return len;
}

static int tk_verify(EVP_PKEY *pub, const char *md, const char *pad,
                     const char *salt, const unsigned char *sig, size_t siglen)
{
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int ok = EVP_DigestVerifyInit_ex(mctx, &pctx, md, m.libctx, PROPQ, pub,
                                     NULL)
                 == 1
             && (pad == NULL
                 || set_string(pctx, OSSL_SIGNATURE_PARAM_PAD_MODE, pad))
             && (salt == NULL
                 || set_string(pctx, OSSL_SIGNATURE_PARAM_PSS_SALTLEN, salt))
             && EVP_DigestVerify(mctx, sig, siglen, msg, sizeof(msg)) == 1;

    EVP_MD_CTX_free(mctx);
    ERR_clear_error();
    return ok;
}

/* Verifying needs no TPM: tpmkit verifies in software what OpenSSL
 * signed, and nothing else. */
START_TEST(verify_in_software)
{
    EVP_PKEY *sw = tku_rsa(2048),
             *pub = tku_public_copy(m.libctx, "RSA", PROPQ, sw);
    EVP_PKEY *ecsw = tku_ec("P-384"),
             *ec = tku_public_copy(m.libctx, "EC", PROPQ, ecsw);
    unsigned char sig[256];
    size_t len;

    len = sw_sign(sw, "SHA256", RSA_PKCS1_PSS_PADDING, 20, sig, sizeof(sig));
    ck_assert(tk_verify(pub, "SHA256", "pss", "20", sig, len));
    ck_assert(tk_verify(pub, "SHA256", "pss", "auto", sig, len));
    ck_assert(!tk_verify(pub, "SHA256", "pss", "digest", sig, len));
    ck_assert(!tk_verify(pub, "SHA256", "pss", "21", sig, len));
    ck_assert(!tk_verify(pub, "SHA256", "pkcs1", NULL, sig, len));
    ck_assert(!tk_verify(pub, "SHA384", "pss", "auto", sig, len));
    len = sw_sign(sw, "SHA512", RSA_PKCS1_PADDING, 0, sig, sizeof(sig));
    ck_assert(tk_verify(pub, "SHA512", NULL, NULL, sig, len));
    sig[len / 2] ^= 1;
    ck_assert(!tk_verify(pub, "SHA512", NULL, NULL, sig, len));
    len = sw_sign(ecsw, "SHA384", 0, 0, sig, sizeof(sig));
    ck_assert(tk_verify(ec, "SHA384", NULL, NULL, sig, len));
    ck_assert(!tk_verify(ec, "SHA256", NULL, NULL, sig, len));
    ck_assert(!tk_verify(pub, "SHA384", NULL, NULL, sig, len));
    EVP_PKEY_free(ec);
    EVP_PKEY_free(pub);
}
END_TEST

/* A public key cannot do what needs the private key in the TPM. */
START_TEST(private_operations_need_a_tpm_key)
{
    EVP_PKEY *pub = tku_public_copy(m.libctx, "RSA", PROPQ, tku_rsa(2048));
    EVP_PKEY *ec = tku_public_copy(m.libctx, "EC", PROPQ, tku_ec("P-256"));
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(m.libctx, pub, PROPQ);

    ck_assert_int_le(EVP_PKEY_sign_init(ctx), 0);
    tku_assert_error("signing needs the TPM key");
    ck_assert_int_le(EVP_PKEY_decrypt_init(ctx), 0);
    tku_assert_error("RSA decryption needs an RSA key in the TPM");
    EVP_PKEY_CTX_free(ctx);
    ctx = EVP_PKEY_CTX_new_from_pkey(m.libctx, ec, PROPQ);
    ck_assert_int_le(EVP_PKEY_sign_init(ctx), 0);
    tku_assert_error("signing needs the TPM key");
    ck_assert_int_le(EVP_PKEY_derive_init(ctx), 0);
    tku_assert_error("ECDH needs an EC key in the TPM");
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(pub);
}
END_TEST

static int get_cipher_pad(EVP_PKEY_CTX *ctx)
{
    int pad = -1;
    OSSL_PARAM get[] = { OSSL_PARAM_int(OSSL_ASYM_CIPHER_PARAM_PAD_MODE, &pad),
                         OSSL_PARAM_END };

    ck_assert_int_eq(EVP_PKEY_CTX_get_params(ctx, get), 1);
    return pad;
}

START_TEST(asym_cipher_parameters)
{
    static const struct {
        const char *text;
        int value;
    } pads[] = {
        { "pkcs1", RSA_PKCS1_PADDING },
        { "oaep", RSA_PKCS1_OAEP_PADDING },
        { "none", RSA_NO_PADDING },
    };
    EVP_PKEY *sw = tku_rsa(2048),
             *pub = tku_public_copy(m.libctx, "RSA", PROPQ, sw);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(m.libctx, pub, PROPQ), *dctx;
    const OSSL_PARAM *settable;
    unsigned char in[] = "to the TPM key", ct[256], pt[256];
    size_t ct_len = sizeof(ct), pt_len = sizeof(pt);
    OSSL_PARAM oaep[] = {
        TKU_UTF8(OSSL_ASYM_CIPHER_PARAM_PAD_MODE, "oaep"),
        TKU_UTF8(OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST, "SHA256"),
        TKU_UTF8(OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST, "SHA512"), OSSL_PARAM_END
    };

    ck_assert_int_eq(EVP_PKEY_encrypt_init(ctx), 1);
    ck_assert_int_eq(get_cipher_pad(ctx), RSA_PKCS1_PADDING);
    settable = EVP_PKEY_CTX_settable_params(ctx);
    ck_assert_ptr_nonnull(
        OSSL_PARAM_locate_const(settable, OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL));
    ck_assert_ptr_nonnull(
        OSSL_PARAM_locate_const(settable, OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST));
    for (size_t i = 0; i < sizeof(pads) / sizeof(pads[0]); i++) {
        ck_assert(
            set_string(ctx, OSSL_ASYM_CIPHER_PARAM_PAD_MODE, pads[i].text));
        ck_assert_int_eq(get_cipher_pad(ctx), pads[i].value);
        ck_assert(
            set_int(ctx, OSSL_ASYM_CIPHER_PARAM_PAD_MODE, RSA_PKCS1_PADDING));
        ck_assert_int_eq(get_cipher_pad(ctx), RSA_PKCS1_PADDING);
        ck_assert(set_int(ctx, OSSL_ASYM_CIPHER_PARAM_PAD_MODE, pads[i].value));
        ck_assert_int_eq(get_cipher_pad(ctx), pads[i].value);
    }
    ck_assert(!set_string(ctx, OSSL_ASYM_CIPHER_PARAM_PAD_MODE, "pss"));
    tku_assert_error("RSA padding must be pkcs1, oaep or none");
    ck_assert(!set_string(ctx, OSSL_ASYM_CIPHER_PARAM_PAD_MODE, "x931"));
    ck_assert(
        !set_int(ctx, OSSL_ASYM_CIPHER_PARAM_PAD_MODE, RSA_PKCS1_PSS_PADDING));
    ck_assert(!set_int(ctx, OSSL_ASYM_CIPHER_PARAM_PAD_MODE, RSA_X931_PADDING));
    tku_assert_error("RSA padding must be pkcs1, oaep or none");
    ck_assert(!set_string(ctx, OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST, "nope"));
    tku_assert_error("unknown OAEP digest");
    ck_assert(!set_int(ctx, OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST, 5));
    tku_assert_error("unknown OAEP digest");

    /* Encryption happens in software with the OAEP digests set. (The
     * label is left out: tpmkit's encryption does not pass it on.) */
    ck_assert_int_eq(EVP_PKEY_CTX_set_params(ctx, oaep), 1);
    ck_assert_int_eq(EVP_PKEY_encrypt(ctx, ct, &ct_len, in, sizeof(in)), 1);
    dctx = EVP_PKEY_CTX_new_from_pkey(NULL, sw, NULL);
    ck_assert_int_eq(EVP_PKEY_decrypt_init(dctx), 1);
    ck_assert_int_eq(EVP_PKEY_CTX_set_params(dctx, oaep), 1);
    ck_assert_int_eq(EVP_PKEY_decrypt(dctx, pt, &pt_len, ct, ct_len), 1);
    ck_assert_uint_eq(pt_len, sizeof(in));
    ck_assert_mem_eq(pt, in, sizeof(in));
    /* Another MGF1 digest does not decrypt: the one set was used. */
    oaep[2] = OSSL_PARAM_construct_utf8_string(
        OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST, "SHA256", 0);
    ck_assert_int_eq(EVP_PKEY_CTX_set_params(dctx, oaep), 1);
    pt_len = sizeof(pt);
    ck_assert_int_ne(EVP_PKEY_decrypt(dctx, pt, &pt_len, ct, ct_len), 1);
    ERR_clear_error();
    EVP_PKEY_CTX_free(dctx);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pub);
}
END_TEST

static EVP_PKEY *ephemeral(const char *group, int keypair)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(
        m.libctx, "TPMKIT-EPHEMERAL-EC", PROPQ);
    EVP_PKEY *pkey = NULL;

    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(
        keypair ? EVP_PKEY_keygen_init(ctx) : EVP_PKEY_paramgen_init(ctx), 1);
    ck_assert_int_eq(EVP_PKEY_CTX_set_group_name(ctx, group), 1);
    ck_assert_msg(EVP_PKEY_generate(ctx, &pkey) == 1, "%s", tku_errors());
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

static size_t derive(OSSL_LIB_CTX *libctx, EVP_PKEY *priv, const char *propq,
                     EVP_PKEY *peer, unsigned char *z, size_t size)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(libctx, priv, propq);
    size_t len = size;

    ck_assert_int_eq(EVP_PKEY_derive_init(ctx), 1);
    ck_assert_msg(EVP_PKEY_derive_set_peer(ctx, peer) == 1, "%s", tku_errors());
    ck_assert_msg(EVP_PKEY_derive(ctx, z, &len) == 1, "%s", tku_errors());
    EVP_PKEY_CTX_free(ctx);
    return len;
}

/* TLS key shares: software EC keys in tpmkit's name, as libssl makes and
 * uses them (generate for a group or from the peer's key, take the
 * peer's encoded point, derive), all without the TPM. */
START_TEST(ephemeral_ec_keys)
{
    EVP_PKEY *eph = ephemeral("secp384r1", 1), *peer_sw = tku_ec("P-384");
    EVP_PKEY *eph_pub, *shell, *next;
    EVP_PKEY *tmpl;
    unsigned char *enc = NULL;
    EVP_PKEY_CTX *tctx;
    unsigned char z1[66], z2[66], point[133];
    size_t n1, n2, point_len;
    OSSL_PARAM *params = NULL;
    char group[32];

    ck_assert(from_tpmkit(EVP_PKEY_get0_provider(eph)));
    ck_assert_int_eq(EVP_PKEY_get_group_name(eph, group, sizeof(group), NULL),
                     1);
    ck_assert_str_eq(group, "secp384r1");
    /* Software keys may leave whole. */
    ck_assert_int_eq(EVP_PKEY_todata(eph, EVP_PKEY_KEYPAIR, &params), 1);
    ck_assert_ptr_nonnull(OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_PRIV_KEY));
    OSSL_PARAM_free(params);

    /* The peer's key share as libssl builds it: parameters from tpmkit,
     * then the encoded point off the wire. */
    shell = ephemeral("secp384r1", 0);
    point_len = EVP_PKEY_get1_encoded_public_key(peer_sw, &enc);
    ck_assert_uint_eq(point_len, 97);
    memcpy(point, enc, point_len);
    OPENSSL_free(enc);
    ck_assert_int_eq(EVP_PKEY_set1_encoded_public_key(shell, point, point_len),
                     1);
    n1 = derive(m.libctx, eph, PROPQ, shell, z1, sizeof(z1));
    /* The same secret as OpenSSL's from the other side. */
    eph_pub = tku_public_copy(NULL, "EC", NULL, eph);
    ck_assert_ptr_nonnull(eph_pub);
    n2 = derive(NULL, peer_sw, NULL, eph_pub, z2, sizeof(z2));
    ck_assert_uint_eq(n1, 48);
    ck_assert_uint_eq(n1, n2);
    ck_assert_mem_eq(z1, z2, n1);
    /* A peer of another group does not agree. */
    EVP_PKEY_free(shell);
    shell = ephemeral("prime256v1", 0);
    ck_assert_int_eq(EVP_PKEY_set1_encoded_public_key(shell, point, point_len),
                     0);
    ERR_clear_error();

    /* A key made from a template has the template's group. */
    tmpl = ephemeral("secp521r1", 1);
    tctx = EVP_PKEY_CTX_new_from_pkey(m.libctx, tmpl, PROPQ);
    ck_assert_int_eq(EVP_PKEY_keygen_init(tctx), 1);
    next = NULL;
    ck_assert_int_eq(EVP_PKEY_generate(tctx, &next), 1);
    ck_assert_int_eq(EVP_PKEY_get_group_name(next, group, sizeof(group), NULL),
                     1);
    ck_assert_str_eq(group, "secp521r1");
    EVP_PKEY_free(next);
    EVP_PKEY_CTX_free(tctx);
    EVP_PKEY_free(tmpl);
    EVP_PKEY_free(shell);
    EVP_PKEY_free(eph_pub);
    EVP_PKEY_free(eph);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("keymgmt_params");
    TCase *tc = tcase_create("module");
    SRunner *sr;
    int failed;

    tku_rsa(2048);
    tku_ec("P-256");
    tku_ec("P-384");
    tku_ec("P-521");
    tku_ec("prime256v1");
    tku_ec("secp384r1");
    tku_ec("secp521r1");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, algorithms_come_from_tpmkit);
    tcase_add_test(tc, provider_parameters);
    tcase_add_test(tc, tls_groups);
    tcase_add_test(tc, keygen_without_a_tpm);
    tcase_add_test(tc, public_keys_from_elsewhere);
    tcase_add_test(tc, signature_parameters);
    tcase_add_test(tc, algorithm_identifiers);
    tcase_add_test(tc, verify_in_software);
    tcase_add_test(tc, private_operations_need_a_tpm_key);
    tcase_add_test(tc, asym_cipher_parameters);
    tcase_add_test(tc, ephemeral_ec_keys);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
