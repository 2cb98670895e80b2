/* SPDX-License-Identifier: Apache-2.0 */
/* The HMAC session that authorizes a replayed policy command's other
 * object (PolicySecret's, PolicyNV's): the connection's salted session, or,
 * with session encryption off, an unsalted one for this command only, so
 * that a password is proven by an HMAC and never sent. */
#ifndef TK_TPM_POLICY_HMAC_H
#define TK_TPM_POLICY_HMAC_H

#include "call.h"

/* *out: the session to use; `own` holds the one made here, if any. */
TSS2_RC tk_policy_hmac_begin(tk_tpm *tpm, tk_sess *own, tk_sess **out);
/* Flush the session tk_policy_hmac_begin made, if it made one. */
void tk_policy_hmac_end(tk_tpm *tpm, tk_sess *own);
/* The name of a session (its handle), for cpHash. */
void tk_policy_session_name(const tk_sess *s, TPM2B_NAME *name);

#endif
