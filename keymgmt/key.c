/* SPDX-License-Identifier: Apache-2.0 */
/* The provider's key object: a TPM key plus a software copy of its public
 * half, built in tpmkit's private library context. */
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include "key.h"
#include "../provider/errors.h"

const char *tk_key_type_name(tk_key_type type)
{
    switch (type) {
    case TK_KEY_RSA:
        return "RSA";
    case TK_KEY_RSA_PSS:
        return "RSA-PSS";
    case TK_KEY_EC:
        return "EC";
    case TK_KEY_HMAC:
        return "TPM2-HMAC";
    default:
        return "?";
    }
}

static EVP_PKEY *public_pkey(OSSL_LIB_CTX *libctx, tk_key_type type,
                             const tk_tpm_pubinfo *info)
{
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pkey = NULL;
    BIGNUM *n = NULL, *e = NULL;

    if (bld == NULL)
        goto end;
    if (info->kind == TK_TPM_KEY_RSA) {
        n = BN_bin2bn(info->n, (int)info->n_len, NULL);
        e = BN_new();
        if (n == NULL || e == NULL || !BN_set_word(e, info->e)
            || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n)
            || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
            goto end;
    } else {
        if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                             OBJ_nid2sn(info->curve_nid), 0)
            || !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
                                                 info->point, info->point_len))
            goto end;
    }
    if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
        goto end;
    ctx = EVP_PKEY_CTX_new_from_name(libctx, tk_key_type_name(type), NULL);
    if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0
        || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        pkey = NULL;
end:
    if (pkey == NULL)
        tk_raise(TK_R_BAD_KEY, "cannot use the TPM key's public part");
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    return pkey;
}

tk_key *tk_key_from_tpm_key(tk_prov_ctx *prov, tk_key_type type_hint,
                            tk_tpm_key *tpm_key, int empty_auth,
                            const char *description)
{
    const tk_tpm_pubinfo *info = tk_tpm_key_info(tpm_key);
    tk_key *key;
    tk_key_type natural = info->kind == TK_TPM_KEY_RSA
                              ? (info->rsa_pss ? TK_KEY_RSA_PSS : TK_KEY_RSA)
                          : info->kind == TK_TPM_KEY_EC   ? TK_KEY_EC
                          : info->kind == TK_TPM_KEY_HMAC ? TK_KEY_HMAC
                                                          : 0;

    /* A persistent sealed-data object reached through handle: (files are
     * turned away earlier, in the decoders). */
    if (info->kind == TK_TPM_KEY_SEALED) {
        tk_raise(TK_R_BAD_KEY, "the TPM object holds sealed data, not a key");
        tk_tpm_key_free(tpm_key);
        return NULL;
    }
    if (natural == 0 || (type_hint != 0 && type_hint != natural)) {
        tk_raise(TK_R_BAD_KEY, "the TPM key is not a%s %s key",
                 type_hint == TK_KEY_EC ? "n" : "",
                 tk_key_type_name(type_hint != 0 ? type_hint : natural));
        tk_tpm_key_free(tpm_key);
        return NULL;
    }
    key = OPENSSL_zalloc(sizeof(*key));
    if (key == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "key");
        tk_tpm_key_free(tpm_key);
        return NULL;
    }
    key->prov = prov;
    key->refs = 1;
    key->type = type_hint != 0 ? type_hint : natural;
    key->tpm_key = tpm_key;
    key->empty_auth = empty_auth;
    if ((description != NULL
         && (key->description = OPENSSL_strdup(description)) == NULL)
        || (key->type != TK_KEY_HMAC
            && (key->pub = public_pkey(prov->sw_libctx, key->type, info))
                   == NULL)) {
        tk_key_free(key);
        return NULL;
    }
    return key;
}

tk_key *tk_key_from_blobs(tk_prov_ctx *prov, tk_key_type type_hint,
                          uint32_t parent, const unsigned char *pub,
                          size_t pub_len, const unsigned char *priv,
                          size_t priv_len, int empty_auth,
                          const char *description)
{
    tk_tpm *tpm = tk_prov_tpm(prov);
    tk_tpm_key *tpm_key = tpm == NULL
                              ? NULL
                              : tk_tpm_key_from_blobs(tpm, parent, pub, pub_len,
                                                      priv, priv_len);

    if (tpm_key == NULL)
        return NULL;
    return tk_key_from_tpm_key(prov, type_hint, tpm_key, empty_auth,
                               description);
}

