/* Opening, closing and resynchronising the one TPM connection. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <tss2/tss2_tctildr.h>

#include "internal.h"
#include "../provider/errors.h"

TSS2_RC tk_fail(tk_tpm *tpm, TSS2_RC rc, int reason, const char *what)
{
    tpm->fail_what = what;
    tpm->fail_reason = reason;
    return rc;
}

static TSS2_RC read_clock(tk_tpm *tpm, UINT32 *reset, UINT32 *restart)
{
    TPMS_TIME_INFO *time = NULL;
    TSS2_RC rc = Esys_ReadClock(tpm->esys, ESYS_TR_NONE, ESYS_TR_NONE,
                                ESYS_TR_NONE, &time);

    if (rc == TSS2_RC_SUCCESS) {
        *reset = time->clockInfo.resetCount;
        *restart = time->clockInfo.restartCount;
    }
    Esys_Free(time);
    return rc;
}

TSS2_RC tk_conn_open(tk_tpm *tpm)
{
    TSS2_RC rc;

    tpm->primary = ESYS_TR_NONE;
    memset(&tpm->session, 0, sizeof(tpm->session));
    /* Fetched at the first connection, not at provider load: loading
     * OpenSSL's default provider into the private context takes a few
     * milliseconds that programs never using the TPM should not pay. */
    if (tpm->crypto.hmac == NULL && !tk_crypto_init(&tpm->crypto, tpm->crypto_ctx)) {
        tk_crypto_free(&tpm->crypto);
        return tk_fail(tpm, TSS2_ESYS_RC_GENERAL_FAILURE, TK_R_INTERNAL,
                       "OpenSSL's SHA, HMAC and AES for TPM sessions");
    }
    rc = Tss2_TctiLdr_Initialize(tpm->tcti_conf, &tpm->tcti);
    if (rc != TSS2_RC_SUCCESS) {
        tpm->tcti = NULL;
        return tk_fail(tpm, rc, TK_R_TPM_UNREACHABLE, "connect");
    }
    rc = Esys_Initialize(&tpm->esys, tpm->tcti, NULL);
    if (rc == TSS2_RC_SUCCESS)
        rc = Esys_GetSysContext(tpm->esys, &tpm->sys);
    if (rc != TSS2_RC_SUCCESS) {
        if (tpm->esys != NULL)
            Esys_Finalize(&tpm->esys);
        tpm->esys = NULL;
        tpm->sys = NULL;
        Tss2_TctiLdr_Finalize(&tpm->tcti);
        return tk_fail(tpm, rc, TK_R_TPM_UNREACHABLE, "connect");
    }
    tpm->owner = getpid();
    /* The clock counters tell a later failure apart: a TPM reset or restart
     * changes them, and then our handles are gone rather than leaked. */
    rc = read_clock(tpm, &tpm->reset_count, &tpm->restart_count);
    if (rc == TPM2_RC_INITIALIZE) {
        /* A TPM that was never started: do what platform firmware does. */
        rc = Esys_Startup(tpm->esys, TPM2_SU_CLEAR);
        if (rc == TSS2_RC_SUCCESS)
            rc = read_clock(tpm, &tpm->reset_count, &tpm->restart_count);
    }
    if (rc != TSS2_RC_SUCCESS) {
        tk_conn_close(tpm, 0);
        return tk_fail(tpm, rc, TK_R_TPM_UNREACHABLE, "TPM2_ReadClock");
    }
    if (tpm->orphan_session != 0) {
        if (tpm->orphan_reset == tpm->reset_count
            && tpm->orphan_restart == tpm->restart_count)
            Tss2_Sys_FlushContext(tpm->sys, tpm->orphan_session);
        tpm->orphan_session = 0;
    }
    tk_debug("connected to %s (reset %u, restart %u)", tpm->tcti_conf,
             tpm->reset_count, tpm->restart_count);
    return TSS2_RC_SUCCESS;
}

void tk_conn_close(tk_tpm *tpm, int flush)
{
    if (tpm->esys != NULL) {
        tk_keys_drop(tpm, flush);
        tk_session_drop(tpm, flush);
        tk_primary_drop(tpm, flush);
        /* Esys_Finalize only frees memory: it sends nothing to the TPM. */
        Esys_Finalize(&tpm->esys);
    }
    if (tpm->tcti != NULL)
        Tss2_TctiLdr_Finalize(&tpm->tcti);
    tpm->esys = NULL;
    tpm->sys = NULL;
    tpm->tcti = NULL;
    tpm->primary = ESYS_TR_NONE;
    memset(&tpm->session, 0, sizeof(tpm->session));
    Esys_Free(tpm->primary_saved);
    tpm->primary_saved = NULL;
}

void tk_conn_resync(tk_tpm *tpm)
{
    UINT32 reset = 0, restart = 0;
    TSS2_RC rc = read_clock(tpm, &reset, &restart);
    int was_reset;

    if (rc == TPM2_RC_INITIALIZE && Esys_Startup(tpm->esys, TPM2_SU_CLEAR)
                                    == TSS2_RC_SUCCESS)
        rc = read_clock(tpm, &reset, &restart);
    was_reset = rc != TSS2_RC_SUCCESS || reset != tpm->reset_count
                || restart != tpm->restart_count;
    tk_debug("resync on %s: TPM %s", tpm->tcti_conf,
             was_reset ? "was reset" : "kept its state");
    /* After a reset the handle numbers may already name someone else's
     * objects: forget ours without flushing. */
    tk_keys_drop(tpm, !was_reset);
    tk_session_drop(tpm, !was_reset);
    tk_primary_drop(tpm, !was_reset);
    if (rc == TSS2_RC_SUCCESS) {
        tpm->reset_count = reset;
        tpm->restart_count = restart;
    }
}

void tk_conn_abandon(tk_tpm *tpm)
{
    if (tpm->esys != NULL && tpm->owner == getpid()) {
        tpm->orphan_session = tpm->session.handle;
        tpm->orphan_reset = tpm->reset_count;
        tpm->orphan_restart = tpm->restart_count;
    }
    tk_conn_close(tpm, 0);
}
