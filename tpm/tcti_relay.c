/* SPDX-License-Identifier: Apache-2.0 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "relay_wire.h"
#include "tcti_relay.h"

#define RELAY_MAGIC 0x746b72656c617931ULL /* "tkrelay1" */
#define RELAY_FD 3                        /* where the relay finds it */

extern char **environ;

typedef struct relay {
    TSS2_TCTI_CONTEXT_COMMON_V2 common; /* first: what callers see */
    int fd;
    int pidfd; /* the relay process, to kill it race-free; -1 if none */
    pid_t pid, owner;
    int broken;   /* the stream is out of step: only closing is left */
    int awaiting; /* a command was sent, its response not read yet */
    int have;     /* a response is read but not yet handed out */
    size_t len;
    uint8_t buf[TK_RELAY_MAX];
} relay;

static relay *of(TSS2_TCTI_CONTEXT *ctx)
{
    return ctx != NULL && TSS2_TCTI_MAGIC(ctx) == RELAY_MAGIC ? (relay *)ctx
                                                              : NULL;
}

static TSS2_RC broken(relay *r)
{
    r->broken = 1;
    return TSS2_TCTI_RC_IO_ERROR;
}

static TSS2_RC transmit(TSS2_TCTI_CONTEXT *ctx, size_t size,
                        const uint8_t *command)
{
    relay *r = of(ctx);
    uint32_t len = (uint32_t)size;

    if (r == NULL || command == NULL)
        return TSS2_TCTI_RC_BAD_REFERENCE;
    if (r->broken || r->fd < 0)
        return TSS2_TCTI_RC_IO_ERROR;
    if (r->awaiting || r->have)
        return TSS2_TCTI_RC_BAD_SEQUENCE;
    if (size == 0 || size > TK_RELAY_MAX)
        return TSS2_TCTI_RC_BAD_VALUE;
    if (!tk_wire_write(r->fd, &len, sizeof(len))
        || !tk_wire_write(r->fd, command, size))
        return broken(r);
    r->awaiting = 1;
    return TSS2_RC_SUCCESS;
}

static TSS2_RC read_response(relay *r, int32_t timeout)
{
    tk_relay_reply reply;

    if (timeout != TSS2_TCTI_TIMEOUT_BLOCK) {
        struct pollfd p = { .fd = r->fd, .events = POLLIN };
        int n;

        while ((n = poll(&p, 1, timeout)) < 0 && errno == EINTR)
            ;
        if (n == 0)
            return TSS2_TCTI_RC_TRY_AGAIN;
    }
    if (!tk_wire_read(r->fd, &reply, sizeof(reply)) || reply.len > TK_RELAY_MAX
        || !tk_wire_read(r->fd, r->buf, reply.len))
        return broken(r);
    r->awaiting = 0;
    if (reply.rc != TSS2_RC_SUCCESS)
        return reply.rc;
    r->have = 1;
    r->len = reply.len;
    return TSS2_RC_SUCCESS;
}

static TSS2_RC receive(TSS2_TCTI_CONTEXT *ctx, size_t *size, uint8_t *response,
                       int32_t timeout)
{
    relay *r = of(ctx);
    TSS2_RC rc;

    if (r == NULL || size == NULL)
        return TSS2_TCTI_RC_BAD_REFERENCE;
    if (r->broken || r->fd < 0)
        return TSS2_TCTI_RC_IO_ERROR;
    if (!r->have) {
        if (!r->awaiting)
            return TSS2_TCTI_RC_BAD_SEQUENCE;
        if ((rc = read_response(r, timeout)) != TSS2_RC_SUCCESS)
            return rc;
    }
    if (response == NULL) { /* the caller asks for the size first */
        *size = r->len;
        return TSS2_RC_SUCCESS;
    }
    if (*size < r->len)
        return TSS2_TCTI_RC_INSUFFICIENT_BUFFER;
    memcpy(response, r->buf, r->len);
    *size = r->len;
    r->have = 0;
    return TSS2_RC_SUCCESS;
}

static TSS2_RC not_here(void)
{
    return TSS2_TCTI_RC_NOT_IMPLEMENTED;
}

static TSS2_RC cancel(TSS2_TCTI_CONTEXT *ctx)
{
    (void)ctx;
    return not_here();
}

static TSS2_RC set_locality(TSS2_TCTI_CONTEXT *ctx, uint8_t locality)
{
    (void)ctx;
    (void)locality;
    return not_here();
}

static TSS2_RC make_sticky(TSS2_TCTI_CONTEXT *ctx, TPM2_HANDLE *handle,
                           uint8_t sticky)
{
    (void)ctx;
    (void)handle;
    (void)sticky;
    return not_here();
}

static TSS2_RC poll_handles(TSS2_TCTI_CONTEXT *ctx, TSS2_TCTI_POLL_HANDLE *h,
                            size_t *n)
{
    relay *r = of(ctx);

    if (r == NULL || n == NULL)
        return TSS2_TCTI_RC_BAD_REFERENCE;
    if (h != NULL && *n >= 1) {
        h[0].fd = r->fd;
        h[0].events = POLLIN;
    }
    *n = 1;
    return TSS2_RC_SUCCESS;
}

