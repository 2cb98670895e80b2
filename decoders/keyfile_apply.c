/* SPDX-License-Identifier: Apache-2.0 */
/* Key-file policies onto a TPM object (keyfile_apply.h). */
#include <openssl/crypto.h>

#include "keyfile_apply.h"
#include "../provider/errors.h"

static int set_signed_policies(tk_tpm_key *tpm_key, const tk_keyfile *kf)
{
    tk_tpm_signed_policy sp[TK_KEYFILE_MAX_AUTH_POLICY];
    tk_tpm_policy_step *steps;
    size_t n = kf->auth_policy_count, total = 0, k = 0;
    int ok;

    if (n == 0)
        return 1;
    for (size_t i = 0; i < n; i++)
        total += kf->auth_policy[i].count;
    if ((steps = OPENSSL_zalloc(total * sizeof(*steps))) == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "signed policies");
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        const tk_keyfile_auth_policy *ap = &kf->auth_policy[i];

        sp[i].name = ap->name;
        sp[i].steps = steps + k;
        sp[i].count = ap->count;
        for (size_t j = 0; j < ap->count; j++, k++) {
            steps[k].code = ap->steps[j].code;
            steps[k].params = ap->steps[j].params;
            steps[k].len = ap->steps[j].len;
        }
    }
    ok = tk_tpm_key_set_signed_policies(tpm_key, sp, n);
    OPENSSL_free(steps);
    return ok;
}

int tk_keyfile_apply_policies(const tk_keyfile *kf, tk_tpm_key *key)
{
    tk_tpm_policy_step steps[TK_KEYFILE_MAX_POLICY];

    for (size_t i = 0; i < kf->policy_count; i++) {
        steps[i].code = kf->policy[i].code;
        steps[i].params = kf->policy[i].params;
        steps[i].len = kf->policy[i].len;
    }
    return (kf->policy_count == 0
            || tk_tpm_key_set_policy(key, steps, kf->policy_count))
           && set_signed_policies(key, kf);
}
