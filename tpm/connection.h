/* SPDX-License-Identifier: Apache-2.0 */
/* The transport to one TPM: the TCTI, ESYS and SYS contexts, and the TPM
 * clock counters that tell a reset TPM apart. Knows nothing of the keys,
 * sessions or primary that live in the TPM (run.c forgets those). */
#ifndef TK_TPM_CONNECTION_H
#define TK_TPM_CONNECTION_H

#include <sys/types.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_sys.h>

#include "session_crypto.h"
#include "tpm.h"

typedef struct tk_conn {
    /* What ESYS talks to: `loaded`, its trace, the per-command deadline,
     * and the journal's wrapper, each wrapping the one before. */
    TSS2_TCTI_CONTEXT *tcti;
    TSS2_TCTI_CONTEXT *loaded; /* the TCTI loader's, or tpmkit-relay's */
    int relayed;               /* `loaded` is a tcti_relay.h context */
    TSS2_TCTI_CONTEXT *traced; /* `loaded`, or its trace (TPMKIT_DEBUG=2) */
    TSS2_TCTI_CONTEXT *timed;  /* tcti_deadline.h over `traced` */
    ESYS_CONTEXT *esys;
    TSS2_SYS_CONTEXT *sys; /* ESYS's, for commands with our sessions */
    pid_t owner;           /* process that opened the connection */
    UINT32 reset_count, restart_count; /* TPM clock counters at connect */
    UINT64 clock;                      /* and the TPM's clock then */
    tk_crypto crypto;                  /* session arithmetic, fetched once */
} tk_conn;

/* Connect (TCTI, ESYS, TPM2_Startup if the TPM was never started) and
 * note the clock counters. */
TSS2_RC tk_conn_open(tk_tpm *tpm);
/* In a forked child: close the copies of the parent's descriptors that
 * must not outlive the parent's use (its relay socket). */
void tk_conn_after_fork(tk_conn *c);
/* Free the contexts; sends nothing to the TPM. */
void tk_conn_close(tk_tpm *tpm);
/* The TPM's reset and restart counters now. */
TSS2_RC tk_conn_read_clock(tk_tpm *tpm, UINT32 *reset, UINT32 *restart);

#endif
