/* SPDX-License-Identifier: Apache-2.0 */
/* One TPM command through the SYS API with tpmkit's own session arithmetic
 * (TPM 2.0 Part 1, "Session-based authorization", "Parameter encryption"):
 * encrypt the first command parameter, compute cpHash and each session's
 * HMAC, run the command, check the response HMACs, roll the nonces and
 * decrypt the first response parameter. */
#include <string.h>
#include <openssl/crypto.h>
#include <tss2/tss2_mu.h>

#include "state.h"
#include "../provider/errors.h"

void tk_call_init(tk_call *call)
{
    memset(call, 0, sizeof(*call));
}

TSS2_RC tk_call_handle(tk_tpm *tpm, tk_call *call, ESYS_TR tr, TPM2_HANDLE *out)
{
    TSS2_RC rc = Esys_TR_GetTpmHandle(tpm->conn.esys, tr, out);

    if (rc != TSS2_RC_SUCCESS)
        return tk_fail(tpm, rc, TK_R_INTERNAL, "object handle");
    if (tr == tpm->prim.object.handle && tpm->prim.name.size > 0) {
        tk_call_handle_named(call, *out, &tpm->prim.name);
        return TSS2_RC_SUCCESS;
    }
    call->trs[call->n_handles] = tr;
    call->named[call->n_handles] = 0;
    call->handles[call->n_handles++] = *out;
    return TSS2_RC_SUCCESS;
}

void tk_call_handle_named(tk_call *call, TPM2_HANDLE handle,
                          const TPM2B_NAME *name)
{
    call->trs[call->n_handles] = ESYS_TR_NONE;
    call->named[call->n_handles] = 1;
    call->names[call->n_handles] = *name;
    call->handles[call->n_handles++] = handle;
}

void tk_call_handle_sequence(tk_call *call, TPM2_HANDLE handle)
{
    TPM2B_NAME empty = { 0 };

    tk_call_handle_named(call, handle, &empty);
}

void tk_call_auth_add(tk_call *call, tk_sess *sess, const TPM2B_AUTH *auth,
                      TPMA_SESSION attrs)
{
    tk_call_auth *a = &call->auths[call->n_auths++];

    a->sess = sess;
    a->attrs = attrs;
    a->auth.size = 0;
    if (auth != NULL)
        a->auth = *auth;
    /* The TPM drops trailing zero octets of an authValue in HMAC keys. */
    if (sess != NULL)
        while (a->auth.size > 0 && a->auth.buffer[a->auth.size - 1] == 0)
            a->auth.size--;
}

/* Everything of one command the hashes need. */
struct pass {
    tk_call *call;
    TPM2_CC cc;
    TPM2B_NONCE nonce_caller[3];
    int decrypt, encrypt; /* index of the session doing it, or -1 */
};

/* The key of an HMAC or of parameter encryption: session key || password.
 * A policy session uses the password only after PolicyAuthValue. */
static size_t hmac_key(const tk_call_auth *a, unsigned char *key)
{
    size_t len = a->sess->key_len;

    memcpy(key, a->sess->key, len);
    if (a->sess->type != TPM2_SE_POLICY
        || a->sess->policy_auth == TK_POLICY_AUTH_VALUE) {
        memcpy(key + len, a->auth.buffer, a->auth.size);
        len += a->auth.size;
    }
    return len;
}

static int param_crypt(tk_tpm *tpm, const tk_call_auth *a,
                       const TPM2B_NONCE *newer, const TPM2B_NONCE *older,
                       unsigned char *buf, size_t len, int encrypt)
{
    unsigned char key[64 + sizeof(TPMU_HA)], key_iv[32];
    size_t key_len = a->sess->key_len + a->auth.size;
    tk_iov u = { newer->buffer, newer->size },
           v = { older->buffer, older->size };
    int ok;

    /* Parameter encryption always folds in the password (Part 1, 21.3). */
    memcpy(key, a->sess->key, a->sess->key_len);
    memcpy(key + a->sess->key_len, a->auth.buffer, a->auth.size);
    ok = tk_crypto_kdfa(&tpm->conn.crypto, a->sess->hash, key, key_len, "CFB",
                        &u, &v, 256, key_iv)
         && tk_crypto_cfb(&tpm->conn.crypto, key_iv, buf, len, encrypt);
    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(key_iv, sizeof(key_iv));
    return ok;
}

