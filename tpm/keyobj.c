/* SPDX-License-Identifier: Apache-2.0 */
/* TPM-resident keys as objects: the blobs, the passwords, the policy and
 * what the public blob says. Nothing here talks to the TPM or takes the
 * connection lock (keyload.c loads keys, keylife.c frees them). */
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "import.h"
#include "keyobj.h"
#include "policy_nv.h"
#include "policy_secret.h"
#include "policy_signed.h"
#include "pubinfo.h"
#include "state.h"
#include "../provider/errors.h"

static void free_steps(tk_tpm_policy_step *steps, size_t count)
{
    for (size_t i = 0; i < count; i++)
        OPENSSL_free((void *)steps[i].params);
    OPENSSL_free(steps);
}

static void free_signed(tk_tpm_signed_policy *p, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        OPENSSL_free((void *)p[i].name);
        free_steps((tk_tpm_policy_step *)p[i].steps, p[i].count);
    }
    OPENSSL_free(p);
}

tk_tpm_key *tk_key_new(tk_tpm *tpm)
{
    tk_tpm_key *key = OPENSSL_zalloc(sizeof(*key));

    if (key == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "TPM key");
        return NULL;
    }
    key->tpm = tpm;
    key->refs = 1;
    key->handle = ESYS_TR_NONE;
    return key;
}

void tk_key_destroy(tk_tpm_key *key)
{
    Esys_Free(key->saved);
    OPENSSL_cleanse(&key->auth, sizeof(key->auth));
    OPENSSL_cleanse(&key->parent_auth, sizeof(key->parent_auth));
    OPENSSL_secure_clear_free(key->external, sizeof(*key->external));
    OPENSSL_free(key->import_seed);
    OPENSSL_free(key->dup_blob);
    for (size_t i = 0; i < key->policy_count; i++)
        OPENSSL_free((void *)key->policy[i].params);
    OPENSSL_free(key->policy);
    free_signed(key->signed_policies, key->signed_count);
    OPENSSL_free(key->pub_blob);
    OPENSSL_free(key->priv_blob);
    OPENSSL_free(key);
}

tk_tpm_key *tk_tpm_key_from_blobs(tk_tpm *tpm, uint32_t parent,
                                  const unsigned char *pub, size_t pub_len,
                                  const unsigned char *priv, size_t priv_len)
{
    tk_tpm_key *key;

    if (parent == 0)
        parent = TK_TPM_PARENT_PRIMARY;
    if (parent != TK_TPM_PARENT_PRIMARY && parent != TK_TPM_PARENT_RSA_PRIMARY
        && (parent >> 24) != TPM2_HT_PERSISTENT) {
        tk_raise(TK_R_BAD_KEY,
                 "unsupported parent handle 0x%08x (use 0x40000001"
                 " or a persistent key 0x81xxxxxx)",
                 parent);
        return NULL;
    }
    if ((key = tk_key_new(tpm)) == NULL)
        return NULL;
    key->parent = parent;
    if (!tk_tpm_unmarshal_public(pub, pub_len, &key->pub)
        || !tk_tpm_pubinfo_from_area(&key->pub.publicArea, &key->info)
        || !tk_tpm_unmarshal_private(priv, priv_len, &key->priv)
        || (key->pub_blob = OPENSSL_memdup(pub, pub_len)) == NULL
        || (key->priv_blob = OPENSSL_memdup(priv, priv_len)) == NULL) {
        tk_key_destroy(key);
        return NULL;
    }
    key->pub_len = pub_len;
    key->priv_len = priv_len;
    return key;
}

/* The public area of an ephemeral HMAC key. The TPM checks that `unique`
 * binds the secret: H(seedValue || secret) with the name algorithm. */
