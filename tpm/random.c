/* SPDX-License-Identifier: Apache-2.0 */
/* TPM2_GetRandom, in as many commands as the request needs. The response
 * carries the secret, so it travels encrypted when sessions are on. */
#include <string.h>
#include <openssl/crypto.h>

#include "run.h"
#include "session.h"
#include "state.h"
#include "../provider/errors.h"

struct random_request {
    unsigned char *out;
    size_t len;
    size_t done; /* survives a retry: bytes already delivered stay */
};

static TSS2_RC get_random(tk_tpm *tpm, void *arg)
{
    struct random_request *req = arg;
    TPM2B_DIGEST bytes;
    tk_call call;
    TSS2_RC rc;

    while (req->done < req->len) {
        size_t want = req->len - req->done;

        if (want > TK_TPM_RANDOM_CHUNK)
            want = TK_TPM_RANDOM_CHUNK;
        tk_call_init(&call);
        rc = tk_session_attach(
            tpm, &call,
            TPMA_SESSION_ENCRYPT
                | (req->done + want == req->len ? TK_SESSION_LAST : 0));
        if (rc != TSS2_RC_SUCCESS)
            return rc;
        rc = Tss2_Sys_GetRandom_Prepare(tpm->conn.sys, (UINT16)want);
        if (rc == TSS2_RC_SUCCESS)
            rc = tk_call_run(tpm, &call, TPM2_CC_GetRandom);
        if (rc == TSS2_RC_SUCCESS)
            rc = Tss2_Sys_GetRandom_Complete(tpm->conn.sys, &bytes);
        if (rc != TSS2_RC_SUCCESS)
            return tk_fail(tpm, rc, TK_R_TPM_COMMAND_FAILED, "TPM2_GetRandom");
        /* A TPM may return fewer bytes than asked: keep asking. */
        if (bytes.size == 0 || bytes.size > want) {
            OPENSSL_cleanse(&bytes, sizeof(bytes));
            return tk_fail(tpm, TSS2_ESYS_RC_MALFORMED_RESPONSE,
                           TK_R_TPM_COMMAND_FAILED, "TPM2_GetRandom");
        }
        memcpy(req->out + req->done, bytes.buffer, bytes.size);
        req->done += bytes.size;
        OPENSSL_cleanse(&bytes, sizeof(bytes));
    }
    return TSS2_RC_SUCCESS;
}

int tk_tpm_random(tk_tpm *tpm, unsigned char *out, size_t len)
{
    struct random_request req = { out, len, 0 };

    return tk_tpm_run(tpm, get_random, &req);
}