/* Encrypt the first command parameter (`command`) or decrypt the first
 * response parameter, in place in SYS's buffer. The newer nonce comes
 * first: the caller's for a command, the TPM's for a response. */
static TSS2_RC crypt_first_param(tk_tpm *tpm, struct pass *p, int command)
{
    int index = command ? p->decrypt : p->encrypt;
    const tk_call_auth *a = &p->call->auths[index];
    const TPM2B_NONCE *caller = &p->nonce_caller[index];
    const TPM2B_NONCE *tpm_nonce = &a->sess->nonce_tpm;
    const uint8_t *param;
    unsigned char buf[4096];
    size_t size;
    TSS2_RC rc = command
                     ? Tss2_Sys_GetDecryptParam(tpm->conn.sys, &size, &param)
                     : Tss2_Sys_GetEncryptParam(tpm->conn.sys, &size, &param);

    if (rc != TSS2_RC_SUCCESS || size == 0)
        return rc;
    if (size > sizeof(buf))
        return TSS2_SYS_RC_INSUFFICIENT_BUFFER;
    memcpy(buf, param, size);
    if (!param_crypt(tpm, a, command ? caller : tpm_nonce,
                     command ? tpm_nonce : caller, buf, size, command))
        return TSS2_ESYS_RC_GENERAL_FAILURE;
    rc = command ? Tss2_Sys_SetDecryptParam(tpm->conn.sys, size, buf)
                 : Tss2_Sys_SetEncryptParam(tpm->conn.sys, size, buf);
    OPENSSL_cleanse(buf, size);
    return rc;
}

/* Names not known yet, from ESYS (only commands with an HMAC need them). */
static int complete_names(tk_tpm *tpm, tk_call *call)
{
    for (int i = 0; i < call->n_handles; i++) {
        TPM2B_NAME *name = NULL;

        if (call->named[i])
            continue;
        if (Esys_TR_GetName(tpm->conn.esys, call->trs[i], &name)
            != TSS2_RC_SUCCESS)
            return 0;
        call->names[i] = *name;
        call->named[i] = 1;
        Esys_Free(name);
    }
    return 1;
}

/* cpHash or rpHash in the session's hash. */
static int params_hash(tk_tpm *tpm, TPMI_ALG_HASH alg, const tk_iov *parts,
                       size_t n, unsigned char *out, UINT16 *out_len)
{
    *out_len = (UINT16)tk_crypto_hash_size(alg);
    return tk_crypto_hash(&tpm->conn.crypto, alg, parts, n, out);
}

