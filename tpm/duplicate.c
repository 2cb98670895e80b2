/* SPDX-License-Identifier: Apache-2.0 */
/* Building duplicates in software (duplicate.h), without a TPM. */
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <tss2/tss2_mu.h>

#include "duplicate.h"
#include "key.h"
#include "policy.h"
#include "primary.h"
#include "rsa_primary.h"
#include "session_crypto.h"
#include "../provider/errors.h"

/* The usual RSA storage key (tpm2_createprimary -G rsa2048's template):
 * only its parameters matter here; the modulus comes from the key. */
static const TPMT_PUBLIC rsa_storage_template = {
    .type = TPM2_ALG_RSA,
    .nameAlg = TPM2_ALG_SHA256,
    .objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT
                        | TPMA_OBJECT_SENSITIVEDATAORIGIN
                        | TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED
                        | TPMA_OBJECT_DECRYPT,
    .parameters.rsaDetail = {
        .symmetric = { .algorithm = TPM2_ALG_AES,
                       .keyBits.aes = 128,
                       .mode.aes = TPM2_ALG_CFB },
        .scheme.scheme = TPM2_ALG_NULL,
        .keyBits = 2048,
    },
};

static int bn_fixed(const BIGNUM *bn, unsigned char *out, size_t width)
{
    return bn != NULL && BN_bn2binpad(bn, out, (int)width) == (int)width;
}

static BIGNUM *bn_param(const EVP_PKEY *key, const char *name)
{
    BIGNUM *bn = NULL;

    return EVP_PKEY_get_bn_param(key, name, &bn) ? bn : NULL;
}

/* The RSA key's public area and sensitive part (one prime). */
static int rsa_parts(const EVP_PKEY *key, TPMT_PUBLIC *pub,
                     TPMT_SENSITIVE *sens)
{
    BIGNUM *n = bn_param(key, OSSL_PKEY_PARAM_RSA_N);
    BIGNUM *e = bn_param(key, OSSL_PKEY_PARAM_RSA_E);
    BIGNUM *p = bn_param(key, OSSL_PKEY_PARAM_RSA_FACTOR1);
    BIGNUM *third = bn_param(key, OSSL_PKEY_PARAM_RSA_FACTOR3);
    int bits = EVP_PKEY_get_bits(key), ok = 0;
    size_t len = (size_t)bits / 8;

    if (bits != 2048 && bits != 3072) {
        tk_raise(TK_R_NOT_SUPPORTED,
                 "RSA keys of %d bits cannot be wrapped (2048 or 3072)", bits);
        goto end;
    }
    if (n == NULL || e == NULL || p == NULL) {
        tk_raise(TK_R_BAD_KEY, "the RSA key has no private primes (a public"
                               " key, or one held by a provider?)");
        goto end;
    }
    /* The TPM keeps one prime and finds the other as n / p. */
    if (third != NULL || BN_num_bits(e) > 32 || BN_num_bits(p) > bits / 2) {
        tk_raise(TK_R_NOT_SUPPORTED,
                 "RSA keys with more than two primes, unequal primes or"
                 " an exponent over 32 bits cannot be wrapped");
        goto end;
    }
    pub->type = TPM2_ALG_RSA;
    pub->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
    pub->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
    pub->parameters.rsaDetail.keyBits = (TPMI_RSA_KEY_BITS)bits;
    pub->parameters.rsaDetail.exponent = BN_get_word(e) == 65537
                                             ? 0
                                             : (UINT32)BN_get_word(e);
    pub->unique.rsa.size = (UINT16)len;
    sens->sensitiveType = TPM2_ALG_RSA;
    sens->sensitive.rsa.size = (UINT16)(len / 2);
    ok = bn_fixed(n, pub->unique.rsa.buffer, len)
         && bn_fixed(p, sens->sensitive.rsa.buffer, len / 2);
    if (!ok)
        tk_raise(TK_R_BAD_KEY, "the RSA key's numbers do not fit its size");
end:
    BN_free(n);
    BN_free(e);
    BN_clear_free(p);
    BN_clear_free(third);
    return ok;
}

