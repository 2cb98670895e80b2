/* SPDX-License-Identifier: Apache-2.0 */
/* Reading key blobs without the TPM: unmarshal TPM2B_PUBLIC/PRIVATE and
 * turn the public area into what OpenSSL needs. Input comes from key
 * files, so everything is checked. */
#include <string.h>
#include <openssl/obj_mac.h>
#include <tss2/tss2_mu.h>

#include "key.h"
#include "pubinfo.h"
#include "../provider/errors.h"

static int curve_nid(TPMI_ECC_CURVE curve, unsigned *bits)
{
    switch (curve) {
    case TPM2_ECC_NIST_P192:
        *bits = 192;
        return NID_X9_62_prime192v1;
    case TPM2_ECC_NIST_P224:
        *bits = 224;
        return NID_secp224r1;
    case TPM2_ECC_NIST_P256:
        *bits = 256;
        return NID_X9_62_prime256v1;
    case TPM2_ECC_NIST_P384:
        *bits = 384;
        return NID_secp384r1;
    case TPM2_ECC_NIST_P521:
        *bits = 521;
        return NID_secp521r1;
    default:
        return NID_undef;
    }
}

int tk_tpm_hash_nid(TPMI_ALG_HASH alg)
{
    switch (alg) {
    case TPM2_ALG_SHA1:
        return NID_sha1;
    case TPM2_ALG_SHA256:
        return NID_sha256;
    case TPM2_ALG_SHA384:
        return NID_sha384;
    case TPM2_ALG_SHA512:
        return NID_sha512;
    default:
        return NID_undef;
    }
}

TPMI_ALG_HASH tk_tpm_hash_alg(int nid)
{
    switch (nid) {
    case NID_sha1:
        return TPM2_ALG_SHA1;
    case NID_sha256:
        return TPM2_ALG_SHA256;
    case NID_sha384:
        return TPM2_ALG_SHA384;
    case NID_sha512:
        return TPM2_ALG_SHA512;
    default:
        return TPM2_ALG_NULL;
    }
}

TPMI_ECC_CURVE tk_tpm_curve(int nid)
{
    switch (nid) {
    case NID_X9_62_prime192v1:
        return TPM2_ECC_NIST_P192;
    case NID_secp224r1:
        return TPM2_ECC_NIST_P224;
    case NID_X9_62_prime256v1:
        return TPM2_ECC_NIST_P256;
    case NID_secp384r1:
        return TPM2_ECC_NIST_P384;
    case NID_secp521r1:
        return TPM2_ECC_NIST_P521;
    default:
        return TPM2_ECC_NONE;
    }
}

int tk_tpm_unmarshal_public(const unsigned char *pub, size_t len,
                            TPM2B_PUBLIC *out)
{
    size_t offset = 0;

    memset(out, 0, sizeof(*out));
    if (pub == NULL
        || Tss2_MU_TPM2B_PUBLIC_Unmarshal(pub, len, &offset, out)
               != TSS2_RC_SUCCESS
        || offset != len) {
        tk_raise(TK_R_BAD_KEY, "malformed TPM public key blob (%zu bytes)",
                 len);
        return 0;
    }
    return 1;
}

static int fill_rsa(const TPMT_PUBLIC *area, tk_tpm_pubinfo *info)
{
    const TPMS_RSA_PARMS *rsa = &area->parameters.rsaDetail;
    const TPM2B_PUBLIC_KEY_RSA *n = &area->unique.rsa;

    info->kind = TK_TPM_KEY_RSA;
    info->bits = rsa->keyBits;
    info->e = rsa->exponent == 0 ? 65537 : rsa->exponent;
    if ((rsa->keyBits != 1024 && rsa->keyBits != 2048 && rsa->keyBits != 3072
         && rsa->keyBits != 4096)
        || n->size != rsa->keyBits / 8 || n->size > sizeof(info->n)
        || (n->buffer[0] & 0x80) == 0) {
        tk_raise(TK_R_BAD_KEY,
                 "RSA public key of %u bits with a %u-byte modulus",
                 (unsigned)rsa->keyBits, (unsigned)n->size);
        return 0;
    }
    memcpy(info->n, n->buffer, n->size);
    info->n_len = n->size;
    if (rsa->scheme.scheme == TPM2_ALG_RSASSA
        || rsa->scheme.scheme == TPM2_ALG_RSAPSS)
        info->scheme_hash_nid = tk_tpm_hash_nid(
            rsa->scheme.details.anySig.hashAlg);
    info->rsa_pss = rsa->scheme.scheme == TPM2_ALG_RSAPSS;
    return 1;
}

