/* SPDX-License-Identifier: Apache-2.0 */
/* Creating RSA, EC and HMAC keys inside the TPM, under the standard primary
 * or a persistent parent. The new key's password (and an imported HMAC
 * secret) travels in the command's first parameter, so the command runs
 * with parameter encryption on. */
#include <string.h>
#include <openssl/crypto.h>
#include <tss2/tss2_mu.h>

#include "create.h"
#include "keyobj.h"
#include "pubinfo.h"
#include "run.h"
#include "session.h"
#include "state.h"
#include "../provider/errors.h"

struct keygen_request {
    const tk_tpm_keygen *gen;
    TPM2B_PUBLIC template;
    TPM2B_SENSITIVE_CREATE sensitive;
    TPM2B_PUBLIC out_pub;
    TPM2B_PRIVATE out_priv;
};

static int build_template(const tk_tpm_keygen *gen, TPM2B_PUBLIC *tmpl)
{
    TPMT_PUBLIC *area = &tmpl->publicArea;

    memset(tmpl, 0, sizeof(*tmpl));
    area->nameAlg = TPM2_ALG_SHA256;
    /* Unrestricted, any scheme: one key signs (RSA PKCS#1/PSS, ECDSA) and
     * decrypts (RSA) or derives (ECDH). Without a password the key is
     * exempt from dictionary-attack lockout. */
    area->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT
                             | TPMA_OBJECT_SENSITIVEDATAORIGIN
                             | TPMA_OBJECT_USERWITHAUTH
                             | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_DECRYPT;
    if (gen->auth_len == 0)
        area->objectAttributes |= TPMA_OBJECT_NODA;
    if (gen->policy_digest != NULL) {
        /* Only the policy authorizes: a password, if any, is proven inside
         * it (PolicyAuthValue), never on its own. */
        if (gen->policy_digest_len != 32) {
            tk_raise(TK_R_INTERNAL, "policy digest of %zu bytes",
                     gen->policy_digest_len);
            return 0;
        }
        area->objectAttributes &= ~TPMA_OBJECT_USERWITHAUTH;
        area->authPolicy.size = 32;
        memcpy(area->authPolicy.buffer, gen->policy_digest, 32);
    }
    switch (gen->kind) {
    case TK_TPM_KEY_RSA:
        if (gen->bits != 1024 && gen->bits != 2048 && gen->bits != 3072) {
            tk_raise(TK_R_NOT_SUPPORTED,
                     "RSA keys of %u bits are not supported"
                     " by the TPM (1024, 2048, 3072)",
                     gen->bits);
            return 0;
        }
        area->type = TPM2_ALG_RSA;
        area->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
        area->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
        area->parameters.rsaDetail.keyBits = (TPMI_RSA_KEY_BITS)gen->bits;
        area->parameters.rsaDetail.exponent = gen->exponent == 65537
                                                  ? 0
                                                  : gen->exponent;
        if (gen->rsa_pss) {
            /* The scheme in the blob is what marks an RSA-PSS key (as its
             * key file is read back). A key with a scheme may not also
             * decrypt; the TPM's PSS salt is the digest length, as TLS 1.3
             * needs. */
            area->objectAttributes &= ~TPMA_OBJECT_DECRYPT;
            area->parameters.rsaDetail.scheme.scheme = TPM2_ALG_RSAPSS;
            area->parameters.rsaDetail.scheme.details.rsapss.hashAlg =
                TPM2_ALG_SHA256;
        }
        return 1;
    case TK_TPM_KEY_EC:
        area->type = TPM2_ALG_ECC;
        area->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
        area->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
        area->parameters.eccDetail.curveID = tk_tpm_curve(gen->curve_nid);
        area->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
        if (area->parameters.eccDetail.curveID == TPM2_ECC_NONE) {
            tk_raise(TK_R_NOT_SUPPORTED,
                     "this curve is not supported by the TPM"
                     " (P-192, P-224, P-256, P-384, P-521)");
            return 0;
        }
        return 1;
    case TK_TPM_KEY_HMAC:
        /* An HMAC-only keyed-hash object. An imported secret was not made
         * by the TPM: no sensitiveDataOrigin then. */
        area->type = TPM2_ALG_KEYEDHASH;
        area->objectAttributes &= ~TPMA_OBJECT_DECRYPT;
        if (gen->secret != NULL)
            area->objectAttributes &= ~TPMA_OBJECT_SENSITIVEDATAORIGIN;
        area->parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_HMAC;
        area->parameters.keyedHashDetail.scheme.details.hmac.hashAlg =
            tk_tpm_hash_alg(gen->hash_nid);
        if (tk_tpm_hash_alg(gen->hash_nid) == TPM2_ALG_NULL) {
            tk_raise(TK_R_NOT_SUPPORTED, "HMAC keys use SHA-1, SHA-256, SHA-384"
                                         " or SHA-512");
            return 0;
        }
        return 1;
    default:
        tk_raise(TK_R_INTERNAL, "unknown key kind %d", gen->kind);
        return 0;
    }
}

