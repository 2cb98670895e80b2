/* SPDX-License-Identifier: Apache-2.0 */
/* The policy of a key made by genpkey (-pkeyopt pcr-policy:BANK:LIST,
 * pcr-values:FILE, policy-signer:FILE, with user-auth): built by the TPM layer's shared
 * code for new objects (tpm/policy_new.h, which tpmkit-key seal and wrap
 * use too), then given to the new key. */
#ifndef TK_KEYGEN_POLICY_H
#define TK_KEYGEN_POLICY_H

#include "key.h"
#include "../tpm/policy_new.h"

typedef tk_tpm_new_policy tk_keygen_policy;

/* Build the policy (tk_tpm_new_policy_build); 1 with out->count 0 when
 * neither pcr-policy nor policy-signer is given. pcr-policy with a signer
 * is the first signed policy, which needs the signer's private key. */
int tk_keygen_policy_build(tk_prov_ctx *prov, tk_tpm *tpm,
                           const tk_tpm_new_policy_opts *opts,
                           tk_keygen_policy *out);
/* Give the new key its policy steps and signed policy. */
int tk_keygen_policy_apply(const tk_keygen_policy *pol, tk_tpm_key *key);
void tk_keygen_policy_clear(tk_keygen_policy *pol);

#endif
