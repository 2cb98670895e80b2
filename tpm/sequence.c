/* SPDX-License-Identifier: Apache-2.0 */
/* Feeding a hash or HMAC sequence object in pieces the TPM accepts. */
#include <string.h>

#include "key.h"
#include "sequence.h"
#include "state.h"
#include "../provider/errors.h"

TSS2_RC tk_seq_feed(tk_tpm *tpm, TPM2_HANDLE seq, const unsigned char *data,
                    size_t len)
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
        /* The input is not secret; a sequence's auth is empty. */
        tk_call_init(&call);
        tk_call_handle_sequence(&call, seq);
        tk_call_auth_add(&call, NULL, NULL, 0);
        rc = Tss2_Sys_SequenceUpdate_Prepare(tpm->conn.sys, seq, &chunk);
        if (rc == TSS2_RC_SUCCESS)
            rc = tk_call_run(tpm, &call, TPM2_CC_SequenceUpdate);
        if (rc != TSS2_RC_SUCCESS)
            return tk_fail(tpm, rc, TK_R_TPM_COMMAND_FAILED,
                           "TPM2_SequenceUpdate");
        done += chunk.size;
    }
    return TSS2_RC_SUCCESS;
}
