/* SPDX-License-Identifier: Apache-2.0 */
/* TPM2_Create (create.h). */
#include <string.h>
#include <openssl/crypto.h>

#include "create.h"
#include "keyobj.h"
#include "run.h"
#include "session.h"
#include "state.h"
#include "../provider/errors.h"

TSS2_RC tk_create_object(tk_tpm *tpm, uint32_t parent,
                         const TPM2B_AUTH *parent_auth,
                         const TPM2B_SENSITIVE_CREATE *sensitive,
                         const TPM2B_PUBLIC *tmpl, int need_encryption,
                         const char *what, TPM2B_PUBLIC *out_pub,
                         TPM2B_PRIVATE *out_priv)
{
    TPM2B_DATA outside = { 0 };
    TPML_PCR_SELECTION pcrs = { 0 };
    /* SYS unmarshals nested sized structures only into zeroed ones. */
    TPM2B_CREATION_DATA creation_data = { 0 };
    TPM2B_DIGEST creation_hash = { 0 };
    TPMT_TK_CREATION creation_ticket = { 0 };
    TPM2_HANDLE parent_handle;
    ESYS_TR handle;
    tk_call call;
    TSS2_RC rc;

    /* Session first: starting it may park the primary we are about to use.
     * DECRYPT: the first parameter, the sensitive area, is encrypted. */
    tk_call_init(&call);
    rc = tk_session_auth(tpm, &call, parent_auth, TPMA_SESSION_DECRYPT);
    if (rc == TSS2_RC_SUCCESS && need_encryption && call.auths[0].sess == NULL)
        rc = tk_failf(tpm, TSS2_ESYS_RC_BAD_VALUE, TK_R_NOT_SUPPORTED,
                      "creating %s without session encryption would"
                      " send its data in clear: refused",
                      what);
    if (rc == TSS2_RC_SUCCESS)
        rc = tk_parent_get(tpm, parent, parent_auth, &handle);
    if (rc != TSS2_RC_SUCCESS) {
        OPENSSL_cleanse(&call, sizeof(call));
        return rc;
    }
    rc = tk_call_handle(tpm, &call, handle, &parent_handle);
    if (rc == TSS2_RC_SUCCESS)
        rc = Tss2_Sys_Create_Prepare(tpm->conn.sys, parent_handle, sensitive,
                                     tmpl, &outside, &pcrs);
    /* The watchdog gives TPM2_Create the key-creation limit
     * (tcti_deadline.c). */
    if (rc == TSS2_RC_SUCCESS)
        rc = tk_call_run(tpm, &call, TPM2_CC_Create);
    memset(out_pub, 0, sizeof(*out_pub));
    if (rc == TSS2_RC_SUCCESS)
        rc = Tss2_Sys_Create_Complete(tpm->conn.sys, out_priv, out_pub,
                                      &creation_data, &creation_hash,
                                      &creation_ticket);
    OPENSSL_cleanse(&call, sizeof(call));
    if (rc != TSS2_RC_SUCCESS)
        tk_failf(tpm, rc, TK_R_TPM_COMMAND_FAILED, "TPM2_Create of %s", what);
    tk_parent_release(tpm, parent, &handle);
    return rc;
}
