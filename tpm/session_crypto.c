/* SPDX-License-Identifier: Apache-2.0 */
/* The arithmetic of TPM sessions (TPM 2.0 Part 1, "Session-based
 * authorization" and "Parameter encryption"): hashes, HMACs, KDFa, KDFe,
 * AES-CFB, nonces and the ECDH salt.
 *
 * Every OpenSSL object is fetched once per connection into tpmkit's private
 * library context: fetching per call (or, worse, building a library context
 * per call) costs far more CPU than the TPM command itself. Callers hold the
 * connection lock, so the reusable contexts need no lock of their own. */
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/param_build.h>
#include <openssl/bn.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <tss2/tss2_mu.h>

#include "session_crypto.h"

static const struct {
    TPMI_ALG_HASH alg;
    const char *name;
} hashes[TK_CRYPTO_HASHES] = {
    { TPM2_ALG_SHA1, "SHA1" },
    { TPM2_ALG_SHA256, "SHA256" },
    { TPM2_ALG_SHA384, "SHA384" },
    { TPM2_ALG_SHA512, "SHA512" },
};

static int hash_index(TPMI_ALG_HASH alg)
{
    for (int i = 0; i < TK_CRYPTO_HASHES; i++)
        if (hashes[i].alg == alg)
            return i;
    return -1;
}

int tk_crypto_init(tk_crypto *c, OSSL_LIB_CTX *libctx)
{
    memset(c, 0, sizeof(*c));
    c->libctx = libctx;
    c->hmac = EVP_MAC_fetch(libctx, "HMAC", NULL);
    c->aes_cfb = EVP_CIPHER_fetch(libctx, "AES-128-CFB", NULL);
    c->md_ctx = EVP_MD_CTX_new();
    c->cipher_ctx = EVP_CIPHER_CTX_new();
    if (c->hmac == NULL || c->aes_cfb == NULL || c->md_ctx == NULL
        || c->cipher_ctx == NULL)
        return 0;
    for (int i = 0; i < TK_CRYPTO_HASHES; i++) {
        OSSL_PARAM params[] = {
            OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                   (char *)hashes[i].name, 0),
            OSSL_PARAM_END,
        };

        c->md[i] = EVP_MD_fetch(libctx, hashes[i].name, NULL);
        c->mac_ctx[i] = EVP_MAC_CTX_new(c->hmac);
        if (c->md[i] == NULL || c->mac_ctx[i] == NULL
            || !EVP_MAC_CTX_set_params(c->mac_ctx[i], params))
            return 0;
    }
    return 1;
}

void tk_crypto_free(tk_crypto *c)
{
    for (int i = 0; i < TK_CRYPTO_HASHES; i++) {
        EVP_MD_free(c->md[i]);
        EVP_MAC_CTX_free(c->mac_ctx[i]);
    }
    EVP_MAC_free(c->hmac);
    EVP_CIPHER_free(c->aes_cfb);
    EVP_MD_CTX_free(c->md_ctx);
    EVP_CIPHER_CTX_free(c->cipher_ctx);
    memset(c, 0, sizeof(*c));
}

size_t tk_crypto_hash_size(TPMI_ALG_HASH alg)
{
    switch (alg) {
    case TPM2_ALG_SHA1:
        return 20;
    case TPM2_ALG_SHA256:
        return 32;
    case TPM2_ALG_SHA384:
        return 48;
    case TPM2_ALG_SHA512:
        return 64;
    default:
        return 0;
    }
}

int tk_crypto_hash(tk_crypto *c, TPMI_ALG_HASH alg, const tk_iov *parts,
                   size_t n, unsigned char *out)
{
    int i = hash_index(alg);

    if (i < 0 || !EVP_DigestInit_ex(c->md_ctx, c->md[i], NULL))
        return 0;
    for (size_t k = 0; k < n; k++)
        if (parts[k].len > 0
            && !EVP_DigestUpdate(c->md_ctx, parts[k].data, parts[k].len))
            return 0;
    return EVP_DigestFinal_ex(c->md_ctx, out, NULL);
}

int tk_crypto_hmac(tk_crypto *c, TPMI_ALG_HASH alg, const unsigned char *key,
                   size_t key_len, const tk_iov *parts, size_t n,
                   unsigned char *out)
{
    static const unsigned char no_key[1];
    int i = hash_index(alg);
    size_t out_len;

    /* An empty HMAC key is valid (an unsalted session with no password);
     * OpenSSL wants a pointer all the same. */
    if (i < 0
        || !EVP_MAC_init(c->mac_ctx[i], key_len ? key : no_key, key_len, NULL))
        return 0;
    for (size_t k = 0; k < n; k++)
        if (parts[k].len > 0
            && !EVP_MAC_update(c->mac_ctx[i], parts[k].data, parts[k].len))
            return 0;
    return EVP_MAC_final(c->mac_ctx[i], out, &out_len, EVP_MAX_MD_SIZE);
}

