/* SPDX-License-Identifier: Apache-2.0 */
/* The private-key operations: one TPM command each, with the key loaded on
 * demand and authorized through the salted session (so a password is
 * never sent in clear) or, for policy-only keys, a policy session. */
#include <string.h>
#include <openssl/crypto.h>

#include "authorize.h"
#include "keyobj.h"
#include "pubinfo.h"
#include "run.h"
#include "sequence.h"
#include "state.h"
#include "../provider/errors.h"

static void copy_padded(unsigned char *dst, size_t width,
                        const unsigned char *src, size_t len)
{
    memset(dst, 0, width - len);
    memcpy(dst + width - len, src, len);
}

struct sign_request {
    tk_tpm_key *key;
    int scheme, hash_nid;
    const unsigned char *digest;
    size_t digest_len;
    int in_tpm; /* restricted keys: the TPM hashes msg (maybe empty) */
    const unsigned char *msg;
    size_t msg_len;
    unsigned char *sig;
    size_t *sig_len;
};

/* Hash a message in the TPM: a restricted key signs only digests the TPM
 * made itself (the ticket proves the message does not imitate a TPM
 * attestation). One that fits a command takes one TPM2_Hash; a longer one
 * a hash sequence, which takes a transient slot for its duration. A
 * sequence whose first piece is shorter than TPM_GENERATED_VALUE (an
 * empty message, say) gets no ticket; TPM2_Hash gives one. */
#define HASH_CHUNK TK_TPM_HMAC_ONESHOT
static TSS2_RC tpm_hash_once(tk_tpm *tpm, struct sign_request *req,
                             TPM2B_DIGEST *digest, TPMT_TK_HASHCHECK *ticket)
{
    TPM2B_MAX_BUFFER data = { .size = (UINT16)req->msg_len };
    TSS2_RC rc;

    if (data.size > 0) /* an empty message's buffer may be NULL */
        memcpy(data.buffer, req->msg, data.size);
    rc = Tss2_Sys_Hash(tpm->conn.sys, NULL, &data,
                       tk_tpm_hash_alg(req->hash_nid), TPM2_RH_OWNER, digest,
                       ticket, NULL);
    if (rc != TSS2_RC_SUCCESS)
        return tk_fail(tpm, rc, TK_R_TPM_COMMAND_FAILED, "TPM2_Hash");
    return TSS2_RC_SUCCESS;
}

static TSS2_RC tpm_hash(tk_tpm *tpm, struct sign_request *req,
                        TPM2B_DIGEST *digest, TPMT_TK_HASHCHECK *ticket)
{
    TPM2B_AUTH no_auth = { 0 };
    TPM2B_MAX_BUFFER chunk = { 0 };
    TPM2_HANDLE seq;
    tk_call call;
    size_t done;
    TSS2_RC rc;

    if (req->msg_len <= HASH_CHUNK)
        return tpm_hash_once(tpm, req, digest, ticket);
    rc = Tss2_Sys_HashSequenceStart(tpm->conn.sys, NULL, &no_auth,
                                    tk_tpm_hash_alg(req->hash_nid), &seq, NULL);
    if (rc != TSS2_RC_SUCCESS)
        return tk_fail(tpm, rc, TK_R_TPM_COMMAND_FAILED,
                       "TPM2_HashSequenceStart");
    /* SequenceComplete takes the last piece. */
    done = (req->msg_len - 1) / HASH_CHUNK * HASH_CHUNK;
    rc = tk_seq_feed(tpm, seq, NULL, req->msg, done);
    if (rc != TSS2_RC_SUCCESS) {
        Tss2_Sys_FlushContext(tpm->conn.sys, seq);
        return rc;
    }
    chunk.size = (UINT16)(req->msg_len - done);
    memcpy(chunk.buffer, req->msg + done, chunk.size);
    tk_call_init(&call);
    tk_call_handle_sequence(&call, seq);
    tk_call_auth_add(&call, NULL, NULL, 0);
    rc = Tss2_Sys_SequenceComplete_Prepare(tpm->conn.sys, seq, &chunk,
                                           TPM2_RH_OWNER);
    if (rc == TSS2_RC_SUCCESS)
        rc = tk_call_run(tpm, &call, TPM2_CC_SequenceComplete);
    if (rc == TSS2_RC_SUCCESS)
        rc = Tss2_Sys_SequenceComplete_Complete(tpm->conn.sys, digest, ticket);
    if (rc != TSS2_RC_SUCCESS) {
        Tss2_Sys_FlushContext(tpm->conn.sys, seq);
        return tk_fail(tpm, rc, TK_R_TPM_COMMAND_FAILED,
                       "TPM2_SequenceComplete");
    }
    return TSS2_RC_SUCCESS;
}

