/* SPDX-License-Identifier: Apache-2.0 */
/* The public area of a parent, for wrapping a key to it (duplicate.h).
 * A duplicate made for a substituted public key would hand the private
 * key to whoever substituted it: for the standard primary the public area
 * is the template plus the point primary.c checked against tpm-identity,
 * not what a TPM2_ReadPublic says now. The RSA storage primary and
 * persistent parents are read with TPM2_ReadPublic in the salted session:
 * its response HMAC, keyed from a salt only the TPM tpm-identity names can
 * open, proves the public area came from that TPM. */
#include <string.h>
#include <openssl/crypto.h>
#include <tss2/tss2_mu.h>

#include "duplicate.h"
#include "keyobj.h"
#include "primary.h"
#include "run.h"
#include "session.h"
#include "session_crypto.h"
#include "state.h"
#include "../provider/errors.h"

struct parent_request {
    uint32_t parent;
    TPM2B_PUBLIC pub;
};

/* TPM2_ReadPublic of `handle` with the salted session attached (response
 * encrypted, so the session's HMAC covers it); the area must hash to the
 * name in the same authenticated response. */
static TSS2_RC read_public_in_session(tk_tpm *tpm, ESYS_TR handle,
                                      TPM2B_PUBLIC *out)
{
    TPM2B_NAME name = { 0 }, qualified = { 0 };
    TPM2_HANDLE tpm_handle;
    tk_call call;
    TSS2_RC rc;

    tk_call_init(&call);
    if ((rc = tk_call_handle(tpm, &call, handle, &tpm_handle))
            != TSS2_RC_SUCCESS
        || (rc = tk_session_attach(tpm, &call, TPMA_SESSION_ENCRYPT))
               != TSS2_RC_SUCCESS)
        return rc;
    memset(out, 0, sizeof(*out));
    rc = Tss2_Sys_ReadPublic_Prepare(tpm->conn.sys, tpm_handle);
    if (rc == TSS2_RC_SUCCESS)
        rc = tk_call_run(tpm, &call, TPM2_CC_ReadPublic);
    if (rc == TSS2_RC_SUCCESS)
        rc = Tss2_Sys_ReadPublic_Complete(tpm->conn.sys, out, &name,
                                          &qualified);
    /* The TPM refuses the session's HMAC when the name ESYS read for the
     * handle (without a session) is not the object's. */
    if (tk_rc_is_auth_failure(rc))
        return tk_fail(tpm, rc, TK_R_BAD_KEY,
                       "the parent's public key could not be authenticated:"
                       " what was read without a session differs from what"
                       " the TPM holds (something on the TPM bus changes the"
                       " TPM's answers); nothing was wrapped");
    if (rc != TSS2_RC_SUCCESS)
        return tk_fail(tpm, rc, TK_R_BAD_KEY, "TPM2_ReadPublic of the parent");
    if (!tk_object_has_name(&tpm->conn.crypto, out, &name))
        return tk_fail(tpm, TSS2_ESYS_RC_MALFORMED_RESPONSE, TK_R_BAD_KEY,
                       "TPM2_ReadPublic of the parent: the public area does"
                       " not match its name");
    return TSS2_RC_SUCCESS;
}

static TSS2_RC read_parent(tk_tpm *tpm, void *arg)
{
    struct parent_request *req = arg;
    TPM2B_AUTH no_auth = { 0 };
    ESYS_TR handle;
    TSS2_RC rc;

    rc = tk_parent_get(tpm, req->parent, &no_auth, &handle);
    if (rc != TSS2_RC_SUCCESS)
        return rc;
    if (req->parent == TK_TPM_PARENT_PRIMARY) {
        req->pub = *tk_primary_template();
        req->pub.publicArea.unique.ecc = tpm->prim.point;
    } else {
        rc = read_public_in_session(tpm, handle, &req->pub);
    }
    tk_parent_release(tpm, req->parent, &handle);
    return rc;
}

int tk_tpm_parent_public(tk_tpm *tpm, uint32_t parent, unsigned char **pub,
                         size_t *len)
{
    struct parent_request req = { .parent = parent };
    unsigned char buf[sizeof(TPM2B_PUBLIC)];
    size_t off = 0;

    if (parent == 0)
        req.parent = TK_TPM_PARENT_PRIMARY;
    if (req.parent != TK_TPM_PARENT_PRIMARY
        && req.parent != TK_TPM_PARENT_RSA_PRIMARY
        && (req.parent >> 24) != TPM2_HT_PERSISTENT) {
        tk_raise(TK_R_BAD_KEY,
                 "unsupported parent handle 0x%08x (use 0x40000001, the RSA"
                 " storage primary or a persistent key 0x81xxxxxx)",
                 parent);
        return 0;
    }
    if (!tk_tpm_run(tpm, read_parent, &req))
        return 0;
    if (Tss2_MU_TPM2B_PUBLIC_Marshal(&req.pub, buf, sizeof(buf), &off)
            != TSS2_RC_SUCCESS
        || (*pub = OPENSSL_memdup(buf, off)) == NULL) {
        tk_raise(TK_R_INTERNAL, "cannot marshal the parent's public area");
        return 0;
    }
    *len = off;
    return 1;
}
