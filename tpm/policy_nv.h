/* SPDX-License-Identifier: Apache-2.0 */
/* PolicyNV at use. The key-file draft gives no form for this step, and
 * the command's parameters alone do not say which NV index to compare:
 * tpmkit reads it as the draft's PolicySecret form suggests — TPM_HANDLE
 * nvIndex, TPM2B_NAME nvIndexName, then the command's parameters
 * (TPM2B_OPERAND operandB, UINT16 offset, TPM_EO operation). */
#ifndef TK_TPM_POLICY_NV_H
#define TK_TPM_POLICY_NV_H

#include "call.h"
#include "key.h"

typedef struct tk_policy_nv {
    TPM2_HANDLE index;
    TPM2B_NAME name; /* as the policy digest has it */
    TPM2B_OPERAND operand;
    UINT16 offset;
    TPM2_EO operation;
} tk_policy_nv;

/* Parse a PolicyNV step; 0 and an error saying what is wrong otherwise. */
int tk_policy_nv_parse(const tk_tpm_policy_step *step, tk_policy_nv *out);
/* TPM2_PolicyNV authorized by the NV index itself with its (empty)
 * password, through an HMAC session (policy_hmac.h). The caller holds the
 * connection lock. Returns the TPM's code; records no failure. */
TSS2_RC tk_policy_nv_run(tk_tpm *tpm, tk_sess *policy, const tk_policy_nv *nv);

#endif
