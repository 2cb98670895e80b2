/* SPDX-License-Identifier: Apache-2.0 */
/* HMAC with a TPM keyed-hash key. Short inputs take one TPM2_HMAC; longer
 * ones go through a TPM HMAC sequence, all of it in one operation at the
 * final call: the input is kept here until then, so no sequence state is
 * ever context-saved where an interposer could hand back an older copy
 * (dropping pieces). The sequence gets a random password sent encrypted,
 * and every SequenceUpdate and the SequenceComplete ride the salted
 * session: a changed, dropped, reordered or redirected piece fails the
 * TPM's or tpmkit's HMAC check. The MAC comes back encrypted. */
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
    unsigned char *data; /* the input so far */
    size_t len, cap;
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
    tk_tpm_key *key;
    const unsigned char *data;
    size_t len;
    unsigned char *mac;
    size_t *mac_len;
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
    rc = tk_key_authorize(tpm, req->key, TPMA_SESSION_ENCRYPT | TK_SESSION_LAST,
                          &call, &handle);
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
    struct hmac_request req = { key, data, len, mac, mac_len };

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

    if (copy != NULL && seq->len > 0
        && (copy->data = OPENSSL_memdup(seq->data, seq->len)) == NULL) {
        tk_tpm_hmac_seq_free(copy);
        tk_raise(TK_R_OUT_OF_MEMORY, "HMAC sequence");
        return NULL;
    }
    if (copy != NULL)
        copy->len = copy->cap = seq->len;
    return copy;
}

void tk_tpm_hmac_seq_free(tk_tpm_hmac_seq *seq)
{
    if (seq == NULL)
        return;
    tk_tpm_key_free(seq->key);
    OPENSSL_clear_free(seq->data, seq->cap);
    OPENSSL_free(seq);
}

/* HMAC_Start under the key's authorization, with a random password for
 * the sequence (the command's first parameter: encrypted on the bus). */
static TSS2_RC seq_start(tk_tpm *tpm, struct hmac_request *req,
                         const TPM2B_AUTH *auth, TPM2_HANDLE *seq)
{
    TPMA_SESSION attrs = auth->size > 0 ? TPMA_SESSION_DECRYPT : 0;
    TPM2_HANDLE handle;
    tk_call call;
    TSS2_RC rc;

    for (;;) {
        tk_call_init(&call);
        rc = tk_key_authorize(tpm, req->key, attrs, &call, &handle);
        if (rc != TSS2_RC_SUCCESS)
            return rc;
        rc = Tss2_Sys_HMAC_Start_Prepare(
            tpm->conn.sys, handle, auth,
            tk_tpm_hash_alg(tk_tpm_key_info(req->key)->hash_nid));
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

static TSS2_RC seq_run(tk_tpm *tpm, void *arg)
{
    struct hmac_request *req = arg;
    TPM2B_MAX_BUFFER last = { 0 };
    TPM2B_DIGEST result = { 0 };
    TPM2B_AUTH auth = { 0 };
    TPMT_TK_HASHCHECK ticket;
    size_t body;
    TPM2_HANDLE seq;
    tk_call call;
    TSS2_RC rc;

    last.size = (UINT16)(req->len % TK_TPM_HMAC_ONESHOT);
    if (last.size == 0 && req->len > 0)
        last.size = TK_TPM_HMAC_ONESHOT;
    body = req->len - last.size;
    memcpy(last.buffer, req->data + body, last.size);
    /* Without session encryption the password would cross in clear and
     * protect nothing: the sequence keeps the empty one. */
    if (tk_tpm_encrypting(tpm)) {
        auth.size = 16;
        if (!tk_crypto_random(&tpm->conn.crypto, auth.buffer, auth.size))
            return tk_fail(tpm, TSS2_ESYS_RC_GENERAL_FAILURE, TK_R_INTERNAL,
                           "HMAC sequence password");
    }
    rc = seq_start(tpm, req, &auth, &seq);
    if (rc != TSS2_RC_SUCCESS)
        goto end;
    rc = tk_seq_feed(tpm, seq, &auth, req->data, body);
    if (rc != TSS2_RC_SUCCESS)
        goto fail;
    tk_call_init(&call);
    tk_call_handle_sequence(&call, seq);
    rc = tk_session_auth(tpm, &call, &auth,
                         TPMA_SESSION_ENCRYPT | TK_SESSION_LAST);
    if (rc == TSS2_RC_SUCCESS)
        rc = Tss2_Sys_SequenceComplete_Prepare(tpm->conn.sys, seq, &last,
                                               TPM2_RH_NULL);
    if (rc == TSS2_RC_SUCCESS)
        rc = tk_call_run(tpm, &call, TPM2_CC_SequenceComplete);
    if (rc == TSS2_RC_SUCCESS)
        rc = Tss2_Sys_SequenceComplete_Complete(tpm->conn.sys, &result,
                                                &ticket);
    OPENSSL_cleanse(&call, sizeof(call));
    if (rc != TSS2_RC_SUCCESS) {
        tk_fail(tpm, rc, TK_R_TPM_COMMAND_FAILED, "TPM2_SequenceComplete");
        goto fail;
    }
    rc = copy_mac(tpm, &result, mac_size(req->key), req->mac, req->mac_len,
                  "TPM2_SequenceComplete");
    OPENSSL_cleanse(&result, sizeof(result));
    goto end;
fail:
    Tss2_Sys_FlushContext(tpm->conn.sys, seq);
end:
    OPENSSL_cleanse(&auth, sizeof(auth));
    return rc;
}

int tk_tpm_hmac_seq_update(tk_tpm_hmac_seq *seq, const unsigned char *data,
                           size_t len)
{
    size_t cap;
    unsigned char *grown;

    if (len == 0)
        return 1;
    if (len > TK_TPM_HMAC_STREAM_MAX - seq->len) {
        tk_raise(TK_R_BAD_REQUEST,
                 "TPM2-HMAC takes at most %d MiB per MAC (the input is kept"
                 " until the final call so that no TPM state is ever saved"
                 " where the bus could replay it)",
                 TK_TPM_HMAC_STREAM_MAX >> 20);
        return 0;
    }
    if (seq->len + len > seq->cap) {
        cap = seq->cap > 0 ? seq->cap : 64 * 1024;
        while (cap < seq->len + len)
            cap *= 2;
        if ((grown = OPENSSL_clear_realloc(seq->data, seq->cap, cap)) == NULL) {
            tk_raise(TK_R_OUT_OF_MEMORY, "HMAC input");
            return 0;
        }
        seq->data = grown;
        seq->cap = cap;
    }
    memcpy(seq->data + seq->len, data, len);
    seq->len += len;
    return 1;
}

int tk_tpm_hmac_seq_final(tk_tpm_hmac_seq *seq, const unsigned char *data,
                          size_t len, unsigned char *mac, size_t *mac_len)
{
    struct hmac_request req = { seq->key, NULL, 0, mac, mac_len };

    if (!tk_tpm_hmac_seq_update(seq, data, len))
        return 0;
    if (seq->len <= TK_TPM_HMAC_ONESHOT)
        return tk_tpm_hmac(seq->key, seq->data, seq->len, mac, mac_len);
    req.data = seq->data;
    req.len = seq->len;
    return tk_tpm_run(tk_tpm_key_tpm(seq->key), seq_run, &req);
}

size_t tk_tpm_hmac_size(const tk_tpm_key *key)
{
    return mac_size(key);
}