static TSS2_RC command_auths(tk_tpm *tpm, struct pass *p,
                             TSS2L_SYS_AUTH_COMMAND *auths)
{
    tk_call *call = p->call;
    const uint8_t *cp;
    size_t cp_size;
    unsigned char cc_be[4], cp_hash[64];
    UINT16 cp_hash_len = 0;
    TPMI_ALG_HASH cp_alg = TPM2_ALG_NULL;
    TSS2_RC rc;

    if ((rc = Tss2_Sys_GetCpBuffer(tpm->conn.sys, &cp_size, &cp))
        != TSS2_RC_SUCCESS)
        return rc;
    tk_put_be(cc_be, p->cc, 4);
    auths->count = (UINT16)call->n_auths;
    for (int i = 0; i < call->n_auths; i++) {
        tk_call_auth *a = &call->auths[i];
        TPMS_AUTH_COMMAND *out = &auths->auths[i];
        tk_iov hash_parts[5], hmac_parts[6];
        unsigned char key[64 + sizeof(TPMU_HA)], attrs;
        size_t n = 0, key_len;

        memset(out, 0, sizeof(*out));
        /* A password authorization (TPM_RS_PW). tpmkit never sends a
         * password in a session (PolicyPassword is replayed as
         * PolicyAuthValue). */
        if (a->sess == NULL) {
            out->sessionHandle = TPM2_RH_PW;
            out->sessionAttributes = a->attrs;
            out->hmac.size = a->auth.size;
            memcpy(out->hmac.buffer, a->auth.buffer, a->auth.size);
            continue;
        }
        /* cpHash once per hash algorithm among the sessions. */
        if (a->sess->hash != cp_alg) {
            if (!complete_names(tpm, call))
                return TSS2_ESYS_RC_BAD_TR;
            hash_parts[n++] = (tk_iov){ cc_be, 4 };
            for (int h = 0; h < call->n_handles; h++)
                hash_parts[n++] = (tk_iov){ call->names[h].name,
                                            call->names[h].size };
            hash_parts[n++] = (tk_iov){ cp, cp_size };
            if (!params_hash(tpm, a->sess->hash, hash_parts, n, cp_hash,
                             &cp_hash_len))
                return TSS2_ESYS_RC_GENERAL_FAILURE;
            cp_alg = a->sess->hash;
        }
        attrs = a->attrs;
        n = 0;
        hmac_parts[n++] = (tk_iov){ cp_hash, cp_hash_len };
        hmac_parts[n++] = (tk_iov){ p->nonce_caller[i].buffer,
                                    p->nonce_caller[i].size };
        hmac_parts[n++] = (tk_iov){ a->sess->nonce_tpm.buffer,
                                    a->sess->nonce_tpm.size };
        /* The first session also vouches for the nonces of the sessions
         * that encrypt, when those are other sessions. */
        if (i == 0 && p->decrypt > 0) {
            const TPM2B_NONCE *nd = &call->auths[p->decrypt].sess->nonce_tpm;

            hmac_parts[n++] = (tk_iov){ nd->buffer, nd->size };
        }
        if (i == 0 && p->encrypt > 0 && p->encrypt != p->decrypt) {
            const TPM2B_NONCE *ne = &call->auths[p->encrypt].sess->nonce_tpm;

            hmac_parts[n++] = (tk_iov){ ne->buffer, ne->size };
        }
        hmac_parts[n++] = (tk_iov){ &attrs, 1 };
        key_len = hmac_key(a, key);
        out->sessionHandle = a->sess->handle;
        out->nonce = p->nonce_caller[i];
        out->sessionAttributes = attrs;
        out->hmac.size = (UINT16)tk_crypto_hash_size(a->sess->hash);
        if (!tk_crypto_hmac(&tpm->conn.crypto, a->sess->hash, key, key_len,
                            hmac_parts, n, out->hmac.buffer)) {
            OPENSSL_cleanse(key, sizeof(key));
            return TSS2_ESYS_RC_GENERAL_FAILURE;
        }
        OPENSSL_cleanse(key, sizeof(key));
    }
    return TSS2_RC_SUCCESS;
}

