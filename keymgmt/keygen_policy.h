/* SPDX-License-Identifier: Apache-2.0 */
/* The policy of a key made by genpkey (-pkeyopt pcr-policy:BANK:LIST,
 * policy-signer:FILE, with user-auth): its steps, the digest the new key's
 * authPolicy is set to, and the signed policy genpkey can approve at once
 * when the signer's private key is at hand. */
#ifndef TK_KEYGEN_POLICY_H
#define TK_KEYGEN_POLICY_H

#include "key.h"
#include "../tpm/policy.h"

typedef struct tk_keygen_policy {
    tk_tpm_policy_step steps[2]; /* PolicyPCR or PolicyAuthorize, then
                                  * PolicyAuthValue with a password */
    size_t count;
    unsigned char digest[TK_TPM_POLICY_DIGEST_LEN];
    tk_tpm_policy_step approved[2]; /* a first signed policy: PolicyPCR,
                                     * then the signer's PolicyAuthorize */
    size_t approved_count;
} tk_keygen_policy;

/* Build the policy; 1 with out->count 0 when neither option is given.
 * pcr_spec with a signer is the first signed policy, which needs the
 * signer's private key. */
int tk_keygen_policy_build(tk_prov_ctx *prov, tk_tpm *tpm, const char *pcr_spec,
                           const char *signer_path, int with_password,
                           tk_keygen_policy *out);
/* Give the new key its policy steps and signed policy. */
int tk_keygen_policy_apply(const tk_keygen_policy *pol, tk_tpm_key *key);
void tk_keygen_policy_clear(tk_keygen_policy *pol);

#endif
