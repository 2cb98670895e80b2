/* TPM keys in use, over a software stand-in for the TPM: the key object
 * (keymgmt/key.c), what key management lets out (keymgmt/keymgmt.c), RSA
 * decryption whose padding tpmkit removes after the TPM's raw operation
 * (keymgmt/asym_cipher.c), and ECDH, whose peer point tpmkit encodes for
 * the TPM (keymgmt/keyexch.c). Results are compared with OpenSSL doing
 * the same with the software key. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "fake_tpm.h"
#include "../../keymgmt/dispatch.h"
#include "../../keymgmt/key.h"

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

static EVP_PKEY *tpm_keygen(const char *type, const char *group)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(m.libctx, type, PROPQ);
    EVP_PKEY *pkey = NULL;

    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(EVP_PKEY_keygen_init(ctx), 1);
    if (group != NULL)
        ck_assert_int_eq(EVP_PKEY_CTX_set_group_name(ctx, group), 1);
    ck_assert_msg(EVP_PKEY_generate(ctx, &pkey) == 1, "keygen: %s", tku_errors());
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

static int bn_param_eq(const EVP_PKEY *a, const EVP_PKEY *b, const char *name)
{
    BIGNUM *x = NULL, *y = NULL;
    int eq = EVP_PKEY_get_bn_param(a, name, &x) && EVP_PKEY_get_bn_param(b, name, &y)
             && BN_cmp(x, y) == 0;

    BN_free(x);
    BN_free(y);
    return eq;
}

/* The public half comes out, as parameters and through export; the
 * private half exists only in the TPM. */
START_TEST(tpm_keys_show_only_their_public_half)
{
    EVP_PKEY *rsa = tpm_keygen("RSA", NULL), *sw = fake_key_software(fake.last_key);
    EVP_PKEY *ec, *ecsw, *exported;
    OSSL_PARAM *params = NULL;
    BIGNUM *d = NULL;
    char digest[32];
    unsigned char a[133], b[133];
    size_t alen, blen;
    EVP_PKEY_CTX *ctx;

    ck_assert(bn_param_eq(rsa, sw, OSSL_PKEY_PARAM_RSA_N));
    ck_assert(bn_param_eq(rsa, sw, OSSL_PKEY_PARAM_RSA_E));
    ck_assert_int_eq(EVP_PKEY_get_bits(rsa), 2048);
    ck_assert_int_eq(EVP_PKEY_get_size(rsa), 256);
    ck_assert_int_eq(EVP_PKEY_get_security_bits(rsa), EVP_PKEY_get_security_bits(sw));
    ck_assert_int_gt(EVP_PKEY_get_default_digest_name(rsa, digest, sizeof(digest)), 0);
    ck_assert_str_eq(digest, "SHA256");
    ck_assert_int_eq(EVP_PKEY_get_bn_param(rsa, OSSL_PKEY_PARAM_RSA_D, &d), 0);
    ck_assert_int_eq(EVP_PKEY_todata(rsa, EVP_PKEY_KEYPAIR, &params), 0);
    ck_assert_ptr_null(params);
    ERR_clear_error();
    ck_assert_int_eq(EVP_PKEY_todata(rsa, EVP_PKEY_PUBLIC_KEY, &params), 1);
    ck_assert_ptr_nonnull(OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_RSA_N));
    ck_assert_ptr_null(OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_RSA_D));
    OSSL_PARAM_free(params);
    /* The key never moves to another provider (OpenSSL exports whole
     * keys to do that), not even to verify. */
    ctx = EVP_PKEY_CTX_new_from_pkey(m.libctx, rsa, "provider=default");
    ck_assert_int_le(EVP_PKEY_sign_init(ctx), 0);
    ck_assert_int_le(EVP_PKEY_verify_init(ctx), 0);
    ERR_clear_error();
    EVP_PKEY_CTX_free(ctx);

    ec = tpm_keygen("EC", "P-384");
    ecsw = fake_key_software(fake.last_key);
    ck_assert(bn_param_eq(ec, ecsw, OSSL_PKEY_PARAM_EC_PUB_X));
    ck_assert(bn_param_eq(ec, ecsw, OSSL_PKEY_PARAM_EC_PUB_Y));
    ck_assert(EVP_PKEY_get_octet_string_param(ec, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                              a, sizeof(a), &alen));
    ck_assert(EVP_PKEY_get_octet_string_param(ecsw, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                              b, sizeof(b), &blen));
    ck_assert_uint_eq(alen, blen);
    ck_assert_mem_eq(a, b, alen);
    ck_assert_int_eq(EVP_PKEY_get_bits(ec), 384);
    ck_assert_int_eq(EVP_PKEY_todata(ec, EVP_PKEY_KEYPAIR, &params), 0);
    ERR_clear_error();
    /* Public copies made by another provider match the TPM key. */
    exported = tku_public_copy(NULL, "EC", NULL, ec);
    ck_assert_ptr_nonnull(exported);
    ck_assert_int_eq(EVP_PKEY_eq(exported, ec), 1);
    ck_assert_int_ne(EVP_PKEY_eq(exported, rsa), 1);
    EVP_PKEY_free(exported);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(rsa);
    ERR_clear_error();
}
END_TEST

