/* SPDX-License-Identifier: Apache-2.0 */
/* Key management for RSA, RSA-PSS and EC keys that live in the TPM.
 *
 * Public parts behave like any OpenSSL key (parameters, export, import,
 * match), served from the software copy of the public key. Private parts
 * never leave: export fails whenever they are selected, which also keeps
 * OpenSSL from handing our keys to another provider's signature code. */
#include <string.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/core_object.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>

#include "key.h"
#include "keygen.h"
#include "../provider/errors.h"

#define PRIVATE_SELECTED(sel) (((sel)&OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0)
#define PUBLIC_SELECTED(sel) (((sel)&OSSL_KEYMGMT_SELECT_PUBLIC_KEY) != 0)

static OSSL_FUNC_keymgmt_new_fn rsa_new;
static OSSL_FUNC_keymgmt_new_fn rsapss_new;
static OSSL_FUNC_keymgmt_new_fn ec_new;
static OSSL_FUNC_keymgmt_free_fn km_free;
static OSSL_FUNC_keymgmt_has_fn km_has;
static OSSL_FUNC_keymgmt_match_fn km_match;
static OSSL_FUNC_keymgmt_import_fn km_import;
static OSSL_FUNC_keymgmt_export_fn km_export;
/* Each *_io_types serves as both import_types and export_types. */
static OSSL_FUNC_keymgmt_import_types_fn rsa_io_types;
static OSSL_FUNC_keymgmt_export_types_fn rsa_io_types;
static OSSL_FUNC_keymgmt_import_types_fn ec_io_types;
static OSSL_FUNC_keymgmt_export_types_fn ec_io_types;
static OSSL_FUNC_keymgmt_get_params_fn km_get_params;
static OSSL_FUNC_keymgmt_gettable_params_fn rsa_gettable_params;
static OSSL_FUNC_keymgmt_gettable_params_fn ec_gettable_params;
static OSSL_FUNC_keymgmt_set_params_fn ec_set_params;
static OSSL_FUNC_keymgmt_settable_params_fn ec_settable_params;
static OSSL_FUNC_keymgmt_dup_fn km_dup;
static OSSL_FUNC_keymgmt_query_operation_name_fn rsa_query_name;
static OSSL_FUNC_keymgmt_query_operation_name_fn ec_query_name;
/* TPMKIT-EPHEMERAL-EC */
static OSSL_FUNC_keymgmt_new_fn eph_new;
static OSSL_FUNC_keymgmt_gen_init_fn eph_gen_init;
static OSSL_FUNC_keymgmt_gen_set_params_fn eph_gen_set_params;
static OSSL_FUNC_keymgmt_gen_set_template_fn eph_gen_set_template;
static OSSL_FUNC_keymgmt_gen_settable_params_fn eph_gen_settable_params;
static OSSL_FUNC_keymgmt_gen_fn eph_gen;
static OSSL_FUNC_keymgmt_gen_cleanup_fn eph_gen_cleanup;
static OSSL_FUNC_keymgmt_has_fn eph_has;
static OSSL_FUNC_keymgmt_set_params_fn eph_set_params;
static OSSL_FUNC_keymgmt_settable_params_fn eph_settable_params;
static OSSL_FUNC_keymgmt_import_fn eph_import;
static OSSL_FUNC_keymgmt_export_fn eph_export;
static OSSL_FUNC_keymgmt_import_types_fn eph_io_types;
static OSSL_FUNC_keymgmt_export_types_fn eph_io_types;
static OSSL_FUNC_keymgmt_query_operation_name_fn eph_query_name;

static void *rsa_new(void *provctx)
{
    return tk_key_new_empty(provctx, TK_KEY_RSA);
}
static void *rsapss_new(void *provctx)
{
    return tk_key_new_empty(provctx, TK_KEY_RSA_PSS);
}
static void *ec_new(void *provctx)
{
    return tk_key_new_empty(provctx, TK_KEY_EC);
}

