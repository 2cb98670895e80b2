/* SPDX-License-Identifier: Apache-2.0 */
/* Opening and closing the transport to the TPM. What lives in the TPM
 * (keys, sessions, the primary) is run.c's business. */
#include <string.h>
#include <unistd.h>
#include <tss2/tss2_tctildr.h>

#include "state.h"
#include "tcti_deadline.h"
#include "tcti_fds.h"
#include "tcti_hint.h"
#include "tcti_relay.h"
#include "tcti_journal.h"
#include "tcti_trace.h"
#include "../provider/errors.h"

TSS2_RC tk_conn_read_clock(tk_tpm *tpm, UINT32 *reset, UINT32 *restart)
{
    TPMS_TIME_INFO *time = NULL;
    TSS2_RC rc = Esys_ReadClock(tpm->conn.esys, ESYS_TR_NONE, ESYS_TR_NONE,
                                ESYS_TR_NONE, &time);

    if (rc == TSS2_RC_SUCCESS) {
        *reset = time->clockInfo.resetCount;
        *restart = time->clockInfo.restartCount;
        tpm->conn.clock = time->clockInfo.clock;
    }
    Esys_Free(time);
    return rc;
}

/* Socket TCTIs are opened here; every other one (device, tabrmd, cmd) in
 * tpmkit-relay, whose socket the watchdog can cut (tcti_relay.h). */
static TSS2_RC open_tcti(tk_tpm *tpm)
{
    tk_conn *c = &tpm->conn;
    const char *hint;
    TSS2_RC rc;

    c->relayed = !tk_tcti_is_socket(tpm->tcti_conf);
    if (!c->relayed) {
        rc = Tss2_TctiLdr_Initialize(tpm->tcti_conf, &c->loaded);
    } else if (tk_tcti_relay_start(tpm->tcti_conf, &c->loaded, tpm->fail.detail,
                                   sizeof(tpm->fail.detail))
               != 0) {
        c->relayed = 0;
        return tk_fail(tpm, TSS2_TCTI_RC_IO_ERROR, TK_R_TPM_UNREACHABLE,
                       tpm->fail.detail);
    } else {
        tk_watchdog_watch_fd(&tpm->watchdog, tk_tcti_relay_fd(c->loaded));
        if ((rc = tk_tcti_relay_ready(c->loaded)) != TSS2_RC_SUCCESS)
            tk_conn_close(tpm);
    }
    if (rc == TSS2_RC_SUCCESS)
        return rc;
    c->loaded = NULL;
    hint = tk_tcti_hint(tpm->tcti_conf, tpm->fail.detail,
                        sizeof(tpm->fail.detail));
    return tk_fail(tpm, rc, TK_R_TPM_UNREACHABLE,
                   hint != NULL ? hint : "connect");
}

TSS2_RC tk_conn_open(tk_tpm *tpm)
{
    tk_conn *c = &tpm->conn;
    TSS2_RC rc;

    /* Fetched at the first connection, not at provider load: loading
     * OpenSSL's default provider into the private context takes a few
     * milliseconds that programs never using the TPM should not pay. */
    if (c->crypto.hmac == NULL
        && !tk_crypto_init(&c->crypto, tpm->crypto_ctx)) {
        tk_crypto_free(&c->crypto);
        return tk_fail(tpm, TSS2_ESYS_RC_GENERAL_FAILURE, TK_R_INTERNAL,
                       "OpenSSL's SHA, HMAC and AES for TPM sessions");
    }
    if ((rc = open_tcti(tpm)) != TSS2_RC_SUCCESS)
        return rc;
    c->traced = c->loaded;
    if (tk_debug_level() >= TK_DEBUG_COMMANDS
        && (c->traced = tk_tcti_trace_new(c->loaded)) == NULL)
        c->traced = c->loaded;
    if ((c->timed = tk_tcti_deadline_new(c->traced, &tpm->watchdog)) == NULL) {
        tk_conn_close(tpm);
        return tk_fail(tpm, TSS2_ESYS_RC_MEMORY, TK_R_INTERNAL, "connect");
    }
    /* Without a resource manager, note every handle we hold (journal.h). */
    c->tcti = c->timed;
    if (tpm->park
        && (c->tcti = tk_tcti_journal_new(c->timed, &tpm->journal)) == NULL)
        c->tcti = c->timed;
    rc = Esys_Initialize(&c->esys, c->tcti, NULL);
    if (rc == TSS2_RC_SUCCESS)
        rc = Esys_GetSysContext(c->esys, &c->sys);
    if (rc != TSS2_RC_SUCCESS) {
        tk_conn_close(tpm);
        return tk_fail(tpm, rc, TK_R_TPM_UNREACHABLE, "connect");
    }
    c->owner = getpid();
    /* Behind a resource manager our handles are the manager's, per
     * connection: nothing to tell apart, so no TPM2_ReadClock (a TPM never
     * started shows itself at the first command: run.c's resync). */
    if (!tpm->park) {
        tk_debug("connected to %s", tpm->tcti_conf);
        return TSS2_RC_SUCCESS;
    }
    /* The clock counters tell a later failure apart: a TPM reset or restart
     * changes them, and then our handles are gone rather than leaked. */
    rc = tk_conn_read_clock(tpm, &c->reset_count, &c->restart_count);
    if (rc == TPM2_RC_INITIALIZE) {
        /* A TPM that was never started: do what platform firmware does. */
        rc = Esys_Startup(c->esys, TPM2_SU_CLEAR);
        if (rc == TSS2_RC_SUCCESS)
            rc = tk_conn_read_clock(tpm, &c->reset_count, &c->restart_count);
    }
    if (rc != TSS2_RC_SUCCESS) {
        tk_conn_close(tpm);
        return tk_fail(tpm, rc, TK_R_TPM_UNREACHABLE, "TPM2_ReadClock");
    }
    tk_debug("connected to %s (reset %u, restart %u)", tpm->tcti_conf,
             c->reset_count, c->restart_count);
    return TSS2_RC_SUCCESS;
}

void tk_conn_close(tk_tpm *tpm)
{
    tk_conn *c = &tpm->conn;

    /* Esys_Finalize only frees memory: it sends nothing to the TPM. */
    if (c->esys != NULL)
        Esys_Finalize(&c->esys);
    if (c->tcti != NULL && c->tcti != c->timed)
        tk_tcti_journal_free(c->tcti);
    if (c->timed != NULL)
        tk_tcti_deadline_free(c->timed);
    c->timed = NULL;
    if (c->traced != NULL && c->traced != c->loaded)
        tk_tcti_trace_free(c->traced);
    c->traced = NULL;
    if (c->loaded != NULL && c->relayed) {
        tk_watchdog_watch_fd(&tpm->watchdog, -1);
        tk_tcti_relay_free(c->loaded);
    } else if (c->loaded != NULL) {
        Tss2_TctiLdr_Finalize(&c->loaded);
    }
    c->loaded = NULL;
    c->relayed = 0;
    c->esys = NULL;
    c->sys = NULL;
    c->tcti = NULL;
}

void tk_conn_after_fork(tk_conn *c)
{
    if (c->loaded != NULL && c->relayed)
        tk_tcti_relay_drop_inherited(c->loaded);
}