START_TEST(import_takes_public_keys_only)
{
    EVP_PKEY *sw = tku_rsa(2048), *pub, *priv = NULL, *other;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx;

    pub = tku_public_copy(m.libctx, "RSA", PROPQ, sw);
    ck_assert_ptr_nonnull(pub);
    ck_assert_str_eq(OSSL_PROVIDER_get0_name(EVP_PKEY_get0_provider(pub)), "tpmkit");
    ck_assert_int_eq(EVP_PKEY_eq(pub, sw), 1);
    other = tku_public_copy(m.libctx, "RSA", PROPQ, tku_rsa(1024));
    ck_assert_int_ne(EVP_PKEY_eq(pub, other), 1);
    /* A software private key stays with its own provider. */
    ck_assert_int_eq(EVP_PKEY_todata(sw, EVP_PKEY_KEYPAIR, &params), 1);
    ctx = EVP_PKEY_CTX_new_from_name(m.libctx, "RSA", PROPQ);
    ck_assert_int_eq(EVP_PKEY_fromdata_init(ctx), 1);
    ck_assert_int_le(EVP_PKEY_fromdata(ctx, &priv, EVP_PKEY_KEYPAIR, params), 0);
    ck_assert_ptr_null(priv);
    ERR_clear_error();
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    /* The EC private scalar likewise. */
    ck_assert_int_eq(EVP_PKEY_todata(tku_ec("P-256"), EVP_PKEY_KEYPAIR, &params), 1);
    ctx = EVP_PKEY_CTX_new_from_name(m.libctx, "EC", PROPQ);
    ck_assert_int_eq(EVP_PKEY_fromdata_init(ctx), 1);
    ck_assert_int_le(EVP_PKEY_fromdata(ctx, &priv, EVP_PKEY_KEYPAIR, params), 0);
    ERR_clear_error();
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    EVP_PKEY_free(other);
    EVP_PKEY_free(pub);
}
END_TEST

/* Encrypt with OpenSSL to the software key; decrypt with tpmkit. */
static int sw_encrypt(EVP_PKEY *sw, int pad, const char *oaep_md, const char *mgf1,
                      const char *label, const unsigned char *in, size_t inlen,
                      unsigned char *out, size_t *outlen)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, sw, NULL);
    int ok = EVP_PKEY_encrypt_init(ctx) == 1
             && EVP_PKEY_CTX_set_rsa_padding(ctx, pad) == 1
             && (oaep_md == NULL || EVP_PKEY_CTX_set_rsa_oaep_md_name(ctx, oaep_md, NULL) == 1)
             && (mgf1 == NULL || EVP_PKEY_CTX_set_rsa_mgf1_md_name(ctx, mgf1, NULL) == 1)
             && (label == NULL
                 || EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, OPENSSL_strdup(label),
                                                     (int)strlen(label)) == 1)
             && EVP_PKEY_encrypt(ctx, out, outlen, in, inlen) == 1;

    EVP_PKEY_CTX_free(ctx);
    return ok;
}

