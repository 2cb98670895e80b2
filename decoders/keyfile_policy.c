/* SPDX-License-Identifier: Apache-2.0 */
/* Policies in key files (keyfile_policy.h). */
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "keyfile_policy.h"
#include "../provider/errors.h"
#include "../tpm/policy.h"

/* Does the key's policy delegate to this signer? */
static int bound_to(OSSL_LIB_CTX *libctx, const tk_keyfile *kf,
                    EVP_PKEY *signer)
{
    for (size_t i = 0; i < kf->policy_count; i++) {
        tk_tpm_policy_step step = { kf->policy[i].code, kf->policy[i].params,
                                    kf->policy[i].len };

        if (step.code == TK_TPM_CC_POLICY_AUTHORIZE
            && tk_tpm_policy_step_signer_is(libctx, &step, signer))
            return 1;
    }
    return 0;
}

static int own_step(const tk_tpm_policy_step *from, tk_keyfile_policy *to)
{
    if ((to->params = OPENSSL_memdup(from->params,
                                     from->len > 0 ? from->len : 1))
        == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "signed policy");
        return 0;
    }
    to->code = from->code;
    to->len = from->len;
    return 1;
}

/* `signer` is the public (or software private) key; `tpm_signer`, if
 * set, the TPM key that signs in its place. */
static int add_signed(tk_tpm *tpm, OSSL_LIB_CTX *libctx, tk_keyfile *kf,
                      EVP_PKEY *signer, tk_tpm_key *tpm_signer,
                      const char *pcr_spec, const char *pcr_values,
                      const char *name)
{
    tk_tpm_policy_step steps[2] = { { 0 }, { 0 } };
    tk_keyfile_auth_policy entry = { 0 }, *list;
    int ok = 0;

    if (!bound_to(libctx, kf, signer)) {
        tk_raise(TK_R_BAD_REQUEST,
                 "this key is not bound to that policy signer: its"
                 " policy has no PolicyAuthorize step naming it (make the key"
                 " with -pkeyopt policy-signer:SIGNER.pem)");
        return 0;
    }
    for (size_t i = 0; name != NULL && i < kf->auth_policy_count; i++)
        if (kf->auth_policy[i].name != NULL
            && strcmp(kf->auth_policy[i].name, name) == 0) {
            tk_raise(TK_R_BAD_REQUEST,
                     "the key file already has a signed policy named"
                     " \"%s\": remove it first or choose another name",
                     name);
            return 0;
        }
    if (kf->auth_policy_count >= TK_KEYFILE_MAX_AUTH_POLICY) {
        tk_raise(TK_R_BAD_REQUEST,
                 "the key file already holds %d signed policies:"
                 " remove old ones first",
                 TK_KEYFILE_MAX_AUTH_POLICY);
        return 0;
    }
    if (!tk_tpm_pcr_policy_step_spec(tpm, libctx, pcr_spec, pcr_values,
                                     &steps[0])
        || (tpm_signer != NULL
                ? !tk_tpm_policy_sign_tpm(libctx, tpm_signer, steps, 1,
                                          &steps[1])
                : !tk_tpm_policy_sign(libctx, signer, steps, 1, &steps[1])))
        goto end;
    if ((entry.steps = OPENSSL_zalloc(2 * sizeof(*entry.steps))) == NULL
        || (name != NULL && (entry.name = OPENSSL_strdup(name)) == NULL)) {
        tk_raise(TK_R_OUT_OF_MEMORY, "signed policy");
        goto end;
    }
    for (; entry.count < 2; entry.count++)
        if (!own_step(&steps[entry.count], &entry.steps[entry.count]))
            goto end;
    /* The list has room for the maximum once allocated by the decoder;
     * allocate it here for a file that had none. */
    if ((list = kf->auth_policy) == NULL
        && (list = OPENSSL_zalloc(TK_KEYFILE_MAX_AUTH_POLICY * sizeof(*list)))
               == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "signed policy");
        goto end;
    }
    memmove(list + 1, list, kf->auth_policy_count * sizeof(*list));
    list[0] = entry;
    memset(&entry, 0, sizeof(entry));
    kf->auth_policy = list;
    kf->auth_policy_count++;
    kf->has_auth_policy = kf->has_policy = 1;
    ok = 1;
