/* SPDX-License-Identifier: Apache-2.0 */
/* Signed policies with a software signing key: the PolicyAuthorize step
 * naming the signer, and the signature approving a policy. The signer's
 * public area is fixed here (SHA-256 name, sign|decrypt|userWithAuth, no
 * scheme), because its name is what the key's authPolicy binds: the same
 * key must always give the same area, and at use TPM2_LoadExternal loads
 * exactly the area the step carries. */
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include "policy.h"
#include "pubinfo.h"
#include "session_crypto.h"
#include "../provider/errors.h"

static int bn_param(EVP_PKEY *pkey, const char *name, unsigned char *buf,
                    size_t size, UINT16 *len)
{
    BIGNUM *bn = NULL;
    int n, ok;

    ok = EVP_PKEY_get_bn_param(pkey, name, &bn) && (n = BN_num_bytes(bn)) > 0
         && (size_t)n <= size && BN_bn2bin(bn, buf) == n;
    if (ok)
        *len = (UINT16)n;
    BN_free(bn);
    return ok;
}

/* The signer's public area, as loaded with TPM2_LoadExternal. */
static int signer_public(EVP_PKEY *signer, TPM2B_PUBLIC *pub)
{
    TPMT_PUBLIC *a = &pub->publicArea;
    char group[64];
    unsigned char e[8];
    UINT16 e_len = 0;

    memset(pub, 0, sizeof(*pub));
    a->nameAlg = TPM2_ALG_SHA256;
    a->objectAttributes = TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_DECRYPT
                          | TPMA_OBJECT_USERWITHAUTH;
    if (EVP_PKEY_is_a(signer, "RSA")) {
        uint32_t exp = 0;

        a->type = TPM2_ALG_RSA;
        a->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
        a->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
        if (!bn_param(signer, OSSL_PKEY_PARAM_RSA_N, a->unique.rsa.buffer,
                      sizeof(a->unique.rsa.buffer), &a->unique.rsa.size)
            || !bn_param(signer, OSSL_PKEY_PARAM_RSA_E, e, 4, &e_len))
            goto bad;
        for (UINT16 i = 0; i < e_len; i++)
            exp = exp << 8 | e[i];
        a->parameters.rsaDetail.keyBits = (TPMI_RSA_KEY_BITS)(a->unique.rsa.size
                                                              * 8);
        a->parameters.rsaDetail.exponent = exp == 65537 ? 0 : exp;
        return 1;
    }
    if (EVP_PKEY_is_a(signer, "EC")) {
        size_t glen = 0;
        int nid;

        a->type = TPM2_ALG_ECC;
        a->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
        a->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
        a->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
        if (!EVP_PKEY_get_utf8_string_param(signer, OSSL_PKEY_PARAM_GROUP_NAME,
                                            group, sizeof(group), &glen))
            goto bad;
        nid = EC_curve_nist2nid(group);
        if (nid == NID_undef)
            nid = OBJ_sn2nid(group);
        a->parameters.eccDetail.curveID = tk_tpm_curve(nid);
        if (a->parameters.eccDetail.curveID == TPM2_ECC_NONE) {
            tk_raise(TK_R_NOT_SUPPORTED,
                     "the policy signer's curve %s is not one the TPM"
                     " knows",
                     group);
            return 0;
        }
        /* Coordinates padded to the field size, as the TPM writes them. */
        {
            int field = (EVP_PKEY_get_bits(signer) + 7) / 8;
            unsigned char x[66], y[66];
            UINT16 xl = 0, yl = 0;

            if (field <= 0 || field > 66
                || !bn_param(signer, OSSL_PKEY_PARAM_EC_PUB_X, x, sizeof(x),
                             &xl)
                || !bn_param(signer, OSSL_PKEY_PARAM_EC_PUB_Y, y, sizeof(y),
                             &yl)
                || xl > field || yl > field)
                goto bad;
            memcpy(a->unique.ecc.x.buffer + field - xl, x, xl);
            memcpy(a->unique.ecc.y.buffer + field - yl, y, yl);
            a->unique.ecc.x.size = a->unique.ecc.y.size = (UINT16)field;
        }
        return 1;
    }
    tk_raise(TK_R_NOT_SUPPORTED, "the policy signer must be an RSA or EC key");
    return 0;
bad:
    tk_raise(TK_R_BAD_REQUEST, "cannot read the policy signer's public key");
    return 0;
}

/* TPM2B_PUBLIC || TPM2B_DIGEST policyRef (empty) || TPMT_SIGNATURE. */
static int make_step(const TPM2B_PUBLIC *pub, const TPMT_SIGNATURE *sig,
                     tk_tpm_policy_step *step)
{
    unsigned char buf[sizeof(TPM2B_PUBLIC) + 2 + sizeof(TPMT_SIGNATURE)];
    size_t off = 0;
    TPM2B_DIGEST ref = { 0 };

    memset(step, 0, sizeof(*step));
    if (Tss2_MU_TPM2B_PUBLIC_Marshal(pub, buf, sizeof(buf), &off)
            != TSS2_RC_SUCCESS
        || Tss2_MU_TPM2B_DIGEST_Marshal(&ref, buf, sizeof(buf), &off)
               != TSS2_RC_SUCCESS
        || Tss2_MU_TPMT_SIGNATURE_Marshal(sig, buf, sizeof(buf), &off)
               != TSS2_RC_SUCCESS
        || (step->params = OPENSSL_memdup(buf, off)) == NULL) {
        tk_raise(TK_R_INTERNAL, "cannot write the PolicyAuthorize step");
        return 0;
    }
    step->code = TPM2_CC_PolicyAuthorize;
    step->len = off;
    return 1;
}

