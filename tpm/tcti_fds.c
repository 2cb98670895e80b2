/* SPDX-License-Identifier: Apache-2.0 */
/* Finding this process's open sockets to a socket TCTI's TPM (server and
 * control ports, or a Unix path) by looking at every file descriptor. */
#include <dirent.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "tcti_fds.h"

/* The TCP ports (server and control) or the Unix path of a socket TCTI:
 * "swtpm:host=H,port=P", "mssim:port=P", "swtpm:path=F", "pcap:<those>". */
static void tcti_endpoint(const char *conf, int *port, const char **path,
                          size_t *path_len)
{
    const char *p;

    *port = 0;
    *path = NULL;
    *path_len = 0;
    while (strncmp(conf, "pcap:", 5) == 0)
        conf += 5;
    if (strncmp(conf, "swtpm", 5) != 0 && strncmp(conf, "mssim", 5) != 0)
        return;
    *port = 2321; /* both TCTIs' default */
    if ((p = strstr(conf, "port=")) != NULL)
        *port = atoi(p + 5);
    if ((p = strstr(conf, "path=")) != NULL) {
        *path = p + 5;
        *path_len = strcspn(*path, ",");
    }
}

static int is_tpm_socket(int fd, int port, const char *path, size_t path_len)
{
    struct sockaddr_storage peer;
    socklen_t len = sizeof(peer);
    struct stat st;
    int peer_port = -1;

    if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)
        || getpeername(fd, (struct sockaddr *)&peer, &len) != 0)
        return 0;
    if (peer.ss_family == AF_UNIX)
        return path != NULL
               && strncmp(((struct sockaddr_un *)&peer)->sun_path, path,
                          path_len)
                      == 0;
    if (peer.ss_family == AF_INET)
        peer_port = ntohs(((struct sockaddr_in *)&peer)->sin_port);
    else if (peer.ss_family == AF_INET6)
        peer_port = ntohs(((struct sockaddr_in6 *)&peer)->sin6_port);
    return port > 0 && (peer_port == port || peer_port == port + 1);
}

int tk_tcti_is_socket(const char *conf)
{
    int port;
    const char *path;
    size_t path_len;

    tcti_endpoint(conf, &port, &path, &path_len);
    return port != 0 || path != NULL;
}

void tk_tcti_each_fd(const char *conf, void (*fn)(int fd))
{
    int port;
    const char *path;
    size_t path_len;
    DIR *dir;
    struct dirent *entry;

    tcti_endpoint(conf, &port, &path, &path_len);
    if ((port == 0 && path == NULL) || (dir = opendir("/proc/self/fd")) == NULL)
        return;
    while ((entry = readdir(dir)) != NULL) {
        int fd = atoi(entry->d_name);

        if (entry->d_name[0] != '.' && fd != dirfd(dir)
            && is_tpm_socket(fd, port, path, path_len))
            fn(fd);
    }
    closedir(dir);
}
