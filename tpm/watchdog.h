/* SPDX-License-Identifier: Apache-2.0 */
/* Bounds every TPM operation in time: an overrunning one has the
 * process's sockets to the TPM (or to its relay) cut, so its blocked read
 * returns. */
#ifndef TK_TPM_WATCHDOG_H
#define TK_TPM_WATCHDOG_H

#include <pthread.h>
#include <sys/types.h>
#include <time.h>

typedef struct tk_watchdog {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pid_t pid; /* process whose watching thread runs */
    pthread_t thread;
    int armed, fired, stop;
    int idle;                 /* the thread waits for an operation to start */
    struct timespec deadline; /* CLOCK_MONOTONIC */
    const char *tcti_conf;
    int relay_fd;    /* the socket to tpmkit-relay, or -1 (atomic) */
    int timeouts[3]; /* seconds per command class (tpm.h TK_CMD_*) */
} tk_watchdog;

void tk_watchdog_init(tk_watchdog *wd, const char *tcti_conf,
                      const int timeouts[3]);
/* An operation starts: what it does before its first command (connecting)
 * may take the quick class's time. */
void tk_watchdog_arm(tk_watchdog *wd);
/* A command of class `cls` (tpm.h TK_CMD_*) is sent: it may take that
 * class's time from now. */
void tk_watchdog_command(tk_watchdog *wd, int cls);
/* Cut this socket too when an operation overruns (-1: none). */
void tk_watchdog_watch_fd(tk_watchdog *wd, int fd);
void tk_watchdog_disarm(tk_watchdog *wd);
/* Did the armed operation overrun (its sockets were cut)? */
int tk_watchdog_fired(tk_watchdog *wd);
void tk_watchdog_after_fork_child(tk_watchdog *wd);
/* End the watching thread (before the tk_tpm is freed). */
void tk_watchdog_stop(tk_watchdog *wd);

#endif
