/* SPDX-License-Identifier: Apache-2.0 */
/* Running one TPM operation: the lock, fork safety, ESYS's crypto scope,
 * retries and recovery from a broken connection or a reset TPM, and what
 * tpmkit holds in the TPM between operations (parked, dropped, flushed).
 * Waits (retry back-off, busy TPM slots) happen without the lock. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "journal.h"
#include "keyobj.h"
#include "primary.h"
#include "rsa_primary.h"
#include "run.h"
#include "session.h"
#include "sigpipe.h"
#include "state.h"
#include "tcti_fds.h"
#include "../provider/errors.h"

#define MAX_RETRIES 5
/* How long a process waits for the others on a TPM without a resource
 * manager (each operation holds the TPM's lock file). */
#define LOCK_WAIT_SECONDS 60
/* How long to wait for another process to free a TPM slot. */
#define BUSY_WAIT_MS 5000

static void sleep_ms(long ms)
{
    struct timespec delay = { ms / 1000, (ms % 1000) * 1000000L };

    nanosleep(&delay, NULL);
}

/* Forget what lives in the TPM, flushing it first when `flush`, then close
 * the transport. */
static void close_and_forget(tk_tpm *tpm, int flush)
{
    if (tpm->conn.esys != NULL) {
        tk_keys_drop(tpm, flush);
        tk_session_drop(tpm, flush);
        tk_primary_drop(tpm, flush);
        tk_rsa_primary_drop(tpm, flush);
    }
    tk_conn_close(tpm);
    tpm->prim.object.handle = ESYS_TR_NONE;
    tpm->rsa_prim.handle = ESYS_TR_NONE;
    memset(&tpm->session, 0, sizeof(tpm->session));
}

void tk_tpm_disconnect(tk_tpm *tpm)
{
    /* Flush only what this process created; an inherited connection's
     * handles belong to the parent. Bounded: a TPM that stopped answering
     * must not hang the exit. */
    tk_watchdog_arm(&tpm->watchdog);
    close_and_forget(tpm,
                     tpm->conn.esys != NULL && tpm->conn.owner == getpid());
    tk_watchdog_disarm(&tpm->watchdog);
    tk_journal_sync(&tpm->journal);
}

/* Forget TPM-side state after a command hinted that it vanished: flush it
 * unless the TPM reports it was reset or restarted since we connected
 * (then the handle numbers may already name someone else's objects). */
static void resync(tk_tpm *tpm)
{
    UINT32 reset = 0, restart = 0;
    TSS2_RC rc = tk_conn_read_clock(tpm, &reset, &restart);
    int was_reset;

    if (rc == TPM2_RC_INITIALIZE
        && Esys_Startup(tpm->conn.esys, TPM2_SU_CLEAR) == TSS2_RC_SUCCESS)
        rc = tk_conn_read_clock(tpm, &reset, &restart);
    /* A resource manager's handles are this connection's only: flushing
     * them is always safe (and its counters were never read). */
    was_reset = tpm->park
                && (rc != TSS2_RC_SUCCESS || reset != tpm->conn.reset_count
                    || restart != tpm->conn.restart_count);
    tk_debug("resync on %s: TPM %s", tpm->tcti_conf,
             was_reset ? "was reset" : "kept its state");
    tk_keys_drop(tpm, !was_reset);
    tk_session_drop(tpm, !was_reset);
    tk_primary_drop(tpm, !was_reset);
    tk_rsa_primary_drop(tpm, !was_reset);
    if (was_reset)
        tk_journal_forget(&tpm->journal); /* the TPM forgot them too */
    if (rc == TSS2_RC_SUCCESS) {
        tpm->conn.reset_count = reset;
        tpm->conn.restart_count = restart;
    }
}

/* Drop a connection to a TPM that stopped answering; the session it held
 * is flushed after the next connect if the TPM was not reset meanwhile
 * (a resource manager flushes it when the connection closes). */
static void abandon(tk_tpm *tpm)
{
    if (tpm->conn.esys != NULL && tpm->conn.owner == getpid()) {
        tpm->orphan.session = tpm->session.handle;
    }
    close_and_forget(tpm, 0);
}

static void close_fd(int fd)
{
    close(fd);
}

