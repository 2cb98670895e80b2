/* SPDX-License-Identifier: Apache-2.0 */
/* PolicyNV steps (policy_nv.h). */
#include <string.h>
#include <openssl/crypto.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_sys.h>

#include "policy_hmac.h"
#include "policy_nv.h"
#include "state.h"
#include "../provider/errors.h"

int tk_policy_nv_parse(const tk_tpm_policy_step *step, tk_policy_nv *out)
{
    size_t off = 0;

    memset(out, 0, sizeof(*out));
    if (Tss2_MU_UINT32_Unmarshal(step->params, step->len, &off, &out->index)
            != TSS2_RC_SUCCESS
        || Tss2_MU_TPM2B_NAME_Unmarshal(step->params, step->len, &off,
                                        &out->name)
               != TSS2_RC_SUCCESS
        || Tss2_MU_TPM2B_OPERAND_Unmarshal(step->params, step->len, &off,
                                           &out->operand)
               != TSS2_RC_SUCCESS
        || Tss2_MU_UINT16_Unmarshal(step->params, step->len, &off, &out->offset)
               != TSS2_RC_SUCCESS
        || Tss2_MU_UINT16_Unmarshal(step->params, step->len, &off,
                                    &out->operation)
               != TSS2_RC_SUCCESS
        || off != step->len) {
        tk_raise(TK_R_BAD_KEY,
                 "the key's PolicyNV step is malformed (tpmkit reads it as"
                 " the NV index handle, its TPM2B_NAME, then operandB,"
                 " offset and operation)");
        return 0;
    }
    if ((out->index >> 24) != TPM2_HT_NV_INDEX || out->name.size <= 4) {
        tk_raise(TK_R_BAD_KEY,
                 "the key's PolicyNV step names 0x%08x, not an NV index"
                 " with its hashed name",
                 (unsigned)out->index);
        return 0;
    }
    if (out->operation > TPM2_EO_BITCLEAR) {
        tk_raise(TK_R_BAD_KEY,
                 "the key's PolicyNV step has an unknown comparison 0x%x",
                 (unsigned)out->operation);
        return 0;
    }
    return 1;
}

static TSS2_RC nv_call(tk_tpm *tpm, tk_sess *policy, tk_sess *hmac,
                       const tk_policy_nv *nv)
{
    TPM2B_NAME session_name;
    tk_call call;
    TSS2_RC rc;

    tk_policy_session_name(policy, &session_name);
    tk_call_init(&call);
    /* authHandle is the index itself: AUTHREAD, empty password. */
    tk_call_auth_add(&call, hmac, NULL, TPMA_SESSION_CONTINUESESSION);
    tk_call_handle_named(&call, nv->index, &nv->name);
    tk_call_handle_named(&call, nv->index, &nv->name);
    tk_call_handle_named(&call, policy->handle, &session_name);
    rc = Tss2_Sys_PolicyNV_Prepare(tpm->conn.sys, nv->index, nv->index,
                                   policy->handle, &nv->operand, nv->offset,
                                   nv->operation);
    if (rc == TSS2_RC_SUCCESS)
        rc = tk_call_run(tpm, &call, TPM2_CC_PolicyNV);
    if (rc == TSS2_RC_SUCCESS)
        rc = Tss2_Sys_PolicyNV_Complete(tpm->conn.sys);
    OPENSSL_cleanse(&call, sizeof(call));
    return rc;
}

TSS2_RC tk_policy_nv_run(tk_tpm *tpm, tk_sess *policy, const tk_policy_nv *nv)
{
    tk_sess own, *hmac = NULL;
    TSS2_RC rc = tk_policy_hmac_begin(tpm, &own, &hmac);

    if (rc == TSS2_RC_SUCCESS)
        rc = nv_call(tpm, policy, hmac, nv);
    tk_policy_hmac_end(tpm, &own);
    return rc;
}
