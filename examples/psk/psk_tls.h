/* SPDX-License-Identifier: Apache-2.0 */
/* What tpmkit-psk-server and -client share around the PSK itself: the TLS
 * context settings, the per-connection state and derivation, the TLS 1.3
 * session that carries the PSK, sockets with bounded waits, line I/O. */
#ifndef PSK_TLS_H
#define PSK_TLS_H

#include <stddef.h>
#include <openssl/ssl.h>

#include "psk_derive.h"
#include "psk_options.h"

/* TLS 1.3 mode: both suites hash with SHA-256, the hash the PSK session is
 * bound to (a session only fits suites with its own hash). */
#define PSK_TLS13_SUITES "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256"

struct psk_conn {
    const struct psk_options *o;
    psk_mac *mac;
    unsigned char psk[PSK_MAX_LEN];
    size_t psk_len;
    int derived;             /* psk holds this connection's PSK */
    int derive_failed;       /* the MAC failed (errors queued) */
    int refused;             /* server: the client's identity is unknown */
    int replayed;            /* server: TLS 1.3 client random seen before */
    char peer_identity[130]; /* server: what the client claimed */
};

/* A TLS context for o: TLS 1.2 only (ECDHE-PSK suites) or, with --tls1.3,
 * TLS 1.3 only with (EC)DHE required; no tickets, no session cache, no
 * early data, so every connection runs a full handshake and derives. */
SSL_CTX *psk_tls_ctx(const struct psk_options *o);

/* Derives this connection's PSK once (a HelloRetryRequest asks again) from
 * the handshake randoms, for the connection's TLS version; prints it with
 * --show-psk. */
int psk_conn_derive(SSL *ssl, struct psk_conn *c);

/* A TLS 1.3 session carrying c->psk, for the PSK callbacks. */
SSL_SESSION *psk_tls13_session(SSL *ssl, const struct psk_conn *c);

/* Prints "connected: VERSION CIPHER, key exchange GROUP, identity ..."
 * Returns 0 if a TLS 1.3 handshake ran without (EC)DHE. */
int psk_describe(SSL *ssl, const struct psk_conn *c, const char *identity);

/* Why the last SSL call on ssl returned ret, in words (timeout, closed...). */
const char *psk_failure(SSL *ssl, int ret);

/* Sockets; each prints why on failure and returns -1. psk_listen writes the
 * bound address ("host:port") into bound. */
int psk_listen(const struct psk_options *o, char *bound, size_t bound_len);
int psk_accept(const struct psk_options *o, int lfd);
int psk_connect(const struct psk_options *o);

/* One line (up to max - 1 bytes, newline dropped) from the peer; returns
 * its length (a last line may lack its newline if the peer then closed),
 * or -1 if the connection failed or closed before sending anything. */
int psk_read_line(SSL *ssl, char *buf, size_t max);
int psk_write_all(SSL *ssl, const char *buf, size_t len);

#endif
