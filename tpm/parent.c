/* SPDX-License-Identifier: Apache-2.0 */
/* The public area of a parent, for wrapping a key to it (duplicate.h).
 * A duplicate made for a substituted public key would hand the private
 * key to whoever substituted it: for the standard primary the public area
 * is the template plus the point primary.c checked against tpm-identity,
 * not what a TPM2_ReadPublic says now. The RSA storage primary and
 * persistent parents are read with TPM2_ReadPublic: tpm-identity does not
 * vouch for them. */
#include <string.h>
#include <openssl/crypto.h>
#include <tss2/tss2_mu.h>

#include "duplicate.h"
#include "keyobj.h"
#include "primary.h"
#include "run.h"
#include "state.h"
#include "../provider/errors.h"

struct parent_request {
    uint32_t parent;
    TPM2B_PUBLIC pub;
};

static TSS2_RC read_parent(tk_tpm *tpm, void *arg)
{
    struct parent_request *req = arg;
    TPM2B_AUTH no_auth = { 0 };
    TPM2B_PUBLIC *read = NULL;
    ESYS_TR handle;
    TSS2_RC rc;

    rc = tk_parent_get(tpm, req->parent, &no_auth, &handle);
    if (rc != TSS2_RC_SUCCESS)
        return rc;
    if (req->parent == TK_TPM_PARENT_PRIMARY) {
        req->pub = *tk_primary_template();
        req->pub.publicArea.unique.ecc = tpm->prim.point;
    } else {
        rc = Esys_ReadPublic(tpm->conn.esys, handle, ESYS_TR_NONE, ESYS_TR_NONE,
                             ESYS_TR_NONE, &read, NULL, NULL);
        if (rc == TSS2_RC_SUCCESS)
            req->pub = *read;
        else
            tk_fail(tpm, rc, TK_R_BAD_KEY, "TPM2_ReadPublic of the parent");
        Esys_Free(read);
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
