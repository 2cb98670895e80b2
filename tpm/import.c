/* SPDX-License-Identifier: Apache-2.0 */
/* Importable key files: a key duplicated to the parent's public key (an
 * outer wrapper under an encrypted seed). TPM2_Import, run on first use,
 * turns it into an ordinary private blob for this TPM; from then on it
 * loads like any key. Importing on use rather than when the file is read
 * lets a failure reach the user as the error of the operation. */
#include <string.h>
#include <openssl/crypto.h>
#include <tss2/tss2_mu.h>

#include "import.h"
#include "session.h"
#include "state.h"
#include "../provider/errors.h"

TSS2_RC tk_import_duplicate(tk_tpm *tpm, ESYS_TR parent,
                            const TPM2B_AUTH *parent_auth,
                            const TPM2B_PUBLIC *pub, const TPM2B_PRIVATE *dup,
                            const TPM2B_ENCRYPTED_SECRET *seed,
                            TPM2B_PRIVATE *out)
{
    TPM2B_DATA no_inner_key = { 0 };
    TPMT_SYM_DEF_OBJECT no_inner = { .algorithm = TPM2_ALG_NULL };
    TPM2_HANDLE handle;
    tk_call call;
    TSS2_RC rc;

    /* Nothing secret crosses for an Import but the parent's password. */
    tk_call_init(&call);
    rc = TSS2_RC_SUCCESS;
    if (parent_auth->size == 0)
        tk_call_auth_add(&call, NULL, NULL, 0);
    else
        rc = tk_session_auth(tpm, &call, parent_auth, 0);
    if (rc == TSS2_RC_SUCCESS)
        rc = tk_call_handle(tpm, &call, parent, &handle);
    if (rc == TSS2_RC_SUCCESS)
        rc = Tss2_Sys_Import_Prepare(tpm->conn.sys, handle, &no_inner_key, pub,
                                     dup, seed, &no_inner);
    if (rc == TSS2_RC_SUCCESS)
        rc = tk_call_run(tpm, &call, TPM2_CC_Import);
    if (rc == TSS2_RC_SUCCESS)
        rc = Tss2_Sys_Import_Complete(tpm->conn.sys, out);
    OPENSSL_cleanse(&call, sizeof(call));
    if (rc != TSS2_RC_SUCCESS) {
        tk_fail(tpm, rc, TK_R_BAD_KEY,
                "TPM2_Import of the importable key"
                " (was it made for this TPM's storage key?)");
    }
    return rc;
}

int tk_import_read_seed(const unsigned char *seed, size_t len,
                        TPM2B_ENCRYPTED_SECRET *out)
{
    size_t offset = 0;

    memset(out, 0, sizeof(*out));
    if (len >= 2 && (size_t)(seed[0] << 8 | seed[1]) == len - 2)
        return Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal(seed, len, &offset, out)
                   == TSS2_RC_SUCCESS
               && offset == len;
    if (len == 0 || len > sizeof(out->secret))
        return 0;
    out->size = (UINT16)len;
    memcpy(out->secret, seed, len);
    return 1;
}