static void km_free(void *keydata)
{
    tk_key_free(keydata);
}

static int km_has(const void *keydata, int selection)
{
    const tk_key *key = keydata;

    if (key == NULL)
        return 0;
    if (PRIVATE_SELECTED(selection) && key->tpm_key == NULL)
        return 0;
    if (PUBLIC_SELECTED(selection) && key->pub == NULL)
        return 0;
    return 1;
}

static int km_match(const void *keydata1, const void *keydata2, int selection)
{
    const tk_key *a = keydata1, *b = keydata2;

    if (a->pub == NULL || b->pub == NULL)
        return 0;
    /* The private halves match when the public ones do. */
    if ((selection & OSSL_KEYMGMT_SELECT_KEYPAIR) != 0)
        return EVP_PKEY_eq(a->pub, b->pub) == 1;
    /* EVP_PKEY_parameters_eq, e.g. with a copy of the parameters alone. */
    return EVP_PKEY_parameters_eq(a->pub, b->pub) == 1;
}

static int km_import(void *keydata, int selection, const OSSL_PARAM params[])
{
    tk_key *key = keydata;
    EVP_PKEY_CTX *ctx;
    EVP_PKEY *pub = NULL;

    /* Only public keys come in: OpenSSL uses this to compare a certificate
     * with our key. Private keys are never imported into the TPM here. */
    if (!PUBLIC_SELECTED(selection) || key->tpm_key != NULL)
        return 0;
    /* A software private key must stay with its own provider: taking its
     * public half would make OpenSSL sign with us and fail. */
    if (OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_RSA_D) != NULL
        || OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_PRIV_KEY) != NULL)
        return 0;
    ctx = EVP_PKEY_CTX_new_from_name(key->prov->sw_libctx,
                                     tk_key_type_name(key->type), NULL);
    if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0
        || EVP_PKEY_fromdata(ctx, &pub, EVP_PKEY_PUBLIC_KEY,
                             (OSSL_PARAM *)params)
               <= 0) {
        EVP_PKEY_CTX_free(ctx);
        return 0;
    }
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key->pub);
    key->pub = pub;
    return 1;
}

static int km_export(void *keydata, int selection, OSSL_CALLBACK *cb,
                     void *cbarg)
{
    tk_key *key = keydata;
    OSSL_PARAM *params = NULL;
    int ok;

    if (PRIVATE_SELECTED(selection) || key->pub == NULL)
        return 0;
    if (EVP_PKEY_todata(key->pub, EVP_PKEY_PUBLIC_KEY, &params) <= 0)
        return 0;
    ok = cb(params, cbarg);
    OSSL_PARAM_free(params);
    return ok;
}

static const OSSL_PARAM *rsa_io_types(int selection)
{
    static const OSSL_PARAM types[] = {
        OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_N, NULL, 0),
        OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, NULL, 0), OSSL_PARAM_END
    };

    return PUBLIC_SELECTED(selection) ? types : NULL;
}

static const OSSL_PARAM *ec_io_types(int selection)
{
    static const OSSL_PARAM types[] = {
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
        OSSL_PARAM_END
    };

    return (selection
            & (OSSL_KEYMGMT_SELECT_PUBLIC_KEY
               | OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS))
               ? types
               : NULL;
}

/* Everything a public key can tell (size, security bits, group, point,
 * modulus, default digest) comes from the software copy. */
static int km_get_params(void *keydata, OSSL_PARAM params[])
{
    tk_key *key = keydata;

    if (key->pub == NULL)
        return 0;
    return EVP_PKEY_get_params(key->pub, params);
}

static const OSSL_PARAM *rsa_gettable_params(void *provctx)
{
    static const OSSL_PARAM gettable[] = {
        OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, NULL),
        OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, NULL),
        OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, NULL),
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_DEFAULT_DIGEST, NULL, 0),
        OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_N, NULL, 0),
        OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, NULL, 0),
        OSSL_PARAM_END
    };

    (void)provctx;
    return gettable;
}

