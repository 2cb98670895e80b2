/* SPDX-License-Identifier: Apache-2.0 */
/* genpkey for TPM keys: -pkeyopt bits, e, group, user-auth, parent,
 * parent-auth, parent-rsa (the RSA-2048 storage primary), description,
 * pcr-policy, pcr-values, policy-signer; for TPM2-HMAC keys digest and
 * key/hexkey (an imported secret; without one the TPM makes the secret). The key is created inside the TPM under the standard
 * storage primary (or a persistent parent) and comes back as blobs. */
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/crypto.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/params.h>

#include "key.h"
#include "keygen.h"
#include "keygen_policy.h"
#include "../decoders/keyfile.h"
#include "../mac/mac.h"
#include "../provider/errors.h"

#define PARAM_USER_AUTH "user-auth"
#define PARAM_PARENT "parent"
#define PARAM_PARENT_AUTH "parent-auth"
#define PARAM_PARENT_RSA "parent-rsa"
#define PARAM_DESCRIPTION "description"
#define PARAM_DIGEST "digest"
#define PARAM_KEY "key" /* also hexkey: OpenSSL decodes the hex */
#define PARAM_PCR_POLICY "pcr-policy"
#define PARAM_POLICY_SIGNER "policy-signer"
#define PARAM_PCR_VALUES "pcr-values"

typedef struct tk_keygen_ctx {
    tk_prov_ctx *prov;
    tk_key_type type;
    unsigned bits;
    uint32_t exponent;
    int curve_nid;
    uint32_t parent;
    char *user_auth, *parent_auth;
    char *pcr_policy, *policy_signer; /* the signer is read at generation */
    char *pcr_values;      /* so is this file of PCR values for pcr_policy */
    int parent_rsa;        /* under the RSA-2048 storage primary (rsaParent) */
    char *description;     /* the key file's description, or NULL */
    int hash_nid;          /* HMAC */
    unsigned char *secret; /* HMAC: imported, in the secure heap */
    size_t secret_len;
} tk_keygen_ctx;

static void *keygen_init(void *provctx, tk_key_type type, int selection,
                         const OSSL_PARAM params[])
{
    tk_keygen_ctx *gen;

    if ((selection & OSSL_KEYMGMT_SELECT_KEYPAIR) == 0) {
        tk_raise(TK_R_NOT_SUPPORTED,
                 "TPM keys are generated as key pairs only");
        return NULL;
    }
    if ((gen = OPENSSL_zalloc(sizeof(*gen))) == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "key generation context");
        return NULL;
    }
    gen->prov = provctx;
    gen->type = type;
    gen->bits = 2048;
    gen->exponent = 65537;
    gen->curve_nid = NID_X9_62_prime256v1;
    gen->hash_nid = NID_sha256;
    gen->parent = TK_TPM_PARENT_PRIMARY;
    if (!tk_keygen_set_params(gen, params)) {
        tk_keygen_cleanup(gen);
        return NULL;
    }
    return gen;
}

void *tk_keygen_rsa_init(void *provctx, int selection,
                         const OSSL_PARAM params[])
{
    return keygen_init(provctx, TK_KEY_RSA, selection, params);
}

void *tk_keygen_rsapss_init(void *provctx, int selection,
                            const OSSL_PARAM params[])
{
    return keygen_init(provctx, TK_KEY_RSA_PSS, selection, params);
}

void *tk_keygen_ec_init(void *provctx, int selection, const OSSL_PARAM params[])
{
    return keygen_init(provctx, TK_KEY_EC, selection, params);
}

void *tk_keygen_hmac_init(void *provctx, int selection,
                          const OSSL_PARAM params[])
{
    return keygen_init(provctx, TK_KEY_HMAC, selection, params);
}

/* An HMAC secret to import, reduced as RFC 2104 says if it is longer than
 * the hash block (done at generation: the digest may come later). */
static int set_hmac_secret(tk_keygen_ctx *gen, const OSSL_PARAM *p)
{
    const void *data;
    size_t len;

    if (!OSSL_PARAM_get_octet_string_ptr(p, &data, &len))
        return 0;
    OPENSSL_secure_clear_free(gen->secret, gen->secret_len);
    gen->secret_len = 0;
    if ((gen->secret = OPENSSL_secure_malloc(len > 0 ? len : 1)) == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "HMAC secret");
        return 0;
    }
    if (len > 0)
        memcpy(gen->secret, data, len);
    gen->secret_len = len;
    return 1;
}

static int set_secret(const OSSL_PARAM *p, char **dst)
{
    char *value = NULL;

    if (!OSSL_PARAM_get_utf8_string(p, &value, 0))
        return 0;
    if (*dst != NULL)
        OPENSSL_clear_free(*dst, strlen(*dst));
    *dst = value;
    return 1;
}

