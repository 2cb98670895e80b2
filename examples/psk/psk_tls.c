/* SPDX-License-Identifier: Apache-2.0 */
#include "psk_tls.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/tls1.h>

SSL_CTX *psk_tls_ctx(const struct psk_options *o)
{
    int server = o->role == PSK_SERVER;
    int version = o->tls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
    SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method()
                                      : TLS_client_method());

    if (ctx == NULL)
        goto err;
    if (!SSL_CTX_set_min_proto_version(ctx, version)
        || !SSL_CTX_set_max_proto_version(ctx, version))
        goto err;
    if (o->tls13) {
        if (!SSL_CTX_set_ciphersuites(ctx, PSK_TLS13_SUITES))
            goto err;
        /* SSL_OP_ALLOW_NO_DHE_KEX stays off: the client offers psk_dhe_ke
         * only and the server accepts nothing else. */
        SSL_CTX_clear_options(ctx, SSL_OP_ALLOW_NO_DHE_KEX);
        SSL_CTX_set_max_early_data(ctx, 0);
    } else if (!SSL_CTX_set_cipher_list(ctx, o->ciphers)) {
        fprintf(stderr, "%s: no usable cipher in '%s'\n", o->prog, o->ciphers);
        goto err;
    }
    /* A resumed handshake would skip the PSK callbacks and reuse an old
     * secret: every connection must derive its own. */
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    if (server && !SSL_CTX_set_num_tickets(ctx, 0))
        goto err;
    return ctx;

err:
    psk_report(o->prog, "cannot set up TLS");
    SSL_CTX_free(ctx);
    return NULL;
}

int psk_conn_derive(SSL *ssl, struct psk_conn *c)
{
    unsigned char cr[PSK_RANDOM_LEN], sr[PSK_RANDOM_LEN];
    char hcr[2 * PSK_RANDOM_LEN + 1], hsr[2 * PSK_RANDOM_LEN + 1];
    char hpsk[2 * PSK_MAX_LEN + 1];
    int ok;

    if (c->derived)
        return 1;
    if (SSL_get_client_random(ssl, cr, sizeof(cr)) != sizeof(cr)
        || SSL_get_server_random(ssl, sr, sizeof(sr)) != sizeof(sr)) {
        fprintf(stderr, "%s: the handshake randoms are not available\n",
                c->o->prog);
        return 0;
    }
    ok = c->o->tls13 ? psk_derive_tls13(c->mac, cr, c->psk, &c->psk_len)
                     : psk_derive_tls12(c->mac, cr, sr, c->psk, &c->psk_len);
    if (!ok) {
        c->derive_failed = 1;
        return 0;
    }
    c->derived = 1;
    if (c->o->show_psk) {
        psk_hex(hcr, cr, sizeof(cr));
        psk_hex(hpsk, c->psk, c->psk_len);
        if (c->o->tls13) {
            printf("session-psk client_random=%s psk=%s\n", hcr, hpsk);
        } else {
            printf("session-psk client_random=%s server_random=%s psk=%s\n",
                   hcr, psk_hex(hsr, sr, sizeof(sr)), hpsk);
        }
        fflush(stdout);
        OPENSSL_cleanse(hpsk, sizeof(hpsk));
    }
    return 1;
}

SSL_SESSION *psk_tls13_session(SSL *ssl, const struct psk_conn *c)
{
    static const unsigned char aes128gcm[] = { 0x13, 0x01 };
    const SSL_CIPHER *cipher = SSL_CIPHER_find(ssl, aes128gcm);
    SSL_SESSION *sess = SSL_SESSION_new();

    if (cipher == NULL || sess == NULL
        || !SSL_SESSION_set1_master_key(sess, c->psk, c->psk_len)
        || !SSL_SESSION_set_cipher(sess, cipher)
        || !SSL_SESSION_set_protocol_version(sess, TLS1_3_VERSION)) {
        psk_report(c->o->prog, "cannot build the TLS 1.3 PSK session");
        SSL_SESSION_free(sess);
        return NULL;
    }
    return sess;
}

int psk_describe(SSL *ssl, const struct psk_conn *c, const char *identity)
{
    int nid = SSL_get_negotiated_group(ssl);
    const char *group = nid != 0 ? SSL_group_to_name(ssl, nid) : NULL;

    printf("connected: %s %s, key exchange %s, identity \"%s\", PSK by %s\n",
           SSL_get_version(ssl), SSL_get_cipher_name(ssl),
           group != NULL ? group : "none", identity, psk_mac_name(c->mac));
    fflush(stdout);
    /* Never talk over a handshake the PSK did not authenticate (say, a
     * certificate or anonymous suite a peer slipped in). */
    if (!c->derived
        || (SSL_version(ssl) == TLS1_3_VERSION
                ? !SSL_session_reused(ssl)
                : SSL_CIPHER_get_auth_nid(SSL_get_current_cipher(ssl))
                      != NID_auth_psk)) {
        fprintf(stderr,
                "%s: the peer was not authenticated by the PSK: refused\n",
                c->o->prog);
        return 0;
    }
    if (c->o->tls13 && nid == 0) {
        fprintf(stderr,
                "%s: this TLS 1.3 handshake ran without (EC)DHE: refused\n",
                c->o->prog);
        return 0;
    }
    return 1;
}

