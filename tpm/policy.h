/* SPDX-License-Identifier: Apache-2.0 */
/* Policies tpmkit makes for new keys and for key files: a PCR binding
 * (PolicyPCR over given PCR values or the current ones), a password proven
 * in the policy session (PolicyAuthValue) and a signed policy
 * (PolicyAuthorize by a software signing key). Steps are key-file
 * TPMPolicy entries: a command code and the command's parameters after
 * the policy session handle, in TPM 2.0 Part 3 order. Digests are
 * SHA-256, the name algorithm of the keys tpmkit creates. No tss2 type
 * crosses this interface. */
#ifndef TK_TPM_POLICY_H
#define TK_TPM_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/types.h>

#include "key.h"

#define TK_TPM_POLICY_DIGEST_LEN 32
#define TK_TPM_CC_POLICY_AUTHORIZE 0x16au
#define TK_TPM_CC_POLICY_AUTH_VALUE 0x16bu
#define TK_TPM_CC_POLICY_PCR 0x17fu

/* A PCR selection in one bank. */
typedef struct tk_tpm_pcr_sel {
    int hash_nid;  /* the bank: NID_sha1, NID_sha256, NID_sha384, NID_sha512 */
    uint32_t mask; /* bit n set: PCR n (0-23) */
} tk_tpm_pcr_sel;

/* pcr.c: parse "BANK:LIST" (bank sha1/sha256/sha384/sha512; LIST PCR
 * numbers 0-23 or ranges A-B, separated by commas). 0 and an error naming
 * the bad part otherwise. Does not touch the TPM. */
int tk_tpm_pcr_parse(const char *spec, tk_tpm_pcr_sel *out);
/* The most PCR values a selection takes: 24 PCRs of a SHA-512 bank. */
#define TK_TPM_PCR_VALUES_MAX (24 * 64)

/* pcr.c: how many bytes the values of the selected PCRs take (one digest
 * of the bank each), and the bank's digest size in *digest_len. 0 for an
 * unknown bank. */
size_t tk_tpm_pcr_values_len(const tk_tpm_pcr_sel *sel, size_t *digest_len);
/* pcr.c: a PolicyPCR step binding to the given values of the selected
 * PCRs: `values` holds them concatenated in ascending PCR order (the
 * format of tpm2_pcrread -o), `len` must be tk_tpm_pcr_values_len. No
 * TPM: pcrDigest = SHA-256 of the values, computed in `libctx`.
 * step->params is OPENSSL_malloc'd (tk_tpm_policy_step_clear). */
int tk_tpm_pcr_policy_step_values(OSSL_LIB_CTX *libctx,
                                  const tk_tpm_pcr_sel *sel,
                                  const unsigned char *values, size_t len,
                                  tk_tpm_policy_step *step);
/* pcr.c: the same over the selected PCRs' values now, read with
 * TPM2_PCR_Read. */
int tk_tpm_pcr_policy_step(tk_tpm *tpm, const tk_tpm_pcr_sel *sel,
                           tk_tpm_policy_step *step);
/* pcr_file.c: the PolicyPCR step of a PCR policy option: `spec` is
 * "BANK:LIST" (tk_tpm_pcr_parse); with `values_path` the values come from
 * that file, which must hold exactly tk_tpm_pcr_values_len bytes (else an
 * error naming the file and both sizes), and no TPM is needed (tpm may be
 * NULL); without it they are the PCRs' current values in `tpm`. */
int tk_tpm_pcr_policy_step_spec(tk_tpm *tpm, OSSL_LIB_CTX *libctx,
                                const char *spec, const char *values_path,
                                tk_tpm_policy_step *step);

/* policy_digest.c: the policy digest the TPM will compute for these steps
 * (starting from zeros). Knows PolicyPCR (with its pcrDigest),
 * PolicyAuthValue, PolicyPassword and PolicyAuthorize; anything else is an
 * error naming the command. */
int tk_tpm_policy_digest(OSSL_LIB_CTX *libctx, const tk_tpm_policy_step *steps,
                         size_t count,
                         unsigned char digest[TK_TPM_POLICY_DIGEST_LEN]);
/* A PolicyAuthValue step (no parameters; params is an owned empty buffer). */
int tk_tpm_policy_auth_value_step(tk_tpm_policy_step *step);
void tk_tpm_policy_step_clear(tk_tpm_policy_step *step);

/* policy_signer.c: the PolicyAuthorize step for a software signer (an RSA
 * or EC key; its public part is what is used): the signer's public area as
 * TPM2_LoadExternal loads it, an empty policyRef and a NULL signature — the
 * form of the step in a key file's policy field. */
int tk_tpm_policy_authorize_step(OSSL_LIB_CTX *libctx, EVP_PKEY *signer,
                                 tk_tpm_policy_step *step);
/* Does a PolicyAuthorize step name this signer? 1 yes, 0 no (no error). */
int tk_tpm_policy_step_signer_is(OSSL_LIB_CTX *libctx,
                                 const tk_tpm_policy_step *step,
                                 EVP_PKEY *signer);
/* policy_signer.c: approve `steps` with the signer's private key: the
 * PolicyAuthorize step that ends a signed policy (authPolicy entry), whose
 * signature is over SHA-256(policyDigest(steps) || policyRef), policyRef
 * empty. RSA keys sign RSASSA-PKCS1-v1_5, EC keys ECDSA, both SHA-256. */
int tk_tpm_policy_sign(OSSL_LIB_CTX *libctx, EVP_PKEY *signer,
                       const tk_tpm_policy_step *steps, size_t count,
                       tk_tpm_policy_step *out);
/* A signer elsewhere (a TPM key): `sign` signs a SHA-256 digest with the
 * key whose public part is `signer`, RSASSA-PKCS1-v1_5 (the modulus-sized
 * signature) or ECDSA (r||s, each padded to the field size); *raw_len is
 * the room in raw, then the length written. */
typedef int (*tk_tpm_policy_sign_fn)(void *arg, const unsigned char *digest,
                                     size_t dlen, unsigned char *raw,
                                     size_t *raw_len);
int tk_tpm_policy_sign_by(OSSL_LIB_CTX *libctx, EVP_PKEY *signer,
                          tk_tpm_policy_sign_fn sign, void *arg,
                          const tk_tpm_policy_step *steps, size_t count,
                          tk_tpm_policy_step *out);

/* policy_tpm_signer.c: a TPM key as policy signer (an unrestricted RSA or
 * EC signing key, its password and policies set). Its public key as an
 * EVP_PKEY in libctx (for tk_tpm_policy_authorize_step and
 * tk_tpm_policy_step_signer_is; NULL with an error if it cannot sign
 * policies), and the approval of `steps` with a signature the TPM makes
 * (TPM2_Sign: RSASSA or ECDSA, SHA-256): the same step tk_tpm_policy_sign
 * makes with a software key. */
EVP_PKEY *tk_tpm_policy_signer_public(OSSL_LIB_CTX *libctx,
                                      const tk_tpm_key *signer);
int tk_tpm_policy_sign_tpm(OSSL_LIB_CTX *libctx, tk_tpm_key *signer,
                           const tk_tpm_policy_step *steps, size_t count,
                           tk_tpm_policy_step *out);

#endif