static int ec_parts(const EVP_PKEY *key, TPMT_PUBLIC *pub, TPMT_SENSITIVE *sens)
{
    char group[32] = "";
    BIGNUM *x = bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X);
    BIGNUM *y = bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y);
    BIGNUM *d = bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY);
    size_t field = 0;
    int ok = 0;

    EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                   sizeof(group), NULL);
    if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0) {
        field = 32;
        pub->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    } else if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0) {
        field = 48;
        pub->parameters.eccDetail.curveID = TPM2_ECC_NIST_P384;
    } else {
        tk_raise(TK_R_NOT_SUPPORTED,
                 "EC keys on curve \"%s\" cannot be wrapped (P-256 or P-384)",
                 group);
        goto end;
    }
    if (x == NULL || y == NULL || d == NULL) {
        tk_raise(TK_R_BAD_KEY, "the EC key has no private part (a public key,"
                               " or one held by a provider?)");
        goto end;
    }
    pub->type = TPM2_ALG_ECC;
    pub->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
    pub->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
    pub->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
    pub->unique.ecc.x.size = pub->unique.ecc.y.size = (UINT16)field;
    sens->sensitiveType = TPM2_ALG_ECC;
    sens->sensitive.ecc.size = (UINT16)field;
    ok = bn_fixed(x, pub->unique.ecc.x.buffer, field)
         && bn_fixed(y, pub->unique.ecc.y.buffer, field)
         && bn_fixed(d, sens->sensitive.ecc.buffer, field);
    if (!ok)
        tk_raise(TK_R_BAD_KEY, "the EC key's numbers do not fit its curve");
end:
    BN_free(x);
    BN_free(y);
    BN_clear_free(d);
    return ok;
}

/* The object to import: unrestricted, signing and decrypting like the
 * keys tpmkit generates, and duplicable (no fixedTPM / fixedParent: the
 * TPM refuses to import objects that claim to have been made in it). */
static int object_parts(const EVP_PKEY *key, const unsigned char *auth,
                        size_t auth_len, const unsigned char *policy,
                        size_t policy_len, TPM2B_PUBLIC *pub,
                        TPMT_SENSITIVE *sens)
{
    TPMT_PUBLIC *area = &pub->publicArea;

    memset(pub, 0, sizeof(*pub));
    memset(sens, 0, sizeof(*sens));
    area->nameAlg = TPM2_ALG_SHA256;
    area->objectAttributes = TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_SIGN_ENCRYPT
                             | TPMA_OBJECT_DECRYPT;
    if (auth_len == 0)
        area->objectAttributes |= TPMA_OBJECT_NODA;
    if (auth_len > sizeof(sens->authValue.buffer)) {
        tk_raise(TK_R_BAD_REQUEST, "password longer than %zu bytes",
                 sizeof(sens->authValue.buffer));
        return 0;
    }
    sens->authValue.size = (UINT16)auth_len;
    if (auth_len > 0)
        memcpy(sens->authValue.buffer, auth, auth_len);
    if (policy != NULL) {
        if (policy_len != TK_TPM_POLICY_DIGEST_LEN) {
            tk_raise(TK_R_INTERNAL, "a key's policy is a SHA-256 digest");
            return 0;
        }
        area->objectAttributes &= ~TPMA_OBJECT_USERWITHAUTH;
        area->authPolicy.size = (UINT16)policy_len;
        memcpy(area->authPolicy.buffer, policy, policy_len);
    }
    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
        return rsa_parts(key, area, sens);
    case EVP_PKEY_EC:
        return ec_parts(key, area, sens);
    default:
        tk_raise(
            TK_R_NOT_SUPPORTED, "only RSA and EC keys can be wrapped, not %s",
            EVP_PKEY_get0_type_name(key) != NULL ? EVP_PKEY_get0_type_name(key)
                                                 : "this type");
        return 0;
    }
}

static int unmarshal_parent(const unsigned char *blob, size_t len,
                            TPM2B_PUBLIC *out)
{
    size_t off = 0;

    memset(out, 0, sizeof(*out));
    if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(blob, len, &off, out) != TSS2_RC_SUCCESS
        || off != len) {
        tk_raise(TK_R_BAD_KEY, "the parent's public area is not a marshalled"
                               " TPM2B_PUBLIC");
        return 0;
    }
    return 1;
}

