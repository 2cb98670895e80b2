/* SPDX-License-Identifier: Apache-2.0 */
/* HMAC with a TPM keyed-hash key. Short inputs take one TPM2_HMAC; longer
 * ones stream through a TPM HMAC sequence. Between calls the sequence is
 * context-saved and flushed, so it holds no object slot and a retried step
 * starts again from the same saved state. The MAC comes back over the
 * encrypting session. */
#include <string.h>
#include <openssl/crypto.h>

#include "authorize.h"
#include "keyobj.h"
#include "pubinfo.h"
#include "run.h"
#include "sequence.h"
#include "session.h"
#include "state.h"
#include "../provider/errors.h"

struct tk_tpm_hmac_seq {
    tk_tpm_key *key;
    int started;
    TPMS_CONTEXT saved; /* the sequence between calls */
};

static int check_hmac_key(const tk_tpm_key *key)
{
    const tk_tpm_pubinfo *info = tk_tpm_key_info(key);

    if (info->kind != TK_TPM_KEY_HMAC || !info->can_sign || info->restricted) {
        tk_raise(TK_R_BAD_KEY, "the TPM key is not an HMAC key");
        return 0;
    }
    return 1;
}

size_t tk_tpm_digest_size(int hash_nid)
{
    switch (tk_tpm_hash_alg(hash_nid)) {
    case TPM2_ALG_SHA1:
        return 20;
    case TPM2_ALG_SHA384:
        return 48;
    case TPM2_ALG_SHA512:
        return 64;
    default:
        return 32;
    }
}

static size_t mac_size(const tk_tpm_key *key)
{
    return tk_tpm_digest_size(tk_tpm_key_info(key)->hash_nid);
}

static TSS2_RC copy_mac(tk_tpm *tpm, const TPM2B_DIGEST *result, size_t expect,
                        unsigned char *mac, size_t *mac_len, const char *what)
{
    if (result->size != expect)
        return tk_fail(tpm, TSS2_ESYS_RC_MALFORMED_RESPONSE,
                       TK_R_TPM_COMMAND_FAILED, what);
    memcpy(mac, result->buffer, expect);
    *mac_len = expect;
    return TSS2_RC_SUCCESS;
}

struct hmac_request {
    tk_tpm_hmac_seq *seq; /* NULL: one-shot with `key` */
    tk_tpm_key *key;
    const unsigned char *data;
    size_t len;
    unsigned char *mac; /* NULL: update only */
    size_t *mac_len;
    TPMS_CONTEXT next; /* the saved sequence after an update */
};

static TSS2_RC hmac_once(tk_tpm *tpm, void *arg)
{
    struct hmac_request *req = arg;
    TPM2B_MAX_BUFFER buf = { .size = (UINT16)req->len };
    TPM2B_DIGEST result = { 0 };
    TPM2_HANDLE handle;
    tk_call call;
    TSS2_RC rc;

    memcpy(buf.buffer, req->data, req->len);
    tk_call_init(&call);
    rc = tk_key_authorize(tpm, req->key, TPMA_SESSION_ENCRYPT, &call, &handle);
    if (rc != TSS2_RC_SUCCESS)
        return rc;
    rc = Tss2_Sys_HMAC_Prepare(
        tpm->conn.sys, handle, &buf,
        tk_tpm_hash_alg(tk_tpm_key_info(req->key)->hash_nid));
    if (rc == TSS2_RC_SUCCESS)
        rc = tk_call_run(tpm, &call, TPM2_CC_HMAC);
    if (rc == TSS2_RC_SUCCESS)
        rc = Tss2_Sys_HMAC_Complete(tpm->conn.sys, &result);
    tk_key_authorize_end(tpm, &call, rc);
    if (rc != TSS2_RC_SUCCESS)
        return tk_key_op_fail(tpm, rc, "TPM2_HMAC");
    rc = copy_mac(tpm, &result, mac_size(req->key), req->mac, req->mac_len,
                  "TPM2_HMAC");
    OPENSSL_cleanse(&result, sizeof(result));
    return rc;
}

int tk_tpm_hmac(tk_tpm_key *key, const unsigned char *data, size_t len,
                unsigned char *mac, size_t *mac_len)
{
    struct hmac_request req = { NULL, key, data, len, mac, mac_len, { 0 } };

    if (!check_hmac_key(key))
        return 0;
    if (len > TK_TPM_HMAC_ONESHOT) {
        tk_raise(TK_R_BAD_REQUEST, "one TPM2_HMAC takes at most %d bytes",
                 TK_TPM_HMAC_ONESHOT);
        return 0;
    }
    return tk_tpm_run(tk_tpm_key_tpm(key), hmac_once, &req);
}

tk_tpm_hmac_seq *tk_tpm_hmac_seq_new(tk_tpm_key *key)
{
    tk_tpm_hmac_seq *seq;

    if (!check_hmac_key(key))
        return NULL;
    if ((seq = OPENSSL_zalloc(sizeof(*seq))) == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "HMAC sequence");
        return NULL;
    }
    tk_tpm_key_up_ref(key);
    seq->key = key;
    return seq;
}

tk_tpm_hmac_seq *tk_tpm_hmac_seq_dup(const tk_tpm_hmac_seq *seq)
{
    tk_tpm_hmac_seq *copy = tk_tpm_hmac_seq_new(seq->key);

    /* A saved object context may be loaded more than once: the copy
     * continues from the same state. */
    if (copy != NULL) {
        copy->started = seq->started;
        copy->saved = seq->saved;
    }
    return copy;
}

void tk_tpm_hmac_seq_free(tk_tpm_hmac_seq *seq)
{
    if (seq == NULL)
        return;
    tk_tpm_key_free(seq->key);
    OPENSSL_cleanse(seq, sizeof(*seq));
    OPENSSL_free(seq);
}

