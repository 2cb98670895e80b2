/* SPDX-License-Identifier: Apache-2.0 */
/* What this process has in a TPM without a resource manager, written
 * down where the next tpmkit process finds it: if this one dies (SIGKILL
 * mid-operation, Ctrl-C while its session is parked), the next one
 * flushes what it left. One file per process and TPM in the run
 * directory (TPMKIT_RUNDIR, else /run/tpmkit, else /tmp/tpmkit); a
 * cross-process lock file beside it orders every operation on that TPM,
 * so a crowd of processes queues instead of fighting over its three
 * slots, and reclaiming never races a live process. */
#ifndef TK_TPM_JOURNAL_H
#define TK_TPM_JOURNAL_H

#include <stdint.h>
#include <sys/types.h>
#include <tss2/tss2_tpm2_types.h>

#include "tpm.h"

#define TK_JOURNAL_MAX 80

typedef struct tk_journal {
    pid_t pid;               /* the process these files are for */
    int lock_fd;             /* the TPM's lock file, -1 if none */
    int locked;              /* this process holds the lock now */
    char dir[256], key[160]; /* run directory, the TPM's file name part */
    UINT32 reset, restart;   /* the TPM's counters the handles belong to */
    UINT64 clock;
    TPM2_HANDLE handles[TK_JOURNAL_MAX];
    int count;
    uint32_t pending; /* a command creating a handle is in flight */
    int dirty;        /* the file lags behind `handles` */
} tk_journal;

/* Set up for this TCTI (no files yet). */
void tk_journal_init(tk_journal *j, const char *tcti_conf);
/* Take the TPM's cross-process lock, waiting up to `seconds`; 0 with a
 * failure recorded when the TPM stayed busy. */
TSS2_RC tk_journal_lock(tk_tpm *tpm, int seconds);
void tk_journal_unlock(tk_tpm *tpm);
/* A new connection: the TPM counters this process's handles belong to. */
void tk_journal_connected(tk_tpm *tpm);
/* Handles the TPM gave this process, or that it flushed or lost. */
void tk_journal_add(tk_journal *j, TPM2_HANDLE handle);
void tk_journal_remove(tk_journal *j, TPM2_HANDLE handle);
void tk_journal_forget(tk_journal *j);
int tk_journal_has(const tk_journal *j, TPM2_HANDLE handle);
/* A command that will give this process a new handle is about to be sent
 * (cc), or its answer arrived (0): written at once, so that a process
 * killed in between is known to have left one handle it never learnt. */
void tk_journal_pending(tk_journal *j, uint32_t cc);
/* Write the file if it changed (cheap when nothing did). */
void tk_journal_sync(tk_journal *j);
/* Under the lock: flush what dead tpmkit processes left in this TPM. */
void tk_journal_reclaim(tk_tpm *tpm);
/* In a forked child: the files and lock are the parent's. */
void tk_journal_after_fork(tk_journal *j);

#endif