tk_key *tk_key_from_persistent(tk_prov_ctx *prov, uint32_t handle)
{
    tk_tpm *tpm = tk_prov_tpm(prov);
    tk_tpm_key *tpm_key = tpm == NULL ? NULL
                                      : tk_tpm_key_from_persistent(tpm, handle);

    if (tpm_key == NULL)
        return NULL;
    return tk_key_from_tpm_key(prov, 0, tpm_key, 1, NULL);
}

tk_key *tk_key_new_empty(void *provctx, tk_key_type type)
{
    tk_key *key = OPENSSL_zalloc(sizeof(*key));

    if (key == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "key");
        return NULL;
    }
    key->prov = provctx;
    key->type = type;
    key->refs = 1;
    key->empty_auth = 1;
    return key;
}

void *tk_key_take_reference(const void *reference, size_t reference_sz)
{
    tk_key *key;

    if (reference == NULL || reference_sz != sizeof(key))
        return NULL;
    key = *(tk_key *const *)reference;
    *(tk_key **)reference = NULL;
    return key;
}

int tk_key_up_ref(tk_key *key)
{
    __atomic_add_fetch(&key->refs, 1, __ATOMIC_RELAXED);
    return 1;
}

/* A software key (TPMKIT-EPHEMERAL-EC) with the parts `selection` asks
 * for, in the same library context. */
static EVP_PKEY *software_copy(const tk_key *key, int selection)
{
    EVP_PKEY_CTX *ctx = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY *copy = NULL;

    selection &= OSSL_KEYMGMT_SELECT_ALL;
    /* A point or a private value means nothing without its group. */
    if ((selection & OSSL_KEYMGMT_SELECT_KEYPAIR) != 0)
        selection |= OSSL_KEYMGMT_SELECT_ALL_PARAMETERS;
    if (selection == OSSL_KEYMGMT_SELECT_ALL)
        return EVP_PKEY_dup(key->pub);
    if (EVP_PKEY_todata(key->pub, selection, &params) > 0
        && (ctx = EVP_PKEY_CTX_new_from_pkey(key->prov->sw_libctx, key->pub,
                                             NULL))
               != NULL
        && EVP_PKEY_fromdata_init(ctx) > 0
        && EVP_PKEY_fromdata(ctx, &copy, selection, params) <= 0)
        copy = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return copy;
}

tk_key *tk_key_dup(const tk_key *key, int selection)
{
    tk_key *copy = tk_key_new_empty(key->prov, key->type);

    if (copy == NULL)
        return NULL;
    copy->empty_auth = key->empty_auth;
    copy->software = key->software;
    if (key->description != NULL
        && (copy->description = OPENSSL_strdup(key->description)) == NULL)
        goto err;
    /* The TPM key object is immutable and counts its own references. */
    if (key->tpm_key != NULL
        && (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0) {
        if (!tk_tpm_key_up_ref(key->tpm_key))
            goto err;
        copy->tpm_key = key->tpm_key;
    }
    if (key->pub != NULL && key->software) {
        /* set_params changes a software key in place: copy it. */
        if ((selection & OSSL_KEYMGMT_SELECT_ALL) != 0
            && (copy->pub = software_copy(key, selection)) == NULL)
            goto err;
    } else if (key->pub != NULL) {
        /* The public half of a TPM key is only ever replaced, never
         * changed: share it. RSA keys have no parameters without it, an
         * EC key's group comes with its point: keep it whatever the
         * selection. */
        if (!EVP_PKEY_up_ref(key->pub))
            goto err;
        copy->pub = key->pub;
    }
    return copy;
err:
    tk_key_free(copy);
    return NULL;
}

void tk_key_free(tk_key *key)
{
    if (key == NULL || __atomic_sub_fetch(&key->refs, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    tk_tpm_key_free(key->tpm_key);
    EVP_PKEY_free(key->pub);
    OPENSSL_free(key->description);
    OPENSSL_free(key);
}

int tk_key_set_password(tk_key *key, const char *pass, size_t len)
{
    if (key->tpm_key == NULL)
        return 1;
    return tk_tpm_key_set_auth(key->tpm_key, (const unsigned char *)pass, len);
}