/* The sequence in the TPM: started now, or loaded from its saved state. */
static TSS2_RC seq_open(tk_tpm *tpm, struct hmac_request *req, TPM2_HANDLE *seq)
{
    TPM2B_AUTH no_auth = { 0 };
    TPM2_HANDLE handle;
    tk_call call;
    TSS2_RC rc;

    for (;;) {
        if (req->seq->started) {
            rc = Tss2_Sys_ContextLoad(tpm->conn.sys, &req->seq->saved, seq);
            if (rc == TPM2_RC_OBJECT_MEMORY && tk_keys_make_room(tpm))
                continue;
            if (rc != TSS2_RC_SUCCESS)
                return tk_fail(tpm, rc, TK_R_TPM_COMMAND_FAILED,
                               "reloading the HMAC sequence (was the TPM"
                               " restarted?)");
            return TSS2_RC_SUCCESS;
        }
        tk_call_init(&call);
        rc = tk_key_authorize(tpm, req->seq->key, 0, &call, &handle);
        if (rc != TSS2_RC_SUCCESS)
            return rc;
        rc = Tss2_Sys_HMAC_Start_Prepare(
            tpm->conn.sys, handle, &no_auth,
            tk_tpm_hash_alg(tk_tpm_key_info(req->seq->key)->hash_nid));
        if (rc == TSS2_RC_SUCCESS)
            rc = tk_call_run(tpm, &call, TPM2_CC_HMAC_Start);
        if (rc == TSS2_RC_SUCCESS)
            rc = Tss2_Sys_HMAC_Start_Complete(tpm->conn.sys, seq);
        tk_key_authorize_end(tpm, &call, rc);
        if (rc == TPM2_RC_OBJECT_MEMORY && tk_keys_make_room(tpm))
            continue;
        if (rc != TSS2_RC_SUCCESS)
            return tk_key_op_fail(tpm, rc, "TPM2_HMAC_Start");
        return TSS2_RC_SUCCESS;
    }
}

static TSS2_RC seq_step(tk_tpm *tpm, void *arg)
{
    struct hmac_request *req = arg;
    TPM2B_MAX_BUFFER last = { 0 };
    TPM2B_DIGEST result = { 0 };
    TPMT_TK_HASHCHECK ticket;
    size_t body = req->len;
    TPM2_HANDLE seq;
    tk_call call;
    TSS2_RC rc;

    if (req->mac != NULL) {
        last.size = (UINT16)(req->len % TK_TPM_HMAC_ONESHOT);
        if (last.size == 0 && req->len > 0)
            last.size = TK_TPM_HMAC_ONESHOT;
        body = req->len - last.size;
        memcpy(last.buffer, req->data + body, last.size);
    }
    rc = seq_open(tpm, req, &seq);
    if (rc != TSS2_RC_SUCCESS)
        return rc;
    rc = tk_seq_feed(tpm, seq, req->data, body);
    if (rc != TSS2_RC_SUCCESS)
        goto fail;
    if (req->mac == NULL) {
        /* Saving keeps the sequence; flushing frees its slot. */
        rc = Tss2_Sys_ContextSave(tpm->conn.sys, seq, &req->next);
        if (rc != TSS2_RC_SUCCESS) {
            tk_fail(tpm, rc, TK_R_TPM_COMMAND_FAILED,
                    "saving the HMAC sequence");
            goto fail;
        }
        Tss2_Sys_FlushContext(tpm->conn.sys, seq);
        return TSS2_RC_SUCCESS;
    }
    tk_call_init(&call);
    tk_call_handle_sequence(&call, seq);
    rc = tk_session_auth(tpm, &call, NULL, TPMA_SESSION_ENCRYPT);
    if (rc == TSS2_RC_SUCCESS)
        rc = Tss2_Sys_SequenceComplete_Prepare(tpm->conn.sys, seq, &last,
                                               TPM2_RH_NULL);
    if (rc == TSS2_RC_SUCCESS)
        rc = tk_call_run(tpm, &call, TPM2_CC_SequenceComplete);
    if (rc == TSS2_RC_SUCCESS)
        rc = Tss2_Sys_SequenceComplete_Complete(tpm->conn.sys, &result,
                                                &ticket);
    if (rc != TSS2_RC_SUCCESS) {
        tk_fail(tpm, rc, TK_R_TPM_COMMAND_FAILED, "TPM2_SequenceComplete");
        goto fail;
    }
    rc = copy_mac(tpm, &result, mac_size(req->seq->key), req->mac, req->mac_len,
                  "TPM2_SequenceComplete");
    OPENSSL_cleanse(&result, sizeof(result));
    return rc;
fail:
    /* The saved state is untouched: a retry starts from it again. */
    Tss2_Sys_FlushContext(tpm->conn.sys, seq);
    return rc;
}

int tk_tpm_hmac_seq_update(tk_tpm_hmac_seq *seq, const unsigned char *data,
                           size_t len)
{
    struct hmac_request req = { seq, seq->key, data, len, NULL, NULL, { 0 } };

    if (len == 0)
        return 1;
    if (!tk_tpm_run(tk_tpm_key_tpm(seq->key), seq_step, &req))
        return 0;
    seq->saved = req.next;
    seq->started = 1;
    return 1;
}

int tk_tpm_hmac_seq_final(tk_tpm_hmac_seq *seq, const unsigned char *data,
                          size_t len, unsigned char *mac, size_t *mac_len)
{
    struct hmac_request req = { seq, seq->key, data, len, mac, mac_len, { 0 } };

    return tk_tpm_run(tk_tpm_key_tpm(seq->key), seq_step, &req);
}

size_t tk_tpm_hmac_size(const tk_tpm_key *key)
{
    return mac_size(key);
}
