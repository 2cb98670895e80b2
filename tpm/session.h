/* SPDX-License-Identifier: Apache-2.0 */
/* Sessions: starting (salted by the storage primary) and flushing them,
 * and the connection's one salted AES-128-CFB session for commands with
 * secrets, parked between operations without a resource manager. */
#ifndef TK_TPM_SESSION_H
#define TK_TPM_SESSION_H

#include "call.h"

/* Start a session; `salted`: salted by the storage primary, with AES-128-CFB
 * parameter encryption. */
TSS2_RC tk_sess_start(tk_tpm *tpm, TPM2_SE type, TPMI_ALG_HASH hash, int salted,
                      tk_sess *out);
/* Flush a session from the TPM (loaded or saved) and forget it. */
void tk_sess_flush(tk_tpm *tpm, tk_sess *s);

/* The connection's salted session, loaded; NULL in *out when encryption
 * is off. */
TSS2_RC tk_session_get(tk_tpm *tpm, tk_sess **out);
/* The attributes to send for the connection's session on a command:
 * `attrs` without TK_SESSION_LAST, with continueSession set unless the
 * command is its operation's last (TK_SESSION_LAST) and the session would
 * not outlive the operation anyway (a connection's first operation, or a
 * session salted to a persisted primary without a resource manager): the
 * TPM then ends the session with the command, and no ContextSave or
 * FlushContext is sent for it. */
TPMA_SESSION tk_session_attrs(const tk_tpm *tpm, TPMA_SESSION attrs);
/* Attach the connection's salted session to a command that authorizes no
 * entity, with `attrs` (ENCRYPT or AUDIT, and TK_SESSION_LAST): the TPM's
 * response HMAC then vouches for the answer. Nothing is attached when
 * encryption is off. */
TSS2_RC tk_session_attach(tk_tpm *tpm, tk_call *call, TPMA_SESSION attrs);
/* Add the authorization of a command's entity with password `auth`: the
 * salted session (an HMAC, so the password never crosses the bus) with
 * parameter encryption `attrs`, or the password itself when encryption
 * is off. */
TSS2_RC tk_session_auth(tk_tpm *tpm, tk_call *call, const TPM2B_AUTH *auth,
                        TPMA_SESSION attrs);
/* After an operation: context-save the session when `park` is set (end it
 * instead when `unsaved`). */
void tk_session_park(tk_tpm *tpm, int unsaved);
/* Forget the session: flush it (loaded or parked) if `flush`. */
void tk_session_drop(tk_tpm *tpm, int flush);

#endif
