/* SPDX-License-Identifier: Apache-2.0 */
/* tk_signals: the program's signal handlers never run on tpmkit's own
 * threads.
 *
 * Draws once (tpmkit now has its watchdog thread), blocks SIGTERM in the
 * main thread and sends SIGTERM to the process. A process-directed signal
 * goes to any thread that does not block it: had tpmkit's thread left it
 * unblocked, the handler would run there at once (a server's exiting
 * handler would then tear the process down from two threads). After a
 * second the signal must still be pending; unblocked, the handler runs on
 * the main thread. Then the program draws again. Exit 0 if all held. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "tk_util.h"

static volatile sig_atomic_t handled_tid;

static void on_term(int sig)
{
    (void)sig;
    handled_tid = (sig_atomic_t)syscall(SYS_gettid);
}

int main(void)
{
    EVP_RAND_CTX *ctx;
    unsigned char buf[32];
    struct sigaction sa = { .sa_handler = on_term };
    sigset_t term;
    const struct timespec second = { 1, 0 };
    sig_atomic_t main_tid = (sig_atomic_t)syscall(SYS_gettid);

    tk_init();
    ctx = tk_seed_new();
    if (!tk_seed_draw(ctx, buf, sizeof(buf)))
        tk_die("first draw failed");
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &term, NULL);
    kill(getpid(), SIGTERM);
    nanosleep(&second, NULL);
    if (handled_tid != 0) {
        fprintf(stderr,
                "tk_signals: SIGTERM's handler ran on thread %ld,"
                " not the main thread %ld\n",
                (long)handled_tid, (long)main_tid);
        return 1;
    }
    pthread_sigmask(SIG_UNBLOCK, &term, NULL);
    if (handled_tid != main_tid) {
        fprintf(stderr, "tk_signals: the handler did not run on the main"
                        " thread once unblocked\n");
        return 1;
    }
    if (!tk_seed_draw(ctx, buf, sizeof(buf)))
        tk_die("draw after the signal failed");
    EVP_RAND_CTX_free(ctx);
    printf("tk_signals: SIGTERM waited for the main thread\n");
    return 0;
}