static int external_hmac_public(tk_tpm *tpm, int hash_nid,
                                const TPM2B_SENSITIVE *sens, TPM2B_PUBLIC *pub)
{
    TPMT_PUBLIC *area = &pub->publicArea;
    EVP_MD *sha256 = EVP_MD_fetch(tpm->crypto_ctx, "SHA256", NULL);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int len = 0;
    int ok;

    memset(pub, 0, sizeof(*pub));
    area->type = TPM2_ALG_KEYEDHASH;
    area->nameAlg = TPM2_ALG_SHA256;
    area->objectAttributes = TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_SIGN_ENCRYPT
                             | TPMA_OBJECT_NODA;
    area->parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_HMAC;
    area->parameters.keyedHashDetail.scheme.details.hmac.hashAlg =
        tk_tpm_hash_alg(hash_nid);
    ok = sha256 != NULL && md != NULL && EVP_DigestInit_ex(md, sha256, NULL)
         && EVP_DigestUpdate(md, sens->sensitiveArea.seedValue.buffer,
                             sens->sensitiveArea.seedValue.size)
         && EVP_DigestUpdate(md, sens->sensitiveArea.sensitive.bits.buffer,
                             sens->sensitiveArea.sensitive.bits.size)
         && EVP_DigestFinal_ex(md, area->unique.keyedHash.buffer, &len);
    area->unique.keyedHash.size = (UINT16)len;
    EVP_MD_CTX_free(md);
    EVP_MD_free(sha256);
    if (!ok)
        tk_raise(TK_R_INTERNAL, "cannot prepare the HMAC key");
    return ok;
}

tk_tpm_key *tk_tpm_key_from_secret(tk_tpm *tpm, int hash_nid,
                                   const unsigned char *secret, size_t len)
{
    TPMT_SENSITIVE *area;
    tk_tpm_key *key;

    if (tk_tpm_hash_alg(hash_nid) == TPM2_ALG_NULL) {
        tk_raise(TK_R_NOT_SUPPORTED,
                 "the TPM computes HMAC with SHA-1/256/384/512 only");
        return NULL;
    }
    if (len > sizeof(area->sensitive.bits.buffer)) {
        tk_raise(TK_R_BAD_REQUEST, "HMAC key longer than %zu bytes",
                 sizeof(area->sensitive.bits.buffer));
        return NULL;
    }
    if (!tk_tpm_encrypting(tpm)) {
        tk_raise(TK_R_NOT_SUPPORTED,
                 "loading a raw HMAC key into the TPM needs"
                 " session encryption (session-encryption = yes): the key"
                 " would cross the bus in clear");
        return NULL;
    }
    if ((key = tk_key_new(tpm)) == NULL)
        return NULL;
    key->parent = TPM2_RH_NULL;
    if ((key->external = OPENSSL_secure_zalloc(sizeof(*key->external)))
        == NULL) {
        tk_key_destroy(key);
        tk_raise(TK_R_OUT_OF_MEMORY, "HMAC key");
        return NULL;
    }
    area = &key->external->sensitiveArea;
    area->sensitiveType = TPM2_ALG_KEYEDHASH;
    area->seedValue.size = 32;
    area->sensitive.bits.size = (UINT16)len;
    if (len > 0)
        memcpy(area->sensitive.bits.buffer, secret, len);
    if (RAND_bytes_ex(tpm->crypto_ctx, area->seedValue.buffer,
                      area->seedValue.size, 0)
            <= 0
        || !external_hmac_public(tpm, hash_nid, key->external, &key->pub)
        || !tk_tpm_pubinfo_from_area(&key->pub.publicArea, &key->info)) {
        tk_key_destroy(key);
        return NULL;
    }
    return key;
}

int tk_tpm_key_up_ref(tk_tpm_key *key)
{
    __atomic_add_fetch(&key->refs, 1, __ATOMIC_RELAXED);
    return 1;
}

static int set_auth(TPM2B_AUTH *dst, const unsigned char *auth, size_t len)
{
    if (len > sizeof(dst->buffer)) {
        tk_raise(TK_R_BAD_REQUEST, "password longer than %zu bytes",
                 sizeof(dst->buffer));
        return 0;
    }
    OPENSSL_cleanse(dst, sizeof(*dst));
    dst->size = (UINT16)len;
    if (len > 0)
        memcpy(dst->buffer, auth, len);
    return 1;
}

int tk_tpm_key_set_auth(tk_tpm_key *key, const unsigned char *auth, size_t len)
{
    return set_auth(&key->auth, auth, len);
}

int tk_tpm_key_set_parent_auth(tk_tpm_key *key, const unsigned char *auth,
                               size_t len)
{
    return set_auth(&key->parent_auth, auth, len);
}

