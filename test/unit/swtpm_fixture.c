/* SPDX-License-Identifier: Apache-2.0 */
#include "swtpm_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int port_accepts(int port)
{
    struct sockaddr_in addr = { .sin_family = AF_INET,
                                .sin_port = htons((uint16_t)port) };
    int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok = connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
    close(fd);
    return ok;
}

static int port_bindable(int port)
{
    struct sockaddr_in addr = { .sin_family = AF_INET,
                                .sin_port = htons((uint16_t)port) };
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1, ok;

    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    ok = bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
    close(fd);
    return ok;
}

static void nap_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
}

static int launch(swtpm_fixture *f)
{
    char server[96], ctrl[96], state[300];

    snprintf(server, sizeof(server), "type=tcp,port=%d,bindaddr=127.0.0.1",
             f->port);
    snprintf(ctrl, sizeof(ctrl), "type=tcp,port=%d,bindaddr=127.0.0.1",
             f->port + 1);
    snprintf(state, sizeof(state), "dir=%s", f->dir);
    f->pid = fork();
    if (f->pid == 0) {
        int null = open("/dev/null", O_WRONLY);

        dup2(null, 1);
        dup2(null, 2);
        /* swtpm seeds itself through OpenSSL: never from a tpmkit config. */
        unsetenv("OPENSSL_CONF");
        unsetenv("TPMKIT_TCTI");
        execlp("swtpm", "swtpm", "socket", "--tpm2", "--server", server,
               "--ctrl", ctrl, "--flags", "not-need-init,startup-clear",
               "--tpmstate", state, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        if (port_accepts(f->port))
            return 1;
        if (waitpid(f->pid, NULL, WNOHANG) == f->pid)
            return 0;
        nap_ms(10);
    }
    return 0;
}

void swtpm_fixture_start(swtpm_fixture *f)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/tpmkit-unit-XXXXXX");
    if (mkdtemp(f->dir) == NULL) {
        perror("mkdtemp");
        abort();
    }
    srand((unsigned)(getpid() ^ time(NULL)));
    for (int tries = 0; tries < 50; tries++) {
        f->port = 20000 + 2 * (rand() % 20000);
        if (!port_bindable(f->port) || !port_bindable(f->port + 1))
            continue;
        if (launch(f)) {
            snprintf(f->tcti, sizeof(f->tcti), "swtpm:host=127.0.0.1,port=%d",
                     f->port);
            return;
        }
        swtpm_fixture_stop(f);
    }
    fprintf(stderr, "swtpm_fixture: cannot start swtpm\n");
    abort();
}

void swtpm_fixture_stop(swtpm_fixture *f)
{
    if (f->pid <= 0)
        return;
    kill(f->pid, SIGTERM);
    waitpid(f->pid, NULL, 0);
    f->pid = 0;
    for (int i = 0; i < 200 && !port_bindable(f->port); i++)
        nap_ms(10);
}

void swtpm_fixture_restart(swtpm_fixture *f)
{
    swtpm_fixture_stop(f);
    if (!launch(f)) {
        fprintf(stderr, "swtpm_fixture: cannot restart swtpm\n");
        abort();
    }
}

void swtpm_fixture_destroy(swtpm_fixture *f)
{
    char cmd[300];

    swtpm_fixture_stop(f);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "swtpm_fixture: could not remove %s\n", f->dir);
}

int swtpm_fixture_handles(const swtpm_fixture *f, const char *capabilities)
{
    char cmd[600], line[256];
    int count = 0;
    FILE *p;

    snprintf(cmd, sizeof(cmd),
             "export TPM2TOOLS_TCTI='%s'; for c in %s; do tpm2_getcap $c 2>&1;"
             " done",
             f->tcti, capabilities);
    p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    while (fgets(line, sizeof(line), p) != NULL)
        if (strstr(line, "0x") != NULL || strstr(line, "ERROR") != NULL)
            count++;
    pclose(p);
    return count;
}

int swtpm_fixture_leftovers(const swtpm_fixture *f)
{
    return swtpm_fixture_handles(f, "handles-transient handles-loaded-session"
                                    " handles-saved-session");
}
