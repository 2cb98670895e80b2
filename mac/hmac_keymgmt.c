/* SPDX-License-Identifier: Apache-2.0 */
/* keymgmt "TPM2-HMAC": HMAC keys that live in the TPM. They are made by
 * genpkey, read from TSS2 key files and persistent handles, and written
 * back as key files; the secret is never exported or imported here. */
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/params.h>

#include "mac.h"
#include "../keymgmt/keygen.h"
#include "../provider/errors.h"

static OSSL_FUNC_keymgmt_new_fn hk_new;
static OSSL_FUNC_keymgmt_free_fn hk_free;
static OSSL_FUNC_keymgmt_has_fn hk_has;
static OSSL_FUNC_keymgmt_get_params_fn hk_get_params;
static OSSL_FUNC_keymgmt_gettable_params_fn hk_gettable_params;

static void *hk_new(void *provctx)
{
    return tk_key_new_empty(provctx, TK_KEY_HMAC);
}

static void hk_free(void *keydata)
{
    tk_key_free(keydata);
}

static int hk_has(const void *keydata, int selection)
{
    const tk_key *key = keydata;

    /* No public half: an HMAC key is its private part. */
    if (key == NULL)
        return 0;
    return (selection & OSSL_KEYMGMT_SELECT_KEYPAIR) == 0
           || key->tpm_key != NULL;
}

static int hk_get_params(void *keydata, OSSL_PARAM params[])
{
    tk_key *key = keydata;
    OSSL_PARAM *p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_DEFAULT_DIGEST);

    if (p != NULL && key->tpm_key != NULL
        && !OSSL_PARAM_set_utf8_string(
            p, OBJ_nid2sn(tk_tpm_key_info(key->tpm_key)->hash_nid)))
        return 0;
    return 1;
}

static const OSSL_PARAM *hk_gettable_params(void *provctx)
{
    static const OSSL_PARAM gettable[] = {
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_DEFAULT_DIGEST, NULL, 0),
        OSSL_PARAM_END
    };

    (void)provctx;
    return gettable;
}

const OSSL_DISPATCH tk_hmac_keymgmt_functions[] = {
    { OSSL_FUNC_KEYMGMT_NEW, (void (*)(void))hk_new },
    { OSSL_FUNC_KEYMGMT_FREE, (void (*)(void))hk_free },
    { OSSL_FUNC_KEYMGMT_LOAD, (void (*)(void))tk_key_take_reference },
    { OSSL_FUNC_KEYMGMT_HAS, (void (*)(void))hk_has },
    { OSSL_FUNC_KEYMGMT_GET_PARAMS, (void (*)(void))hk_get_params },
    { OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, (void (*)(void))hk_gettable_params },
    { OSSL_FUNC_KEYMGMT_GEN_INIT, (void (*)(void))tk_keygen_hmac_init },
    { OSSL_FUNC_KEYMGMT_GEN_SET_PARAMS, (void (*)(void))tk_keygen_set_params },
    { OSSL_FUNC_KEYMGMT_GEN_SETTABLE_PARAMS,
      (void (*)(void))tk_keygen_settable_params },
    { OSSL_FUNC_KEYMGMT_GEN, (void (*)(void))tk_keygen_generate },
    { OSSL_FUNC_KEYMGMT_GEN_CLEANUP, (void (*)(void))tk_keygen_cleanup },
    { 0, NULL }
};