int tk_tpm_policy_authorize_step(OSSL_LIB_CTX *libctx, EVP_PKEY *signer,
                                 tk_tpm_policy_step *step)
{
    TPM2B_PUBLIC pub;
    TPMT_SIGNATURE none = { .sigAlg = TPM2_ALG_NULL };

    (void)libctx;
    return signer_public(signer, &pub) && make_step(&pub, &none, step);
}

int tk_tpm_policy_step_signer_is(OSSL_LIB_CTX *libctx,
                                 const tk_tpm_policy_step *step,
                                 EVP_PKEY *signer)
{
    tk_tpm_policy_step mine;
    size_t pub_len;
    int same;

    if (step->code != TPM2_CC_PolicyAuthorize || step->len < 2)
        return 0;
    ERR_set_mark();
    if (!tk_tpm_policy_authorize_step(libctx, signer, &mine)) {
        ERR_pop_to_mark();
        return 0;
    }
    ERR_clear_last_mark();
    pub_len = 2 + ((size_t)step->params[0] << 8 | step->params[1]);
    same = pub_len <= step->len && pub_len <= mine.len
           && memcmp(step->params, mine.params, pub_len) == 0;
    tk_tpm_policy_step_clear(&mine);
    return same;
}

/* A signature of a SHA-256 digest, as TPMT_SIGNATURE. */
static int sign_digest(OSSL_LIB_CTX *libctx, EVP_PKEY *signer,
                       const unsigned char *digest, size_t dlen,
                       TPMT_SIGNATURE *sig)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(libctx, signer, NULL);
    unsigned char der[1024];
    size_t der_len = sizeof(der);
    EVP_MD *md = EVP_MD_fetch(libctx, "SHA256", NULL);
    int rsa = EVP_PKEY_is_a(signer, "RSA"), ok;

    memset(sig, 0, sizeof(*sig));
    ok = ctx != NULL && md != NULL && EVP_PKEY_sign_init(ctx) > 0
         && (!rsa || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0)
         && EVP_PKEY_CTX_set_signature_md(ctx, md) > 0
         && EVP_PKEY_sign(ctx, der, &der_len, digest, dlen) > 0;
    EVP_PKEY_CTX_free(ctx);
    EVP_MD_free(md);
    if (ok && rsa && der_len > sizeof(sig->signature.rsassa.sig.buffer)) {
        ok = 0;
    } else if (ok && rsa) {
        sig->sigAlg = TPM2_ALG_RSASSA;
        sig->signature.rsassa.hash = TPM2_ALG_SHA256;
        sig->signature.rsassa.sig.size = (UINT16)der_len;
        memcpy(sig->signature.rsassa.sig.buffer, der, der_len);
    } else if (ok) {
        const unsigned char *p = der;
        ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
        int field = (EVP_PKEY_get_bits(signer) + 7) / 8;
        TPMS_SIGNATURE_ECC *e = &sig->signature.ecdsa;

        sig->sigAlg = TPM2_ALG_ECDSA;
        e->hash = TPM2_ALG_SHA256;
        ok = es != NULL && field > 0
             && field <= (int)sizeof(e->signatureR.buffer)
             && BN_bn2binpad(ECDSA_SIG_get0_r(es), e->signatureR.buffer, field)
                    == field
             && BN_bn2binpad(ECDSA_SIG_get0_s(es), e->signatureS.buffer, field)
                    == field;
        e->signatureR.size = e->signatureS.size = (UINT16)field;
        ECDSA_SIG_free(es);
    }
    if (!ok)
        tk_raise(TK_R_BAD_REQUEST, "cannot sign the policy with the signer's"
                                   " private key");
    return ok;
}

int tk_tpm_policy_sign(OSSL_LIB_CTX *libctx, EVP_PKEY *signer,
                       const tk_tpm_policy_step *steps, size_t count,
                       tk_tpm_policy_step *out)
{
    unsigned char approved[TK_TPM_POLICY_DIGEST_LEN];
    unsigned char ahash[TK_TPM_POLICY_DIGEST_LEN];
    unsigned int len = 0;
    TPM2B_PUBLIC pub;
    TPMT_SIGNATURE sig;

    memset(out, 0, sizeof(*out));
    /* aHash = H(approvedPolicy || policyRef), policyRef empty. */
    if (!signer_public(signer, &pub)
        || !tk_tpm_policy_digest(libctx, steps, count, approved))
        return 0;
    {
        EVP_MD *md = EVP_MD_fetch(libctx, "SHA256", NULL);
        int ok = md != NULL
                 && EVP_Digest(approved, sizeof(approved), ahash, &len, md,
                               NULL);

        EVP_MD_free(md);
        if (!ok) {
            tk_raise(TK_R_INTERNAL, "SHA-256 failed");
            return 0;
        }
    }
    return sign_digest(libctx, signer, ahash, sizeof(ahash), &sig)
           && make_step(&pub, &sig, out);
}