static int set_text(const OSSL_PARAM *p, char **dst)
{
    char *value = NULL;

    if (!OSSL_PARAM_get_utf8_string(p, &value, 0))
        return 0;
    OPENSSL_free(*dst);
    *dst = value;
    return 1;
}

static int set_curve(tk_keygen_ctx *gen, const OSSL_PARAM *p)
{
    const char *name;
    int nid;

    if (!OSSL_PARAM_get_utf8_string_ptr(p, &name))
        return 0;
    nid = EC_curve_nist2nid(name);
    if (nid == NID_undef)
        nid = OBJ_sn2nid(name);
    if (nid == NID_undef)
        nid = OBJ_ln2nid(name);
    if (nid == NID_undef) {
        tk_raise(TK_R_NOT_SUPPORTED, "unknown curve \"%s\"", name);
        return 0;
    }
    gen->curve_nid = nid;
    return 1;
}

static int set_parent(tk_keygen_ctx *gen, const OSSL_PARAM *p)
{
    const char *text;
    char *end;
    unsigned long handle;

    if (!OSSL_PARAM_get_utf8_string_ptr(p, &text))
        return 0;
    handle = strtoul(text, &end, 0);
    if (*text == '\0' || *end != '\0' || handle > 0xffffffffUL
        || (handle != TK_TPM_PARENT_PRIMARY && (handle >> 24) != 0x81)) {
        tk_raise(TK_R_BAD_REQUEST,
                 "parent must be 0x40000001 or a persistent"
                 " handle 0x81xxxxxx, not \"%s\"",
                 text);
        return 0;
    }
    gen->parent = (uint32_t)handle;
    return 1;
}

static int set_parent_rsa(tk_keygen_ctx *gen, const OSSL_PARAM *p)
{
    const char *v;

    if (!OSSL_PARAM_get_utf8_string_ptr(p, &v))
        return 0;
    if (strcmp(v, "1") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "true") == 0)
        gen->parent_rsa = 1;
    else if (strcmp(v, "0") == 0 || strcmp(v, "no") == 0
             || strcmp(v, "false") == 0)
        gen->parent_rsa = 0;
    else {
        tk_raise(TK_R_BAD_REQUEST, "parent-rsa must be 1 or 0, not \"%s\"", v);
        return 0;
    }
    return 1;
}

static int set_description(tk_keygen_ctx *gen, const OSSL_PARAM *p)
{
    char *text = NULL;

    if (!OSSL_PARAM_get_utf8_string(p, &text, 0))
        return 0;
    if (!tk_keyfile_description_ok(text)) {
        tk_raise(TK_R_BAD_REQUEST,
                 "description must be UTF-8 text of at most %d bytes"
                 " (%zu given)",
                 TK_KEYFILE_MAX_DESCRIPTION, strlen(text));
        OPENSSL_free(text);
        return 0;
    }
    OPENSSL_free(gen->description);
    gen->description = text[0] != '\0' ? text : NULL;
    if (gen->description == NULL)
        OPENSSL_free(text);
    return 1;
}

