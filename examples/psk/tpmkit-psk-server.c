/* SPDX-License-Identifier: Apache-2.0 */
/* tpmkit-psk-server: a TLS server authenticated by a per-connection PSK
 * derived from a permanent PSK, which can stay in the TPM (tpmkit's
 * TPM2-HMAC). Serves one connection at a time: reads one line, prints it,
 * answers with one line.
 *
 * Exit status: 0 when every connection succeeded, 1 when one failed or the
 * server could not start, 2 on a usage error. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "psk_tls.h"

/* The identity as text for messages, whatever bytes the client sent. */
static void note_identity(struct psk_conn *c, const unsigned char *id,
                          size_t len)
{
    size_t i, max = sizeof(c->peer_identity) - 1;

    if (len > max)
        len = max;
    for (i = 0; i < len; i++)
        c->peer_identity[i] = id[i] >= 0x20 && id[i] < 0x7f ? (char)id[i] : '?';
    c->peer_identity[len] = '\0';
}

static int identity_known(const struct psk_conn *c, const unsigned char *id,
                          size_t len)
{
    return len == strlen(c->o->identity)
           && memcmp(id, c->o->identity, len) == 0;
}

/* TLS 1.2: runs at ClientKeyExchange, when both randoms are set. */
static unsigned int tls12_psk_cb(SSL *ssl, const char *identity,
                                 unsigned char *psk, unsigned int max_psk_len)
{
    struct psk_conn *c = SSL_get_app_data(ssl);

    /* libssl also calls this for TLS 1.3, where the server random is still
     * zero: never derive there. */
    if (SSL_version(ssl) != TLS1_2_VERSION)
        return 0;
    if (identity == NULL)
        identity = "";
    note_identity(c, (const unsigned char *)identity, strlen(identity));
    if (!identity_known(c, (const unsigned char *)identity, strlen(identity))) {
        c->refused = 1;
        return 0;
    }
    if (!psk_conn_derive(ssl, c) || c->psk_len > max_psk_len)
        return 0;
    memcpy(psk, c->psk, c->psk_len);
    return (unsigned int)c->psk_len;
}

/* TLS 1.3 derives from the client random alone, which the client chooses:
 * whoever learns one connection's PSK could reuse it by sending the same
 * random again. So the server remembers the client randoms it derived for
 * (the last REPLAY_SLOTS of them, in memory) and refuses a repeat. */
#define REPLAY_SLOTS 16384
static unsigned char seen_randoms[REPLAY_SLOTS][PSK_RANDOM_LEN];
static size_t seen_next, seen_used;

static int seen_before(const unsigned char cr[PSK_RANDOM_LEN])
{
    size_t i;

    for (i = 0; i < seen_used; i++)
        if (memcmp(seen_randoms[i], cr, PSK_RANDOM_LEN) == 0)
            return 1;
    memcpy(seen_randoms[seen_next], cr, PSK_RANDOM_LEN);
    seen_next = (seen_next + 1) % REPLAY_SLOTS;
    if (seen_used < REPLAY_SLOTS)
        seen_used++;
    return 0;
}

/* TLS 1.3: runs while the ClientHello is parsed; the client random is set,
 * the server random not yet. */
static int tls13_find_cb(SSL *ssl, const unsigned char *identity,
                         size_t identity_len, SSL_SESSION **sess)
{
    struct psk_conn *c = SSL_get_app_data(ssl);
    unsigned char cr[PSK_RANDOM_LEN];

    *sess = NULL;
    note_identity(c, identity, identity_len);
    if (!identity_known(c, identity, identity_len)) {
        c->refused = 1;
        return 1; /* no session: the handshake fails */
    }
    /* After a HelloRetryRequest the same connection asks again. */
    if (!c->derived) {
        if (SSL_get_client_random(ssl, cr, sizeof(cr)) != sizeof(cr))
            return 0;
        if (seen_before(cr)) {
            c->replayed = 1;
            return 1;
        }
    }
    if (!psk_conn_derive(ssl, c))
        return 0;
    *sess = psk_tls13_session(ssl, c);
    return *sess != NULL;
}