static int parent_usable(const TPMT_PUBLIC *a)
{
    const TPMT_SYM_DEF_OBJECT *sym = a->type == TPM2_ALG_RSA
                                         ? &a->parameters.rsaDetail.symmetric
                                         : &a->parameters.eccDetail.symmetric;
    TPMA_OBJECT need = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;

    if (a->type != TPM2_ALG_RSA && a->type != TPM2_ALG_ECC) {
        tk_raise(TK_R_NOT_SUPPORTED, "the parent is neither an RSA nor an EC"
                                     " storage key");
        return 0;
    }
    if ((a->objectAttributes & need) != need
        || (a->objectAttributes & TPMA_OBJECT_SIGN_ENCRYPT) != 0) {
        tk_raise(TK_R_BAD_KEY, "the parent is not a storage key (restricted,"
                               " decrypt, not sign)");
        return 0;
    }
    if (sym->algorithm != TPM2_ALG_AES || sym->keyBits.aes != 128
        || sym->mode.aes != TPM2_ALG_CFB || a->nameAlg != TPM2_ALG_SHA256) {
        tk_raise(TK_R_NOT_SUPPORTED,
                 "tpmkit wraps for parents with AES-128-CFB and SHA-256"
                 " names (the standard storage keys) only");
        return 0;
    }
    if (a->type == TPM2_ALG_ECC
        && (a->parameters.eccDetail.curveID != TPM2_ECC_NIST_P256
            || a->unique.ecc.x.size != 32 || a->unique.ecc.y.size != 32)) {
        tk_raise(TK_R_NOT_SUPPORTED, "EC parents must be on P-256");
        return 0;
    }
    if (a->type == TPM2_ALG_RSA
        && ((a->parameters.rsaDetail.exponent != 0
             && a->parameters.rsaDetail.exponent != 65537)
            || a->unique.rsa.size == 0)) {
        tk_raise(TK_R_NOT_SUPPORTED, "RSA parents must use the exponent 65537");
        return 0;
    }
    return 1;
}

int tk_dup_parent_is_rsa_primary(const unsigned char *parent_pub, size_t len)
{
    const TPMT_PUBLIC *t = &tk_rsa_primary_template()->publicArea, *a;
    const TPMS_RSA_PARMS *q = &t->parameters.rsaDetail, *p;
    TPM2B_PUBLIC parent;

    if (!unmarshal_parent(parent_pub, len, &parent))
        return 0;
    a = &parent.publicArea;
    p = &a->parameters.rsaDetail;
    /* The attributes beyond restricted|decrypt do not enter a duplicate,
     * and a plain public key (tpm2_readpublic -f pem) does not carry them. */
    return a->type == t->type && a->nameAlg == t->nameAlg
           && (a->objectAttributes & TPMA_OBJECT_RESTRICTED) != 0
           && (a->objectAttributes & TPMA_OBJECT_DECRYPT) != 0
           && p->symmetric.algorithm == q->symmetric.algorithm
           && p->symmetric.keyBits.aes == q->symmetric.keyBits.aes
           && p->symmetric.mode.aes == q->symmetric.mode.aes
           && p->scheme.scheme == q->scheme.scheme && p->keyBits == q->keyBits
           && (p->exponent == 0 || p->exponent == 65537)
           && a->unique.rsa.size == 256;
}

int tk_dup_parent_check(const unsigned char *parent_pub, size_t len,
                        int *standard)
{
    TPM2B_PUBLIC parent;

    if (!unmarshal_parent(parent_pub, len, &parent)
        || !parent_usable(&parent.publicArea))
        return 0;
    *standard = tk_primary_is_standard(&parent.publicArea);
    return 1;
}

static int marshal_public(const TPM2B_PUBLIC *pub, unsigned char **out,
                          size_t *len)
{
    unsigned char buf[sizeof(TPM2B_PUBLIC)];
    size_t off = 0;

    if (Tss2_MU_TPM2B_PUBLIC_Marshal(pub, buf, sizeof(buf), &off)
            != TSS2_RC_SUCCESS
        || (*out = OPENSSL_memdup(buf, off)) == NULL) {
        tk_raise(TK_R_INTERNAL, "cannot marshal a public area");
        return 0;
    }
    *len = off;
    return 1;
}