/* Command codes not all tss2 headers name. */
#define CC_POLICY_TEMPLATE 0x00000190u

int tk_tpm_policy_supported(uint32_t code)
{
    switch (code) {
    case TPM2_CC_PolicyAuthValue:
    case TPM2_CC_PolicyPassword:
    case TPM2_CC_PolicyPCR:
    case TPM2_CC_PolicyLocality:
    case TPM2_CC_PolicyCommandCode:
    case TPM2_CC_PolicyCounterTimer:
    case TPM2_CC_PolicyCpHash:
    case TPM2_CC_PolicyNameHash:
    case TPM2_CC_PolicyOR:
    case TPM2_CC_PolicyPhysicalPresence:
    case TPM2_CC_PolicyNvWritten:
    case CC_POLICY_TEMPLATE:
    case TPM2_CC_PolicyAuthorize:
    case TPM2_CC_PolicySecret:
    case TPM2_CC_PolicyNV:
    case TPM2_CC_PolicySigned:
        return 1;
    default:
        tk_raise(TK_R_NOT_SUPPORTED,
                 "the key's policy uses TPM command 0x%x,"
                 " which tpmkit cannot replay (supported: PolicyPCR,"
                 " PolicyAuthValue, PolicyPassword, PolicyCommandCode,"
                 " PolicyLocality, PolicyCounterTimer, PolicyCpHash,"
                 " PolicyNameHash, PolicyOR, PolicyPhysicalPresence,"
                 " PolicyNvWritten, PolicyTemplate, PolicyAuthorize,"
                 " PolicySecret, PolicyNV, PolicySigned)",
                 (unsigned)code);
        return 0;
    }
}

/* A step tpmkit can replay, its parameters checked where tpmkit reads
 * them (an error raised otherwise). */
static int step_ok(const tk_tpm_policy_step *step)
{
    tk_policy_secret secret;
    tk_policy_nv nv;
    tk_policy_signed sig;

    if (!tk_tpm_policy_supported(step->code))
        return 0;
    if (step->code == TPM2_CC_PolicySecret)
        return tk_policy_secret_parse(step, &secret);
    if (step->code == TPM2_CC_PolicySigned)
        return tk_policy_signed_parse(step, &sig);
    return step->code != TPM2_CC_PolicyNV || tk_policy_nv_parse(step, &nv);
}

int tk_tpm_key_set_policy(tk_tpm_key *key, const tk_tpm_policy_step *steps,
                          size_t count)
{
    tk_tpm_policy_step *copy = OPENSSL_zalloc((count > 0 ? count : 1)
                                              * sizeof(*copy));

    if (copy == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "key policy");
        return 0;
    }
    for (size_t i = 0; i < count; i++) {
        unsigned char *params;

        if (!step_ok(&steps[i])
            || (params = OPENSSL_zalloc(steps[i].len + 1)) == NULL) {
            while (i-- > 0)
                OPENSSL_free((void *)copy[i].params);
            OPENSSL_free(copy);
            return 0;
        }
        if (steps[i].len > 0)
            memcpy(params, steps[i].params, steps[i].len);
        copy[i] = steps[i];
        copy[i].params = params;
    }
    for (size_t i = 0; i < key->policy_count; i++)
        OPENSSL_free((void *)key->policy[i].params);
    OPENSSL_free(key->policy);
    key->policy = copy;
    key->policy_count = count;
    return 1;
}

size_t tk_tpm_key_policy(const tk_tpm_key *key,
                         const tk_tpm_policy_step **steps)
{
    *steps = key->policy;
    return key->policy_count;
}

/* Owned copies of checked steps; NULL on failure (error raised). */
static tk_tpm_policy_step *copy_steps(const tk_tpm_policy_step *steps,
                                      size_t count)
{
    tk_tpm_policy_step *copy = OPENSSL_zalloc((count > 0 ? count : 1)
                                              * sizeof(*copy));

    if (copy == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "key policy");
        return NULL;
    }
    for (size_t i = 0; i < count; i++) {
        unsigned char *params;

        if (!step_ok(&steps[i])
            || (params = OPENSSL_zalloc(steps[i].len + 1)) == NULL) {
            free_steps(copy, i);
            return NULL;
        }
        if (steps[i].len > 0)
            memcpy(params, steps[i].params, steps[i].len);
        copy[i] = steps[i];
        copy[i].params = params;
    }
    return copy;
}

