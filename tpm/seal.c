/* SPDX-License-Identifier: Apache-2.0 */
/* Sealing and unsealing (seal.h): TPM2_Create (create.c) with a
 * sealed-data template and the secret as the sensitive data. */
#include <string.h>
#include <openssl/crypto.h>
#include <tss2/tss2_mu.h>

#include "authorize.h"
#include "create.h"
#include "keyobj.h"
#include "policy.h"
#include "run.h"
#include "seal.h"
#include "session.h"
#include "state.h"
#include "../provider/errors.h"

struct seal_request {
    const tk_tpm_seal_req *req;
    TPM2B_PUBLIC template;
    TPM2B_SENSITIVE_CREATE sensitive;
    TPM2B_PUBLIC out_pub;
    TPM2B_PRIVATE out_priv;
};

/* A keyed-hash object with no scheme and neither sign nor decrypt: the
 * TPM lets only TPM2_Unseal read its data (Part 1, "Sealed Data"). The
 * data comes from outside: no sensitiveDataOrigin. */
static void seal_template(const tk_tpm_seal_req *req, TPM2B_PUBLIC *tmpl)
{
    TPMT_PUBLIC *area = &tmpl->publicArea;

    memset(tmpl, 0, sizeof(*tmpl));
    area->type = TPM2_ALG_KEYEDHASH;
    area->nameAlg = TPM2_ALG_SHA256;
    area->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT
                             | TPMA_OBJECT_USERWITHAUTH;
    if (req->auth_len == 0)
        area->objectAttributes |= TPMA_OBJECT_NODA;
    area->parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL;
    if (req->policy_digest != NULL) {
        area->objectAttributes &= ~TPMA_OBJECT_USERWITHAUTH;
        area->authPolicy.size = (UINT16)req->policy_digest_len;
        memcpy(area->authPolicy.buffer, req->policy_digest,
               req->policy_digest_len);
    }
}

static TSS2_RC seal(tk_tpm *tpm, void *arg)
{
    struct seal_request *sr = arg;
    TPM2B_AUTH no_auth = { 0 };

    return tk_create_object(tpm, sr->req->parent, &no_auth, &sr->sensitive,
                            &sr->template, 1, "the sealed-data object",
                            &sr->out_pub, &sr->out_priv);
}

static int marshal_blobs(const struct seal_request *sr, unsigned char **pub,
                         size_t *pub_len, unsigned char **priv,
                         size_t *priv_len)
{
    unsigned char buf[sizeof(TPM2B_PUBLIC) + sizeof(TPM2B_PRIVATE)];
    size_t n = 0;

    if (Tss2_MU_TPM2B_PUBLIC_Marshal(&sr->out_pub, buf, sizeof(buf), &n)
            != TSS2_RC_SUCCESS
        || (*pub = OPENSSL_memdup(buf, n)) == NULL)
        return 0;
    *pub_len = n;
    n = 0;
    if (Tss2_MU_TPM2B_PRIVATE_Marshal(&sr->out_priv, buf, sizeof(buf), &n)
            != TSS2_RC_SUCCESS
        || (*priv = OPENSSL_memdup(buf, n)) == NULL)
        return 0;
    *priv_len = n;
    return 1;
}