int tk_dup_parent_from_pkey(const EVP_PKEY *key, unsigned char **parent_pub,
                            size_t *len, int *standard)
{
    TPM2B_PUBLIC pub;
    TPMT_PUBLIC *a = &pub.publicArea;
    BIGNUM *n = NULL;
    int ok = 0;

    memset(&pub, 0, sizeof(pub));
    if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
        /* Only the point is taken; ec_parts wants a private part too. */
        BIGNUM *x = bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X);
        BIGNUM *y = bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y);

        pub = *tk_primary_template();
        a->unique.ecc.x.size = a->unique.ecc.y.size = 32;
        ok = EVP_PKEY_get_bits(key) == 256
             && bn_fixed(x, a->unique.ecc.x.buffer, 32)
             && bn_fixed(y, a->unique.ecc.y.buffer, 32);
        BN_free(x);
        BN_free(y);
        if (!ok) {
            tk_raise(TK_R_NOT_SUPPORTED, "an EC parent key must be on P-256");
            return 0;
        }
        *standard = 1;
    } else if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
        *a = rsa_storage_template;
        n = bn_param(key, OSSL_PKEY_PARAM_RSA_N);
        a->unique.rsa.size = 256;
        ok = EVP_PKEY_get_bits(key) == 2048
             && bn_fixed(n, a->unique.rsa.buffer, 256);
        BN_free(n);
        if (!ok) {
            tk_raise(TK_R_NOT_SUPPORTED, "an RSA parent key must be RSA 2048");
            return 0;
        }
        *standard = 0;
    } else {
        tk_raise(TK_R_NOT_SUPPORTED, "a parent key is RSA or EC");
        return 0;
    }
    return marshal_public(&pub, parent_pub, len);
}

/* The encrypted seed: for an ECC parent the ephemeral point of the ECDH
 * (the seed is KDFe of the shared secret), for RSA the OAEP ciphertext of
 * a random seed. */
static int make_seed(tk_crypto *c, const TPMT_PUBLIC *parent,
                     unsigned char *seed, size_t seed_len,
                     TPM2B_ENCRYPTED_SECRET *out)
{
    memset(out, 0, sizeof(*out));
    if (parent->type == TPM2_ALG_ECC) {
        TPMS_ECC_POINT eph;
        size_t off = 0;

        memset(&eph, 0, sizeof(eph));
        if (!tk_crypto_ecdh_secret(c, parent->nameAlg, "DUPLICATE",
                                   &parent->unique.ecc, &eph, seed, seed_len)
            || Tss2_MU_TPMS_ECC_POINT_Marshal(&eph, out->secret,
                                              sizeof(out->secret), &off)
                   != TSS2_RC_SUCCESS)
            return 0;
        out->size = (UINT16)off;
        return 1;
    }
    return tk_crypto_rsa_secret(c, &parent->unique.rsa, "DUPLICATE", seed,
                                seed_len, out);
}

/* Outer wrapper (Part 1, "Outer Duplication Wrapper"): AES-CFB with a key
 * KDFa(seed, "STORAGE", name) and a zero IV over the size-prefixed
 * sensitive area, then HMAC(KDFa(seed, "INTEGRITY"), ciphertext || name)
 * in front of it. */
static int outer_wrap(tk_crypto *c, TPMI_ALG_HASH alg,
                      const unsigned char *seed, size_t seed_len,
                      const TPM2B_NAME *name, const TPMT_SENSITIVE *sens,
                      TPM2B_PRIVATE *out)
{
    size_t digest = tk_crypto_hash_size(alg), off = 2 + digest + 2, body;
    unsigned char key_iv[32] = { 0 }, hmac_key[64];
    tk_iov none = { NULL, 0 }, nm = { name->name, name->size };
    int ok = 0;

    memset(out, 0, sizeof(*out));
    if (Tss2_MU_TPMT_SENSITIVE_Marshal(sens, out->buffer, sizeof(out->buffer),
                                       &off)
        != TSS2_RC_SUCCESS)
        return 0;
    body = off - (2 + digest + 2);
    tk_put_be(out->buffer + 2 + digest, (uint32_t)body, 2);
    if (tk_crypto_kdfa(c, alg, seed, seed_len, "STORAGE", &nm, &none, 128,
                       key_iv)
        && tk_crypto_cfb(c, key_iv, out->buffer + 2 + digest, body + 2, 1)
        && tk_crypto_kdfa(c, alg, seed, seed_len, "INTEGRITY", &none, &none,
                          digest * 8, hmac_key)) {
        tk_iov parts[] = { { out->buffer + 2 + digest, body + 2 }, nm };

        ok = tk_crypto_hmac(c, alg, hmac_key, digest, parts, 2,
                            out->buffer + 2);
    }
    tk_put_be(out->buffer, (uint32_t)digest, 2);
    out->size = (UINT16)off;
    OPENSSL_cleanse(key_iv, sizeof(key_iv));
    OPENSSL_cleanse(hmac_key, sizeof(hmac_key));
    return ok;
}