static int fill_ecc(const TPMT_PUBLIC *area, tk_tpm_pubinfo *info)
{
    const TPMS_ECC_PARMS *ecc = &area->parameters.eccDetail;
    const TPMS_ECC_POINT *p = &area->unique.ecc;
    size_t field;

    info->kind = TK_TPM_KEY_EC;
    info->curve_nid = curve_nid(ecc->curveID, &info->bits);
    if (info->curve_nid == NID_undef) {
        tk_raise(TK_R_BAD_KEY, "unsupported TPM ECC curve 0x%x",
                 (unsigned)ecc->curveID);
        return 0;
    }
    field = (info->bits + 7) / 8;
    if (p->x.size == 0 || p->y.size == 0 || p->x.size > field
        || p->y.size > field) {
        tk_raise(TK_R_BAD_KEY, "EC public point does not fit its curve");
        return 0;
    }
    /* Uncompressed point, each coordinate left-padded to the field size. */
    memset(info->point, 0, sizeof(info->point));
    info->point[0] = 0x04;
    memcpy(info->point + 1 + field - p->x.size, p->x.buffer, p->x.size);
    memcpy(info->point + 1 + 2 * field - p->y.size, p->y.buffer, p->y.size);
    info->point_len = 1 + 2 * field;
    if (ecc->scheme.scheme == TPM2_ALG_ECDSA)
        info->scheme_hash_nid = tk_tpm_hash_nid(
            ecc->scheme.details.ecdsa.hashAlg);
    return 1;
}

static int fill_hmac(const TPMT_PUBLIC *area, tk_tpm_pubinfo *info)
{
    const TPMT_KEYEDHASH_SCHEME *scheme =
        &area->parameters.keyedHashDetail.scheme;

    info->kind = TK_TPM_KEY_HMAC;
    /* Sealed data: no scheme, neither sign nor decrypt (Part 2,
     * TPMS_KEYEDHASH_PARMS). */
    if (scheme->scheme == TPM2_ALG_NULL && !info->can_sign
        && !info->can_decrypt) {
        info->kind = TK_TPM_KEY_SEALED;
        return 1;
    }
    if (scheme->scheme != TPM2_ALG_HMAC) {
        tk_raise(TK_R_BAD_KEY, "keyed-hash object is not an HMAC key");
        return 0;
    }
    info->hash_nid = tk_tpm_hash_nid(scheme->details.hmac.hashAlg);
    if (info->hash_nid == NID_undef) {
        tk_raise(TK_R_BAD_KEY, "HMAC key with unsupported hash 0x%x",
                 (unsigned)scheme->details.hmac.hashAlg);
        return 0;
    }
    return 1;
}

int tk_tpm_pubinfo_from_area(const TPMT_PUBLIC *area, tk_tpm_pubinfo *info)
{
    TPMA_OBJECT attrs = area->objectAttributes;

    memset(info, 0, sizeof(*info));
    info->can_sign = (attrs & TPMA_OBJECT_SIGN_ENCRYPT) != 0;
    info->can_decrypt = (attrs & TPMA_OBJECT_DECRYPT) != 0;
    info->restricted = (attrs & TPMA_OBJECT_RESTRICTED) != 0;
    info->userwithauth = (attrs & TPMA_OBJECT_USERWITHAUTH) != 0;
    info->noda = (attrs & TPMA_OBJECT_NODA) != 0;
    if (tk_tpm_hash_nid(area->nameAlg) == NID_undef) {
        tk_raise(TK_R_BAD_KEY, "unsupported name algorithm 0x%x",
                 (unsigned)area->nameAlg);
        return 0;
    }
    switch (area->type) {
    case TPM2_ALG_RSA:
        return fill_rsa(area, info);
    case TPM2_ALG_ECC:
        return fill_ecc(area, info);
    case TPM2_ALG_KEYEDHASH:
        return fill_hmac(area, info);
    default:
        tk_raise(TK_R_BAD_KEY, "unsupported TPM object type 0x%x",
                 (unsigned)area->type);
        return 0;
    }
}

int tk_tpm_parse_public(const unsigned char *pub, size_t len,
                        tk_tpm_pubinfo *out)
{
    TPM2B_PUBLIC public;

    return tk_tpm_unmarshal_public(pub, len, &public)
           && tk_tpm_pubinfo_from_area(&public.publicArea, out);
}

int tk_tpm_unmarshal_private(const unsigned char *priv, size_t len,
                             TPM2B_PRIVATE *out)
{
    size_t offset = 0;

    memset(out, 0, sizeof(*out));
    if (priv == NULL
        || Tss2_MU_TPM2B_PRIVATE_Unmarshal(priv, len, &offset, out)
               != TSS2_RC_SUCCESS
        || offset != len || out->size == 0) {
        tk_raise(TK_R_BAD_KEY, "malformed TPM private key blob (%zu bytes)",
                 len);
        return 0;
    }
    return 1;
}

int tk_tpm_check_private(const unsigned char *priv, size_t len)
{
    TPM2B_PRIVATE private;

    return tk_tpm_unmarshal_private(priv, len, &private);
}
