/* SPDX-License-Identifier: Apache-2.0 */
/* Authorizing one command with a key: the key's password through the
 * salted session, or, for keys that only accept their policy, a fresh
 * policy session in which the key file's policy commands are replayed
 * (policy_replay.c), a PolicyAuthorize step through the key's signed
 * policies (policy_authorize.c). */
#include <string.h>
#include <openssl/crypto.h>

#include "authorize.h"
#include "da_lockout.h"
#include "keyobj.h"
#include "policy_authorize.h"
#include "policy_replay.h"
#include "session.h"
#include "state.h"
#include "../provider/errors.h"

static TSS2_RC start_policy(tk_tpm *tpm, tk_tpm_key *key, tk_sess *policy)
{
    const tk_tpm_policy_step *steps;
    size_t count = tk_tpm_key_policy(key, &steps);
    TSS2_RC rc;

    /* Salted like the main session, so PolicyAuthValue's HMAC does not
     * expose a weak password to offline guessing. */
    rc = tk_sess_start(tpm, TPM2_SE_POLICY, tk_key_name_alg(key), tpm->encrypt,
                       policy);
    if (rc != TSS2_RC_SUCCESS)
        return tk_fail(tpm, rc, TK_R_SESSION_FAILED,
                       "starting a policy session");
    for (size_t i = 0; i < count && rc == TSS2_RC_SUCCESS; i++) {
        /* A signed policy's step records its own failure. */
        if (steps[i].code == TPM2_CC_PolicyAuthorize)
            rc = tk_policy_authorize(tpm, key, policy, &steps[i]);
        else if ((rc = tk_policy_replay_step(tpm, policy, &steps[i],
                                             tk_key_auth(key)))
                 != TSS2_RC_SUCCESS)
            tk_policy_step_fail(tpm, rc, &steps[i]);
    }
    if (rc != TSS2_RC_SUCCESS)
        tk_sess_flush(tpm, policy);
    return rc;
}

/* The loaded key as the command's handle, with the name tpmkit computed. */
static TSS2_RC tk_key_call_handle(tk_tpm *tpm, tk_tpm_key *key, tk_call *call,
                                  ESYS_TR tr, TPM2_HANDLE *handle)
{
    const TPM2B_NAME *name = tk_key_name(&tpm->conn.crypto, key);
    TSS2_RC rc;

    if (name == NULL)
        return tk_call_handle(tpm, call, tr, handle);
    rc = Esys_TR_GetTpmHandle(tpm->conn.esys, tr, handle);
    if (rc != TSS2_RC_SUCCESS)
        return tk_fail(tpm, rc, TK_R_INTERNAL, "key handle");
    tk_call_handle_named(call, *handle, name);
    return TSS2_RC_SUCCESS;
}

TSS2_RC tk_key_authorize(tk_tpm *tpm, tk_tpm_key *key, TPMA_SESSION attrs,
                         tk_call *call, TPM2_HANDLE *handle)
{
    /* What the command needs of the salted session (parameter
     * encryption), whether or not it is its operation's last. */
    TPMA_SESSION crypt = attrs & ~TK_SESSION_LAST;
    tk_sess *enc = NULL;
    ESYS_TR tr;
    TSS2_RC rc;

    /* Sessions first: salting one loads the primary, which may take the
     * key's object slot. */
    if (!tk_key_needs_policy(key)) {
        /* An empty password and a command whose parameters are not secret
         * (a signature of a digest): the salted session would protect
         * nothing. */
        if (crypt == 0 && !tk_key_has_password(key))
            tk_call_auth_add(call, NULL, NULL, 0);
        else if ((rc = tk_session_auth(tpm, call, tk_key_auth(key), attrs))
                 != TSS2_RC_SUCCESS)
            return rc;
    } else {
        if (crypt != 0 && (rc = tk_session_get(tpm, &enc)) != TSS2_RC_SUCCESS)
            return rc;
        if ((rc = start_policy(tpm, key, &call->policy)) != TSS2_RC_SUCCESS)
            return rc;
        /* Used once: the TPM flushes it after the command it authorizes. */
        tk_call_auth_add(call, &call->policy, tk_key_auth(key), 0);
        if (enc != NULL)
            tk_call_auth_add(call, enc, NULL, tk_session_attrs(tpm, attrs));
    }
    rc = tk_key_load(tpm, key, &tr);
    if (rc == TSS2_RC_SUCCESS)
        rc = tk_key_call_handle(tpm, key, call, tr, handle);
    if (rc != TSS2_RC_SUCCESS)
        tk_key_authorize_end(tpm, call, rc);
    return rc;
}

/* A wrong password must read as such; it is never retried (lockout). */
TSS2_RC tk_key_op_fail(tk_tpm *tpm, TSS2_RC rc, const char *what)
{
    TSS2_RC base = rc & ~(TSS2_RC)(TPM2_RC_N_MASK);

    if (tk_rc_is_auth_failure(rc))
        return tk_fail(tpm, rc, TK_R_AUTH_FAILED,
                       "authorizing the key (wrong password?)");
    if (base == TPM2_RC_POLICY_FAIL || base == TPM2_RC_PCR_CHANGED)
        return tk_fail(tpm, rc, TK_R_AUTH_FAILED,
                       "satisfying the key's authorization policy (PCR"
                       " values changed?)");
    if (rc == TPM2_RC_LOCKOUT)
        return tk_da_lockout_fail(tpm, rc, TK_R_AUTH_FAILED,
                                  "authorizing the key");
    return tk_fail(tpm, rc, TK_R_TPM_COMMAND_FAILED, what);
}

void tk_key_authorize_end(tk_tpm *tpm, tk_call *call, TSS2_RC rc)
{
    /* The call holds copies of the key's password. */
    OPENSSL_cleanse(call->auths, sizeof(call->auths));
    if (call->policy.handle == 0)
        return;
    /* The TPM consumed the policy session if the command succeeded. */
    if (rc != TSS2_RC_SUCCESS)
        tk_sess_flush(tpm, &call->policy);
    memset(&call->policy, 0, sizeof(call->policy));
}