static EVP_PKEY_CTX *tpm_decrypt_ctx(EVP_PKEY *key, const char *pad,
                                     const char *oaep_md, const char *mgf1,
                                     const char *label)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(m.libctx, key, PROPQ);
    OSSL_PARAM params[5];
    size_t n = 0;

    params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_PAD_MODE,
                                                   (char *)pad, 0);
    if (oaep_md != NULL)
        params[n++] = OSSL_PARAM_construct_utf8_string(
            OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST, (char *)oaep_md, 0);
    if (mgf1 != NULL)
        params[n++] = OSSL_PARAM_construct_utf8_string(
            OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST, (char *)mgf1, 0);
    if (label != NULL)
        params[n++] = OSSL_PARAM_construct_octet_string(
            OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL, (char *)label, strlen(label));
    params[n] = OSSL_PARAM_construct_end();
    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(EVP_PKEY_decrypt_init(ctx), 1);
    ck_assert_msg(EVP_PKEY_CTX_set_params(ctx, params) == 1, "%s", tku_errors());
    return ctx;
}

START_TEST(rsa_decrypt_unpads_like_openssl)
{
    static const struct {
        int pad;
        const char *name, *md, *mgf1, *label;
    } cases[] = {
        { RSA_PKCS1_PADDING, "pkcs1", NULL, NULL, NULL },
        { RSA_PKCS1_OAEP_PADDING, "oaep", NULL, NULL, NULL },
        { RSA_PKCS1_OAEP_PADDING, "oaep", "SHA256", NULL, NULL },
        { RSA_PKCS1_OAEP_PADDING, "oaep", "SHA256", "SHA1", "a label" },
        { RSA_PKCS1_OAEP_PADDING, "oaep", "SHA512", "SHA384", NULL },
    };
    EVP_PKEY *key = tpm_keygen("RSA", NULL), *sw = fake_key_software(fake.last_key);
    unsigned char secret[48], ct[256], pt[256];
    size_t ct_len, pt_len;

    RAND_bytes(secret, sizeof(secret));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        EVP_PKEY_CTX *ctx = tpm_decrypt_ctx(key, cases[i].name, cases[i].md,
                                            cases[i].mgf1, cases[i].label);

        ct_len = sizeof(ct);
        ck_assert(sw_encrypt(sw, cases[i].pad, cases[i].md, cases[i].mgf1,
                             cases[i].label, secret, sizeof(secret), ct, &ct_len));
        pt_len = 0;
        ck_assert_int_eq(EVP_PKEY_decrypt(ctx, NULL, &pt_len, ct, ct_len), 1);
        ck_assert_uint_eq(pt_len, 256);
        ck_assert_msg(EVP_PKEY_decrypt(ctx, pt, &pt_len, ct, ct_len) == 1, "case %zu: %s",
                      i, tku_errors());
        ck_assert_str_eq(fake.op, "rsa_private");
        ck_assert_uint_eq(fake.in_len, ct_len);
        ck_assert_mem_eq(fake.in, ct, ct_len);
        ck_assert_uint_eq(pt_len, sizeof(secret));
        ck_assert_mem_eq(pt, secret, sizeof(secret));
        /* Too small a buffer for the plaintext. */
        pt_len = sizeof(secret) - 1;
        ck_assert_int_ne(EVP_PKEY_decrypt(ctx, pt, &pt_len, ct, ct_len), 1);
        tku_assert_error("bad padding or buffer");
        EVP_PKEY_CTX_free(ctx);
    }
    EVP_PKEY_free(key);
}
END_TEST

