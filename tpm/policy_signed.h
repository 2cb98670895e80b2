/* SPDX-License-Identifier: Apache-2.0 */
/* PolicySigned at use, its signature stored in the key file. The key-file
 * draft gives no form for this step; tpmkit reads it as the draft's
 * PolicyAuthorize form: TPM2B_PUBLIC of the signer (as LoadExternal loads
 * it), TPM2B_DIGEST policyRef, TPMT_SIGNATURE over
 * aHash = H(nonceTPM (empty) || expiration (INT32 0) || cpHashA (empty)
 * || policyRef), H the signature's hash. Such a signature is not bound to
 * a session or a time: it is an approval the signer gave once. */
#ifndef TK_TPM_POLICY_SIGNED_H
#define TK_TPM_POLICY_SIGNED_H

#include "call.h"
#include "key.h"

typedef struct tk_policy_signed {
    TPM2B_PUBLIC pub;   /* the signer's public area */
    TPM2B_NONCE ref;    /* policyRef */
    TPMT_SIGNATURE sig; /* the signer's approval */
} tk_policy_signed;

/* Parse a PolicySigned step: the three fields, nothing after them, an
 * RSA or ECC signer and an RSASSA, RSAPSS or ECDSA signature. 0 and an
 * error saying what is wrong otherwise; touches no TPM. */
int tk_policy_signed_parse(const tk_tpm_policy_step *step,
                           tk_policy_signed *out);
/* TPM2_LoadExternal of the signer (null hierarchy: PolicySigned needs no
 * ticket), TPM2_PolicySigned(signer, policy session, nonceTPM empty,
 * cpHashA empty, policyRef, expiration 0, the signature), then the signer
 * flushed, whatever the outcome. The caller holds the connection lock.
 * Returns the TPM's code; records no failure. */
TSS2_RC tk_policy_signed_run(tk_tpm *tpm, tk_sess *policy,
                             const tk_policy_signed *s);

#endif
