/* SPDX-License-Identifier: Apache-2.0 */
/* Keeping SIGPIPE away from the host process while we talk to the TPM. */
#include <errno.h>
#include <signal.h>
#include <time.h>

#include "sigpipe.h"

/* A TPM restarted under us closes the socket; writing to it must give an
 * error, not kill the host process with SIGPIPE. Block SIGPIPE for this
 * thread while we talk to the TPM and swallow any that became pending. */
void tk_sigpipe_block(sigset_t *saved, int *was_pending)
{
    sigset_t pipe_set, pending;

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigpending(&pending);
    *was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, saved);
}

void tk_sigpipe_restore(const sigset_t *saved, int was_pending)
{
    sigset_t pipe_set, pending;
    struct timespec zero = { 0, 0 };

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigpending(&pending);
    if (!was_pending && sigismember(&pending, SIGPIPE)) {
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    pthread_sigmask(SIG_SETMASK, saved, NULL);
}