static TSS2_RC create(tk_tpm *tpm, void *arg)
{
    struct keygen_request *req = arg;
    TPM2B_AUTH parent_auth = { 0 };
    TSS2_RC rc;

    if (req->gen->parent_auth_len > sizeof(parent_auth.buffer))
        return tk_fail(tpm, TSS2_ESYS_RC_BAD_VALUE, TK_R_BAD_REQUEST,
                       "parent password too long");
    parent_auth.size = (UINT16)req->gen->parent_auth_len;
    if (parent_auth.size > 0)
        memcpy(parent_auth.buffer, req->gen->parent_auth, parent_auth.size);
    rc = tk_create_object(tpm, req->gen->parent, &parent_auth, &req->sensitive,
                          &req->template, 0, "the key", &req->out_pub,
                          &req->out_priv);
    OPENSSL_cleanse(&parent_auth, sizeof(parent_auth));
    return rc;
}

static int marshal(const void *src, int is_public, unsigned char **out,
                   size_t *out_len)
{
    unsigned char buf[sizeof(TPM2B_PUBLIC) + sizeof(TPM2B_PRIVATE)];
    size_t offset = 0;
    TSS2_RC rc = is_public ? Tss2_MU_TPM2B_PUBLIC_Marshal(src, buf, sizeof(buf),
                                                          &offset)
                           : Tss2_MU_TPM2B_PRIVATE_Marshal(
                               src, buf, sizeof(buf), &offset);

    if (rc != TSS2_RC_SUCCESS || (*out = OPENSSL_memdup(buf, offset)) == NULL) {
        tk_raise(TK_R_INTERNAL, "cannot marshal the new key (0x%x)",
                 (unsigned)rc);
        return 0;
    }
    *out_len = offset;
    return 1;
}

int tk_tpm_create_key(tk_tpm *tpm, const tk_tpm_keygen *gen,
                      unsigned char **pub, size_t *pub_len,
                      unsigned char **priv, size_t *priv_len)
{
    struct keygen_request req = { .gen = gen };
    int ok = 0;

    *pub = *priv = NULL;
    if (!build_template(gen, &req.template))
        return 0;
    if (gen->secret != NULL) {
        /* The secret rides in TPM2_Create's first parameter, which only the
         * encrypting session protects on the bus. */
        if (!tk_tpm_encrypting(tpm)) {
            tk_raise(TK_R_NOT_SUPPORTED,
                     "importing a secret into the TPM needs"
                     " session encryption (session-encryption = yes): it would"
                     " cross the bus in clear");
            return 0;
        }
        if (gen->secret_len > sizeof(req.sensitive.sensitive.data.buffer)) {
            tk_raise(TK_R_BAD_REQUEST, "secret longer than %zu bytes",
                     sizeof(req.sensitive.sensitive.data.buffer));
            return 0;
        }
    }
    if (gen->auth_len > sizeof(req.sensitive.sensitive.userAuth.buffer)) {
        tk_raise(TK_R_BAD_REQUEST, "key password too long");
        return 0;
    }
    req.sensitive.sensitive.userAuth.size = (UINT16)gen->auth_len;
    if (gen->auth_len > 0)
        memcpy(req.sensitive.sensitive.userAuth.buffer, gen->auth,
               gen->auth_len);
    req.sensitive.sensitive.data.size = gen->secret != NULL
                                            ? (UINT16)gen->secret_len
                                            : 0;
    if (gen->secret != NULL && gen->secret_len > 0)
        memcpy(req.sensitive.sensitive.data.buffer, gen->secret,
               gen->secret_len);
    if (tk_tpm_run(tpm, create, &req) && marshal(&req.out_pub, 1, pub, pub_len)
        && marshal(&req.out_priv, 0, priv, priv_len))
        ok = 1;
    OPENSSL_cleanse(&req.sensitive, sizeof(req.sensitive));
    OPENSSL_cleanse(&req.out_priv, sizeof(req.out_priv));
    if (!ok) {
        OPENSSL_free(*pub);
        OPENSSL_free(*priv);
        *pub = *priv = NULL;
    }
    return ok;
}
