/* SPDX-License-Identifier: Apache-2.0 */
/* tk_forkbusy SWTPM_PID: fork() while another thread waits on a TPM that
 * does not answer.
 *
 * Draws twice (so the connection is open and warm), stops the TPM (SIGSTOP to
 * SWTPM_PID), starts a thread that draws (it now waits for the TPM), forks,
 * and resumes the TPM as soon as fork() returns. If fork() did not wait for
 * the thread's TPM operation, that operation is still in progress when the
 * TPM resumes and succeeds; had fork() waited for it, the watchdog would
 * have cut it first and it fails. The child then draws through its own
 * connection. Prints how long fork() took. Exit 0 if all of it held. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tk_util.h"

static int busy_ok;

static void *busy_draw(void *arg)
{
    EVP_RAND_CTX *ctx = arg;
    unsigned char buf[32];

    busy_ok = tk_seed_draw(ctx, buf, sizeof(buf));
    return NULL;
}

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int child(int go_fd, EVP_RAND_CTX *ctx)
{
    unsigned char buf[32];
    char c;

    /* Wait until the parent has resumed the TPM. */
    if (read(go_fd, &c, 1) != 1)
        return 3;
    if (!tk_seed_draw(ctx, buf, sizeof(buf)) || tk_all_zero(buf, sizeof(buf))) {
        fprintf(stderr, "child: draw through its own connection failed\n");
        return 1;
    }
    printf("child: draws through its own connection\n");
    return 0;
}

int main(int argc, char **argv)
{
    EVP_RAND_CTX *ctx;
    unsigned char buf[32];
    pthread_t thread;
    pid_t swtpm, pid;
    int go[2], status, failed = 0;
    double start, took;

    if (argc != 2)
        tk_die("usage: tk_forkbusy SWTPM_PID");
    swtpm = (pid_t)atoi(argv[1]);
    tk_init();
    ctx = tk_seed_new();
    /* Two draws: after the second the session is parked, so the busy
     * thread's draw waits in a command of tpmkit's own (a session
     * ContextLoad). Were it mid-way through an ESYS call (its first
     * operation's CreatePrimary), the child would inherit that call's
     * buffers, referenced only from a thread the child does not have, and
     * the leak checker would count them. */
    if (!tk_seed_draw(ctx, buf, sizeof(buf))
        || !tk_seed_draw(ctx, buf, sizeof(buf)))
        tk_die("first draws failed");
    if (pipe(go) != 0 || kill(swtpm, SIGSTOP) != 0)
        tk_die("cannot stop the TPM");
    if (pthread_create(&thread, NULL, busy_draw, ctx) != 0)
        tk_die("pthread_create");
    /* Let the thread send its command and wait for the answer. */
    usleep(500 * 1000);

    start = now_ms();
    pid = fork();
    if (pid == 0)
        exit(child(go[0], ctx));
    took = now_ms() - start;
    kill(swtpm, SIGCONT);
    if (pid < 0)
        tk_die("fork");
    printf("fork() returned after %.1f ms\n", took);
    pthread_join(thread, NULL);
    if (busy_ok) {
        printf("the busy thread's draw completed once the TPM resumed:"
               " fork() did not wait for it\n");
    } else {
        fprintf(stderr, "the busy thread's draw failed: fork() waited behind"
                        " the TPM operation until the watchdog cut it\n");
        failed = 1;
    }
    if (write(go[1], "g", 1) != 1 || waitpid(pid, &status, 0) < 0
        || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "the child failed\n");
        failed = 1;
    }
    if (!tk_seed_draw(ctx, buf, sizeof(buf))) {
        fprintf(stderr, "the parent's draw after the fork failed\n");
        failed = 1;
    }
    EVP_RAND_CTX_free(ctx);
    return failed;
}
