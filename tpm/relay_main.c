/* SPDX-License-Identifier: Apache-2.0 */
/* tpmkit-relay: opens one TCTI in a process of its own and passes TPM
 * commands and responses between it and the tpmkit process that started
 * it (over the socket at fd 3, see relay_wire.h).
 *
 * Why a process: a TCTI that is not a plain socket cannot be bounded or
 * forked safely inside the host program. A read from a hung device or
 * daemon cannot be interrupted, and the tabrmd TCTI's D-Bus thread does
 * not survive fork(), so a forked server child would hang in it. tpmkit
 * only ever holds a socket to this relay: its watchdog can cut it, and a
 * forked child starts a relay of its own, in a fresh process. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <tss2/tss2_tctildr.h>

#include "relay_wire.h"

#define CLIENT_FD 3

/* Leave the caller's process: it never sees this process exit (no
 * SIGCHLD, no zombie), and terminal signals meant for it do not reach the
 * relay, which ends when its client closes the socket. */
static void detach(void)
{
    pid_t pid = fork();
    int null;

    if (pid < 0)
        exit(1);
    if (pid > 0)
        _exit(0);
    setsid();
    /* The caller's stdout may be a pipe someone reads to its end. */
    if ((null = open("/dev/null", O_RDWR)) >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        if (null > CLIENT_FD)
            close(null);
    }
    for (int fd = CLIENT_FD + 1; fd < 1024; fd++)
        close(fd);
    signal(SIGPIPE, SIG_IGN);
}

static int relay_one(TSS2_TCTI_CONTEXT *tcti, uint8_t *buf)
{
    uint32_t len;
    tk_relay_reply reply;
    size_t size = TK_RELAY_MAX;

    if (!tk_wire_read(CLIENT_FD, &len, sizeof(len)) || len == 0
        || len > TK_RELAY_MAX || !tk_wire_read(CLIENT_FD, buf, len))
        return 0;
    reply.rc = Tss2_Tcti_Transmit(tcti, len, buf);
    if (reply.rc == TSS2_RC_SUCCESS)
        reply.rc = Tss2_Tcti_Receive(tcti, &size, buf, TSS2_TCTI_TIMEOUT_BLOCK);
    reply.len = reply.rc == TSS2_RC_SUCCESS ? (uint32_t)size : 0;
    return tk_wire_write(CLIENT_FD, &reply, sizeof(reply))
           && tk_wire_write(CLIENT_FD, buf, reply.len);
}

int main(int argc, char **argv)
{
    struct stat st;
    TSS2_TCTI_CONTEXT *tcti = NULL;
    uint32_t pid, rc;
    static uint8_t buf[TK_RELAY_MAX];

    if (argc != 2 || fstat(CLIENT_FD, &st) != 0 || !S_ISSOCK(st.st_mode)) {
        fprintf(stderr,
                "tpmkit-relay: started by tpmkit.so only"
                " (usage: tpmkit-relay TCTI, with a socket at fd %d)\n",
                CLIENT_FD);
        return 2;
    }
    detach();
    pid = (uint32_t)getpid();
    if (!tk_wire_write(CLIENT_FD, &pid, sizeof(pid)))
        return 1;
    rc = Tss2_TctiLdr_Initialize(argv[1], &tcti);
    if (!tk_wire_write(CLIENT_FD, &rc, sizeof(rc)) || rc != TSS2_RC_SUCCESS)
        return 1;
    while (relay_one(tcti, buf))
        ;
    Tss2_TctiLdr_Finalize(&tcti);
    return 0;
}