static const OSSL_PARAM *ec_gettable_params(void *provctx)
{
    static const OSSL_PARAM gettable[] = {
        OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, NULL),
        OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, NULL),
        OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, NULL),
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_DEFAULT_DIGEST, NULL, 0),
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
        OSSL_PARAM_BN(OSSL_PKEY_PARAM_EC_PUB_X, NULL, 0),
        OSSL_PARAM_BN(OSSL_PKEY_PARAM_EC_PUB_Y, NULL, 0),
        OSSL_PARAM_END
    };

    (void)provctx;
    return gettable;
}

/* EVP_PKEY_set1_encoded_public_key on a copy of our key's parameters
 * (EVP_PKEY_copy_parameters): CMS makes the originator's key of a
 * KeyAgreeRecipientInfo so. The copy holds no TPM key; it gets a new
 * public key on the same curve. A TPM key's own public half is fixed. */
static int ec_set_params(void *keydata, const OSSL_PARAM params[])
{
    tk_key *key = keydata;
    const OSSL_PARAM *p = OSSL_PARAM_locate_const(
        params, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY);
    char group[64];
    OSSL_PARAM fromdata[3];
    EVP_PKEY_CTX *ctx;
    EVP_PKEY *pub = NULL;
    int ok;

    if (p == NULL)
        return 1;
    if (key->tpm_key != NULL || key->pub == NULL
        || p->data_type != OSSL_PARAM_OCTET_STRING) {
        tk_raise(TK_R_NOT_SUPPORTED,
                 "only a copy of a TPM key's parameters takes a new public"
                 " key");
        return 0;
    }
    if (EVP_PKEY_get_group_name(key->pub, group, sizeof(group), NULL) != 1)
        return 0;
    fromdata[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                   group, 0);
    fromdata[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                                    p->data, p->data_size);
    fromdata[2] = OSSL_PARAM_construct_end();
    ctx = EVP_PKEY_CTX_new_from_name(key->prov->sw_libctx, "EC", NULL);
    ok = ctx != NULL && EVP_PKEY_fromdata_init(ctx) > 0
         && EVP_PKEY_fromdata(ctx, &pub, EVP_PKEY_PUBLIC_KEY, fromdata) > 0;
    EVP_PKEY_CTX_free(ctx);
    if (!ok) {
        tk_raise(TK_R_BAD_REQUEST, "not a point on %s", group);
        return 0;
    }
    EVP_PKEY_free(key->pub);
    key->pub = pub;
    return 1;
}

static const OSSL_PARAM *ec_settable_params(void *provctx)
{
    static const OSSL_PARAM settable[] = {
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0),
        OSSL_PARAM_END
    };

    (void)provctx;
    return settable;
}

/* EVP_PKEY_dup and EVP_PKEY_copy_parameters: a copy that changes
 * independently of the original (libssl sets a peer's key share on a copy
 * of our ephemeral key's parameters). */
static void *km_dup(const void *keydata, int selection)
{
    return keydata != NULL ? tk_key_dup(keydata, selection) : NULL;
}

static const char *rsa_query_name(int operation_id)
{
    (void)operation_id;
    return "RSA";
}

static const char *ec_query_name(int operation_id)
{
    switch (operation_id) {
    case OSSL_OP_SIGNATURE:
        return "ECDSA";
    case OSSL_OP_KEYEXCH:
        return "ECDH";
    default:
        return "EC";
    }
}

/* The entries all three tables share; each adds its constructors, its
 * parameter lists and its operation names. */
