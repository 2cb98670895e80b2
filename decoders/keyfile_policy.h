/* SPDX-License-Identifier: Apache-2.0 */
/* Policies in key files, for key tools (tpmkit-key): a new object's policy
 * into its file (seal and wrap --pcr-policy, --pcr-values,
 * --policy-signer), and approving a new PCR policy for an existing key or
 * sealed file (`policy add`) or dropping one (`policy remove`) without
 * re-creating the object.
 * Works on a decoded key file (keyfile.h); the caller reads and writes the
 * file. */
#ifndef TK_KEYFILE_POLICY_H
#define TK_KEYFILE_POLICY_H

#include <openssl/types.h>

#include "keyfile.h"
#include "../tpm/policy_new.h"

/* Add a signed policy binding the key to the PCRs of `pcr_spec`
 * ("BANK:LIST", as genpkey's pcr-policy) at the values in the file
 * `pcr_values` (tpm2_pcrread -o's format; no TPM needed, tpm may be NULL
 * with a software signer) or, if it is NULL, at their values now, read
 * from `tpm`: the steps PolicyPCR, then PolicyAuthorize with the signature
 * of `signer` (a software RSA or EC private key, read with `libctx`; a TPM
 * key: tk_keyfile_add_signed_pcr_policy_tpm) over
 * SHA-256(policyDigest || policyRef), policyRef empty. The key's policy
 * must have a PolicyAuthorize step naming this signer (the key was made
 * with -pkeyopt policy-signer:SIGNER.pem), else nothing changes and the
 * error says so. The new policy goes first in authPolicy, so that it is
 * tried first; older ones stay (tk_keyfile_remove_signed_policies). `name`
 * (UTF-8, may be NULL) labels it; a name another signed policy of the
 * file has is refused, so that names pick one policy. 1 on success. */
int tk_keyfile_add_signed_pcr_policy(tk_tpm *tpm, OSSL_LIB_CTX *libctx,
                                     tk_keyfile *kf, EVP_PKEY *signer,
                                     const char *pcr_spec,
                                     const char *pcr_values, const char *name);

/* The same, signed by a TPM key (an unrestricted RSA or EC signing key,
 * loaded from its key file with its password and policies set): TPM2_Sign
 * makes the signature. The file must be bound to that key's public key. */
int tk_keyfile_add_signed_pcr_policy_tpm(tk_tpm *tpm, OSSL_LIB_CTX *libctx,
                                         tk_keyfile *kf, tk_tpm_key *signer,
                                         const char *pcr_spec,
                                         const char *pcr_values,
                                         const char *name);

/* Remove every signed policy called `name`; the number removed (0: none,
 * nothing changes). */
size_t tk_keyfile_remove_signed_policies(tk_keyfile *kf, const char *name);

/* A new object's policy (tpm/policy_new.h) into its empty key file: the
 * policy field's steps and, if approved, the first signed policy. */
int tk_keyfile_set_new_policy(tk_keyfile *kf, const tk_tpm_new_policy *pol);

#endif
