/* SPDX-License-Identifier: Apache-2.0 */
/* The arithmetic of TPM sessions (hashes, HMAC, KDFa, AES-CFB, nonces,
 * the ECDH salt, object names), with OpenSSL objects fetched once per
 * connection. Callers serialise use (the connection lock). */
#ifndef TK_TPM_SESSION_CRYPTO_H
#define TK_TPM_SESSION_CRYPTO_H

#include <stddef.h>
#include <tss2/tss2_tpm2_types.h>
#include <openssl/types.h>

#define TK_CRYPTO_HASHES 4
typedef struct tk_crypto {
    OSSL_LIB_CTX *libctx;
    EVP_MD *md[TK_CRYPTO_HASHES];
    EVP_MAC *hmac;
    EVP_MAC_CTX *mac_ctx[TK_CRYPTO_HASHES];
    EVP_CIPHER *aes_cfb;
    EVP_MD_CTX *md_ctx;
    EVP_CIPHER_CTX *cipher_ctx;
} tk_crypto;

/* Big-endian integers of `bytes` octets, as TPM structures carry them. */
static inline void tk_put_be(unsigned char *p, uint32_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}

typedef struct tk_iov {
    const void *data;
    size_t len;
} tk_iov;

int tk_crypto_init(tk_crypto *c, OSSL_LIB_CTX *libctx);
void tk_crypto_free(tk_crypto *c);
size_t tk_crypto_hash_size(TPMI_ALG_HASH alg);
int tk_crypto_hash(tk_crypto *c, TPMI_ALG_HASH alg, const tk_iov *parts,
                   size_t n, unsigned char *out);
int tk_crypto_hmac(tk_crypto *c, TPMI_ALG_HASH alg, const unsigned char *key,
                   size_t key_len, const tk_iov *parts, size_t n,
                   unsigned char *out);
int tk_crypto_kdfa(tk_crypto *c, TPMI_ALG_HASH alg, const unsigned char *key,
                   size_t key_len, const char *label, const tk_iov *u,
                   const tk_iov *v, size_t bits, unsigned char *out);
/* AES-128-CFB in place; key_iv is the key then the IV (KDFa "CFB"). */
int tk_crypto_cfb(tk_crypto *c, const unsigned char key_iv[32],
                  unsigned char *buf, size_t len, int encrypt);
int tk_crypto_random(tk_crypto *c, unsigned char *out, size_t len);
int tk_crypto_ecdh_salt(tk_crypto *c, TPMI_ALG_HASH name_alg,
                        const TPMS_ECC_POINT *tpm_point,
                        TPMS_ECC_POINT *ephemeral, unsigned char *salt,
                        size_t salt_len);
/* A random salt for a session salted by an RSA key (the EK): OAEP with
 * SHA-256 and the label "SECRET" to the modulus `n` (exponent 65537). */
int tk_crypto_rsa_salt(tk_crypto *c, const TPM2B_PUBLIC_KEY_RSA *n,
                       unsigned char *salt, size_t salt_len,
                       TPM2B_ENCRYPTED_SECRET *secret);
/* The same with another label ("DUPLICATE" for the seed of a duplicate,
 * TPM 2.0 Part 1, "Secret Sharing"). */
int tk_crypto_ecdh_secret(tk_crypto *c, TPMI_ALG_HASH name_alg,
                          const char *label, const TPMS_ECC_POINT *tpm_point,
                          TPMS_ECC_POINT *ephemeral, unsigned char *secret,
                          size_t secret_len);
int tk_crypto_rsa_secret(tk_crypto *c, const TPM2B_PUBLIC_KEY_RSA *n,
                         const char *label, unsigned char *secret,
                         size_t secret_len, TPM2B_ENCRYPTED_SECRET *out);
/* An object's name: its name algorithm, then the hash of its public area
 * (ESYS would hash it again, expensively, for every command). */
int tk_object_name(tk_crypto *c, const TPM2B_PUBLIC *pub, TPM2B_NAME *name);
/* Does `pub` hash to `name` (so it is the public area the TPM holds)? */
int tk_object_has_name(tk_crypto *c, const TPM2B_PUBLIC *pub,
                       const TPM2B_NAME *name);

#endif