#define KEYMGMT_COMMON                                                         \
    { OSSL_FUNC_KEYMGMT_FREE, (void (*)(void))km_free },                       \
        { OSSL_FUNC_KEYMGMT_LOAD, (void (*)(void))tk_key_take_reference },     \
        { OSSL_FUNC_KEYMGMT_HAS, (void (*)(void))km_has },                     \
        { OSSL_FUNC_KEYMGMT_MATCH, (void (*)(void))km_match },                 \
        { OSSL_FUNC_KEYMGMT_IMPORT, (void (*)(void))km_import },               \
        { OSSL_FUNC_KEYMGMT_EXPORT, (void (*)(void))km_export },               \
        { OSSL_FUNC_KEYMGMT_GET_PARAMS, (void (*)(void))km_get_params },       \
        { OSSL_FUNC_KEYMGMT_DUP, (void (*)(void))km_dup },                     \
        { OSSL_FUNC_KEYMGMT_GEN_SET_PARAMS,                                    \
          (void (*)(void))tk_keygen_set_params },                              \
        { OSSL_FUNC_KEYMGMT_GEN_SETTABLE_PARAMS,                               \
          (void (*)(void))tk_keygen_settable_params },                         \
        { OSSL_FUNC_KEYMGMT_GEN, (void (*)(void))tk_keygen_generate },         \
    {                                                                          \
        OSSL_FUNC_KEYMGMT_GEN_CLEANUP, (void (*)(void))tk_keygen_cleanup       \
    }

#define RSA_PARAMS                                                             \
    { OSSL_FUNC_KEYMGMT_IMPORT_TYPES, (void (*)(void))rsa_io_types },          \
        { OSSL_FUNC_KEYMGMT_EXPORT_TYPES, (void (*)(void))rsa_io_types },      \
    {                                                                          \
        OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, (void (*)(void))rsa_gettable_params \
    }

const OSSL_DISPATCH tk_rsa_keymgmt_functions[] = {
    { OSSL_FUNC_KEYMGMT_NEW, (void (*)(void))rsa_new },
    { OSSL_FUNC_KEYMGMT_GEN_INIT, (void (*)(void))tk_keygen_rsa_init },
    { OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, (void (*)(void))rsa_query_name },
    RSA_PARAMS,
    KEYMGMT_COMMON,
    { 0, NULL }
};

const OSSL_DISPATCH tk_rsapss_keymgmt_functions[] = {
    { OSSL_FUNC_KEYMGMT_NEW, (void (*)(void))rsapss_new },
    { OSSL_FUNC_KEYMGMT_GEN_INIT, (void (*)(void))tk_keygen_rsapss_init },
    { OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, (void (*)(void))rsa_query_name },
    RSA_PARAMS,
    KEYMGMT_COMMON,
    { 0, NULL }
};

const OSSL_DISPATCH tk_ec_keymgmt_functions[] = {
    { OSSL_FUNC_KEYMGMT_NEW, (void (*)(void))ec_new },
    { OSSL_FUNC_KEYMGMT_GEN_INIT, (void (*)(void))tk_keygen_ec_init },
    { OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, (void (*)(void))ec_query_name },
    { OSSL_FUNC_KEYMGMT_IMPORT_TYPES, (void (*)(void))ec_io_types },
    { OSSL_FUNC_KEYMGMT_EXPORT_TYPES, (void (*)(void))ec_io_types },
    { OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, (void (*)(void))ec_gettable_params },
    { OSSL_FUNC_KEYMGMT_SET_PARAMS, (void (*)(void))ec_set_params },
    { OSSL_FUNC_KEYMGMT_SETTABLE_PARAMS, (void (*)(void))ec_settable_params },
    KEYMGMT_COMMON,
    { 0, NULL }
};

/* TPMKIT-EPHEMERAL-EC: software EC keys for TLS key shares.
 *
 * OpenSSL 3.0's libssl keeps a TLS group only if the key manager it fetches
 * for the group comes from the provider that announced the group. With
 * tpmkit loaded first, "EC" finds tpmkit's key manager, and libssl would
 * drop P-256/384/521. So tpmkit announces those groups itself (provider.c)
 * under this algorithm, whose keys are plain software keys of OpenSSL's
 * default provider: ephemeral key exchange never touches the TPM. */
