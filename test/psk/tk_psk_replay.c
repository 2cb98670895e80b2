/* SPDX-License-Identifier: Apache-2.0 */
/* tk_psk_replay: records a TLS ClientHello in flight and replays it, to
 * show what a replayed ClientHello gets from tpmkit-psk-server.
 *
 *   tk_psk_replay record TARGET_PORT FILE
 *       listens on 127.0.0.1 (prints "listening on PORT"), relays one
 *       connection to 127.0.0.1:TARGET_PORT, saves the client's first TLS
 *       record (the ClientHello) in FILE and describes the server's first.
 *   tk_psk_replay replay TARGET_PORT FILE
 *       sends FILE to 127.0.0.1:TARGET_PORT as a new connection, describes
 *       the server's first record, and hangs up (it cannot go on: it has
 *       no key share secret and no PSK).
 *
 * The description is one line: "server_hello random=HEX psk=yes|no
 * key_share=yes|no", or "alert LEVEL DESCRIPTION", or "closed".
 * Exit status: 0 done, 1 failure. Every wait is bounded (10 s). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAIT_MS 10000
#define MAX_RECORD (5 + 16384 + 2048)

/* The first TLS record of one direction, collected as bytes pass. */
struct record {
    unsigned char b[MAX_RECORD];
    size_t len;
};

static size_t record_need(const struct record *r)
{
    return r->len < 5 ? 5 : 5 + (size_t)(r->b[3] << 8 | r->b[4]);
}

static int record_done(const struct record *r)
{
    return r->len >= 5 && r->len >= record_need(r);
}

static void record_add(struct record *r, const unsigned char *p, size_t n)
{
    while (n > 0 && !record_done(r) && r->len < MAX_RECORD) {
        r->b[r->len++] = *p++;
        n--;
    }
}

static int has_ext(const unsigned char *p, size_t len, unsigned type)
{
    while (len >= 4) {
        unsigned t = (unsigned)(p[0] << 8 | p[1]);
        size_t l = (size_t)(p[2] << 8 | p[3]);

        if (t == type)
            return 1;
        if (l + 4 > len)
            break;
        p += 4 + l;
        len -= 4 + l;
    }
    return 0;
}

static void describe(const struct record *r)
{
    const unsigned char *b = r->b;
    size_t i, off, end = r->len;

    if (!record_done(r)) {
        printf("closed\n");
    } else if (b[0] == 21 && end >= 7) {
        printf("alert %u %u\n", b[5], b[6]);
    } else if (b[0] == 22 && end >= 44 && b[5] == 2) {
        printf("server_hello random=");
        for (i = 11; i < 43; i++)
            printf("%02x", b[i]);
        off = 44 + b[43] + 3; /* session id, cipher suite, compression */
        if (off + 2 <= end) {
            size_t ext_len = (size_t)(b[off] << 8 | b[off + 1]);

            off += 2;
            if (off + ext_len > end)
                ext_len = end - off;
            printf(" psk=%s key_share=%s",
                   has_ext(b + off, ext_len, 41) ? "yes" : "no",
                   has_ext(b + off, ext_len, 51) ? "yes" : "no");
        }
        printf("\n");
    } else {
        printf("unexpected record type %u\n", b[0]);
    }
    fflush(stdout);
}

static int connect_to(int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port) };
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        perror("tk_psk_replay: connect");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* Reads from fd into r until r holds a whole record, or EOF, or time-out. */
static void read_record(int fd, struct record *r)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    unsigned char buf[4096];
    ssize_t n;

    while (!record_done(r) && poll(&p, 1, WAIT_MS) == 1) {
        n = read(fd, buf, sizeof(buf));
        if (n <= 0)
            break;
        record_add(r, buf, (size_t)n);
    }
}

static int replay(int port, const char *file)
{
    static struct record hello, answer;
    FILE *f = fopen(file, "rb");
    int fd;

    if (f == NULL) {
        perror(file);
        return 1;
    }
    hello.len = fread(hello.b, 1, sizeof(hello.b), f);
    fclose(f);
    if (!record_done(&hello) || (fd = connect_to(port)) < 0)
        return 1;
    if (write(fd, hello.b, hello.len) != (ssize_t)hello.len) {
        perror("tk_psk_replay: write");
        close(fd);
        return 1;
    }
    read_record(fd, &answer);
    describe(&answer);
    close(fd);
    return 0;
}

static int record(int port, const char *file)
{
    static struct record hello, answer;
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t alen = sizeof(a);
    struct pollfd p[2];
    unsigned char buf[4096];
    int lfd, cfd, sfd, i, one = 1;
    ssize_t n;
    FILE *f;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (lfd < 0
        || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0
        || bind(lfd, (struct sockaddr *)&a, sizeof(a)) != 0
        || listen(lfd, 1) != 0
        || getsockname(lfd, (struct sockaddr *)&a, &alen) != 0) {
        perror("tk_psk_replay: listen");
        return 1;
    }
    printf("listening on %u\n", ntohs(a.sin_port));
    fflush(stdout);
    p[0].fd = lfd;
    p[0].events = POLLIN;
    if (poll(p, 1, WAIT_MS) != 1 || (cfd = accept(lfd, NULL, NULL)) < 0) {
        fprintf(stderr, "tk_psk_replay: no client came\n");
        return 1;
    }
    close(lfd);
    if ((sfd = connect_to(port)) < 0)
        return 1;
    /* Relay both ways until one side closes. */
    p[0].fd = cfd;
    p[1].fd = sfd;
    p[0].events = p[1].events = POLLIN;
    while (poll(p, 2, WAIT_MS) > 0) {
        for (i = 0; i < 2; i++) {
            if (p[i].revents == 0)
                continue;
            n = read(p[i].fd, buf, sizeof(buf));
            if (n <= 0 || write(p[1 - i].fd, buf, (size_t)n) != n)
                goto done;
            record_add(i == 0 ? &hello : &answer, buf, (size_t)n);
        }
    }
done:
    close(cfd);
    close(sfd);
    if (!record_done(&hello) || (f = fopen(file, "wb")) == NULL
        || fwrite(hello.b, 1, hello.len, f) != hello.len || fclose(f) != 0) {
        fprintf(stderr, "tk_psk_replay: no ClientHello recorded\n");
        return 1;
    }
    describe(&answer);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "record") == 0)
        return record(atoi(argv[2]), argv[3]);
    if (argc == 4 && strcmp(argv[1], "replay") == 0)
        return replay(atoi(argv[2]), argv[3]);
    fprintf(stderr, "usage: tk_psk_replay record|replay TARGET_PORT FILE\n");
    return 1;
}