static TSS2_RC sign(tk_tpm *tpm, void *arg)
{
    struct sign_request *req = arg;
    const tk_tpm_pubinfo *info = tk_tpm_key_info(req->key);
    TPMT_SIG_SCHEME scheme = { 0 };
    TPMT_TK_HASHCHECK ticket = { .tag = TPM2_ST_HASHCHECK,
                                 .hierarchy = TPM2_RH_NULL };
    TPM2B_DIGEST digest = { 0 };
    TPMT_SIGNATURE sig;
    TPM2_HANDLE handle;
    tk_call call;
    TSS2_RC rc;

    scheme.scheme = req->scheme == TK_TPM_SIG_RSASSA   ? TPM2_ALG_RSASSA
                    : req->scheme == TK_TPM_SIG_RSAPSS ? TPM2_ALG_RSAPSS
                                                       : TPM2_ALG_ECDSA;
    scheme.details.any.hashAlg = tk_tpm_hash_alg(req->hash_nid);
    if (req->in_tpm) {
        rc = tpm_hash(tpm, req, &digest, &ticket);
        if (rc != TSS2_RC_SUCCESS)
            return rc;
    } else {
        digest.size = (UINT16)req->digest_len;
        memcpy(digest.buffer, req->digest, req->digest_len);
    }

    tk_call_init(&call);
    rc = tk_key_authorize(tpm, req->key, TK_SESSION_LAST, &call, &handle);
    if (rc != TSS2_RC_SUCCESS)
        return rc;
    rc = Tss2_Sys_Sign_Prepare(tpm->conn.sys, handle, &digest, &scheme,
                               &ticket);
    if (rc == TSS2_RC_SUCCESS)
        rc = tk_call_run(tpm, &call, TPM2_CC_Sign);
    if (rc == TSS2_RC_SUCCESS)
        rc = Tss2_Sys_Sign_Complete(tpm->conn.sys, &sig);
    tk_key_authorize_end(tpm, &call, rc);
    if (rc != TSS2_RC_SUCCESS)
        return tk_key_op_fail(tpm, rc, "TPM2_Sign");
    if (scheme.scheme == TPM2_ALG_ECDSA) {
        const TPMS_SIGNATURE_ECDSA *ec = &sig.signature.ecdsa;
        size_t field = (info->bits + 7) / 8;

        if (ec->signatureR.size > field || ec->signatureS.size > field) {
            return tk_fail(tpm, TSS2_ESYS_RC_MALFORMED_RESPONSE,
                           TK_R_TPM_COMMAND_FAILED, "TPM2_Sign");
        }
        copy_padded(req->sig, field, ec->signatureR.buffer,
                    ec->signatureR.size);
        copy_padded(req->sig + field, field, ec->signatureS.buffer,
                    ec->signatureS.size);
        *req->sig_len = 2 * field;
    } else {
        const TPM2B_PUBLIC_KEY_RSA *rsa = &sig.signature.rsassa.sig;

        if (rsa->size > info->n_len) {
            return tk_fail(tpm, TSS2_ESYS_RC_MALFORMED_RESPONSE,
                           TK_R_TPM_COMMAND_FAILED, "TPM2_Sign");
        }
        copy_padded(req->sig, info->n_len, rsa->buffer, rsa->size);
        *req->sig_len = info->n_len;
    }
    return TSS2_RC_SUCCESS;
}

