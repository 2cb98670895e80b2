/* SPDX-License-Identifier: Apache-2.0 */
/* Using a key whose policy delegates to a signer (PolicyAuthorize): the
 * key file's signed policies (authPolicy) are tried in order in the policy
 * session until one is satisfied and its signature verifies. */
#ifndef TK_TPM_POLICY_AUTHORIZE_H
#define TK_TPM_POLICY_AUTHORIZE_H

#include "call.h"
#include "key.h"

/* At the PolicyAuthorize `step` of the key's policy, in session `policy`
 * (the caller holds the connection lock): for each signed policy, replay
 * its steps (restarting the session between attempts), then approve the
 * digest reached: TPM2_PolicyGetDigest, TPM2_LoadExternal of the signer's
 * public key (owner hierarchy, for a real ticket), TPM2_VerifySignature
 * over H(approvedPolicy || policyRef), TPM2_PolicyAuthorize with the
 * ticket. Only signed policies by the step's signer are tried. When none
 * matches, the failure says so and names the last step that failed. */
TSS2_RC tk_policy_authorize(tk_tpm *tpm, tk_tpm_key *key, tk_sess *policy,
                            const tk_tpm_policy_step *step);

#endif