/* KDFa: SP 800-108 counter mode with HMAC, the label NUL-terminated, the
 * output length in bits after the contexts. */
int tk_crypto_kdfa(tk_crypto *c, TPMI_ALG_HASH alg, const unsigned char *key,
                   size_t key_len, const char *label, const tk_iov *u,
                   const tk_iov *v, size_t bits, unsigned char *out)
{
    size_t size = tk_crypto_hash_size(alg), want = bits / 8, done = 0;
    unsigned char counter[4], len_be[4], block[EVP_MAX_MD_SIZE];

    tk_put_be(len_be, (uint32_t)bits, 4);
    for (uint32_t i = 1; done < want; i++) {
        tk_iov parts[] = {
            { counter, 4 }, { label, strlen(label) + 1 }, *u, *v, { len_be, 4 },
        };
        size_t take = want - done < size ? want - done : size;

        tk_put_be(counter, i, 4);
        if (size == 0 || !tk_crypto_hmac(c, alg, key, key_len, parts, 5, block))
            return 0;
        memcpy(out + done, block, take);
        done += take;
    }
    OPENSSL_cleanse(block, sizeof(block));
    return 1;
}

/* KDFe: SP 800-56A single-step KDF with a hash over the ECDH secret. */
static int kdfe(tk_crypto *c, TPMI_ALG_HASH alg, const tk_iov *z,
                const char *label, const tk_iov *u, const tk_iov *v,
                size_t bytes, unsigned char *out)
{
    size_t size = tk_crypto_hash_size(alg), done = 0;
    unsigned char counter[4], block[EVP_MAX_MD_SIZE];

    for (uint32_t i = 1; done < bytes; i++) {
        tk_iov parts[] = {
            { counter, 4 }, *z, { label, strlen(label) + 1 }, *u, *v,
        };
        size_t take = bytes - done < size ? bytes - done : size;

        tk_put_be(counter, i, 4);
        if (size == 0 || !tk_crypto_hash(c, alg, parts, 5, block))
            return 0;
        memcpy(out + done, block, take);
        done += take;
    }
    OPENSSL_cleanse(block, sizeof(block));
    return 1;
}

int tk_crypto_cfb(tk_crypto *c, const unsigned char key_iv[32],
                  unsigned char *buf, size_t len, int encrypt)
{
    int out_len = 0, ok;

    ok = EVP_CipherInit_ex2(c->cipher_ctx, c->aes_cfb, key_iv, key_iv + 16,
                            encrypt, NULL)
         && EVP_CipherUpdate(c->cipher_ctx, buf, &out_len, buf, (int)len)
         && (size_t)out_len == len;
    EVP_CIPHER_CTX_reset(c->cipher_ctx);
    return ok;
}

int tk_crypto_random(tk_crypto *c, unsigned char *out, size_t len)
{
    return RAND_bytes_ex(c->libctx, out, len, 0) == 1;
}

static EVP_PKEY *p256_public(tk_crypto *c, const TPMS_ECC_POINT *point)
{
    unsigned char octets[1 + 2 * 32];
    OSSL_PARAM params[] = {
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, octets,
                                sizeof(octets)),
        OSSL_PARAM_END,
    };
    EVP_PKEY_CTX *ctx;
    EVP_PKEY *pkey = NULL;

    if (point->x.size != 32 || point->y.size != 32)
        return NULL;
    octets[0] = 0x04;
    memcpy(octets + 1, point->x.buffer, 32);
    memcpy(octets + 33, point->y.buffer, 32);
    ctx = EVP_PKEY_CTX_new_from_name(c->libctx, "EC", NULL);
    if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0
        || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

/* The salt of a session salted by an ECC P-256 key: an ephemeral ECDH with
 * the key's public point, then KDFe(Z, "SECRET", ephemeral x, key x). */
int tk_crypto_ecdh_salt(tk_crypto *c, TPMI_ALG_HASH name_alg,
                        const TPMS_ECC_POINT *tpm_point,
                        TPMS_ECC_POINT *ephemeral, unsigned char *salt,
                        size_t salt_len)
{
    return tk_crypto_ecdh_secret(c, name_alg, "SECRET", tpm_point, ephemeral,
                                 salt, salt_len);
}

