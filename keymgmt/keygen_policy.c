/* SPDX-License-Identifier: Apache-2.0 */
/* genpkey's policy options (keygen_policy.h): the signer is read, and
 * given PCR values hashed, with the provider's software context (OpenSSL's own providers, never
 * tpmkit). */
#include "keygen_policy.h"

int tk_keygen_policy_build(tk_prov_ctx *prov, tk_tpm *tpm,
                           const tk_tpm_new_policy_opts *opts,
                           tk_keygen_policy *out)
{
    return tk_tpm_new_policy_build(tpm, prov->sw_libctx, opts, out);
}

int tk_keygen_policy_apply(const tk_keygen_policy *pol, tk_tpm_key *key)
{
    tk_tpm_signed_policy approved = { NULL, pol->approved,
                                      pol->approved_count };

    if (pol->count == 0)
        return 1;
    return tk_tpm_key_set_policy(key, pol->steps, pol->count)
           && (pol->approved_count == 0
               || tk_tpm_key_set_signed_policies(key, &approved, 1));
}

void tk_keygen_policy_clear(tk_keygen_policy *pol)
{
    tk_tpm_new_policy_clear(pol);
}
