/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "ek.h"
#include "nvread.h"
#include "state.h"
#include "../provider/errors.h"

/* Where TPMs keep the RSA-2048 EK certificate (TCG EK Credential Profile). */
#define EK_CERT_RSA_INDEX 0x01c00002u

/* TCG EK Credential Profile, template L-1 (RSA 2048): the policy is
 * PolicySecret(TPM_RH_ENDORSEMENT). */
static const TPM2B_PUBLIC ek_template = {
    .publicArea = {
        .type = TPM2_ALG_RSA,
        .nameAlg = TPM2_ALG_SHA256,
        .objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT
                            | TPMA_OBJECT_SENSITIVEDATAORIGIN
                            | TPMA_OBJECT_ADMINWITHPOLICY
                            | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT,
        .authPolicy = {
            .size = 32,
            .buffer = { 0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8,
                        0x1a, 0x90, 0xcc, 0x8d, 0x46, 0xa5, 0xd7, 0x24,
                        0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64,
                        0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa },
        },
        .parameters.rsaDetail = {
            .symmetric = { .algorithm = TPM2_ALG_AES,
                           .keyBits.aes = 128,
                           .mode.aes = TPM2_ALG_CFB },
            .scheme.scheme = TPM2_ALG_NULL,
            .keyBits = 2048,
            .exponent = 0,
        },
        .unique.rsa.size = 256,
    },
};

static int same_modulus(const TPM2B_PUBLIC_KEY_RSA *a,
                        const TPM2B_PUBLIC_KEY_RSA *b)
{
    return a->size == b->size && memcmp(a->buffer, b->buffer, a->size) == 0;
}

/* The certificate's RSA modulus, if it chains to the CA bundle. */
static int certified_modulus(const char *ca_path, const unsigned char *der,
                             size_t der_len, TPM2B_PUBLIC_KEY_RSA *n,
                             const char **why)
{
    const unsigned char *p = der;
    X509 *cert = d2i_X509(NULL, &p, (long)der_len);
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *vctx = X509_STORE_CTX_new();
    EVP_PKEY *pkey;
    BIGNUM *bn = NULL;
    int ok = 0;

    *why = "the EK certificate in NV is not a certificate";
    if (cert == NULL || store == NULL || vctx == NULL)
        goto done;
    *why = "the EK certificate does not chain to the ek-ca certificates";
    if (!X509_STORE_load_file(store, ca_path)
        || !X509_STORE_CTX_init(vctx, store, cert, NULL)
        || X509_verify_cert(vctx) != 1)
        goto done;
    *why = "the EK certificate holds no RSA-2048 key";
    pkey = X509_get0_pubkey(cert);
    if (pkey == NULL || !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &bn)
        || BN_num_bytes(bn) != 256)
        goto done;
    n->size = 256;
    ok = BN_bn2binpad(bn, n->buffer, 256) == 256;
done:
    BN_free(bn);
    X509_STORE_CTX_free(vctx);
    X509_STORE_free(store);
    X509_free(cert);
    return ok;
}

static TSS2_RC check(tk_tpm *tpm, const TPM2B_PUBLIC_KEY_RSA *n)
{
    tk_identity *id = &tpm->identity;
    TPM2B_PUBLIC_KEY_RSA certified;
    unsigned char *der = NULL;
    size_t der_len = 0;
    const char *why;
    TSS2_RC rc;

    if (id->verified)
        return same_modulus(n, &id->ek)
                   ? TSS2_RC_SUCCESS
                   : tk_fail(tpm, TSS2_ESYS_RC_BAD_VALUE, TK_R_TPM_IDENTITY,
                             "checking the EK (another key answered)");
    rc = tk_nv_read(tpm, EK_CERT_RSA_INDEX, &der, &der_len);
    if (rc != TSS2_RC_SUCCESS)
        return tk_fail(tpm, rc, TK_R_TPM_IDENTITY,
                       "reading the EK certificate (NV 0x01c00002)");
    if (!certified_modulus(id->ca_path, der, der_len, &certified, &why)) {
        OPENSSL_free(der);
        return tk_fail(tpm, TSS2_ESYS_RC_BAD_VALUE, TK_R_TPM_IDENTITY, why);
    }
    OPENSSL_free(der);
    if (!same_modulus(n, &certified))
        return tk_fail(tpm, TSS2_ESYS_RC_BAD_VALUE, TK_R_TPM_IDENTITY,
                       "checking the EK against its certificate (another"
                       " key answered)");
    id->ek = certified;
    id->verified = 1;
    tk_debug("EK certificate verified against %s", id->ca_path);
    return TSS2_RC_SUCCESS;
}

TSS2_RC tk_ek_get(tk_tpm *tpm, ESYS_TR *handle, TPM2B_PUBLIC_KEY_RSA *n)
{
    TPM2B_SENSITIVE_CREATE sensitive = { 0 };
    TPM2B_DATA outside_info = { 0 };
    TPML_PCR_SELECTION pcrs = { 0 };
    TPM2B_PUBLIC *pub = NULL;
    TSS2_RC rc;

    rc = Esys_CreatePrimary(tpm->conn.esys, ESYS_TR_RH_ENDORSEMENT,
                            ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                            &sensitive, &ek_template, &outside_info, &pcrs,
                            handle, &pub, NULL, NULL, NULL);
    if (rc != TSS2_RC_SUCCESS)
        return tk_fail(tpm, rc, TK_R_PRIMARY_FAILED,
                       "TPM2_CreatePrimary of the EK");
    *n = pub->publicArea.unique.rsa;
    Esys_Free(pub);
    rc = check(tpm, n);
    if (rc != TSS2_RC_SUCCESS) {
        Esys_FlushContext(tpm->conn.esys, *handle);
        *handle = ESYS_TR_NONE;
    }
    return rc;
}