int tk_dup_make(OSSL_LIB_CTX *libctx, const unsigned char *parent_pub,
                size_t parent_len, const EVP_PKEY *key,
                const unsigned char *auth, size_t auth_len, tk_dup *out)
{
    return tk_dup_make_policy(libctx, parent_pub, parent_len, key, auth,
                              auth_len, NULL, 0, out);
}

int tk_dup_make_policy(OSSL_LIB_CTX *libctx, const unsigned char *parent_pub,
                       size_t parent_len, const EVP_PKEY *key,
                       const unsigned char *auth, size_t auth_len,
                       const unsigned char *policy_digest, size_t policy_len,
                       tk_dup *out)
{
    TPM2B_PUBLIC parent, pub;
    TPMT_SENSITIVE sens;
    TPM2B_PRIVATE dup;
    TPM2B_ENCRYPTED_SECRET secret;
    TPM2B_NAME name;
    unsigned char seed[64], buf[sizeof(TPM2B_PRIVATE)];
    size_t seed_len, off = 0;
    tk_crypto c;
    int ok = 0;

    memset(out, 0, sizeof(*out));
    if (!unmarshal_parent(parent_pub, parent_len, &parent)
        || !parent_usable(&parent.publicArea)
        || !object_parts(key, auth, auth_len, policy_digest, policy_len, &pub,
                         &sens))
        goto wipe;
    seed_len = tk_crypto_hash_size(parent.publicArea.nameAlg);
    if (!tk_crypto_init(&c, libctx)) {
        tk_crypto_free(&c);
        tk_raise(TK_R_INTERNAL, "OpenSSL lacks a hash, HMAC or AES-128-CFB");
        goto wipe;
    }
    ok = tk_object_name(&c, &pub, &name)
         && make_seed(&c, &parent.publicArea, seed, seed_len, &secret)
         && outer_wrap(&c, parent.publicArea.nameAlg, seed, seed_len, &name,
                       &sens, &dup);
    tk_crypto_free(&c);
    if (!ok) {
        tk_raise(TK_R_INTERNAL, "building the duplicate failed (OpenSSL)");
        goto wipe;
    }
    ok = 0;
    if (!marshal_public(&pub, &out->pub, &out->pub_len))
        goto wipe;
    if (Tss2_MU_TPM2B_PRIVATE_Marshal(&dup, buf, sizeof(buf), &off)
            != TSS2_RC_SUCCESS
        || (out->dup = OPENSSL_memdup(buf, off)) == NULL)
        goto wipe;
    out->dup_len = off;
    off = 0;
    if (Tss2_MU_TPM2B_ENCRYPTED_SECRET_Marshal(&secret, buf, sizeof(buf), &off)
            != TSS2_RC_SUCCESS
        || (out->seed = OPENSSL_memdup(buf, off)) == NULL)
        goto wipe;
    out->seed_len = off;
    ok = 1;
wipe:
    OPENSSL_cleanse(&sens, sizeof(sens));
    OPENSSL_cleanse(seed, sizeof(seed));
    OPENSSL_cleanse(buf, sizeof(buf));
    if (!ok)
        tk_dup_clear(out);
    return ok;
}

void tk_dup_clear(tk_dup *d)
{
    OPENSSL_free(d->pub);
    OPENSSL_free(d->dup);
    OPENSSL_free(d->seed);
    memset(d, 0, sizeof(*d));
}
