/* SPDX-License-Identifier: Apache-2.0 */
/* tk_fork [-s] [-r] CHILDREN: draw in the parent, fork CHILDREN children
 * that each draw and exit, wait for them, draw again in the parent.
 *
 *   -s  sequential: wait for each child before forking the next
 *       (default: all children run at once)
 *   -r  RAND_bytes only, no direct TPM2-SEED draws, so a TPM capture shows
 *       just the DRBG's seedings
 *
 * Every process prints "<role> <hex of its RAND_bytes>" so the caller can
 * check that no two processes got the same bytes. Exit 0 if all draws
 * worked in every process. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tk_util.h"

static int rand_only;

/* One round of draws; prints the RAND_bytes output under `role`. */
static int draw(const char *role)
{
    unsigned char buf[32];
    int ok = 1;

    if (!rand_only) {
        EVP_RAND_CTX *ctx = tk_seed_new();

        ok = tk_seed_draw(ctx, buf, sizeof(buf))
             && !tk_all_zero(buf, sizeof(buf));
        EVP_RAND_CTX_free(ctx);
    }
    if (!tk_rand_bytes(buf, sizeof(buf)))
        return 0;
    printf("%s ", role);
    tk_print_hex(buf, sizeof(buf));
    fflush(stdout);
    return ok;
}

static int reap(pid_t pid)
{
    int status;

    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)
        || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "child %d failed (status 0x%x)\n", (int)pid, status);
        return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    int sequential = 0, children, opt, failed = 0;
    pid_t pids[64];

    while ((opt = getopt(argc, argv, "sr")) != -1) {
        if (opt == 's')
            sequential = 1;
        else if (opt == 'r')
            rand_only = 1;
        else
            tk_die("usage: tk_fork [-s] [-r] CHILDREN");
    }
    children = optind + 1 == argc ? atoi(argv[optind]) : 0;
    if (children < 1 || children > 64)
        tk_die("usage: tk_fork [-s] [-r] CHILDREN(1..64)");
    tk_init();
    if (!draw("parent-before"))
        tk_die("parent draw before fork");
    for (int i = 0; i < children; i++) {
        char role[32];

        snprintf(role, sizeof(role), "child-%d", i);
        pids[i] = fork();
        if (pids[i] < 0)
            tk_die("fork");
        if (pids[i] == 0)
            /* exit(), not _exit(): OpenSSL's cleanup runs in the child as
             * in any application, and must not touch the parent's TPM
             * handles. */
            exit(draw(role) ? 0 : 1);
        if (sequential && !reap(pids[i]))
            failed = 1;
    }
    for (int i = 0; !sequential && i < children; i++)
        if (!reap(pids[i]))
            failed = 1;
    if (!draw("parent-after"))
        tk_die("parent draw after the children");
    return failed;
}
