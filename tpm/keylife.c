/* SPDX-License-Identifier: Apache-2.0 */
/* The public key functions that take the connection lock: reading a
 * persistent key, freeing a key (flushing it if loaded), and handing out
 * the blobs of a key file (importing a pending duplicate first). */
#include <openssl/crypto.h>
#include <unistd.h>

#include "keyobj.h"
#include "pubinfo.h"
#include "run.h"
#include "state.h"
#include "../provider/errors.h"

static TSS2_RC read_persistent(tk_tpm *tpm, void *arg)
{
    tk_tpm_key *key = arg;
    TPM2B_PUBLIC *pub = NULL;
    ESYS_TR handle;
    TSS2_RC rc;

    rc = Esys_TR_FromTPMPublic(tpm->conn.esys, key->persistent, ESYS_TR_NONE,
                               ESYS_TR_NONE, ESYS_TR_NONE, &handle);
    if (rc != TSS2_RC_SUCCESS)
        return tk_fail(tpm, rc, TK_R_BAD_KEY, "reading the persistent key");
    rc = Esys_ReadPublic(tpm->conn.esys, handle, ESYS_TR_NONE, ESYS_TR_NONE,
                         ESYS_TR_NONE, &pub, NULL, NULL);
    Esys_TR_Close(tpm->conn.esys, &handle);
    if (rc != TSS2_RC_SUCCESS)
        return tk_fail(tpm, rc, TK_R_BAD_KEY, "TPM2_ReadPublic");
    key->pub = *pub;
    Esys_Free(pub);
    return TSS2_RC_SUCCESS;
}

tk_tpm_key *tk_tpm_key_from_persistent(tk_tpm *tpm, uint32_t handle)
{
    tk_tpm_key *key;

    if ((handle >> 24) != TPM2_HT_PERSISTENT) {
        tk_raise(TK_R_BAD_KEY, "0x%08x is not a persistent handle (0x81xxxxxx)",
                 handle);
        return NULL;
    }
    if ((key = tk_key_new(tpm)) == NULL)
        return NULL;
    key->persistent = handle;
    if (!tk_tpm_run(tpm, read_persistent, key)) {
        tk_raise(TK_R_BAD_KEY, "no usable key at persistent handle 0x%08x",
                 handle);
        tk_key_destroy(key);
        return NULL;
    }
    if (!tk_tpm_pubinfo_from_area(&key->pub.publicArea, &key->info)) {
        tk_key_destroy(key);
        return NULL;
    }
    return key;
}

static TSS2_RC release_key(tk_tpm *tpm, void *arg)
{
    tk_tpm_key *key = arg;

    tk_key_unload(tpm, key,
                  tpm->conn.esys != NULL && tpm->conn.owner == getpid());
    return TSS2_RC_SUCCESS;
}

void tk_tpm_key_free(tk_tpm_key *key)
{
    if (key == NULL || __atomic_sub_fetch(&key->refs, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    tk_tpm_locked(key->tpm, release_key, key);
    tk_key_destroy(key);
}

struct blobs {
    tk_tpm_key *key;
    int pending; /* a duplicate still to import */
    uint32_t parent;
    const unsigned char *pub, *priv;
    size_t pub_len, priv_len;
};

static TSS2_RC read_blobs(tk_tpm *tpm, void *arg)
{
    struct blobs *b = arg;
    tk_tpm_key *key = b->key;

    (void)tpm;
    b->pending = key->import_seed != NULL;
    b->parent = key->parent;
    b->pub = key->pub_blob;
    b->pub_len = key->pub_len;
    b->priv = key->priv_blob;
    b->priv_len = key->priv_len;
    return TSS2_RC_SUCCESS;
}

static TSS2_RC import_then_read(tk_tpm *tpm, void *arg)
{
    struct blobs *b = arg;
    TSS2_RC rc = tk_key_import_pending(tpm, b->key);

    if (rc == TSS2_RC_SUCCESS)
        read_blobs(tpm, b);
    return rc;
}

int tk_tpm_key_blobs(tk_tpm_key *key, uint32_t *parent,
                     const unsigned char **pub, size_t *pub_len,
                     const unsigned char **priv, size_t *priv_len)
{
    struct blobs b = { .key = key };

    if (key->persistent != 0 || key->external != NULL)
        return 0;
    /* Read under the lock: an import replaces the private blob. Only a key
     * file that is still a duplicate needs the TPM (a written key file must
     * be loadable). */
    tk_tpm_locked(key->tpm, read_blobs, &b);
    if (b.pending && !tk_tpm_run(key->tpm, import_then_read, &b))
        return 0;
    *parent = b.parent;
    *pub = b.pub;
    *pub_len = b.pub_len;
    *priv = b.priv;
    *priv_len = b.priv_len;
    return 1;
}