static int serve(SSL_CTX *ctx, psk_mac *mac, const struct psk_options *o,
                 int fd, long n)
{
    struct psk_conn c = { .o = o, .mac = mac };
    char line[4096], reply[4200];
    SSL *ssl = SSL_new(ctx);
    int ret, ok = 0, len;

    if (ssl == NULL || !SSL_set_fd(ssl, fd)) {
        psk_report(o->prog, "cannot set up the connection");
        goto done;
    }
    SSL_set_app_data(ssl, &c);
    ret = SSL_accept(ssl);
    if (ret != 1) {
        if (c.refused)
            fprintf(stderr,
                    "%s: connection %ld: refused: unknown PSK identity"
                    " \"%s\"\n",
                    o->prog, n, c.peer_identity);
        else if (c.replayed)
            fprintf(stderr,
                    "%s: connection %ld: refused: replayed ClientHello (its"
                    " client random was used before)\n",
                    o->prog, n);
        else if (c.derive_failed)
            fprintf(stderr,
                    "%s: connection %ld: handshake failed: cannot derive"
                    " this connection's PSK with %s\n",
                    o->prog, n, psk_mac_name(mac));
        else
            fprintf(stderr, "%s: connection %ld: handshake failed: %s%s\n",
                    o->prog, n, psk_failure(ssl, ret),
                    c.derived
                        ? " (does the client hold a different permanent PSK?)"
                        : "");
        ERR_print_errors_fp(stderr);
        goto done;
    }
    if (!psk_describe(ssl, &c, c.peer_identity))
        goto done;
    if ((len = psk_read_line(ssl, line, sizeof(line))) < 0) {
        fprintf(stderr, "%s: connection %ld: no message from the client: %s\n",
                o->prog, n, psk_failure(ssl, len));
        ERR_print_errors_fp(stderr);
        goto done;
    }
    printf("message: %s\n", line);
    fflush(stdout);
    snprintf(reply, sizeof(reply), "received %d bytes: %s\n", len, line);
    if (!psk_write_all(ssl, reply, strlen(reply))) {
        fprintf(stderr, "%s: connection %ld: cannot answer\n", o->prog, n);
        ERR_print_errors_fp(stderr);
        goto done;
    }
    (void)SSL_shutdown(ssl);
    ok = 1;

done:
    ERR_clear_error();
    OPENSSL_cleanse(c.psk, sizeof(c.psk));
    SSL_free(ssl);
    close(fd);
    return ok;
}

int main(int argc, char **argv)
{
    struct psk_options o;
    psk_mac *mac = NULL;
    SSL_CTX *ctx = NULL;
    char bound[300];
    long n, failed = 0;
    int lfd = -1, fd, rc;

    rc = psk_parse_options(&o, PSK_SERVER, argc, argv);
    if (rc <= 0)
        return rc == 0 ? 0 : 2;
    /* A client that vanishes mid-write must not kill the server. */
    signal(SIGPIPE, SIG_IGN);

    if ((mac = psk_mac_open(o.prog, o.key_uri, o.key_pass, o.hexkey, o.digest))
            == NULL
        || (ctx = psk_tls_ctx(&o)) == NULL
        || (lfd = psk_listen(&o, bound, sizeof(bound))) < 0) {
        failed = 1;
        goto out;
    }
    if (o.tls13)
        SSL_CTX_set_psk_find_session_callback(ctx, tls13_find_cb);
    else
        SSL_CTX_set_psk_server_callback(ctx, tls12_psk_cb);
    printf("listening on %s (%s, PSK by %s)\n", bound,
           o.tls13 ? "TLS 1.3" : "TLS 1.2", psk_mac_name(mac));
    fflush(stdout);

    for (n = 1; o.count == 0 || n <= o.count; n++) {
        if ((fd = psk_accept(&o, lfd)) < 0) {
            failed++;
            break;
        }
        if (!serve(ctx, mac, &o, fd, n))
            failed++;
    }
    printf("served %ld connection(s), %ld failed\n", n - 1, failed);

out:
    if (lfd >= 0)
        close(lfd);
    SSL_CTX_free(ctx);
    psk_mac_free(mac);
    psk_options_clear(&o);
    return failed == 0 ? 0 : 1;
}
