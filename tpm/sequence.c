/* SPDX-License-Identifier: Apache-2.0 */
/* Feeding a hash or HMAC sequence object in pieces the TPM accepts. */
#include <string.h>
#include <openssl/crypto.h>

#include "key.h"
#include "sequence.h"
#include "session.h"
#include "state.h"
#include "../provider/errors.h"

TSS2_RC tk_seq_feed(tk_tpm *tpm, TPM2_HANDLE seq, const TPM2B_AUTH *auth,
                    const unsigned char *data, size_t len)
{
    TPM2B_MAX_BUFFER chunk;
    size_t done = 0;
    tk_call call;
    TSS2_RC rc;

    while (done < len) {
        chunk.size = (UINT16)(len - done > TK_TPM_HMAC_ONESHOT
                                  ? TK_TPM_HMAC_ONESHOT
                                  : len - done);
        memcpy(chunk.buffer, data + done, chunk.size);
        /* Through the salted session: the HMAC over the command binds the
         * data (and, with the sequence's password, the sequence), the one
         * over the response proves the TPM took it. */
        tk_call_init(&call);
        tk_call_handle_sequence(&call, seq);
        rc = tk_session_auth(tpm, &call, auth, 0);
        if (rc == TSS2_RC_SUCCESS)
            rc = Tss2_Sys_SequenceUpdate_Prepare(tpm->conn.sys, seq, &chunk);
        if (rc == TSS2_RC_SUCCESS)
            rc = tk_call_run(tpm, &call, TPM2_CC_SequenceUpdate);
        OPENSSL_cleanse(&call, sizeof(call));
        if (rc != TSS2_RC_SUCCESS)
            return tk_fail(tpm, rc, TK_R_TPM_COMMAND_FAILED,
                           "TPM2_SequenceUpdate");
        done += chunk.size;
    }
    return TSS2_RC_SUCCESS;
}
