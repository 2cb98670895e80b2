/* SPDX-License-Identifier: Apache-2.0 */
/* Replaying one key-file policy step in a policy session (the caller holds
 * the connection lock). */
#ifndef TK_TPM_POLICY_REPLAY_H
#define TK_TPM_POLICY_REPLAY_H

#include "call.h"
#include "key.h"

/* Run `step` in the policy session. Most policy commands take the session
 * as their only handle and no authorization: those are sent verbatim
 * (header, session handle, the step's parameter area), so any such command
 * replays without tpmkit knowing its parameters. PolicyAuthValue and
 * PolicyPassword change how the command is authorized afterwards: both are
 * sent as PolicyAuthValue (same digest; the password is then proven by
 * HMAC, never sent in clear). PolicySecret proves `auth` (the key's
 * password: the authorizing object's, policy_secret.h); PolicySigned
 * loads the step's signer and presents its stored signature
 * (policy_signed.h). PolicyAuthorize is
 * not for this function (policy_authorize.h). Returns the TPM's code;
 * records no failure. */
TSS2_RC tk_policy_replay_step(tk_tpm *tpm, tk_sess *policy,
                              const tk_tpm_policy_step *step,
                              const TPM2B_AUTH *auth);
/* TPM2_PolicyRestart: the session's digest back to zeros. */
TSS2_RC tk_policy_restart(tk_tpm *tpm, tk_sess *policy);
/* Raise the failure of a replayed step, naming the command, and saying
 * what it means when it is known (a PolicyPCR whose values differ, a
 * PolicySecret whose object refused the password). */
TSS2_RC tk_policy_step_fail(tk_tpm *tpm, TSS2_RC rc,
                            const tk_tpm_policy_step *step);

#endif
