/* SPDX-License-Identifier: Apache-2.0 */
/* Signed policies at use (policy_authorize.h). */
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_sys.h>

#include "keyobj.h"
#include "policy_authorize.h"
#include "policy_replay.h"
#include "pubinfo.h"
#include "state.h"
#include "../provider/errors.h"

/* A PolicyAuthorize step's parameters: keySign, policyRef, signature. */
struct approval {
    TPM2B_PUBLIC pub;
    TPM2B_DIGEST ref;
    TPMT_SIGNATURE sig;
};

static int parse_approval(const tk_tpm_policy_step *step, struct approval *a)
{
    size_t off = 0;

    memset(a, 0, sizeof(*a));
    return Tss2_MU_TPM2B_PUBLIC_Unmarshal(step->params, step->len, &off,
                                          &a->pub)
               == TSS2_RC_SUCCESS
           && Tss2_MU_TPM2B_DIGEST_Unmarshal(step->params, step->len, &off,
                                             &a->ref)
                  == TSS2_RC_SUCCESS
           && Tss2_MU_TPMT_SIGNATURE_Unmarshal(step->params, step->len, &off,
                                               &a->sig)
                  == TSS2_RC_SUCCESS
           && off == step->len;
}

/* The signature's hash (all TPMU_SIGNATURE members start with it). */
static TPMI_ALG_HASH sig_hash(const TPMT_SIGNATURE *sig)
{
    switch (sig->sigAlg) {
    case TPM2_ALG_RSASSA:
    case TPM2_ALG_RSAPSS:
        return sig->signature.rsassa.hash;
    case TPM2_ALG_ECDSA:
        return sig->signature.ecdsa.hash;
    default:
        return TPM2_ALG_NULL;
    }
}

static int same_signer(const struct approval *a, const struct approval *b)
{
    unsigned char x[sizeof(TPM2B_PUBLIC)], y[sizeof(TPM2B_PUBLIC)];
    size_t xl = 0, yl = 0;

    return Tss2_MU_TPM2B_PUBLIC_Marshal(&a->pub, x, sizeof(x), &xl)
               == TSS2_RC_SUCCESS
           && Tss2_MU_TPM2B_PUBLIC_Marshal(&b->pub, y, sizeof(y), &yl)
                  == TSS2_RC_SUCCESS
           && xl == yl && memcmp(x, y, xl) == 0;
}

/* The session's digest now, approved by `a`'s signature. *what names the
 * command that failed. */
static TSS2_RC approve(tk_tpm *tpm, tk_sess *policy, struct approval *a,
                       const char **what)
{
    TPM2B_DIGEST approved = { 0 }, ahash = { 0 };
    TPM2B_NAME name = { 0 };
    TPMT_TK_VERIFIED ticket = { 0 };
    TPM2_HANDLE handle = 0;
    EVP_MD *md;
    unsigned int len = 0;
    EVP_MD_CTX *ctx;
    TSS2_RC rc;
    int ok;

    *what = "TPM2_PolicyGetDigest";
    rc = Tss2_Sys_PolicyGetDigest(tpm->conn.sys, policy->handle, NULL,
                                  &approved, NULL);
    if (rc != TSS2_RC_SUCCESS)
        return rc;
    *what = "hashing the approved policy";
    md = EVP_MD_fetch(tpm->crypto_ctx,
                      OBJ_nid2sn(tk_tpm_hash_nid(sig_hash(&a->sig))), NULL);
    ctx = EVP_MD_CTX_new();
    ok = md != NULL && ctx != NULL && EVP_DigestInit_ex(ctx, md, NULL)
         && EVP_DigestUpdate(ctx, approved.buffer, approved.size)
         && EVP_DigestUpdate(ctx, a->ref.buffer, a->ref.size)
         && EVP_DigestFinal_ex(ctx, ahash.buffer, &len);
    ahash.size = (UINT16)len;
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
    if (!ok)
        return TSS2_ESYS_RC_BAD_VALUE;
    /* The owner hierarchy: a key loaded under the null hierarchy yields a
     * null ticket, which PolicyAuthorize refuses. */
    *what = "TPM2_LoadExternal of the policy signer";
    for (;;) {
        rc = Tss2_Sys_LoadExternal(tpm->conn.sys, NULL, NULL, &a->pub,
                                   TPM2_RH_OWNER, &handle, &name, NULL);
        if (rc == TPM2_RC_OBJECT_MEMORY && tk_keys_make_room(tpm))
            continue;
        break;
    }
    if (rc != TSS2_RC_SUCCESS)
        return rc;
    *what = "TPM2_VerifySignature of the signed policy";
    rc = Tss2_Sys_VerifySignature(tpm->conn.sys, handle, NULL, &ahash, &a->sig,
                                  &ticket, NULL);
    Tss2_Sys_FlushContext(tpm->conn.sys, handle);
    if (rc != TSS2_RC_SUCCESS)
        return rc;
    *what = "TPM2_PolicyAuthorize";
    return Tss2_Sys_PolicyAuthorize(tpm->conn.sys, policy->handle, NULL,
                                    &approved, &a->ref, &name, &ticket, NULL);
}