int tk_keygen_set_params(void *genctx, const OSSL_PARAM params[])
{
    tk_keygen_ctx *gen = genctx;
    const OSSL_PARAM *p;

    if (params == NULL)
        return 1;
    if ((p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_RSA_BITS)) != NULL
        && !OSSL_PARAM_get_uint(p, &gen->bits))
        return 0;
    if ((p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_RSA_E)) != NULL) {
        BIGNUM *e = NULL;
        int ok = OSSL_PARAM_get_BN(p, &e) && BN_num_bits(e) <= 32
                 && BN_is_odd(e);

        if (ok)
            gen->exponent = (uint32_t)BN_get_word(e);
        BN_free(e);
        if (!ok) {
            tk_raise(TK_R_BAD_REQUEST,
                     "RSA exponent must be odd and fit 32 bits");
            return 0;
        }
    }
    if ((p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_GROUP_NAME))
            != NULL
        && !set_curve(gen, p))
        return 0;
    if ((p = OSSL_PARAM_locate_const(params, PARAM_USER_AUTH)) != NULL
        && !set_secret(p, &gen->user_auth))
        return 0;
    if ((p = OSSL_PARAM_locate_const(params, PARAM_PARENT_AUTH)) != NULL
        && !set_secret(p, &gen->parent_auth))
        return 0;
    if ((p = OSSL_PARAM_locate_const(params, PARAM_PARENT)) != NULL
        && !set_parent(gen, p))
        return 0;
    if ((p = OSSL_PARAM_locate_const(params, PARAM_PARENT_RSA)) != NULL
        && !set_parent_rsa(gen, p))
        return 0;
    if ((p = OSSL_PARAM_locate_const(params, PARAM_DESCRIPTION)) != NULL
        && !set_description(gen, p))
        return 0;
    if ((p = OSSL_PARAM_locate_const(params, PARAM_PCR_POLICY)) != NULL) {
        tk_tpm_pcr_sel sel;

        /* Checked now (no TPM needed), read at generation. */
        if (!set_text(p, &gen->pcr_policy)
            || !tk_tpm_pcr_parse(gen->pcr_policy, &sel))
            return 0;
    }
    if ((p = OSSL_PARAM_locate_const(params, PARAM_POLICY_SIGNER)) != NULL
        && !set_text(p, &gen->policy_signer))
        return 0;
    if ((p = OSSL_PARAM_locate_const(params, PARAM_PCR_VALUES)) != NULL
        && !set_text(p, &gen->pcr_values))
        return 0;
    if (gen->type == TK_KEY_HMAC) {
        const char *name;

        if ((p = OSSL_PARAM_locate_const(params, PARAM_DIGEST)) != NULL
            && (!OSSL_PARAM_get_utf8_string_ptr(p, &name)
                || (gen->hash_nid = tk_hmac_digest_nid(gen->prov->sw_libctx,
                                                       name))
                       == NID_undef))
            return 0;
        if ((p = OSSL_PARAM_locate_const(params, PARAM_KEY)) != NULL
            && !set_hmac_secret(gen, p))
            return 0;
        if ((p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_PRIV_KEY))
                != NULL
            && !set_hmac_secret(gen, p))
            return 0;
    }
    return 1;
}

const OSSL_PARAM *tk_keygen_settable_params(void *genctx, void *provctx)
{
    static const OSSL_PARAM rsa[] = {
        OSSL_PARAM_uint(OSSL_PKEY_PARAM_RSA_BITS, NULL),
        OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, NULL, 0),
        OSSL_PARAM_utf8_string(PARAM_USER_AUTH, NULL, 0),
        OSSL_PARAM_utf8_string(PARAM_PARENT, NULL, 0),
        OSSL_PARAM_utf8_string(PARAM_PARENT_AUTH, NULL, 0),
        OSSL_PARAM_utf8_string(PARAM_PCR_POLICY, NULL, 0),
        OSSL_PARAM_utf8_string(PARAM_POLICY_SIGNER, NULL, 0),
        OSSL_PARAM_utf8_string(PARAM_PCR_VALUES, NULL, 0),
        OSSL_PARAM_utf8_string(PARAM_PARENT_RSA, NULL, 0),
        OSSL_PARAM_utf8_string(PARAM_DESCRIPTION, NULL, 0),
        OSSL_PARAM_END
    };
    static const OSSL_PARAM ec[] = {
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
        OSSL_PARAM_utf8_string(PARAM_USER_AUTH, NULL, 0),
        OSSL_PARAM_utf8_string(PARAM_PARENT, NULL, 0),
        OSSL_PARAM_utf8_string(PARAM_PARENT_AUTH, NULL, 0),
        OSSL_PARAM_utf8_string(PARAM_PCR_POLICY, NULL, 0),
        OSSL_PARAM_utf8_string(PARAM_POLICY_SIGNER, NULL, 0),
        OSSL_PARAM_utf8_string(PARAM_PCR_VALUES, NULL, 0),
        OSSL_PARAM_utf8_string(PARAM_PARENT_RSA, NULL, 0),
        OSSL_PARAM_utf8_string(PARAM_DESCRIPTION, NULL, 0),
        OSSL_PARAM_END
    };
    static const OSSL_PARAM hmac[] = {
        OSSL_PARAM_utf8_string(PARAM_DIGEST, NULL, 0),
        OSSL_PARAM_octet_string(PARAM_KEY, NULL, 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PRIV_KEY, NULL, 0),
        OSSL_PARAM_utf8_string(PARAM_USER_AUTH, NULL, 0),
        OSSL_PARAM_utf8_string(PARAM_PARENT, NULL, 0),
        OSSL_PARAM_utf8_string(PARAM_PARENT_AUTH, NULL, 0),
        OSSL_PARAM_utf8_string(PARAM_PCR_POLICY, NULL, 0),
        OSSL_PARAM_utf8_string(PARAM_POLICY_SIGNER, NULL, 0),
        OSSL_PARAM_utf8_string(PARAM_PCR_VALUES, NULL, 0),
        OSSL_PARAM_utf8_string(PARAM_PARENT_RSA, NULL, 0),
        OSSL_PARAM_utf8_string(PARAM_DESCRIPTION, NULL, 0),
        OSSL_PARAM_END
    };
    tk_keygen_ctx *gen = genctx;

    (void)provctx;
    if (gen != NULL && gen->type == TK_KEY_HMAC)
        return hmac;
    return gen != NULL && gen->type == TK_KEY_EC ? ec : rsa;
}

