/* SPDX-License-Identifier: Apache-2.0 */
/* PolicySecret at use: the key-file step (draft-bottomley-tpm2-keys,
 * "TPM2_PolicySecret": TPM_HANDLE objectHandleHint, TPM2B_NAME objectName,
 * TPM2B_DIGEST policyRef; the hint may be 0) and the command, authorized
 * with the object's password through an HMAC session. */
#ifndef TK_TPM_POLICY_SECRET_H
#define TK_TPM_POLICY_SECRET_H

#include "call.h"
#include "key.h"

typedef struct tk_policy_secret {
    TPM2_HANDLE handle; /* the authorizing object */
    TPM2B_NAME name;    /* its name, as the policy digest has it */
    TPM2B_NONCE ref;    /* policyRef */
} tk_policy_secret;

/* Parse a PolicySecret step. The handle is the hint, or, without one, the
 * name of a permanent handle (which is the handle itself). 0 and an error
 * saying what is wrong otherwise; touches no TPM. */
int tk_policy_secret_parse(const tk_tpm_policy_step *step,
                           tk_policy_secret *out);
/* What the authorizing object is, for messages: "the owner hierarchy",
 * "NV index 0x01000001", "persistent object 0x81000001", ... */
const char *tk_policy_secret_what(TPM2_HANDLE handle, char *buf, size_t len);
/* TPM2_PolicySecret(handle, policy session, nonceTPM empty, cpHashA empty,
 * policyRef, expiration 0), `auth` proven by an HMAC: the connection's
 * salted session, or an unsalted one made for this command when session
 * encryption is off (the password never crosses the bus). The caller holds
 * the connection lock. Returns the TPM's code; records no failure. */
TSS2_RC tk_policy_secret_run(tk_tpm *tpm, tk_sess *policy,
                             const tk_policy_secret *s, const TPM2B_AUTH *auth);

#endif