void tk_tpm_abandon_inherited(tk_tpm *tpm)
{
    /* A command was in flight: our copy of its socket would keep the
     * TPM's connection open (swtpm serves one at a time) and block the
     * parent's next command. */
    tk_tcti_each_fd(tpm->tcti_conf, close_fd);
    for (tk_tpm_key *k = tpm->keys.loaded, *next; k != NULL; k = next) {
        next = k->next;
        k->handle = ESYS_TR_NONE;
        k->prev = k->next = NULL;
    }
    tpm->keys.loaded = NULL;
    tpm->keys.generation++;
    tpm->inherited.conn = tpm->conn;
    tpm->inherited.primary_saved = tpm->prim.object.saved;
    tpm->inherited.rsa_primary_saved = tpm->rsa_prim.saved;
    memset(&tpm->conn, 0, offsetof(tk_conn, crypto));
    tk_primary_abandon(tpm);
    tk_rsa_primary_abandon(tpm);
    memset(&tpm->session, 0, sizeof(tpm->session));
    tpm->orphan.session = 0;
}

/* Handles this process held when its previous connection broke (a
 * garbled or missing response): the TPM may still hold them, so flush
 * them now unless it was reset or restarted meanwhile. */
static void flush_own_stale(tk_tpm *tpm)
{
    tk_journal *j = &tpm->journal;
    TPM2_HANDLE stale[TK_JOURNAL_MAX];
    int n = j->count;

    if (n == 0)
        return;
    memcpy(stale, j->handles, sizeof(stale[0]) * (size_t)n);
    if (j->reset == tpm->conn.reset_count
        && j->restart == tpm->conn.restart_count) {
        for (int i = 0; i < n; i++)
            Tss2_Sys_FlushContext(tpm->conn.sys, stale[i]);
        tk_debug("flushed %d handle(s) of a broken connection", n);
    }
    tk_journal_forget(j);
}

static TSS2_RC ensure_open(tk_tpm *tpm)
{
    TSS2_RC rc;

    /* A forked child inherits the parent's connection: never use it, and
     * never flush the parent's handles; open our own. */
    if (tpm->conn.esys != NULL && tpm->conn.owner != getpid()) {
        tk_debug("fork detected: opening a connection for pid %d",
                 (int)getpid());
        close_and_forget(tpm, 0);
    }
    if (tpm->conn.esys != NULL)
        return TSS2_RC_SUCCESS;
    tpm->prim.object.handle = ESYS_TR_NONE;
    tpm->rsa_prim.handle = ESYS_TR_NONE;
    memset(&tpm->session, 0, sizeof(tpm->session));
    if ((rc = tk_conn_open(tpm)) != TSS2_RC_SUCCESS)
        return rc;
    tpm->warm = 0;
    if (tpm->orphan.session != 0) {
        /* Without a resource manager the journal names it too: one list,
         * so that flush_own_stale flushes it once, with the rest. A
         * resource manager flushed it when the old connection closed, and
         * the number means nothing on the new one. */
        if (tpm->park)
            tk_journal_add(&tpm->journal, tpm->orphan.session);
        tpm->orphan.session = 0;
    }
    if (tpm->park) {
        flush_own_stale(tpm);
        tk_journal_connected(tpm);
        tk_journal_reclaim(tpm);
        tk_journal_sync(&tpm->journal);
    }
    return TSS2_RC_SUCCESS;
}

static void report_failure(tk_tpm *tpm, TSS2_RC rc)
{
    snprintf(tpm->fail.text, sizeof(tpm->fail.text),
             "%s failed (TCTI \"%s\"): %s (0x%x)", tpm->fail.what,
             tpm->tcti_conf, tk_rc_text(rc), (unsigned)rc);
    tk_raise(tpm->fail.reason, "%s", tpm->fail.text);
}

/* Everything that brackets talking to the TPM: the lock, SIGPIPE kept away
 * from the host process, and ESYS's OpenSSL calls pointed at a private
 * library context. ESYS's OpenSSL backend fetches from the default library
 * context; if that context has tpmkit loaded (say, as the DRBG seed
 * source), those fetches would come back into tpmkit while we hold the TPM
 * lock. The private context has only OpenSSL's own providers. */
struct tk_guard {
    OSSL_LIB_CTX *caller_ctx;
    sigset_t saved_mask;
    int pipe_pending;
};

static void enter(tk_tpm *tpm, struct tk_guard *g)
{
    pthread_mutex_lock(&tpm->lock);
    tk_sigpipe_block(&g->saved_mask, &g->pipe_pending);
    g->caller_ctx = OSSL_LIB_CTX_set0_default(tpm->crypto_ctx);
}

static void leave(tk_tpm *tpm, struct tk_guard *g)
{
    OSSL_LIB_CTX_set0_default(g->caller_ctx);
    tk_sigpipe_restore(&g->saved_mask, g->pipe_pending);
    pthread_mutex_unlock(&tpm->lock);
}