int tk_crypto_ecdh_secret(tk_crypto *c, TPMI_ALG_HASH name_alg,
                          const char *label, const TPMS_ECC_POINT *tpm_point,
                          TPMS_ECC_POINT *ephemeral, unsigned char *salt,
                          size_t salt_len)
{
    EVP_PKEY *peer = p256_public(c, tpm_point), *mine = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    unsigned char z[32], octets[1 + 2 * 32];
    size_t z_len = sizeof(z), octets_len = 0;
    int ok = 0;

    if (peer == NULL
        || (mine = EVP_PKEY_Q_keygen(c->libctx, NULL, "EC", "P-256")) == NULL
        || !EVP_PKEY_get_octet_string_param(mine, OSSL_PKEY_PARAM_PUB_KEY,
                                            octets, sizeof(octets), &octets_len)
        || octets_len != sizeof(octets)
        || (ctx = EVP_PKEY_CTX_new_from_pkey(c->libctx, mine, NULL)) == NULL
        || EVP_PKEY_derive_init(ctx) <= 0
        || EVP_PKEY_derive_set_peer(ctx, peer) <= 0
        || EVP_PKEY_derive(ctx, z, &z_len) <= 0 || z_len != sizeof(z))
        goto done;
    ephemeral->x.size = ephemeral->y.size = 32;
    memcpy(ephemeral->x.buffer, octets + 1, 32);
    memcpy(ephemeral->y.buffer, octets + 33, 32);
    {
        tk_iov zi = { z, sizeof(z) };
        tk_iov u = { ephemeral->x.buffer, 32 };
        tk_iov v = { tpm_point->x.buffer, tpm_point->x.size };

        ok = kdfe(c, name_alg, &zi, label, &u, &v, salt_len, salt);
    }
done:
    OPENSSL_cleanse(z, sizeof(z));
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(mine);
    EVP_PKEY_free(peer);
    return ok;
}

int tk_crypto_rsa_salt(tk_crypto *c, const TPM2B_PUBLIC_KEY_RSA *n,
                       unsigned char *salt, size_t salt_len,
                       TPM2B_ENCRYPTED_SECRET *secret)
{
    return tk_crypto_rsa_secret(c, n, "SECRET", salt, salt_len, secret);
}

int tk_crypto_rsa_secret(tk_crypto *c, const TPM2B_PUBLIC_KEY_RSA *n,
                         const char *label, unsigned char *salt,
                         size_t salt_len, TPM2B_ENCRYPTED_SECRET *secret)
{
    static const unsigned char e[] = { 0x01, 0x00, 0x01 };
    static char pad[] = OSSL_PKEY_RSA_PAD_MODE_OAEP, md[] = "SHA256";
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *key = NULL;
    BIGNUM *bn_n = BN_bin2bn(n->buffer, n->size, NULL);
    BIGNUM *bn_e = BN_bin2bn(e, sizeof(e), NULL);
    size_t len = sizeof(secret->secret);
    OSSL_PARAM oaep[] = {
        OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_PAD_MODE, pad,
                               sizeof(pad) - 1),
        OSSL_PARAM_utf8_string(OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST, md,
                               sizeof(md) - 1),
        /* The label includes its terminating NUL (TPM 2.0 Part 1, OAEP). */
        OSSL_PARAM_octet_string(OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL,
                                (void *)label, strlen(label) + 1),
        OSSL_PARAM_END
    };
    int ok = 0;

    if (bld == NULL || bn_n == NULL || bn_e == NULL
        || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n)
        || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e)
        || (params = OSSL_PARAM_BLD_to_param(bld)) == NULL
        || (ctx = EVP_PKEY_CTX_new_from_name(c->libctx, "RSA", NULL)) == NULL
        || EVP_PKEY_fromdata_init(ctx) <= 0
        || EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        goto done;
    EVP_PKEY_CTX_free(ctx);
    if ((ctx = EVP_PKEY_CTX_new_from_pkey(c->libctx, key, NULL)) == NULL
        || EVP_PKEY_encrypt_init_ex(ctx, oaep) <= 0
        || RAND_bytes_ex(c->libctx, salt, salt_len, 0) <= 0
        || EVP_PKEY_encrypt(ctx, secret->secret, &len, salt, salt_len) <= 0)
        goto done;
    secret->size = (UINT16)len;
    ok = 1;
done:
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
    return ok;
}

int tk_object_name(tk_crypto *c, const TPM2B_PUBLIC *pub, TPM2B_NAME *name)
{
    unsigned char area[sizeof(TPMT_PUBLIC)];
    size_t len = 0, size = tk_crypto_hash_size(pub->publicArea.nameAlg);
    tk_iov part = { area, 0 };

    if (size == 0
        || Tss2_MU_TPMT_PUBLIC_Marshal(&pub->publicArea, area, sizeof(area),
                                       &len)
               != TSS2_RC_SUCCESS)
        return 0;
    part.len = len;
    name->name[0] = (unsigned char)(pub->publicArea.nameAlg >> 8);
    name->name[1] = (unsigned char)pub->publicArea.nameAlg;
    name->size = (UINT16)(2 + size);
    return tk_crypto_hash(c, pub->publicArea.nameAlg, &part, 1, name->name + 2);
}

int tk_object_has_name(tk_crypto *c, const TPM2B_PUBLIC *pub,
                       const TPM2B_NAME *name)
{
    TPM2B_NAME computed;

    return tk_object_name(c, pub, &computed) && computed.size == name->size
           && memcmp(computed.name, name->name, name->size) == 0;
}