int tk_tpm_seal(tk_tpm *tpm, const tk_tpm_seal_req *req, unsigned char **pub,
                size_t *pub_len, unsigned char **priv, size_t *priv_len)
{
    struct seal_request sr = { .req = req };
    TPM2B_SENSITIVE_CREATE *s = &sr.sensitive;
    int ok = 0;

    *pub = *priv = NULL;
    if (!tk_tpm_encrypting(tpm)) {
        tk_raise(TK_R_NOT_SUPPORTED,
                 "sealing needs session encryption (session-encryption ="
                 " yes): the secret would cross the bus in clear");
        return 0;
    }
    if (req->secret_len == 0 || req->secret_len > TK_TPM_SEAL_MAX) {
        tk_raise(TK_R_BAD_REQUEST,
                 "a sealed secret is 1 to %d bytes, not %zu (seal a key"
                 " to a larger file's encryption key instead)",
                 TK_TPM_SEAL_MAX, req->secret_len);
        return 0;
    }
    if (req->policy_digest != NULL
        && req->policy_digest_len != TK_TPM_POLICY_DIGEST_LEN) {
        tk_raise(TK_R_INTERNAL, "a sealed object's policy is a SHA-256 digest");
        return 0;
    }
    if (req->auth_len > sizeof(s->sensitive.userAuth.buffer)) {
        tk_raise(TK_R_BAD_REQUEST, "password longer than %zu bytes",
                 sizeof(s->sensitive.userAuth.buffer));
        return 0;
    }
    seal_template(req, &sr.template);
    s->sensitive.userAuth.size = (UINT16)req->auth_len;
    if (req->auth_len > 0)
        memcpy(s->sensitive.userAuth.buffer, req->auth, req->auth_len);
    s->sensitive.data.size = (UINT16)req->secret_len;
    memcpy(s->sensitive.data.buffer, req->secret, req->secret_len);
    if (tk_tpm_run(tpm, seal, &sr)) {
        ok = marshal_blobs(&sr, pub, pub_len, priv, priv_len);
        if (!ok)
            tk_raise(TK_R_INTERNAL, "cannot marshal the sealed object");
    }
    OPENSSL_cleanse(&sr.sensitive, sizeof(sr.sensitive));
    if (!ok) {
        OPENSSL_free(*pub);
        OPENSSL_free(*priv);
        *pub = *priv = NULL;
    }
    return ok;
}

struct unseal_request {
    tk_tpm_key *key;
    unsigned char *out;
    size_t size, *out_len;
};

static TSS2_RC unseal(tk_tpm *tpm, void *arg)
{
    struct unseal_request *ur = arg;
    TPM2B_SENSITIVE_DATA data = { 0 };
    TPM2_HANDLE handle;
    tk_call call;
    TSS2_RC rc;

    /* outData is the first response parameter: encrypted (ENCRYPT). The
     * salted session also proves a password by HMAC, never in clear. */
    tk_call_init(&call);
    rc = tk_key_authorize(tpm, ur->key, TPMA_SESSION_ENCRYPT | TK_SESSION_LAST,
                          &call, &handle);
    if (rc != TSS2_RC_SUCCESS)
        return rc;
    rc = Tss2_Sys_Unseal_Prepare(tpm->conn.sys, handle);
    if (rc == TSS2_RC_SUCCESS)
        rc = tk_call_run(tpm, &call, TPM2_CC_Unseal);
    if (rc == TSS2_RC_SUCCESS)
        rc = Tss2_Sys_Unseal_Complete(tpm->conn.sys, &data);
    tk_key_authorize_end(tpm, &call, rc);
    if (rc != TSS2_RC_SUCCESS)
        return tk_key_op_fail(tpm, rc, "TPM2_Unseal");
    if (data.size > ur->size) {
        OPENSSL_cleanse(&data, sizeof(data));
        return tk_fail(tpm, TSS2_ESYS_RC_MALFORMED_RESPONSE,
                       TK_R_TPM_COMMAND_FAILED, "TPM2_Unseal (too much data)");
    }
    memcpy(ur->out, data.buffer, data.size);
    *ur->out_len = data.size;
    OPENSSL_cleanse(&data, sizeof(data));
    return TSS2_RC_SUCCESS;
}

int tk_tpm_unseal(tk_tpm_key *key, unsigned char *out, size_t size,
                  size_t *out_len)
{
    struct unseal_request ur = { key, out, size, out_len };
    tk_tpm *tpm = tk_tpm_key_tpm(key);

    if (tk_tpm_key_info(key)->kind != TK_TPM_KEY_SEALED) {
        tk_raise(TK_R_NOT_SUPPORTED,
                 "this TPM object is a key, not sealed data: nothing to"
                 " unseal");
        return 0;
    }
    if (!tk_tpm_encrypting(tpm)) {
        tk_raise(TK_R_NOT_SUPPORTED,
                 "unsealing needs session encryption (session-encryption ="
                 " yes): the secret would cross the bus in clear");
        return 0;
    }
    return tk_tpm_run(tpm, unseal, &ur);
}