/* Between operations without a resource manager nothing stays in the
 * TPM's slots: keys and the session are context-saved. After a
 * connection's first operation (`end`, not yet warm) they are flushed
 * unsaved instead: a one-shot process never pays for saves that only a
 * next operation would use; one that goes on pays the reloads once. */
static void park(tk_tpm *tpm, int end)
{
    int unsaved = end && !tpm->warm;

    if (tpm->conn.esys != NULL) {
        tk_keys_park(tpm, unsaved);
        tk_session_park(tpm, unsaved);
        if (unsaved && tpm->park)
            tk_primary_end_cold(tpm);
        else if (tpm->park)
            tk_primary_park(tpm); /* kept loaded by a cold first operation */
    }
    if (end)
        tpm->warm = 1;
}

/* Wait with the lock released (and our slots parked): other threads and a
 * fork() must not wait behind a sleep. */
static void wait_unlocked(tk_tpm *tpm, struct tk_guard *g, long ms)
{
    park(tpm, 0);
    tk_watchdog_disarm(&tpm->watchdog);
    leave(tpm, g);
    sleep_ms(ms);
    enter(tpm, g);
}

static int run_locked(tk_tpm *tpm, struct tk_guard *g, tk_tpm_op *op, void *arg)
{
    int retries = 0, rebuilt = 0;
    long busy_waited = 0;
    TSS2_RC rc;

    for (;;) {
        tk_watchdog_arm(&tpm->watchdog);
        tpm->fail.what = "TPM command";
        tpm->fail.reason = TK_R_TPM_COMMAND_FAILED;
        rc = ensure_open(tpm);
        if (rc != TSS2_RC_SUCCESS) {
            if (tk_watchdog_fired(&tpm->watchdog))
                tpm->fail.what = "connect (the TPM did not answer in time)";
            report_failure(tpm, rc);
            return 0;
        }
        rc = op(tpm, arg);
        switch (tk_rc_classify(rc)) {
        case TK_RC_OK:
            return 1;
        case TK_RC_RETRY:
            if (retries < MAX_RETRIES) {
                wait_unlocked(tpm, g, 20L * ++retries);
                continue;
            }
            break;
        case TK_RC_BUSY:
            if (busy_waited < BUSY_WAIT_MS) {
                tk_debug("TPM slots full (0x%x): waiting", (unsigned)rc);
                wait_unlocked(tpm, g, 50);
                busy_waited += 50;
                continue;
            }
            break;
        case TK_RC_TRANSPORT:
            if (tk_watchdog_fired(&tpm->watchdog)) {
                abandon(tpm);
                tk_fail(tpm, rc, TK_R_TPM_UNREACHABLE,
                        "the TPM did not answer in time:");
                break;
            }
            if (!rebuilt) {
                tk_debug("connection to %s broke (0x%x): reconnecting",
                         tpm->tcti_conf, (unsigned)rc);
                close_and_forget(tpm, 0);
                rebuilt = 1;
                continue;
            }
            break;
        case TK_RC_LOST_STATE:
            if (!rebuilt) {
                resync(tpm);
                rebuilt = 1;
                continue;
            }
            break;
        case TK_RC_FATAL:
            break;
        }
        report_failure(tpm, rc);
        return 0;
    }
}

int tk_tpm_run(tk_tpm *tpm, tk_tpm_op *op, void *arg)
{
    struct tk_guard g;
    int ok;

    enter(tpm, &g);
    if (tpm->park) {
        TSS2_RC rc = tk_journal_lock(tpm, LOCK_WAIT_SECONDS);

        if (rc != TSS2_RC_SUCCESS) {
            report_failure(tpm, rc);
            leave(tpm, &g);
            return 0;
        }
    }
    ok = run_locked(tpm, &g, op, arg);
    park(tpm, 1);
    tk_watchdog_disarm(&tpm->watchdog);
    tk_journal_sync(&tpm->journal);
    tk_journal_unlock(tpm);
    leave(tpm, &g);
    return ok;
}

void tk_tpm_locked(tk_tpm *tpm, tk_tpm_op *op, void *arg)
{
    struct tk_guard g;

    enter(tpm, &g);
    op(tpm, arg);
    leave(tpm, &g);
}

void tk_tpm_last_error(tk_tpm *tpm, char *out, size_t out_len)
{
    pthread_mutex_lock(&tpm->lock);
    snprintf(out, out_len, "%s", tpm->fail.text);
    pthread_mutex_unlock(&tpm->lock);
}
