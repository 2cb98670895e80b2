/* SPDX-License-Identifier: Apache-2.0 */
/* Signed policies in key files, for key tools: approving a new PCR policy
 * for an existing key (what `tpmkit-key policy add --key KEY.pem --signer
 * SIGNER.pem --pcr-policy SPEC [--name TEXT]` does) without re-creating
 * the key. Works on a decoded key file (keyfile.h); the caller reads and
 * writes the file. */
#ifndef TK_KEYFILE_POLICY_H
#define TK_KEYFILE_POLICY_H

#include <openssl/types.h>

#include "keyfile.h"
#include "../tpm/tpm.h"

/* Add a signed policy binding the key to the PCRs of `pcr_spec`
 * ("BANK:LIST", as genpkey's pcr-policy) at their values now, read from
 * `tpm`: the steps PolicyPCR, then PolicyAuthorize with the signature of
 * `signer` (a software RSA or EC private key, read with `libctx`) over
 * SHA-256(policyDigest || policyRef), policyRef empty. The key's policy
 * must have a PolicyAuthorize step naming this signer (the key was made
 * with -pkeyopt policy-signer:SIGNER.pem), else nothing changes and the
 * error says so. The new policy goes first in authPolicy, so that it is
 * tried first; older ones stay (remove them by rewriting the list). `name`
 * (UTF-8, may be NULL) labels it in error messages. 1 on success. */
int tk_keyfile_add_signed_pcr_policy(tk_tpm *tpm, OSSL_LIB_CTX *libctx,
                                     tk_keyfile *kf, EVP_PKEY *signer,
                                     const char *pcr_spec, const char *name);

#endif
