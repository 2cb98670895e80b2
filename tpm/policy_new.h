/* SPDX-License-Identifier: Apache-2.0 */
/* The policy of a new TPM object, from the two options genpkey
 * (-pkeyopt pcr-policy:BANK:LIST, pcr-values:FILE, policy-signer:FILE) and
 * tpmkit-key seal and wrap (--pcr-policy, --pcr-values, --policy-signer)
 * share: its steps (the key
 * file's policy field), the digest its authPolicy is set to, and the first
 * signed policy when the signer's private key is at hand. One place, so
 * that a key and a sealed file made with the same options get the same
 * policy. */
#ifndef TK_TPM_POLICY_NEW_H
#define TK_TPM_POLICY_NEW_H

#include <openssl/types.h>

#include "policy.h"

typedef struct tk_tpm_new_policy {
    tk_tpm_policy_step steps[2]; /* PolicyPCR or PolicyAuthorize, then
                                  * PolicyAuthValue with a password */
    size_t count;
    unsigned char digest[TK_TPM_POLICY_DIGEST_LEN];
    tk_tpm_policy_step approved[2]; /* a first signed policy: PolicyPCR,
                                     * then the signer's PolicyAuthorize */
    size_t approved_count;
} tk_tpm_new_policy;

/* The signer: a PEM private key (*is_private 1), else a PEM public key
 * (RSA or EC), read in `libctx`. NULL with an error naming the file. */
EVP_PKEY *tk_tpm_policy_signer_read(OSSL_LIB_CTX *libctx, const char *path,
                                    int *is_private);

/* The options a new object's policy is made from; NULL: not given. */
typedef struct tk_tpm_new_policy_opts {
    const char *pcr_spec;   /* pcr-policy: "BANK:LIST" */
    const char *pcr_values; /* pcr-values: a file of the PCRs' values (the
                             * format of tpm2_pcrread -o), instead of their
                             * values now; only with pcr_spec */
    const char *signer;     /* policy-signer: a PEM file */
    int with_password;      /* a PolicyAuthValue step at the end */
} tk_tpm_new_policy_opts;

/* Build the policy; 1 with out->count 0 when neither pcr_spec nor signer
 * is given. The TPM is read (TPM2_PCR_Read) only with a pcr_spec and no
 * pcr_values: otherwise no TPM is needed (tpm may then be NULL). pcr_spec
 * with a signer is the first signed policy, which needs the signer's
 * private key. OpenSSL work happens in `libctx`. */
int tk_tpm_new_policy_build(tk_tpm *tpm, OSSL_LIB_CTX *libctx,
                            const tk_tpm_new_policy_opts *opts,
                            tk_tpm_new_policy *out);
void tk_tpm_new_policy_clear(tk_tpm_new_policy *pol);

#endif
