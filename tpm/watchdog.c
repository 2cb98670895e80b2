/* SPDX-License-Identifier: Apache-2.0 */
/* A TPM that accepts connections but never answers (a hung daemon, a
 * stopped swtpm) would block tss2's socket reads forever: the socket TCTIs
 * have no timeout. The watchdog bounds every operation: when one overruns,
 * it shuts down the process's sockets to the TPM, the blocked read returns,
 * and the operation fails with a clear error instead of hanging. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tcti_fds.h"
#include "watchdog.h"
#include "../provider/errors.h"

static void cut(int fd)
{
    shutdown(fd, SHUT_RDWR);
}

static void cut_all(tk_watchdog *wd)
{
    int fd = __atomic_load_n(&wd->relay_fd, __ATOMIC_ACQUIRE);

    tk_tcti_each_fd(wd->tcti_conf, cut);
    if (fd >= 0)
        cut(fd);
}

static int reached(const struct timespec *deadline)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > deadline->tv_sec
           || (now.tv_sec == deadline->tv_sec
               && now.tv_nsec >= deadline->tv_nsec);
}

/* Operations start and end without waking this thread (that would cost
 * two thread switches per TPM operation): it sleeps until the deadline of
 * the operation running when it last looked, then checks whether the one
 * running now has overrun. Only an operation starting while it sleeps
 * without a deadline wakes it. */
static void *watch(void *arg)
{
    tk_watchdog *wd = arg;

    pthread_mutex_lock(&wd->lock);
    while (!wd->stop) {
        if (!wd->armed || wd->fired) {
            wd->idle = 1;
            pthread_cond_wait(&wd->cond, &wd->lock);
            wd->idle = 0;
            continue;
        }
        if (pthread_cond_timedwait(&wd->cond, &wd->lock, &wd->deadline)
                == ETIMEDOUT
            && wd->armed && !wd->fired && reached(&wd->deadline)) {
            /* Once per operation: the next arm clears it. */
            wd->fired = 1;
            cut_all(wd);
        }
    }
    pthread_mutex_unlock(&wd->lock);
    return NULL;
}

void tk_watchdog_init(tk_watchdog *wd, const char *tcti_conf,
                      const int timeouts[3])
{
    pthread_condattr_t attr;

    memset(wd, 0, sizeof(*wd));
    wd->tcti_conf = tcti_conf;
    wd->relay_fd = -1;
    memcpy(wd->timeouts, timeouts, sizeof(wd->timeouts));
    pthread_mutex_init(&wd->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&wd->cond, &attr);
    pthread_condattr_destroy(&attr);
}

/* With the lock held. The thread is woken only when it would otherwise
 * sleep past the new deadline. */
static void set_deadline(tk_watchdog *wd, int seconds)
{
    struct timespec d;

    clock_gettime(CLOCK_MONOTONIC, &d);
    d.tv_sec += seconds;
    if (wd->idle || d.tv_sec < wd->deadline.tv_sec)
        pthread_cond_broadcast(&wd->cond);
    wd->deadline = d;
}

/* The thread is tpmkit's, not the program's: it must never run the
 * program's signal handlers. A process-directed signal goes to any thread
 * that does not block it, and a server's handler that exits (Apache's
 * SIGTERM handler does) would then run exit() on this thread while the
 * main thread runs the same handler: two threads tearing the process
 * down at once. So the thread starts with every asynchronous signal
 * blocked; faults stay deliverable (sanitizers, core dumps). */
static int start_thread(tk_watchdog *wd)
{
    sigset_t all, saved;
    int rc;

    sigfillset(&all);
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGBUS);
    sigdelset(&all, SIGFPE);
    sigdelset(&all, SIGILL);
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    rc = pthread_create(&wd->thread, NULL, watch, wd);
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    return rc == 0;
}

void tk_watchdog_arm(tk_watchdog *wd)
{
    pthread_mutex_lock(&wd->lock);
    /* Threads do not survive fork(): a child starts its own. */
    if (wd->pid != getpid() && start_thread(wd))
        wd->pid = getpid();
    wd->armed = 1;
    wd->fired = 0;
    set_deadline(wd, wd->timeouts[0]);
    pthread_mutex_unlock(&wd->lock);
}

void tk_watchdog_command(tk_watchdog *wd, int cls)
{
    pthread_mutex_lock(&wd->lock);
    if (wd->armed && !wd->fired && cls >= 0 && cls < 3)
        set_deadline(wd, wd->timeouts[cls]);
    pthread_mutex_unlock(&wd->lock);
}

int tk_watchdog_fired(tk_watchdog *wd)
{
    int fired;

    pthread_mutex_lock(&wd->lock);
    fired = wd->fired;
    pthread_mutex_unlock(&wd->lock);
    return fired;
}

void tk_watchdog_watch_fd(tk_watchdog *wd, int fd)
{
    __atomic_store_n(&wd->relay_fd, fd, __ATOMIC_RELEASE);
}

void tk_watchdog_disarm(tk_watchdog *wd)
{
    pthread_mutex_lock(&wd->lock);
    wd->armed = 0;
    pthread_mutex_unlock(&wd->lock);
}

void tk_watchdog_after_fork_child(tk_watchdog *wd)
{
    /* The watching thread is gone and may have held the lock; the
     * parent's relay socket is closed in the child (tk_conn_after_fork). */
    int timeouts[3];

    memcpy(timeouts, wd->timeouts, sizeof(timeouts));
    tk_watchdog_init(wd, wd->tcti_conf, timeouts);
}

void tk_watchdog_stop(tk_watchdog *wd)
{
    pthread_mutex_lock(&wd->lock);
    wd->stop = 1;
    pthread_cond_broadcast(&wd->cond);
    pthread_mutex_unlock(&wd->lock);
    if (wd->pid == getpid())
        pthread_join(wd->thread, NULL);
    wd->pid = 0;
    pthread_cond_destroy(&wd->cond);
    pthread_mutex_destroy(&wd->lock);
}
