/* SPDX-License-Identifier: Apache-2.0 */
/* Authorizing one command with a key: its password through the salted
 * session, a plain password when nothing is secret, or a fresh policy
 * session replaying the key file's policy. */
#ifndef TK_TPM_AUTHORIZE_H
#define TK_TPM_AUTHORIZE_H

#include "call.h"
#include "key.h"

/* The key loaded, recorded as the next handle of `call` (*handle: its TPM
 * handle), and its authorization added: the salted session (an HMAC,
 * password never in clear) carrying parameter encryption `attrs`, a plain
 * password when there is nothing to hide (no password and no secret
 * parameters, or encryption off), or a fresh policy session replaying the
 * key's policy, then the salted session for `attrs`. */
TSS2_RC tk_key_authorize(tk_tpm *tpm, tk_tpm_key *key, TPMA_SESSION attrs,
                         tk_call *call, TPM2_HANDLE *handle);
/* After the command: wipe the password copies, forget a policy session
 * (the TPM consumed it on success; flush it after a failure). */
void tk_key_authorize_end(tk_tpm *tpm, tk_call *call, TSS2_RC rc);
/* Report a failed key operation: a wrong password or an unmet policy reads
 * as such (and is never retried: dictionary-attack lockout). */
TSS2_RC tk_key_op_fail(tk_tpm *tpm, TSS2_RC rc, const char *what);

#endif
