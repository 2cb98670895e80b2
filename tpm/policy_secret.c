/* SPDX-License-Identifier: Apache-2.0 */
/* PolicySecret steps (policy_secret.h). */
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_sys.h>

#include "policy_secret.h"
#include "policy_hmac.h"
#include "state.h"
#include "../provider/errors.h"

static int bad_step(const char *why)
{
    tk_raise(TK_R_BAD_KEY,
             "the key's PolicySecret step is malformed: %s (it must be"
             " objectHandleHint, the object's TPM2B_NAME, a TPM2B policyRef)",
             why);
    return 0;
}

/* The handle a name of 4 bytes stands for (permanent handles). */
static TPM2_HANDLE name_handle(const TPM2B_NAME *name)
{
    const unsigned char *n = name->name;

    if (name->size != 4)
        return 0;
    return (TPM2_HANDLE)n[0] << 24 | (TPM2_HANDLE)n[1] << 16
           | (TPM2_HANDLE)n[2] << 8 | n[3];
}

int tk_policy_secret_parse(const tk_tpm_policy_step *step,
                           tk_policy_secret *out)
{
    size_t off = 0;
    uint32_t hint = 0;
    TPM2B_DIGEST ref = { 0 };

    memset(out, 0, sizeof(*out));
    if (Tss2_MU_UINT32_Unmarshal(step->params, step->len, &off, &hint)
            != TSS2_RC_SUCCESS
        || Tss2_MU_TPM2B_NAME_Unmarshal(step->params, step->len, &off,
                                        &out->name)
               != TSS2_RC_SUCCESS
        || Tss2_MU_TPM2B_DIGEST_Unmarshal(step->params, step->len, &off, &ref)
               != TSS2_RC_SUCCESS
        || off != step->len || ref.size > sizeof(out->ref.buffer))
        return bad_step("cannot parse it");
    out->ref.size = ref.size;
    memcpy(out->ref.buffer, ref.buffer, ref.size);
    out->handle = hint != 0 ? hint : name_handle(&out->name);
    switch (out->handle >> 24) {
    case TPM2_HT_PERMANENT:
        /* A permanent handle's name is the handle: anything else cannot
         * be what the policy was made with. */
        if (name_handle(&out->name) != out->handle)
            return bad_step("the name of a hierarchy must be its handle");
        return 1;
    case TPM2_HT_NV_INDEX:
    case TPM2_HT_PERSISTENT:
        if (out->name.size <= 4)
            return bad_step("an NV index or persistent object needs its"
                            " hashed name");
        return 1;
    default:
        return bad_step("no usable object handle (give objectHandleHint:"
                        " a hierarchy, an NV index or a persistent object)");
    }
}

const char *tk_policy_secret_what(TPM2_HANDLE handle, char *buf, size_t len)
{
    switch (handle) {
    case TPM2_RH_OWNER:
        return "the owner hierarchy";
    case TPM2_RH_ENDORSEMENT:
        return "the endorsement hierarchy";
    case TPM2_RH_PLATFORM:
        return "the platform hierarchy";
    case TPM2_RH_LOCKOUT:
        return "the lockout hierarchy";
    default:
        break;
    }
    snprintf(buf, len, "%s 0x%08x",
             (handle >> 24) == TPM2_HT_NV_INDEX     ? "NV index"
             : (handle >> 24) == TPM2_HT_PERSISTENT ? "persistent object"
                                                    : "object",
             (unsigned)handle);
    return buf;
}

static TSS2_RC secret_call(tk_tpm *tpm, tk_sess *policy, tk_sess *hmac,
                           const tk_policy_secret *s, const TPM2B_AUTH *auth)
{
    TPM2B_NONCE nonce = { 0 };
    TPM2B_DIGEST cp_hash = { 0 };
    TPM2B_NAME session_name;
    TPM2B_TIMEOUT timeout = { 0 };
    TPMT_TK_AUTH ticket = { 0 };
    tk_call call;
    TSS2_RC rc;

    tk_policy_session_name(policy, &session_name);
    tk_call_init(&call);
    tk_call_auth_add(&call, hmac, auth, TPMA_SESSION_CONTINUESESSION);
    tk_call_handle_named(&call, s->handle, &s->name);
    tk_call_handle_named(&call, policy->handle, &session_name);
    rc = Tss2_Sys_PolicySecret_Prepare(tpm->conn.sys, s->handle, policy->handle,
                                       &nonce, &cp_hash, &s->ref, 0);
    if (rc == TSS2_RC_SUCCESS)
        rc = tk_call_run(tpm, &call, TPM2_CC_PolicySecret);
    if (rc == TSS2_RC_SUCCESS)
        rc = Tss2_Sys_PolicySecret_Complete(tpm->conn.sys, &timeout, &ticket);
    OPENSSL_cleanse(&call, sizeof(call));
    return rc;
}

TSS2_RC tk_policy_secret_run(tk_tpm *tpm, tk_sess *policy,
                             const tk_policy_secret *s, const TPM2B_AUTH *auth)
{
    tk_sess own, *hmac = NULL;
    TSS2_RC rc = tk_policy_hmac_begin(tpm, &own, &hmac);

    if (rc == TSS2_RC_SUCCESS)
        rc = secret_call(tpm, policy, hmac, s, auth);
    tk_policy_hmac_end(tpm, &own);
    return rc;
}