START_TEST(rsa_decrypt_rejects)
{
    EVP_PKEY *key = tpm_keygen("RSA", NULL), *sw = fake_key_software(fake.last_key);
    unsigned char secret[32] = "0123456789abcdef0123456789abcdef", ct[256], pt[256];
    size_t ct_len = sizeof(ct), pt_len;
    EVP_PKEY_CTX *ctx;

    /* The label, the OAEP digest and the padding must all agree. */
    ck_assert(sw_encrypt(sw, RSA_PKCS1_OAEP_PADDING, "SHA256", NULL, "right", secret,
                         sizeof(secret), ct, &ct_len));
    ctx = tpm_decrypt_ctx(key, "oaep", "SHA256", NULL, "wrong");
    pt_len = sizeof(pt);
    ck_assert_int_ne(EVP_PKEY_decrypt(ctx, pt, &pt_len, ct, ct_len), 1);
    tku_assert_error("bad padding");
    EVP_PKEY_CTX_free(ctx);
    ctx = tpm_decrypt_ctx(key, "oaep", NULL, NULL, "right");
    pt_len = sizeof(pt);
    ck_assert_int_ne(EVP_PKEY_decrypt(ctx, pt, &pt_len, ct, ct_len), 1);
    tku_assert_error("bad padding");
    EVP_PKEY_CTX_free(ctx);
    ctx = tpm_decrypt_ctx(key, "pkcs1", NULL, NULL, NULL);
    pt_len = sizeof(pt);
    ck_assert_int_ne(EVP_PKEY_decrypt(ctx, pt, &pt_len, ct, ct_len), 1);
    tku_assert_error("bad padding");
    /* The ciphertext is exactly modulus-sized. */
    pt_len = sizeof(pt);
    ck_assert_int_ne(EVP_PKEY_decrypt(ctx, pt, &pt_len, ct, ct_len - 1), 1);
    tku_assert_error("ciphertext is 255 bytes, the key needs 256");
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
}
END_TEST

/* No padding: the TPM's raw result, all of it. */
START_TEST(rsa_decrypt_without_padding)
{
    EVP_PKEY *key = tpm_keygen("RSA", NULL), *sw = fake_key_software(fake.last_key);
    unsigned char m_[256], ct[256], pt[256];
    size_t ct_len = sizeof(ct), pt_len = sizeof(pt);
    EVP_PKEY_CTX *ctx = tpm_decrypt_ctx(key, "none", NULL, NULL, NULL);

    RAND_bytes(m_, sizeof(m_));
    m_[0] = 0x00;
    m_[1] = 0x17;
    ck_assert(sw_encrypt(sw, RSA_NO_PADDING, NULL, NULL, NULL, m_, sizeof(m_), ct,
                         &ct_len));
    ck_assert_int_eq(EVP_PKEY_decrypt(ctx, pt, &pt_len, ct, ct_len), 1);
    ck_assert_uint_eq(pt_len, sizeof(m_));
    ck_assert_mem_eq(pt, m_, sizeof(m_));
    pt_len = 255;
    ck_assert_int_ne(EVP_PKEY_decrypt(ctx, pt, &pt_len, ct, ct_len), 1);
    ERR_clear_error();
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
}
END_TEST

/* Encrypting to a TPM key is public: done in software, as configured. */
START_TEST(rsa_encrypt_in_software)
{
    EVP_PKEY *key = tpm_keygen("RSA", NULL), *sw = fake_key_software(fake.last_key);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(m.libctx, key, PROPQ), *dctx;
    unsigned char in[20] = "twenty bytes of text", ct[256], pt[256];
    size_t ct_len = sizeof(ct), pt_len = sizeof(pt);

    ck_assert_int_eq(EVP_PKEY_encrypt_init(ctx), 1);
    ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING), 1);
    ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_oaep_md_name(ctx, "SHA384", NULL), 1);
    fake.calls = 0;
    ck_assert_int_eq(EVP_PKEY_encrypt(ctx, ct, &ct_len, in, sizeof(in)), 1);
    ck_assert_int_eq(fake.calls, 0);
    ck_assert_uint_eq(ct_len, 256);
    dctx = EVP_PKEY_CTX_new_from_pkey(NULL, sw, NULL);
    ck_assert_int_eq(EVP_PKEY_decrypt_init(dctx), 1);
    ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(dctx, RSA_PKCS1_OAEP_PADDING), 1);
    ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_oaep_md_name(dctx, "SHA384", NULL), 1);
    ck_assert_int_eq(EVP_PKEY_decrypt(dctx, pt, &pt_len, ct, ct_len), 1);
    ck_assert_uint_eq(pt_len, sizeof(in));
    ck_assert_mem_eq(pt, in, sizeof(in));
    EVP_PKEY_CTX_free(dctx);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
}
END_TEST

