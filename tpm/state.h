/* SPDX-License-Identifier: Apache-2.0 */
/* One TPM connection's state: each part belongs to the file named beside
 * it, which alone changes it. Private to tpm/. */
#ifndef TK_TPM_STATE_H
#define TK_TPM_STATE_H

#include <pthread.h>

#include "call.h"
#include "connection.h"
#include "identity.h"
#include "journal.h"
#include "keyobj.h"
#include "primary.h"
#include "rc.h"
#include "storage_primary.h"
#include "watchdog.h"

struct tk_tpm {
    /* registry.c: which TPM, shared by every provider instance using it. */
    char *tcti_conf;
    int encrypt;
    int park;                 /* park between operations: no resource manager */
    unsigned int srk_handle;  /* storage_primary.c: where one may persist */
    int refs;                 /* guarded by the registry lock */
    struct tk_tpm *next;      /* registry list */
    tk_identity identity;     /* identity.c: the TPM tpmkit trusts */
    OSSL_LIB_CTX *crypto_ctx; /* where ESYS's own OpenSSL calls resolve:
                                 * OpenSSL's providers only */

    /* run.c: the lock guards everything below. */
    pthread_mutex_t lock;
    int fork_locked; /* registry.c: taken by the fork hook */
    tk_watchdog watchdog;
    tk_failure fail; /* rc.c */
    int warm;        /* this connection finished an operation: parking
                      * between operations then saves contexts */
    struct {         /* a session left behind by a hung TPM (the journal's
              * counters say whether it can still be in the TPM) */
        UINT32 session;
    } orphan;

    tk_conn conn; /* connection.c */
    struct {      /* run.c: a forked child's abandoned copy of a
                                 * connection in use at fork(), kept (never
                                 * freed: it may be half-updated) */
        tk_conn conn;
        TPMS_CONTEXT *primary_saved, *rsa_primary_saved;
    } inherited;
    tk_primary prim;    /* primary.c */
    tk_sess session;    /* session.c: the salted session */
    tk_key_cache keys;  /* keyload.c */
    tk_journal journal; /* journal.c: without a resource manager */

    tk_storage_primary rsa_prim; /* rsa_primary.c */
};

#endif