/* Worth trying the next signed policy after this failure? Not when the
 * TPM is gone, busy or lost our session: the operation is retried whole. */
static int try_next(TSS2_RC rc)
{
    enum tk_rc_class c = tk_rc_classify(rc);

    return c == TK_RC_OK || c == TK_RC_FATAL;
}

TSS2_RC tk_policy_authorize(tk_tpm *tpm, tk_tpm_key *key, tk_sess *policy,
                            const tk_tpm_policy_step *step)
{
    const tk_tpm_signed_policy *sp;
    size_t count = tk_tpm_key_signed_policies(key, &sp), tried = 0;
    struct approval want, a;
    char last[160] = "";
    TSS2_RC rc = TSS2_RC_SUCCESS;

    if (!parse_approval(step, &want))
        return tk_fail(tpm, TSS2_ESYS_RC_BAD_VALUE, TK_R_BAD_KEY,
                       "the key's PolicyAuthorize step is malformed");
    for (size_t i = 0; i < count; i++) {
        const tk_tpm_policy_step *fin = &sp[i].steps[sp[i].count - 1];
        const char *what = NULL;
        size_t j;

        if (!parse_approval(fin, &a) || !same_signer(&want, &a)
            || a.sig.sigAlg == TPM2_ALG_NULL) {
            snprintf(last, sizeof(last),
                     "signed policy %zu is not signed by the key's"
                     " policy signer",
                     i + 1);
            continue;
        }
        if (tried++ > 0
            && (rc = tk_policy_restart(tpm, policy)) != TSS2_RC_SUCCESS)
            return tk_fail(tpm, rc, TK_R_AUTH_FAILED, "TPM2_PolicyRestart");
        for (j = 0, rc = TSS2_RC_SUCCESS; j + 1 < sp[i].count; j++) {
            if (sp[i].steps[j].code == TPM2_CC_PolicyAuthorize) {
                rc = TSS2_ESYS_RC_BAD_VALUE;
                what = "a nested PolicyAuthorize (not supported)";
                break;
            }
            if ((rc = tk_policy_replay_step(tpm, policy, &sp[i].steps[j],
                                            tk_key_auth(key)))
                != TSS2_RC_SUCCESS) {
                what = sp[i].steps[j].code == TPM2_CC_PolicyPCR
                           ? "TPM2_PolicyPCR (PCR values differ)"
                           : "a policy command";
                break;
            }
        }
        if (rc == TSS2_RC_SUCCESS)
            rc = approve(tpm, policy, &a, &what);
        if (rc == TSS2_RC_SUCCESS)
            return rc;
        if (!try_next(rc))
            return tk_fail(tpm, rc, TK_R_AUTH_FAILED, what);
        snprintf(last, sizeof(last), "signed policy %zu%s%s%s: %s (0x%x)",
                 i + 1, sp[i].name != NULL ? " \"" : "",
                 sp[i].name != NULL ? sp[i].name : "",
                 sp[i].name != NULL ? "\"" : "", what, (unsigned)rc);
    }
    if (count == 0)
        return tk_fail(tpm, TSS2_ESYS_RC_BAD_VALUE, TK_R_AUTH_FAILED,
                       "the key is usable only through signed policies and"
                       " its key file has none: add one (tpmkit-key policy"
                       " add)");
    return tk_failf(tpm, rc != TSS2_RC_SUCCESS ? rc : TSS2_ESYS_RC_BAD_VALUE,
                    TK_R_AUTH_FAILED,
                    "no signed policy matches the current PCR values (%zu"
                    " tried; last: %s)",
                    tried, last);
}