static void finalize(TSS2_TCTI_CONTEXT *ctx)
{
    tk_tcti_relay_free(ctx);
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

void tk_tcti_relay_free(TSS2_TCTI_CONTEXT *ctx)
{
    relay *r = of(ctx);

    if (r == NULL)
        return;
    close_fd(&r->fd);
    /* An idle relay ends when it reads the end of the stream; one whose
     * TPM stopped answering would wait on forever, and so would what its
     * TCTI started (the cmd TCTI's program): kill its process group, which
     * it leads (relay_main.c), while the pidfd shows it is still alive. */
    if (r->broken && r->owner == getpid() && r->pid > 0
        && (r->pidfd < 0
            || syscall(SYS_pidfd_send_signal, r->pidfd, 0, NULL, 0) == 0))
        kill(-r->pid, SIGKILL);
    close_fd(&r->pidfd);
    free(r);
}

void tk_tcti_relay_drop_inherited(TSS2_TCTI_CONTEXT *ctx)
{
    relay *r = of(ctx);

    if (r != NULL) {
        close_fd(&r->fd);
        close_fd(&r->pidfd);
    }
}

int tk_tcti_relay_fd(TSS2_TCTI_CONTEXT *ctx)
{
    relay *r = of(ctx);

    return r != NULL ? r->fd : -1;
}

static char relay_beside[PATH_MAX];
static pthread_once_t relay_beside_once = PTHREAD_ONCE_INIT;

/* Once per process: the module's directory does not change. */
static void find_beside(void)
{
    Dl_info info;
    const char *slash;

    if (dladdr((void *)tk_tcti_relay_path, &info) == 0 || info.dli_fname == NULL
        || (slash = strrchr(info.dli_fname, '/')) == NULL
        || snprintf(relay_beside, sizeof(relay_beside), "%.*s/tpmkit-relay",
                    (int)(slash - info.dli_fname), info.dli_fname)
               >= (int)sizeof(relay_beside)
        || access(relay_beside, X_OK) != 0)
        relay_beside[0] = '\0';
}

const char *tk_tcti_relay_path(void)
{
    const char *env = secure_getenv("TPMKIT_RELAY");

    if (env != NULL && *env != '\0')
        return env;
    pthread_once(&relay_beside_once, find_beside);
    return relay_beside[0] != '\0' ? relay_beside : TK_RELAY_PATH;
}

/* The relay starts with default signal handling and mask, whatever the
 * host program set (nginx ignores SIGPIPE, for one). */
static void spawn_attrs(posix_spawnattr_t *attr)
{
    sigset_t all, none;

    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_init(attr);
    posix_spawnattr_setsigdefault(attr, &all);
    posix_spawnattr_setsigmask(attr, &none);
    posix_spawnattr_setflags(attr,
                             POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
}

/* Run the relay with `theirs` as its fd 3; it detaches at once, so the
 * process we wait for is only its first half. */
static int spawn(const char *path, const char *conf, int theirs)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    char *argv[] = { (char *)"tpmkit-relay", (char *)conf, NULL };
    pid_t pid;
    int err, status;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, theirs, RELAY_FD);
    spawn_attrs(&attr);
    err = posix_spawn(&pid, path, &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (err != 0)
        return err;
    /* ECHILD: the host program reaps its children itself. */
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return 0;
}

int tk_tcti_relay_start(const char *conf, TSS2_TCTI_CONTEXT **ctx, char *why,
                        size_t why_len)
{
    const char *path = tk_tcti_relay_path();
    relay *r;
    int sv[2], theirs, err;

    *ctx = NULL;
    if ((r = calloc(1, sizeof(*r))) == NULL)
        return ENOMEM;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        err = errno;
        free(r);
        snprintf(why, why_len, "a socket for tpmkit-relay: %s", strerror(err));
        return err;
    }
    /* dup2 onto the same number would keep close-on-exec set. */
    theirs = sv[1];
    if (theirs == RELAY_FD) {
        theirs = fcntl(sv[1], F_DUPFD_CLOEXEC, RELAY_FD + 1);
        close(sv[1]);
    }
    err = theirs < 0 ? errno : spawn(path, conf, theirs);
    if (theirs >= 0)
        close(theirs);
    if (err != 0) {
        close(sv[0]);
        free(r);
        snprintf(
            why, why_len,
            "connect (cannot start %s: %s; is tpmkit installed completely?)",
            path, strerror(err));
        return err;
    }
    r->fd = sv[0];
    r->pidfd = -1;
    r->owner = getpid();
    r->common.v1.magic = RELAY_MAGIC;
    r->common.v1.version = 2;
    r->common.v1.transmit = transmit;
    r->common.v1.receive = receive;
    r->common.v1.finalize = finalize;
    r->common.v1.cancel = cancel;
    r->common.v1.getPollHandles = poll_handles;
    r->common.v1.setLocality = set_locality;
    r->common.makeSticky = make_sticky;
    *ctx = (TSS2_TCTI_CONTEXT *)r;
    return 0;
}

TSS2_RC tk_tcti_relay_ready(TSS2_TCTI_CONTEXT *ctx)
{
    relay *r = of(ctx);
    uint32_t pid, rc;

    if (r == NULL)
        return TSS2_TCTI_RC_BAD_REFERENCE;
    if (!tk_wire_read(r->fd, &pid, sizeof(pid)))
        return broken(r);
    r->pid = (pid_t)pid;
    r->pidfd = (int)syscall(SYS_pidfd_open, r->pid, 0);
    if (!tk_wire_read(r->fd, &rc, sizeof(rc)))
        return broken(r);
    return rc;
}
