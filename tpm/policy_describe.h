/* SPDX-License-Identifier: Apache-2.0 */
/* Key-file policy steps in words, for people (tpmkit-key policy list):
 * the command's name and what it binds ("PolicyPCR sha256:16 digest
 * 1a2b…", "PolicyAuthorize signer 000b…"). No tss2 type crosses this
 * interface. */
#ifndef TK_TPM_POLICY_DESCRIBE_H
#define TK_TPM_POLICY_DESCRIBE_H

#include <stddef.h>
#include <openssl/types.h>

#include "key.h"

/* The policy command's name ("PolicyPCR"), or NULL if tpmkit does not know
 * it. */
const char *tk_tpm_policy_command_name(uint32_t code);
/* One line describing `step` into buf (always NUL-terminated; a step it
 * cannot read is described as malformed, never refused). */
void tk_tpm_policy_step_describe(OSSL_LIB_CTX *libctx,
                                 const tk_tpm_policy_step *step, char *buf,
                                 size_t len);
/* The TPM name (nameAlg || H(public area), hex) of the signer a
 * PolicyAuthorize step carries, as tpm2_loadexternal -n writes it. 0 if
 * the step is not one or its name algorithm is not SHA-256. */
int tk_tpm_policy_signer_name(OSSL_LIB_CTX *libctx,
                              const tk_tpm_policy_step *step, char *hex,
                              size_t len);

#endif
