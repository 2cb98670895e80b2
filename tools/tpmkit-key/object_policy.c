/* SPDX-License-Identifier: Apache-2.0 */
/* --pcr-policy, --pcr-values and --policy-signer of seal and wrap
 * (tool.h): the same policy genpkey's pcr-policy, pcr-values and
 * policy-signer make, from the same code. */
#include "tool.h"

int tkk_object_policy(const char *cmd, tk_tpm *tpm, const tkk_object_args *a,
                      int with_password, tk_tpm_new_policy *out)
{
    const tk_tpm_new_policy_opts opts = { a->pcr_spec, a->pcr_values, a->signer,
                                          with_password };

    if (tk_tpm_new_policy_build(tpm, tkk_libctx(), &opts, out))
        return 1;
    if (a->pcr_spec != NULL)
        tkk_fail(cmd, "cannot make the policy of --pcr-policy %s%s%s%s%s",
                 a->pcr_spec, a->pcr_values != NULL ? " --pcr-values " : "",
                 a->pcr_values != NULL ? a->pcr_values : "",
                 a->signer != NULL ? " --policy-signer " : "",
                 a->signer != NULL ? a->signer : "");
    else
        tkk_fail(cmd, "cannot make the policy of --policy-signer %s",
                 a->signer);
    return 0;
}
