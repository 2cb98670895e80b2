/* Running one TPM operation: the lock, fork safety, ESYS's crypto scope,
 * retries and recovery from a broken connection or a reset TPM. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "internal.h"
#include "../provider/errors.h"

#define MAX_RETRIES 5
/* How long to wait for another process to free a TPM slot. */
#define BUSY_WAIT_MS 5000

static void sleep_ms(long ms)
{
    struct timespec delay = { ms / 1000, (ms % 1000) * 1000000L };

    nanosleep(&delay, NULL);
}

static TSS2_RC ensure_open(tk_tpm *tpm)
{
    /* A forked child inherits the parent's connection: never use it, and
     * never flush the parent's handles; open our own. */
    if (tpm->esys != NULL && tpm->owner != getpid()) {
        tk_debug("fork detected: opening a connection for pid %d",
                 (int)getpid());
        tk_conn_close(tpm, 0);
    }
    if (tpm->esys != NULL)
        return TSS2_RC_SUCCESS;
    return tk_conn_open(tpm);
}

static void report_failure(tk_tpm *tpm, TSS2_RC rc)
{
    snprintf(tpm->last_error, sizeof(tpm->last_error),
             "%s failed (TCTI \"%s\"): %s (0x%x)", tpm->fail_what,
             tpm->tcti_conf, tk_rc_text(rc), (unsigned)rc);
    tk_raise(tpm->fail_reason, "%s", tpm->last_error);
}

static int run_locked(tk_tpm *tpm, tk_tpm_op *op, void *arg)
{
    int retries = 0, rebuilt = 0;
    long busy_waited = 0;
    TSS2_RC rc;

    for (;;) {
        tpm->fail_what = "TPM command";
        tpm->fail_reason = TK_R_TPM_COMMAND_FAILED;
        rc = ensure_open(tpm);
        if (rc != TSS2_RC_SUCCESS) {
            if (tk_watchdog_fired(&tpm->watchdog))
                tpm->fail_what = "connect (the TPM did not answer in time)";
            report_failure(tpm, rc);
            return 0;
        }
        rc = op(tpm, arg);
        switch (tk_rc_classify(rc)) {
        case TK_RC_OK:
            return 1;
        case TK_RC_RETRY:
            if (retries < MAX_RETRIES) {
                sleep_ms(20L * ++retries);
                continue;
            }
            break;
        case TK_RC_BUSY:
            if (busy_waited < BUSY_WAIT_MS) {
                tk_debug("TPM slots full (0x%x): waiting", (unsigned)rc);
                sleep_ms(50);
                busy_waited += 50;
                continue;
            }
            break;
        case TK_RC_TRANSPORT:
            if (tk_watchdog_fired(&tpm->watchdog)) {
                tk_conn_abandon(tpm);
                tk_fail(tpm, rc, TK_R_TPM_UNREACHABLE,
                        "the TPM did not answer in time:");
                break;
            }
            if (!rebuilt) {
                tk_debug("connection to %s broke (0x%x): reconnecting",
                         tpm->tcti_conf, (unsigned)rc);
                tk_conn_close(tpm, 0);
                rebuilt = 1;
                continue;
            }
            break;
        case TK_RC_LOST_STATE:
            if (!rebuilt) {
                tk_conn_resync(tpm);
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
    return tk_tpm_run_timed(tpm, op, arg, TK_TPM_TIMEOUT);
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

int tk_tpm_run_timed(tk_tpm *tpm, tk_tpm_op *op, void *arg, int seconds)
{
    struct tk_guard g;
    int ok;

    enter(tpm, &g);
    tk_watchdog_arm(&tpm->watchdog, seconds);
    ok = run_locked(tpm, op, arg);
    if (tpm->esys != NULL) {
        tk_keys_park(tpm);
        tk_session_park(tpm);
    }
    tk_watchdog_disarm(&tpm->watchdog);
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
    snprintf(out, out_len, "%s", tpm->last_error);
    pthread_mutex_unlock(&tpm->lock);
}