const char *psk_failure(SSL *ssl, int ret)
{
    switch (SSL_get_error(ssl, ret)) {
    case SSL_ERROR_ZERO_RETURN:
        return "the peer closed the connection";
    case SSL_ERROR_SYSCALL:
        if (ret == 0 || errno == 0)
            return "the peer closed the connection";
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return "timed out waiting for the peer";
        return strerror(errno);
    case SSL_ERROR_SSL: {
        const char *why = ERR_reason_error_string(ERR_peek_last_error());

        return why != NULL ? why : "TLS error";
    }
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        /* Blocking sockets: only SO_RCVTIMEO/SO_SNDTIMEO end a wait early. */
        return "timed out waiting for the peer";
    default:
        return "unexpected TLS state";
    }
}

static void set_timeouts(int fd, int seconds)
{
    struct timeval tv = { .tv_sec = seconds, .tv_usec = 0 };
    int one = 1;

    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    /* Small TLS flights back to back: Nagle against delayed ACKs would
     * add 40 ms to a TLS 1.3 exchange. */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static struct addrinfo *resolve(const struct psk_options *o, int passive)
{
    struct addrinfo hints, *res = NULL;
    int rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = passive ? AI_PASSIVE : 0;
    rc = getaddrinfo(o->host, o->port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "%s: cannot resolve %s port %s: %s\n", o->prog, o->host,
                o->port, gai_strerror(rc));
        return NULL;
    }
    return res;
}

int psk_listen(const struct psk_options *o, char *bound, size_t bound_len)
{
    struct addrinfo *res = resolve(o, 1), *ai;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char host[NI_MAXHOST], port[NI_MAXSERV];
    int fd = -1, one = 1, err = 0;

    if (res == NULL)
        return -1;
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 16) == 0)
            break;
        err = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        fprintf(stderr, "%s: cannot listen on %s port %s: %s\n", o->prog,
                o->host, o->port, strerror(err));
        return -1;
    }
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0
        || getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), port,
                       sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV)
               != 0)
        snprintf(bound, bound_len, "%s:%s", o->host, o->port);
    else
        snprintf(bound, bound_len, "%s:%s", host, port);
    return fd;
}

int psk_accept(const struct psk_options *o, int lfd)
{
    int fd;

    do {
        fd = accept(lfd, NULL, NULL);
    } while (fd < 0 && (errno == EINTR || errno == ECONNABORTED));
    if (fd < 0) {
        fprintf(stderr, "%s: accept failed: %s\n", o->prog, strerror(errno));
        return -1;
    }
    set_timeouts(fd, o->timeout);
    return fd;
}

/* connect() bounded by o->timeout: a blackholed address must not hang us. */
static int connect_bounded(int fd, const struct addrinfo *ai, int seconds)
{
    struct pollfd p = { .fd = fd, .events = POLLOUT };
    int flags = fcntl(fd, F_GETFL), err = 0, rc;
    socklen_t len = sizeof(err);

    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return -1;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno != EINPROGRESS)
            return -1;
        do {
            rc = poll(&p, 1, seconds * 1000);
        } while (rc < 0 && errno == EINTR);
        if (rc == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
            return -1;
        if (err != 0) {
            errno = err;
            return -1;
        }
    }
    return fcntl(fd, F_SETFL, flags);
}

int psk_connect(const struct psk_options *o)
{
    struct addrinfo *res = resolve(o, 0), *ai;
    int fd = -1, err = 0;

    if (res == NULL)
        return -1;
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (connect_bounded(fd, ai, o->timeout) == 0)
            break;
        err = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        fprintf(stderr, "%s: cannot connect to %s port %s: %s\n", o->prog,
                o->host, o->port, strerror(err));
        return -1;
    }
    set_timeouts(fd, o->timeout);
    return fd;
}

int psk_read_line(SSL *ssl, char *buf, size_t max)
{
    size_t len = 0;
    int n;

    while (len + 1 < max) {
        n = SSL_read(ssl, buf + len, (int)(max - 1 - len));
        if (n <= 0) {
            if (len > 0 && SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN)
                break; /* closed after a last line without newline */
            return -1;
        }
        len += (size_t)n;
        if (memchr(buf + len - n, '\n', (size_t)n) != NULL)
            break;
    }
    buf[len] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    return (int)strlen(buf);
}

int psk_write_all(SSL *ssl, const char *buf, size_t len)
{
    size_t written;

    return SSL_write_ex(ssl, buf, len, &written) == 1 && written == len;
}