int tk_tpm_key_set_signed_policies(tk_tpm_key *key,
                                   const tk_tpm_signed_policy *policies,
                                   size_t count)
{
    tk_tpm_signed_policy *copy = OPENSSL_zalloc((count > 0 ? count : 1)
                                                * sizeof(*copy));
    size_t i;

    if (copy == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "signed policies");
        return 0;
    }
    for (i = 0; i < count; i++) {
        /* A signed policy ends in the signer's approval, and only there. */
        if (policies[i].count == 0
            || policies[i].steps[policies[i].count - 1].code
                   != TPM2_CC_PolicyAuthorize) {
            tk_raise(TK_R_BAD_KEY,
                     "signed policy %zu does not end in"
                     " PolicyAuthorize",
                     i + 1);
            break;
        }
        if ((copy[i].steps = copy_steps(policies[i].steps, policies[i].count))
            == NULL)
            break;
        copy[i].count = policies[i].count;
        if (policies[i].name != NULL
            && (copy[i].name = OPENSSL_strdup(policies[i].name)) == NULL) {
            tk_raise(TK_R_OUT_OF_MEMORY, "signed policies");
            i++;
            break;
        }
    }
    if (i < count) {
        free_signed(copy, count);
        return 0;
    }
    free_signed(key->signed_policies, key->signed_count);
    key->signed_policies = copy;
    key->signed_count = count;
    return 1;
}

size_t tk_tpm_key_signed_policies(const tk_tpm_key *key,
                                  const tk_tpm_signed_policy **policies)
{
    *policies = key->signed_policies;
    return key->signed_count;
}

TPMI_ALG_HASH tk_key_name_alg(const tk_tpm_key *key)
{
    return key->pub.publicArea.nameAlg;
}

int tk_key_has_password(const tk_tpm_key *key)
{
    return key->auth.size > 0;
}

const TPM2B_NAME *tk_key_name(tk_crypto *crypto, tk_tpm_key *key)
{
    if (key->name.size == 0 && !tk_object_name(crypto, &key->pub, &key->name)) {
        key->name.size = 0;
        return NULL;
    }
    return &key->name;
}

const TPM2B_AUTH *tk_key_auth(const tk_tpm_key *key)
{
    return &key->auth;
}

int tk_key_needs_policy(const tk_tpm_key *key)
{
    return !key->info.userwithauth && key->policy_count > 0;
}

const tk_tpm_pubinfo *tk_tpm_key_info(const tk_tpm_key *key)
{
    return &key->info;
}

static int set_import_seed(tk_tpm_key *key, const TPM2B_ENCRYPTED_SECRET *seed)
{
    if ((key->import_seed = OPENSSL_memdup(seed, sizeof(*seed))) == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "importable key");
        return 0;
    }
    return 1;
}

tk_tpm *tk_tpm_key_tpm(const tk_tpm_key *key)
{
    return key->tpm;
}

uint32_t tk_tpm_key_handle(const tk_tpm_key *key)
{
    return key->persistent;
}

tk_tpm_key *tk_tpm_key_import(tk_tpm *tpm, uint32_t parent,
                              const unsigned char *pub, size_t pub_len,
                              const unsigned char *dup, size_t dup_len,
                              const unsigned char *seed, size_t seed_len)
{
    TPM2B_ENCRYPTED_SECRET secret;
    tk_tpm_key *key;

    if (!tk_import_read_seed(seed, seed_len, &secret)) {
        tk_raise(TK_R_BAD_KEY,
                 "malformed encrypted seed in the importable key"
                 " file (%zu bytes)",
                 seed_len);
        return NULL;
    }
    key = tk_tpm_key_from_blobs(tpm, parent, pub, pub_len, dup, dup_len);
    if (key != NULL && !set_import_seed(key, &secret)) {
        tk_key_destroy(key);
        key = NULL;
    }
    return key;
}