int tk_tpm_sign(tk_tpm_key *key, int scheme, int hash_nid,
                const unsigned char *digest, size_t digest_len,
                unsigned char *sig, size_t *sig_len)
{
    struct sign_request req = { key, scheme, hash_nid, digest, digest_len,
                                0,   NULL,   0,        sig,    sig_len };

    if (tk_tpm_hash_alg(hash_nid) == TPM2_ALG_NULL
        || digest_len > sizeof(((TPM2B_DIGEST *)0)->buffer)) {
        tk_raise(TK_R_NOT_SUPPORTED,
                 "the TPM signs SHA-1/256/384/512 digests only");
        return 0;
    }
    return tk_tpm_run(tk_tpm_key_tpm(key), sign, &req);
}

int tk_tpm_sign_message(tk_tpm_key *key, int scheme, int hash_nid,
                        const unsigned char *msg, size_t msg_len,
                        unsigned char *sig, size_t *sig_len)
{
    struct sign_request req = { key, scheme, hash_nid, NULL, 0,
                                1,   msg,    msg_len,  sig,  sig_len };

    if (tk_tpm_hash_alg(hash_nid) == TPM2_ALG_NULL) {
        tk_raise(TK_R_NOT_SUPPORTED,
                 "the TPM hashes with SHA-1/256/384/512 only");
        return 0;
    }
    return tk_tpm_run(tk_tpm_key_tpm(key), sign, &req);
}

/* One input, one output: raw RSA and ECDH. */
struct key_io_request {
    tk_tpm_key *key;
    const unsigned char *in;
    size_t in_len;
    unsigned char *out;
    size_t *out_len;
    TPMA_SESSION attrs; /* ENCRYPT when the output is secret */
};

static TSS2_RC rsa_private(tk_tpm *tpm, void *arg)
{
    struct key_io_request *req = arg;
    const tk_tpm_pubinfo *info = tk_tpm_key_info(req->key);
    TPM2B_PUBLIC_KEY_RSA in = { 0 }, out = { 0 };
    TPMT_RSA_DECRYPT raw = { .scheme = TPM2_ALG_NULL };
    TPM2B_DATA label = { 0 };
    TPM2_HANDLE handle;
    tk_call call;
    TSS2_RC rc;

    in.size = (UINT16)req->in_len;
    memcpy(in.buffer, req->in, req->in_len);
    /* A plaintext is encrypted on its way back; a signature is public. */
    tk_call_init(&call);
    rc = tk_key_authorize(tpm, req->key, req->attrs | TK_SESSION_LAST, &call,
                          &handle);
    if (rc != TSS2_RC_SUCCESS)
        return rc;
    rc = Tss2_Sys_RSA_Decrypt_Prepare(tpm->conn.sys, handle, &in, &raw, &label);
    if (rc == TSS2_RC_SUCCESS)
        rc = tk_call_run(tpm, &call, TPM2_CC_RSA_Decrypt);
    if (rc == TSS2_RC_SUCCESS)
        rc = Tss2_Sys_RSA_Decrypt_Complete(tpm->conn.sys, &out);
    tk_key_authorize_end(tpm, &call, rc);
    if (rc != TSS2_RC_SUCCESS)
        return tk_key_op_fail(tpm, rc, "TPM2_RSA_Decrypt");
    if (out.size > info->n_len) {
        OPENSSL_cleanse(&out, sizeof(out));
        return tk_fail(tpm, TSS2_ESYS_RC_MALFORMED_RESPONSE,
                       TK_R_TPM_COMMAND_FAILED, "TPM2_RSA_Decrypt");
    }
    copy_padded(req->out, info->n_len, out.buffer, out.size);
    *req->out_len = info->n_len;
    OPENSSL_cleanse(&out, sizeof(out));
    return TSS2_RC_SUCCESS;
}