typedef struct tk_ephemeral_gen {
    tk_prov_ctx *prov;
    int selection;
    char group[64];
} tk_ephemeral_gen;

static void *eph_new(void *provctx)
{
    tk_key *key = tk_key_new_empty(provctx, TK_KEY_EC);

    if (key != NULL)
        key->software = 1;
    return key;
}

static void *eph_gen_init(void *provctx, int selection,
                          const OSSL_PARAM params[])
{
    tk_ephemeral_gen *gen = OPENSSL_zalloc(sizeof(*gen));
    const OSSL_PARAM *p;

    if (gen == NULL)
        return NULL;
    gen->prov = provctx;
    gen->selection = selection;
    p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_GROUP_NAME);
    if (p != NULL) {
        char *dst = gen->group;

        OSSL_PARAM_get_utf8_string(p, &dst, sizeof(gen->group));
    }
    return gen;
}

static int eph_gen_set_params(void *vgen, const OSSL_PARAM params[])
{
    tk_ephemeral_gen *gen = vgen;
    const OSSL_PARAM *p = OSSL_PARAM_locate_const(params,
                                                  OSSL_PKEY_PARAM_GROUP_NAME);
    char *dst = gen->group;

    return p == NULL || OSSL_PARAM_get_utf8_string(p, &dst, sizeof(gen->group));
}

/* libssl makes its key share from the peer's: same group. */
static int eph_gen_set_template(void *vgen, void *vtemplate)
{
    tk_ephemeral_gen *gen = vgen;
    tk_key *tmpl = vtemplate;
    size_t len = 0;

    return tmpl != NULL && tmpl->pub != NULL
           && EVP_PKEY_get_group_name(tmpl->pub, gen->group, sizeof(gen->group),
                                      &len);
}

static const OSSL_PARAM *eph_gen_settable_params(void *vgen, void *provctx)
{
    static const OSSL_PARAM settable[] = {
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
        OSSL_PARAM_END
    };

    (void)vgen, (void)provctx;
    return settable;
}

static void *eph_gen(void *vgen, OSSL_CALLBACK *cb, void *cbarg)
{
    tk_ephemeral_gen *gen = vgen;
    int keypair = (gen->selection & OSSL_KEYMGMT_SELECT_KEYPAIR) != 0;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(gen->prov->sw_libctx, "EC",
                                                   NULL);
    EVP_PKEY *pkey = NULL;
    tk_key *key = NULL;

    (void)cb, (void)cbarg;
    if (ctx != NULL
        && (keypair ? EVP_PKEY_keygen_init(ctx) : EVP_PKEY_paramgen_init(ctx))
               > 0
        && EVP_PKEY_CTX_set_group_name(ctx, gen->group) > 0
        && (keypair ? EVP_PKEY_keygen(ctx, &pkey)
                    : EVP_PKEY_paramgen(ctx, &pkey))
               > 0
        && (key = eph_new(gen->prov)) != NULL) {
        key->pub = pkey;
        pkey = NULL;
    }
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(ctx);
    return key;
}

static void eph_gen_cleanup(void *vgen)
{
    OPENSSL_free(vgen);
}

static int eph_has(const void *keydata, int selection)
{
    const tk_key *key = keydata;

    (void)selection;
    return key != NULL && key->pub != NULL;
}

static int eph_set_params(void *keydata, const OSSL_PARAM params[])
{
    tk_key *key = keydata;

    return key->pub != NULL
           && EVP_PKEY_set_params(key->pub, (OSSL_PARAM *)params);
}

static const OSSL_PARAM *eph_settable_params(void *provctx)
{
    static const OSSL_PARAM settable[] = {
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0),
        OSSL_PARAM_END
    };

    (void)provctx;
    return settable;
}