void *tk_keygen_generate(void *genctx, OSSL_CALLBACK *cb, void *cbarg)
{
    tk_keygen_ctx *gen = genctx;
    tk_tpm_keygen req = { 0 };
    tk_tpm *tpm;
    unsigned char *pub = NULL, *priv = NULL;
    size_t pub_len = 0, priv_len = 0, auth_len;
    tk_key *key = NULL;
    unsigned char secret[128];
    size_t secret_len = 0;
    tk_keygen_policy policy = { 0 };
    tk_tpm_new_policy_opts policy_opts = { gen->pcr_policy, gen->pcr_values,
                                           gen->policy_signer, 0 };
    int made;

    (void)cb, (void)cbarg;
    if (gen->parent_rsa && gen->parent != TK_TPM_PARENT_PRIMARY) {
        tk_raise(TK_R_BAD_REQUEST,
                 "parent-rsa names the RSA storage primary (0x40000001):"
                 " leave out parent 0x%08x, or leave out parent-rsa",
                 gen->parent);
        return NULL;
    }
    auth_len = gen->user_auth != NULL ? strlen(gen->user_auth) : 0;
    req.kind = gen->type == TK_KEY_EC     ? TK_TPM_KEY_EC
               : gen->type == TK_KEY_HMAC ? TK_TPM_KEY_HMAC
                                          : TK_TPM_KEY_RSA;
    req.hash_nid = gen->hash_nid;
    if (gen->type == TK_KEY_HMAC && gen->secret != NULL) {
        if (!tk_hmac_prepare_key(gen->prov->sw_libctx, gen->hash_nid,
                                 gen->secret, gen->secret_len, secret,
                                 &secret_len))
            return NULL;
        req.secret = secret;
        req.secret_len = secret_len;
    }
    req.bits = gen->bits;
    req.exponent = gen->exponent;
    req.rsa_pss = gen->type == TK_KEY_RSA_PSS;
    req.curve_nid = gen->curve_nid;
    req.auth = (const unsigned char *)gen->user_auth;
    req.auth_len = auth_len;
    req.parent = gen->parent_rsa ? TK_TPM_PARENT_RSA_PRIMARY : gen->parent;
    req.parent_auth = (const unsigned char *)gen->parent_auth;
    req.parent_auth_len = gen->parent_auth != NULL ? strlen(gen->parent_auth)
                                                   : 0;
    policy_opts.with_password = auth_len > 0;
    made = (tpm = tk_prov_tpm(gen->prov)) != NULL
           && tk_keygen_policy_build(gen->prov, tpm, &policy_opts, &policy);
    if (made && policy.count > 0) {
        req.policy_digest = policy.digest;
        req.policy_digest_len = sizeof(policy.digest);
    }
    made = made
           && tk_tpm_create_key(tpm, &req, &pub, &pub_len, &priv, &priv_len);
    OPENSSL_cleanse(secret, sizeof(secret));
    if (!made) {
        tk_keygen_policy_clear(&policy);
        return NULL;
    }
    key = tk_key_from_blobs(gen->prov, gen->type, req.parent, pub, pub_len,
                            priv, priv_len, auth_len == 0, gen->description);
    if (key != NULL
        && (!tk_keygen_policy_apply(&policy, key->tpm_key)
            || !tk_tpm_key_set_auth(key->tpm_key, req.auth, auth_len)
            || !tk_tpm_key_set_parent_auth(key->tpm_key, req.parent_auth,
                                           req.parent_auth_len))) {
        tk_key_free(key);
        key = NULL;
    }
    tk_keygen_policy_clear(&policy);
    OPENSSL_free(pub);
    OPENSSL_free(priv);
    return key;
}

void tk_keygen_cleanup(void *genctx)
{
    tk_keygen_ctx *gen = genctx;

    if (gen == NULL)
        return;
    if (gen->user_auth != NULL)
        OPENSSL_clear_free(gen->user_auth, strlen(gen->user_auth));
    if (gen->parent_auth != NULL)
        OPENSSL_clear_free(gen->parent_auth, strlen(gen->parent_auth));
    OPENSSL_secure_clear_free(gen->secret, gen->secret_len);
    OPENSSL_free(gen->pcr_policy);
    OPENSSL_free(gen->policy_signer);
    OPENSSL_free(gen->pcr_values);
    OPENSSL_free(gen->description);
    OPENSSL_free(gen);
}