static int rsa_private_op(tk_tpm_key *key, const unsigned char *in,
                          size_t in_len, unsigned char *out, size_t *out_len,
                          TPMA_SESSION attrs)
{
    struct key_io_request req = { key, in, in_len, out, out_len, attrs };
    const tk_tpm_pubinfo *info = tk_tpm_key_info(key);

    if (info->kind != TK_TPM_KEY_RSA || in_len != info->n_len) {
        tk_raise(TK_R_BAD_REQUEST, "raw RSA input must be %zu bytes",
                 info->n_len);
        return 0;
    }
    if (!info->can_decrypt || info->restricted) {
        tk_raise(TK_R_NOT_SUPPORTED, "this TPM key may not decrypt");
        return 0;
    }
    return tk_tpm_run(tk_tpm_key_tpm(key), rsa_private, &req);
}

int tk_tpm_rsa_private(tk_tpm_key *key, const unsigned char *in, size_t in_len,
                       unsigned char *out, size_t *out_len)
{
    return rsa_private_op(key, in, in_len, out, out_len, TPMA_SESSION_ENCRYPT);
}

int tk_tpm_rsa_private_sign(tk_tpm_key *key, const unsigned char *in,
                            size_t in_len, unsigned char *out, size_t *out_len)
{
    return rsa_private_op(key, in, in_len, out, out_len, 0);
}

static TSS2_RC ecdh(tk_tpm *tpm, void *arg)
{
    struct key_io_request *req = arg;
    size_t field = (tk_tpm_key_info(req->key)->bits + 7) / 8;
    TPM2B_ECC_POINT peer = { 0 }, z = { 0 };
    TPM2_HANDLE handle;
    tk_call call;
    TSS2_RC rc;

    peer.point.x.size = (UINT16)field;
    memcpy(peer.point.x.buffer, req->in + 1, field);
    peer.point.y.size = (UINT16)field;
    memcpy(peer.point.y.buffer, req->in + 1 + field, field);
    tk_call_init(&call);
    rc = tk_key_authorize(tpm, req->key, TPMA_SESSION_ENCRYPT | TK_SESSION_LAST,
                          &call, &handle);
    if (rc != TSS2_RC_SUCCESS)
        return rc;
    rc = Tss2_Sys_ECDH_ZGen_Prepare(tpm->conn.sys, handle, &peer);
    if (rc == TSS2_RC_SUCCESS)
        rc = tk_call_run(tpm, &call, TPM2_CC_ECDH_ZGen);
    if (rc == TSS2_RC_SUCCESS)
        rc = Tss2_Sys_ECDH_ZGen_Complete(tpm->conn.sys, &z);
    tk_key_authorize_end(tpm, &call, rc);
    if (rc != TSS2_RC_SUCCESS)
        return tk_key_op_fail(tpm, rc, "TPM2_ECDH_ZGen");
    if (z.point.x.size > field) {
        OPENSSL_cleanse(&z, sizeof(z));
        return tk_fail(tpm, TSS2_ESYS_RC_MALFORMED_RESPONSE,
                       TK_R_TPM_COMMAND_FAILED, "TPM2_ECDH_ZGen");
    }
    copy_padded(req->out, field, z.point.x.buffer, z.point.x.size);
    *req->out_len = field;
    OPENSSL_cleanse(&z, sizeof(z));
    return TSS2_RC_SUCCESS;
}

int tk_tpm_ecdh(tk_tpm_key *key, const unsigned char *peer, size_t peer_len,
                unsigned char *secret, size_t *secret_len)
{
    struct key_io_request req = { key,    peer,       peer_len,
                                  secret, secret_len, TPMA_SESSION_ENCRYPT };
    const tk_tpm_pubinfo *info = tk_tpm_key_info(key);
    size_t field = (info->bits + 7) / 8;

    if (info->kind != TK_TPM_KEY_EC || peer_len != 1 + 2 * field
        || peer[0] != 0x04) {
        tk_raise(TK_R_BAD_REQUEST,
                 "ECDH needs an uncompressed peer point on the key's curve");
        return 0;
    }
    if (!info->can_decrypt || info->restricted) {
        tk_raise(TK_R_NOT_SUPPORTED, "this TPM key may not do key agreement");
        return 0;
    }
    return tk_tpm_run(tk_tpm_key_tpm(key), ecdh, &req);
}
