/* SPDX-License-Identifier: Apache-2.0 */
/* Adding a signed PCR policy to a key file (keyfile_policy.h). */
#include <string.h>
#include <openssl/crypto.h>

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

int tk_keyfile_add_signed_pcr_policy(tk_tpm *tpm, OSSL_LIB_CTX *libctx,
                                     tk_keyfile *kf, EVP_PKEY *signer,
                                     const char *pcr_spec, const char *name)
{
    tk_tpm_pcr_sel sel;
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
    if (kf->auth_policy_count >= TK_KEYFILE_MAX_AUTH_POLICY) {
        tk_raise(TK_R_BAD_REQUEST,
                 "the key file already holds %d signed policies:"
                 " remove old ones first",
                 TK_KEYFILE_MAX_AUTH_POLICY);
        return 0;
    }
    if (!tk_tpm_pcr_parse(pcr_spec, &sel)
        || !tk_tpm_pcr_policy_step(tpm, &sel, &steps[0])
        || !tk_tpm_policy_sign(libctx, signer, steps, 1, &steps[1]))
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
