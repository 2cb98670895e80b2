/* SPDX-License-Identifier: Apache-2.0 */
/* --pcr-policy and --policy-signer of seal and wrap (tool.h): the same
 * policy genpkey's pcr-policy and policy-signer make, from the same code. */
#include "tool.h"

int tkk_object_policy(const char *cmd, tk_tpm *tpm, const char *pcr_spec,
                      const char *signer, int with_password,
                      tk_tpm_new_policy *out)
{
    if (tk_tpm_new_policy_build(tpm, tkk_libctx(), pcr_spec, signer,
                                with_password, out))
        return 1;
    if (pcr_spec != NULL && signer != NULL)
        tkk_fail(cmd,
                 "cannot make the policy of --pcr-policy %s and"
                 " --policy-signer %s",
                 pcr_spec, signer);
    else if (pcr_spec != NULL)
        tkk_fail(cmd, "cannot make the policy of --pcr-policy %s", pcr_spec);
    else
        tkk_fail(cmd, "cannot make the policy of --policy-signer %s", signer);
    return 0;
}
