/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_tpm2_types.h>

#include "tcti_journal.h"
#include "tcti_wrap.h"

#define MAX_ENDING 3

typedef struct jtcti {
    tk_tcti_wrap wrap; /* first: the TCTI callers see */
    tk_journal *journal;
    uint32_t cc;
    /* Given up when the command succeeds: a completed sequence, sessions
     * without continueSession (a flushed handle: once sent). */
    TPM2_HANDLE ending[MAX_ENDING];
    int n_ending;
    int sent_pending; /* the command in flight creates a handle */
} jtcti;

static int is_tracked(TPM2_HANDLE h)
{
    uint8_t type = (uint8_t)(h >> 24);

    return type == TPM2_HT_TRANSIENT || type == TPM2_HT_HMAC_SESSION
           || type == TPM2_HT_POLICY_SESSION;
}

/* Commands whose response starts with a new handle. */
static int creates_handle(uint32_t cc)
{
    switch (cc) {
    case TPM2_CC_CreatePrimary:
    case TPM2_CC_Load:
    case TPM2_CC_LoadExternal:
    case TPM2_CC_ContextLoad:
    case TPM2_CC_StartAuthSession:
    case TPM2_CC_HMAC_Start:
    case TPM2_CC_HashSequenceStart:
    case TPM2_CC_CreateLoaded:
        return 1;
    default:
        return 0;
    }
}

/* How many handles precede the authorization area, for the commands
 * tpmkit sends with sessions; -1: not known here. */
static int handle_count(uint32_t cc)
{
    switch (cc) {
    case TPM2_CC_LoadExternal:
    case TPM2_CC_GetRandom:
    case TPM2_CC_HashSequenceStart:
        return 0;
    case TPM2_CC_NV_Read:
    case TPM2_CC_PolicySecret:
        return 2;
    case TPM2_CC_Sign:
    case TPM2_CC_RSA_Decrypt:
    case TPM2_CC_ECDH_ZGen:
    case TPM2_CC_HMAC:
    case TPM2_CC_HMAC_Start:
    case TPM2_CC_SequenceUpdate:
    case TPM2_CC_SequenceComplete:
    case TPM2_CC_Create:
    case TPM2_CC_Load:
    case TPM2_CC_Import:
    case TPM2_CC_CreatePrimary:
    case TPM2_CC_Unseal:
        return 1;
    default:
        return -1;
    }
}

static void end_on_success(jtcti *t, TPM2_HANDLE h)
{
    if (is_tracked(h) && t->n_ending < MAX_ENDING)
        t->ending[t->n_ending++] = h;
}

/* Sessions of the authorization area that the TPM ends after this
 * command (continueSession clear). */
static void sessions_ending(jtcti *t, const uint8_t *cmd, size_t size)
{
    int handles = handle_count(t->cc);
    size_t off, end;

    if (handles < 0 || tk_be16(cmd) != TPM2_ST_SESSIONS)
        return;
    off = 10 + 4 * (size_t)handles;
    if (off + 4 > size)
        return;
    end = off + 4 + tk_be32(cmd + off);
    if (end > size)
        return;
    for (off += 4; off + 4 + 2 <= end;) {
        TPM2_HANDLE h = tk_be32(cmd + off);
        size_t nonce = tk_be16(cmd + off + 4);
        size_t attrs = off + 6 + nonce;

        if (attrs + 3 > end)
            return;
        if (!(cmd[attrs] & TPMA_SESSION_CONTINUESESSION))
            end_on_success(t, h);
        off = attrs + 1 + 2 + tk_be16(cmd + attrs + 1);
    }
}

static TSS2_RC transmit(TSS2_TCTI_CONTEXT *ctx, size_t size, const uint8_t *cmd)
{
    jtcti *t = (jtcti *)ctx;
    TSS2_RC rc;

    t->cc = size >= 10 ? tk_be32(cmd + 6) : 0;
    t->n_ending = 0;
    if (t->cc == TPM2_CC_SequenceComplete && size >= 14)
        end_on_success(t, tk_be32(cmd + 10));
    sessions_ending(t, cmd, size);
    t->sent_pending = creates_handle(t->cc);
    if (t->sent_pending)
        tk_journal_pending(t->journal, t->cc);
    rc = Tss2_Tcti_Transmit(t->wrap.inner, size, cmd);
    /* A flush that reached the TPM is never sent again, answered or not:
     * the TPM runs it (or has no such handle), and by a second flush the
     * number may name another process's session or object. */
    if (rc == TSS2_RC_SUCCESS && t->cc == TPM2_CC_FlushContext && size >= 14) {
        tk_journal_remove(t->journal, tk_be32(cmd + 10));
        tk_journal_sync(t->journal);
    }
    return rc;
}

static TSS2_RC receive(TSS2_TCTI_CONTEXT *ctx, size_t *size, uint8_t *resp,
                       int32_t timeout)
{
    jtcti *t = (jtcti *)ctx;
    TSS2_RC rc = Tss2_Tcti_Receive(t->wrap.inner, size, resp, timeout);

    if (resp == NULL && rc == TSS2_RC_SUCCESS)
        return rc; /* asked for the size only */
    /* Answered: nothing in flight any more. Without an answer the
     * pending mark stays: the handle, if any, is unknown (journal.c). */
    if (t->sent_pending && rc == TSS2_RC_SUCCESS) {
        t->sent_pending = 0;
        t->journal->pending = 0;
        t->journal->dirty = 1;
    }
    if (rc != TSS2_RC_SUCCESS || *size < 10
        || tk_be32(resp + 6) != TPM2_RC_SUCCESS) {
        tk_journal_sync(t->journal);
        return rc;
    }
    if (creates_handle(t->cc) && *size >= 14 && is_tracked(tk_be32(resp + 10)))
        tk_journal_add(t->journal, tk_be32(resp + 10));
    for (int i = 0; i < t->n_ending; i++)
        tk_journal_remove(t->journal, t->ending[i]);
    t->n_ending = 0;
    /* Before the caller can act on the new handle: a kill right after
     * this still leaves a journal that names it. */
    tk_journal_sync(t->journal);
    return rc;
}

TSS2_TCTI_CONTEXT *tk_tcti_journal_new(TSS2_TCTI_CONTEXT *inner,
                                       tk_journal *journal)
{
    jtcti *t = calloc(1, sizeof(*t));

    if (t == NULL)
        return NULL;
    t->journal = journal;
    tk_tcti_wrap_init(&t->wrap, 0x746b6a6f75726e6cULL, inner, transmit,
                      receive);
    return (TSS2_TCTI_CONTEXT *)t;
}

void tk_tcti_journal_free(TSS2_TCTI_CONTEXT *t)
{
    free(t);
}