static void sw_derive(EVP_PKEY *priv, EVP_PKEY *peer, unsigned char *z, size_t *z_len)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);

    ck_assert_int_eq(EVP_PKEY_derive_init(ctx), 1);
    ck_assert_int_eq(EVP_PKEY_derive_set_peer(ctx, peer), 1);
    ck_assert_int_eq(EVP_PKEY_derive(ctx, z, z_len), 1);
    EVP_PKEY_CTX_free(ctx);
}

/* The peer's point goes to the TPM uncompressed, each coordinate padded
 * to the field size: peers are drawn until one has an x coordinate with
 * a leading zero byte. */
START_TEST(ecdh_matches_openssl)
{
    static const struct { const char *group; size_t field; } curves[] = {
        { "P-256", 32 }, { "P-384", 48 }, { "P-521", 66 },
    };

    for (size_t c = 0; c < sizeof(curves) / sizeof(curves[0]); c++) {
        EVP_PKEY *key = tpm_keygen("EC", curves[c].group);
        EVP_PKEY *sw = fake_key_software(fake.last_key);
        int short_x = 0, rounds = 0;

        while (rounds < 5000 && (rounds < 8 || (c == 0 && !short_x))) {
            EVP_PKEY *priv = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curves[c].group);
            /* Peers are public keys (pkeyutl -peerkey, a TLS key share). */
            EVP_PKEY *peer = tku_public_copy(NULL, "EC", NULL, priv);
            EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(m.libctx, key, PROPQ);
            unsigned char z[66], want[66], point[133];
            size_t z_len = 0, want_len = sizeof(want), point_len;

            rounds++;
            ck_assert_int_eq(EVP_PKEY_derive_init(ctx), 1);
            ck_assert_int_eq(EVP_PKEY_derive_set_peer(ctx, peer), 1);
            ck_assert_int_eq(EVP_PKEY_derive(ctx, NULL, &z_len), 1);
            ck_assert_uint_eq(z_len, curves[c].field);
            ck_assert_msg(EVP_PKEY_derive(ctx, z, &z_len) == 1, "%s", tku_errors());
            sw_derive(sw, peer, want, &want_len);
            ck_assert_uint_eq(z_len, want_len);
            ck_assert_mem_eq(z, want, z_len);
            ck_assert_str_eq(fake.op, "ecdh");
            ck_assert(EVP_PKEY_get_octet_string_param(peer, OSSL_PKEY_PARAM_PUB_KEY,
                                                      point, sizeof(point), &point_len));
            ck_assert_uint_eq(point_len, 1 + 2 * curves[c].field);
            ck_assert_uint_eq(fake.in_len, point_len);
            ck_assert_mem_eq(fake.in, point, point_len);
            short_x |= point[1] == 0;
            EVP_PKEY_CTX_free(ctx);
            EVP_PKEY_free(peer);
            EVP_PKEY_free(priv);
        }
        ck_assert(c != 0 || short_x);
        EVP_PKEY_free(key);
    }
}
END_TEST