static int eph_import(void *keydata, int selection, const OSSL_PARAM params[])
{
    tk_key *key = keydata;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(key->prov->sw_libctx, "EC",
                                                   NULL);
    EVP_PKEY *pkey = NULL;
    int ok = ctx != NULL && EVP_PKEY_fromdata_init(ctx) > 0
             && EVP_PKEY_fromdata(ctx, &pkey, selection, (OSSL_PARAM *)params)
                    > 0;

    EVP_PKEY_CTX_free(ctx);
    if (ok) {
        EVP_PKEY_free(key->pub);
        key->pub = pkey;
    }
    return ok;
}

/* Software keys have nothing to hide: everything may be exported. */
static int eph_export(void *keydata, int selection, OSSL_CALLBACK *cb,
                      void *cbarg)
{
    tk_key *key = keydata;
    OSSL_PARAM *params = NULL;
    int ok;

    if (key->pub == NULL || EVP_PKEY_todata(key->pub, selection, &params) <= 0)
        return 0;
    ok = cb(params, cbarg);
    OSSL_PARAM_free(params);
    return ok;
}

static const OSSL_PARAM *eph_io_types(int selection)
{
    static const OSSL_PARAM types[] = {
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
        OSSL_PARAM_BN(OSSL_PKEY_PARAM_PRIV_KEY, NULL, 0), OSSL_PARAM_END
    };

    (void)selection;
    return types;
}

static const char *eph_query_name(int operation_id)
{
    return operation_id == OSSL_OP_KEYEXCH ? "ECDH" : "EC";
}

const OSSL_DISPATCH tk_ephemeral_ec_keymgmt_functions[] = {
    { OSSL_FUNC_KEYMGMT_NEW, (void (*)(void))eph_new },
    { OSSL_FUNC_KEYMGMT_FREE, (void (*)(void))km_free },
    { OSSL_FUNC_KEYMGMT_GEN_INIT, (void (*)(void))eph_gen_init },
    { OSSL_FUNC_KEYMGMT_GEN_SET_PARAMS, (void (*)(void))eph_gen_set_params },
    { OSSL_FUNC_KEYMGMT_GEN_SET_TEMPLATE,
      (void (*)(void))eph_gen_set_template },
    { OSSL_FUNC_KEYMGMT_GEN_SETTABLE_PARAMS,
      (void (*)(void))eph_gen_settable_params },
    { OSSL_FUNC_KEYMGMT_GEN, (void (*)(void))eph_gen },
    { OSSL_FUNC_KEYMGMT_GEN_CLEANUP, (void (*)(void))eph_gen_cleanup },
    { OSSL_FUNC_KEYMGMT_HAS, (void (*)(void))eph_has },
    { OSSL_FUNC_KEYMGMT_MATCH, (void (*)(void))km_match },
    { OSSL_FUNC_KEYMGMT_GET_PARAMS, (void (*)(void))km_get_params },
    { OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, (void (*)(void))ec_gettable_params },
    { OSSL_FUNC_KEYMGMT_SET_PARAMS, (void (*)(void))eph_set_params },
    { OSSL_FUNC_KEYMGMT_SETTABLE_PARAMS, (void (*)(void))eph_settable_params },
    { OSSL_FUNC_KEYMGMT_IMPORT, (void (*)(void))eph_import },
    { OSSL_FUNC_KEYMGMT_IMPORT_TYPES, (void (*)(void))eph_io_types },
    { OSSL_FUNC_KEYMGMT_EXPORT, (void (*)(void))eph_export },
    { OSSL_FUNC_KEYMGMT_EXPORT_TYPES, (void (*)(void))eph_io_types },
    { OSSL_FUNC_KEYMGMT_DUP, (void (*)(void))km_dup },
    { OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, (void (*)(void))eph_query_name },
    { 0, NULL }
};