/* Check the TPM's response HMACs and take its new nonces. */
static TSS2_RC check_response(tk_tpm *tpm, struct pass *p)
{
    tk_call *call = p->call;
    TSS2L_SYS_AUTH_RESPONSE rsp;
    const uint8_t *rp;
    size_t rp_size;
    unsigned char rc_be[4] = { 0 }, cc_be[4];
    TSS2_RC rc;

    if ((rc = Tss2_Sys_GetRspAuths(tpm->conn.sys, &rsp)) != TSS2_RC_SUCCESS
        || (rc = Tss2_Sys_GetRpBuffer(tpm->conn.sys, &rp_size, &rp))
               != TSS2_RC_SUCCESS)
        return rc;
    tk_put_be(cc_be, p->cc, 4);
    for (int i = 0; i < call->n_auths; i++) {
        tk_call_auth *a = &call->auths[i];
        const TPMS_AUTH_RESPONSE *r = &rsp.auths[i];
        tk_iov hash_parts[] = { { rc_be, 4 }, { cc_be, 4 }, { rp, rp_size } };
        unsigned char rp_hash[64], key[64 + sizeof(TPMU_HA)], mac[64];
        UINT16 rp_hash_len;
        size_t key_len;
        int ok;

        if (a->sess == NULL)
            continue;
        a->sess->nonce_tpm = r->nonce;
        {
            tk_iov hmac_parts[] = {
                { rp_hash, 0 },
                { r->nonce.buffer, r->nonce.size },
                { p->nonce_caller[i].buffer, p->nonce_caller[i].size },
                { &r->sessionAttributes, 1 },
            };

            key_len = hmac_key(a, key);
            ok = params_hash(tpm, a->sess->hash, hash_parts, 3, rp_hash,
                             &rp_hash_len);
            hmac_parts[0].len = rp_hash_len;
            ok = ok
                 && tk_crypto_hmac(&tpm->conn.crypto, a->sess->hash, key,
                                   key_len, hmac_parts, 4, mac);
            OPENSSL_cleanse(key, sizeof(key));
        }
        if (!ok || r->hmac.size != tk_crypto_hash_size(a->sess->hash)
            || CRYPTO_memcmp(mac, r->hmac.buffer, r->hmac.size) != 0)
            return TSS2_ESYS_RC_RSP_AUTH_FAILED;
    }
    return TSS2_RC_SUCCESS;
}

/* The TPM ends a session sent without continueSession when the command
 * succeeds; the connection's session is then forgotten (a policy session
 * made for one command is the caller's, tk_key_authorize_end). */
static void forget_ended(tk_tpm *tpm, const tk_call *call)
{
    for (int i = 0; i < call->n_auths; i++)
        if (call->auths[i].sess == &tpm->session
            && !(call->auths[i].attrs & TPMA_SESSION_CONTINUESESSION)) {
            OPENSSL_cleanse(&tpm->session, sizeof(tpm->session));
            tk_debug("the salted session ended with its operation's last"
                     " command");
        }
}

TSS2_RC tk_call_run(tk_tpm *tpm, tk_call *call, TPM2_CC cc)
{
    struct pass p = { call, cc, { { 0 } }, -1, -1 };
    TSS2L_SYS_AUTH_COMMAND auths;
    TSS2_RC rc;

    for (int i = 0; i < call->n_auths; i++) {
        tk_sess *s = call->auths[i].sess;

        if (s == NULL)
            continue;
        p.nonce_caller[i].size = (UINT16)tk_crypto_hash_size(s->hash);
        if (!tk_crypto_random(&tpm->conn.crypto, p.nonce_caller[i].buffer,
                              p.nonce_caller[i].size))
            return tk_fail(tpm, TSS2_ESYS_RC_GENERAL_FAILURE, TK_R_INTERNAL,
                           "session nonce");
        if ((call->auths[i].attrs & TPMA_SESSION_DECRYPT) && p.decrypt < 0)
            p.decrypt = i;
        if ((call->auths[i].attrs & TPMA_SESSION_ENCRYPT) && p.encrypt < 0)
            p.encrypt = i;
    }
    if (p.decrypt >= 0
        && (rc = crypt_first_param(tpm, &p, 1)) != TSS2_RC_SUCCESS)
        return rc;
    if (call->n_auths > 0) {
        if ((rc = command_auths(tpm, &p, &auths)) != TSS2_RC_SUCCESS)
            return rc;
        rc = Tss2_Sys_SetCmdAuths(tpm->conn.sys, &auths);
        OPENSSL_cleanse(&auths, sizeof(auths));
        if (rc != TSS2_RC_SUCCESS)
            return rc;
    }
    rc = Tss2_Sys_Execute(tpm->conn.sys);
    /* A failed command has no session area; the nonces stay as they were. */
    if (rc != TSS2_RC_SUCCESS || call->n_auths == 0)
        return rc;
    if ((rc = check_response(tpm, &p)) == TSS2_RC_SUCCESS && p.encrypt >= 0)
        rc = crypt_first_param(tpm, &p, 0);
    forget_ended(tpm, call);
    return rc;
}