START_TEST(ecdh_rejects)
{
    EVP_PKEY *key = tpm_keygen("EC", "P-256");
    EVP_PKEY *pub = tku_public_copy(m.libctx, "EC", PROPQ, tku_ec("P-256"));
    EVP_PKEY *peer = tku_public_copy(NULL, "EC", NULL, tku_ec("P-256"));
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(m.libctx, key, PROPQ);
    unsigned char z[66];
    size_t z_len = 31;

    /* Output too small for the shared secret. */
    ck_assert_int_eq(EVP_PKEY_derive_init(ctx), 1);
    ck_assert_int_eq(EVP_PKEY_derive_set_peer(ctx, peer), 1);
    ck_assert_int_ne(EVP_PKEY_derive(ctx, z, &z_len), 1);
    tku_assert_error("output buffer too small");
    EVP_PKEY_CTX_free(ctx);
    /* A public key has no private half for the TPM to use. */
    ctx = EVP_PKEY_CTX_new_from_pkey(m.libctx, pub, PROPQ);
    ck_assert_int_le(EVP_PKEY_derive_init(ctx), 0);
    tku_assert_error("ECDH needs an EC key in the TPM");
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(peer);
    EVP_PKEY_free(key);
}
END_TEST

/* The checks EVP would not let through, on the dispatch table itself. */
START_TEST(ecdh_dispatch_checks)
{
    const OSSL_DISPATCH *fns = tk_ecdh_keyexch_functions;
    OSSL_FUNC_keyexch_newctx_fn *newctx =
        (OSSL_FUNC_keyexch_newctx_fn *)tku_dispatch(fns, OSSL_FUNC_KEYEXCH_NEWCTX);
    OSSL_FUNC_keyexch_init_fn *init =
        (OSSL_FUNC_keyexch_init_fn *)tku_dispatch(fns, OSSL_FUNC_KEYEXCH_INIT);
    OSSL_FUNC_keyexch_set_peer_fn *set_peer =
        (OSSL_FUNC_keyexch_set_peer_fn *)tku_dispatch(fns, OSSL_FUNC_KEYEXCH_SET_PEER);
    OSSL_FUNC_keyexch_derive_fn *derive =
        (OSSL_FUNC_keyexch_derive_fn *)tku_dispatch(fns, OSSL_FUNC_KEYEXCH_DERIVE);
    OSSL_FUNC_keyexch_freectx_fn *freectx =
        (OSSL_FUNC_keyexch_freectx_fn *)tku_dispatch(fns, OSSL_FUNC_KEYEXCH_FREECTX);
    tk_key *rsa = tk_key_from_tpm_key(fake_prov(), 0,
                                      fake_key_new(tku_rsa(2048), FAKE_DECRYPT, 0), 1, NULL);
    tk_key *ec = tk_key_from_tpm_key(fake_prov(), 0,
                                     fake_key_new(tku_ec("P-256"), FAKE_DECRYPT, 0), 1, NULL);
    tk_key *p384 = tk_key_new_empty(fake_prov(), TK_KEY_EC);
    void *ctx = newctx(fake_prov());
    unsigned char z[66];
    size_t z_len = 0;

    ck_assert_ptr_nonnull(rsa);
    ck_assert_ptr_nonnull(ec);
    p384->pub = tku_public_copy(NULL, "EC", NULL, tku_ec("P-384"));
    ck_assert_int_eq(init(ctx, rsa, NULL), 0);
    tku_assert_error("ECDH needs an EC key in the TPM");
    ck_assert_int_eq(init(ctx, ec, NULL), 1);
    ck_assert_int_eq(derive(ctx, z, &z_len, sizeof(z)), 0);
    tku_assert_error("needs a key and a peer");
    ck_assert_int_eq(set_peer(ctx, rsa), 0);
    tku_assert_error("the ECDH peer must be an EC public key");
    /* A peer on another curve never reaches the TPM. */
    ck_assert_int_eq(set_peer(ctx, p384), 1);
    fake.calls = 0;
    ck_assert_int_eq(derive(ctx, z, &z_len, sizeof(z)), 0);
    tku_assert_error("not on the key's curve");
    ck_assert_int_eq(fake.calls, 0);
    freectx(ctx);
    tk_key_free(p384);
    tk_key_free(rsa);
    tk_key_free(ec);
}
END_TEST

/* keymgmt/key.c: the key object's type follows the TPM key's public
 * area; a caller's type hint must agree with it. */
