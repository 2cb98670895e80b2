/* SPDX-License-Identifier: Apache-2.0 */
/* tpmkit key -> text, for "openssl pkey -text": what makes it a TPM key
 * (parent, handle, password, attributes), then the public key as OpenSSL
 * prints any other key's. */
#include <openssl/bio.h>
#include <openssl/objects.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "codecs.h"
#include "../provider/errors.h"
#include "../provider/prov_ctx.h"

static OSSL_FUNC_encoder_newctx_fn text_newctx;
static OSSL_FUNC_encoder_freectx_fn text_freectx;
static OSSL_FUNC_encoder_encode_fn text_encode;

static void *text_newctx(void *provctx)
{
    return provctx;
}

static void text_freectx(void *ctx)
{
    (void)ctx;
}

static const char *parent_name(uint32_t parent)
{
    switch (parent) {
    case 0:
    case TK_TPM_PARENT_PRIMARY:
        return " (storage primary key, owner hierarchy)";
    case TK_TPM_PARENT_RSA_PRIMARY:
        return " (RSA-2048 storage primary key, owner hierarchy: rsaParent)";
    case 0x4000000bu:
        return " (endorsement hierarchy)";
    case 0x4000000cu:
        return " (platform hierarchy)";
    case 0x40000007u:
        return " (null hierarchy)";
    default:
        return (parent >> 24) == 0x81 ? " (persistent key)" : "";
    }
}

static int print_tpm_part(BIO *out, const tk_key *key)
{
    const tk_tpm_pubinfo *info = tk_tpm_key_info(key->tpm_key);
    uint32_t handle = tk_tpm_key_handle(key->tpm_key), parent = 0;
    const unsigned char *pub, *priv;
    size_t pub_len, priv_len;

    if (BIO_printf(out, "TPM 2.0 %s key (tpmkit)\n",
                   tk_key_type_name(key->type))
        <= 0)
        return 0;
    if (handle != 0) {
        if (BIO_printf(out, "  persistent handle: 0x%08x\n", handle) <= 0)
            return 0;
    } else if (tk_tpm_key_blobs(key->tpm_key, &parent, &pub, &pub_len, &priv,
                                &priv_len)) {
        if (BIO_printf(out, "  parent: 0x%08x%s\n",
                       parent == TK_TPM_PARENT_RSA_PRIMARY || parent == 0
                           ? TK_TPM_PARENT_PRIMARY
                           : parent,
                       parent_name(parent))
            <= 0)
            return 0;
    }
    if (BIO_printf(out, "  emptyAuth: %s\n",
                   key->empty_auth ? "TRUE (no password)" : "FALSE (password)")
            <= 0
        || (key->description != NULL
            && BIO_printf(out, "  description: %s\n", key->description) <= 0)
        || BIO_printf(out, "  attributes:%s%s%s%s%s\n",
                      info->can_sign ? " sign" : "",
                      info->can_decrypt ? " decrypt" : "",
                      info->restricted ? " restricted" : "",
                      info->userwithauth ? " userwithauth" : "",
                      info->noda ? " noda" : "")
               <= 0)
        return 0;
    return 1;
}

static int text_encode(void *ctx, OSSL_CORE_BIO *cout, const void *obj,
                       const OSSL_PARAM obj_abstract[], int selection,
                       OSSL_PASSPHRASE_CALLBACK *cb, void *cbarg)
{
    tk_prov_ctx *prov = ctx;
    const tk_key *key = obj;
    BIO *out;
    int ok = 0;

    (void)cb;
    (void)cbarg;
    if (obj_abstract != NULL || key == NULL
        || (key->pub == NULL && key->tpm_key == NULL)) {
        tk_raise(TK_R_BAD_REQUEST, "nothing to print");
        return 0;
    }
    if ((out = BIO_new_from_core_bio(prov->core_libctx, cout)) == NULL)
        return 0;
    if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0
        && key->tpm_key != NULL && !print_tpm_part(out, key))
        goto end;
    /* The private key is in the TPM: its public half is all there is; an
     * HMAC key has none, only its hash. */
    if (key->pub != NULL)
        ok = EVP_PKEY_print_public(out, key->pub, 0, NULL) > 0;
    else
        ok = BIO_printf(out, "  HMAC hash: %s\n",
                        OBJ_nid2sn(tk_tpm_key_info(key->tpm_key)->hash_nid))
             > 0;
end:
    if (!ok)
        tk_raise(TK_R_INTERNAL, "could not print the key");
    BIO_free(out);
    return ok;
}

const OSSL_DISPATCH tk_text_encoder_functions[] = {
    { OSSL_FUNC_ENCODER_NEWCTX, (void (*)(void))text_newctx },
    { OSSL_FUNC_ENCODER_FREECTX, (void (*)(void))text_freectx },
    { OSSL_FUNC_ENCODER_ENCODE, (void (*)(void))text_encode },
    { 0, NULL }
};
