/* SPDX-License-Identifier: Apache-2.0 */
/* PolicySigned steps (policy_signed.h). */
#include <string.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_sys.h>

#include "keyobj.h"
#include "policy_signed.h"
#include "state.h"
#include "../provider/errors.h"

static int bad_step(const char *why)
{
    tk_raise(TK_R_BAD_KEY,
             "the key's PolicySigned step is malformed: %s (tpmkit reads it"
             " as the signer's TPM2B_PUBLIC, a TPM2B policyRef, then the"
             " TPMT_SIGNATURE)",
             why);
    return 0;
}

int tk_policy_signed_parse(const tk_tpm_policy_step *step,
                           tk_policy_signed *out)
{
    size_t off = 0;
    TPM2B_DIGEST ref = { 0 };

    memset(out, 0, sizeof(*out));
    if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(step->params, step->len, &off, &out->pub)
            != TSS2_RC_SUCCESS
        || Tss2_MU_TPM2B_DIGEST_Unmarshal(step->params, step->len, &off, &ref)
               != TSS2_RC_SUCCESS
        || Tss2_MU_TPMT_SIGNATURE_Unmarshal(step->params, step->len, &off,
                                            &out->sig)
               != TSS2_RC_SUCCESS
        || off != step->len || ref.size > sizeof(out->ref.buffer))
        return bad_step("cannot parse it");
    out->ref.size = ref.size;
    memcpy(out->ref.buffer, ref.buffer, ref.size);
    if (out->pub.publicArea.type != TPM2_ALG_RSA
        && out->pub.publicArea.type != TPM2_ALG_ECC)
        return bad_step("the signer is not an RSA or EC key");
    switch (out->sig.sigAlg) {
    case TPM2_ALG_RSASSA:
    case TPM2_ALG_RSAPSS:
        if (out->pub.publicArea.type != TPM2_ALG_RSA)
            return bad_step("an RSA signature by an EC signer");
        return 1;
    case TPM2_ALG_ECDSA:
        if (out->pub.publicArea.type != TPM2_ALG_ECC)
            return bad_step("an ECDSA signature by an RSA signer");
        return 1;
    case TPM2_ALG_NULL:
        return bad_step("it holds no signature");
    default:
        return bad_step("the signature is not RSASSA, RSAPSS or ECDSA");
    }
}

TSS2_RC tk_policy_signed_run(tk_tpm *tpm, tk_sess *policy,
                             const tk_policy_signed *s)
{
    TPM2B_PUBLIC pub = s->pub;
    TPMT_SIGNATURE sig = s->sig;
    TPM2B_NONCE nonce = { 0 };
    TPM2B_DIGEST cp_hash = { 0 }, ref = { 0 };
    TPM2B_NAME name = { 0 };
    TPM2B_TIMEOUT timeout = { 0 };
    TPMT_TK_AUTH ticket = { 0 };
    TPM2_HANDLE handle = 0;
    TSS2_RC rc;

    for (;;) {
        rc = Tss2_Sys_LoadExternal(tpm->conn.sys, NULL, NULL, &pub,
                                   TPM2_RH_NULL, &handle, &name, NULL);
        if (rc == TPM2_RC_OBJECT_MEMORY && tk_keys_make_room(tpm))
            continue;
        break;
    }
    if (rc != TSS2_RC_SUCCESS)
        return rc;
    ref.size = s->ref.size;
    memcpy(ref.buffer, s->ref.buffer, s->ref.size);
    rc = Tss2_Sys_PolicySigned(tpm->conn.sys, handle, policy->handle, NULL,
                               &nonce, &cp_hash, &ref, 0, &sig, &timeout,
                               &ticket, NULL);
    /* A failed flush leaves a slot taken: worth reporting over success. */
    {
        TSS2_RC frc = Tss2_Sys_FlushContext(tpm->conn.sys, handle);

        if (rc == TSS2_RC_SUCCESS)
            rc = frc;
    }
    return rc;
}