START_TEST(key_types_follow_the_tpm_key)
{
    tk_tpm_key *pss_tpm = fake_key_new(tku_rsa(2048), FAKE_SIGN, 0);
    tk_key *k, *taken;
    const void *ref;
    const unsigned char *auth;
    size_t len;

    fake_key_info(pss_tpm)->rsa_pss = 1;
    k = tk_key_from_tpm_key(fake_prov(), 0, pss_tpm, 0, "a description");
    ck_assert_ptr_nonnull(k);
    ck_assert_int_eq(k->type, TK_KEY_RSA_PSS);
    ck_assert(EVP_PKEY_is_a(k->pub, "RSA-PSS"));
    ck_assert(bn_param_eq(k->pub, tku_rsa(2048), OSSL_PKEY_PARAM_RSA_N));
    ck_assert_str_eq(k->description, "a description");
    ck_assert_int_eq(k->empty_auth, 0);
    ck_assert_int_eq(tk_key_set_password(k, "pw", 2), 1);
    auth = fake_key_auth(k->tpm_key, &len);
    ck_assert_uint_eq(len, 2);
    ck_assert_mem_eq(auth, "pw", 2);
    /* keymgmt load() takes a reference and clears the sender's. */
    ref = k;
    ck_assert_ptr_null(tk_key_take_reference(&ref, sizeof(ref) - 1));
    taken = tk_key_take_reference(&ref, sizeof(ref));
    ck_assert_ptr_eq(taken, k);
    ck_assert_ptr_null(ref);
    tk_key_free(taken);

    k = tk_key_from_tpm_key(fake_prov(), TK_KEY_EC,
                            fake_key_new(tku_rsa(2048), FAKE_SIGN, 0), 1, NULL);
    ck_assert_ptr_null(k);
    tku_assert_error("the TPM key is not an EC key");
    k = tk_key_from_tpm_key(fake_prov(), TK_KEY_RSA,
                            fake_key_new(tku_ec("P-256"), FAKE_SIGN, 0), 1, NULL);
    ck_assert_ptr_null(k);
    tku_assert_error("the TPM key is not a RSA key");
    k = tk_key_from_tpm_key(fake_prov(), 0, fake_key_new(NULL, FAKE_SIGN, NID_sha384),
                            1, NULL);
    ck_assert_ptr_nonnull(k);
    ck_assert_int_eq(k->type, TK_KEY_HMAC);
    ck_assert_ptr_null(k->pub);
    tk_key_free(k);

    ck_assert_str_eq(tk_key_type_name(TK_KEY_RSA), "RSA");
    ck_assert_str_eq(tk_key_type_name(TK_KEY_RSA_PSS), "RSA-PSS");
    ck_assert_str_eq(tk_key_type_name(TK_KEY_EC), "EC");
    ck_assert_str_eq(tk_key_type_name(TK_KEY_HMAC), "TPM2-HMAC");
    ck_assert_str_eq(tk_key_type_name(0), "?");
    /* Setting a password on a public key does nothing, and succeeds. */
    k = tk_key_new_empty(fake_prov(), TK_KEY_RSA);
    ck_assert_int_eq(k->empty_auth, 1);
    ck_assert_int_eq(tk_key_set_password(k, "x", 1), 1);
    tk_key_free(k);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("key_ops");
    TCase *tc = tcase_create("fake-tpm");
    SRunner *sr;
    int failed;

    tku_rsa(2048);
    tku_rsa(1024);
    tku_ec("P-256");
    tku_ec("P-384");
    tku_ec("P-521");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, tpm_keys_show_only_their_public_half);
    tcase_add_test(tc, import_takes_public_keys_only);
    tcase_add_test(tc, rsa_decrypt_unpads_like_openssl);
    tcase_add_test(tc, rsa_decrypt_rejects);
    tcase_add_test(tc, rsa_decrypt_without_padding);
    tcase_add_test(tc, rsa_encrypt_in_software);
    tcase_add_test(tc, ecdh_matches_openssl);
    tcase_add_test(tc, ecdh_rejects);
    tcase_add_test(tc, ecdh_dispatch_checks);
    tcase_add_test(tc, key_types_follow_the_tpm_key);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
