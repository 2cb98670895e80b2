/* SPDX-License-Identifier: Apache-2.0 */
/* Reading an NV index in TPM-sized pieces; the caller holds the lock. */
#include <string.h>
#include <openssl/crypto.h>

#include "nvread.h"
#include "state.h"
#include "../provider/errors.h"

/* Below every TPM's TPM2_PT_NV_BUFFER_MAX. */
#define NV_CHUNK 512

TSS2_RC tk_nv_read(tk_tpm *tpm, uint32_t index, unsigned char **data,
                   size_t *len)
{
    struct {
        unsigned char *data;
        size_t len;
    } out = { NULL, 0 }, *req = &out;
    TPM2B_NV_PUBLIC *pub = NULL;
    ESYS_TR nv, auth_entity;
    TSS2_RC rc;
    size_t size;

    rc = Esys_TR_FromTPMPublic(tpm->conn.esys, index, ESYS_TR_NONE,
                               ESYS_TR_NONE, ESYS_TR_NONE, &nv);
    if (rc != TSS2_RC_SUCCESS)
        return tk_fail(tpm, rc, TK_R_BAD_REQUEST, "finding the NV index");
    rc = Esys_NV_ReadPublic(tpm->conn.esys, nv, ESYS_TR_NONE, ESYS_TR_NONE,
                            ESYS_TR_NONE, &pub, NULL);
    if (rc != TSS2_RC_SUCCESS) {
        Esys_TR_Close(tpm->conn.esys, &nv);
        return tk_fail(tpm, rc, TK_R_TPM_COMMAND_FAILED, "TPM2_NV_ReadPublic");
    }
    size = pub->nvPublic.dataSize;
    /* Read with the index's own (empty) password when allowed, else as
     * owner (empty owner password). */
    auth_entity = (pub->nvPublic.attributes & TPMA_NV_AUTHREAD)
                      ? nv
                      : ESYS_TR_RH_OWNER;
    Esys_Free(pub);
    req->data = OPENSSL_malloc(size > 0 ? size : 1);
    if (req->data == NULL) {
        Esys_TR_Close(tpm->conn.esys, &nv);
        return tk_fail(tpm, TSS2_ESYS_RC_MEMORY, TK_R_OUT_OF_MEMORY,
                       "NV buffer");
    }
    for (req->len = 0; req->len < size;) {
        TPM2B_MAX_NV_BUFFER *chunk = NULL;
        UINT16 want = (UINT16)(size - req->len > NV_CHUNK ? NV_CHUNK
                                                          : size - req->len);

        rc = Esys_NV_Read(tpm->conn.esys, auth_entity, nv, ESYS_TR_PASSWORD,
                          ESYS_TR_NONE, ESYS_TR_NONE, want, (UINT16)req->len,
                          &chunk);
        if (rc != TSS2_RC_SUCCESS || chunk->size != want) {
            Esys_Free(chunk);
            Esys_TR_Close(tpm->conn.esys, &nv);
            OPENSSL_free(req->data);
            return tk_fail(
                tpm,
                rc != TSS2_RC_SUCCESS ? rc : TSS2_ESYS_RC_MALFORMED_RESPONSE,
                TK_R_TPM_COMMAND_FAILED, "TPM2_NV_Read");
        }
        memcpy(req->data + req->len, chunk->buffer, chunk->size);
        req->len += chunk->size;
        Esys_Free(chunk);
    }
    Esys_TR_Close(tpm->conn.esys, &nv);
    *data = req->data;
    *len = req->len;
    return TSS2_RC_SUCCESS;
}