end:
    for (size_t i = 0; i < entry.count; i++)
        OPENSSL_free(entry.steps[i].params);
    OPENSSL_free(entry.steps);
    OPENSSL_free(entry.name);
    tk_tpm_policy_step_clear(&steps[0]);
    tk_tpm_policy_step_clear(&steps[1]);
    return ok;
}

int tk_keyfile_add_signed_pcr_policy(tk_tpm *tpm, OSSL_LIB_CTX *libctx,
                                     tk_keyfile *kf, EVP_PKEY *signer,
                                     const char *pcr_spec,
                                     const char *pcr_values, const char *name)
{
    return add_signed(tpm, libctx, kf, signer, NULL, pcr_spec, pcr_values,
                      name);
}

int tk_keyfile_add_signed_pcr_policy_tpm(tk_tpm *tpm, OSSL_LIB_CTX *libctx,
                                         tk_keyfile *kf, tk_tpm_key *signer,
                                         const char *pcr_spec,
                                         const char *pcr_values,
                                         const char *name)
{
    EVP_PKEY *pub = tk_tpm_policy_signer_public(libctx, signer);
    int ok = pub != NULL
             && add_signed(tpm, libctx, kf, pub, signer, pcr_spec, pcr_values,
                           name);

    EVP_PKEY_free(pub);
    return ok;
}

static void clear_entry(tk_keyfile_auth_policy *e)
{
    for (size_t i = 0; i < e->count; i++)
        OPENSSL_free(e->steps[i].params);
    OPENSSL_free(e->steps);
    OPENSSL_free(e->name);
    memset(e, 0, sizeof(*e));
}

size_t tk_keyfile_remove_signed_policies(tk_keyfile *kf, const char *name)
{
    size_t kept = 0, n = kf->auth_policy_count;

    for (size_t i = 0; i < n; i++) {
        tk_keyfile_auth_policy *e = &kf->auth_policy[i];

        if (e->name != NULL && strcmp(e->name, name) == 0)
            clear_entry(e);
        else
            kf->auth_policy[kept++] = *e;
    }
    kf->auth_policy_count = kept;
    kf->has_auth_policy = kept > 0;
    return n - kept;
}

/* Copies of `count` steps into a new array. */
static int own_steps(const tk_tpm_policy_step *from, size_t count,
                     tk_keyfile_policy **to, size_t *to_count)
{
    tk_keyfile_policy *list = OPENSSL_zalloc(count * sizeof(*list));
    size_t n = 0;

    if (list == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "policy");
        return 0;
    }
    for (; n < count; n++)
        if (!own_step(&from[n], &list[n]))
            break;
    if (n < count) {
        for (size_t i = 0; i < n; i++)
            OPENSSL_free(list[i].params);
        OPENSSL_free(list);
        return 0;
    }
    *to = list;
    *to_count = count;
    return 1;
}

int tk_keyfile_set_new_policy(tk_keyfile *kf, const tk_tpm_new_policy *pol)
{
    tk_keyfile_auth_policy *list;

    if (pol->count == 0)
        return 1;
    if (!own_steps(pol->steps, pol->count, &kf->policy, &kf->policy_count))
        return 0;
    kf->has_policy = 1;
    if (pol->approved_count == 0)
        return 1;
    if ((list = OPENSSL_zalloc(TK_KEYFILE_MAX_AUTH_POLICY * sizeof(*list)))
        == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "signed policy");
        return 0;
    }
    kf->auth_policy = list;
    if (!own_steps(pol->approved, pol->approved_count, &list[0].steps,
                   &list[0].count))
        return 0;
    kf->auth_policy_count = 1;
    kf->has_auth_policy = 1;
    return 1;
}
