/* SPDX-License-Identifier: Apache-2.0 */
/* tpmkit-psk-client: connects to tpmkit-psk-server with a per-connection
 * PSK derived from a permanent PSK (in the TPM with --key-uri, in software
 * with --hexkey), sends one line and prints the server's answer.
 *
 * Exit status: 0 on success, 1 when the connection or handshake failed,
 * 2 on a usage error. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "psk_tls.h"

/* TLS 1.2: runs at ClientKeyExchange, when both randoms are set. */
static unsigned int tls12_psk_cb(SSL *ssl, const char *hint, char *identity,
                                 unsigned int max_identity_len,
                                 unsigned char *psk, unsigned int max_psk_len)
{
    struct psk_conn *c = SSL_get_app_data(ssl);
    size_t id_len = strlen(c->o->identity);

    (void)hint;
    /* Also called for TLS 1.3, where the server random is still zero. */
    if (SSL_version(ssl) != TLS1_2_VERSION || id_len + 1 > max_identity_len)
        return 0;
    if (!psk_conn_derive(ssl, c) || c->psk_len > max_psk_len)
        return 0;
    memcpy(identity, c->o->identity, id_len + 1);
    memcpy(psk, c->psk, c->psk_len);
    return (unsigned int)c->psk_len;
}

/* TLS 1.3: runs while the ClientHello is built (client random set), and
 * again with the suite's hash after a HelloRetryRequest. */
static int tls13_use_cb(SSL *ssl, const EVP_MD *md, const unsigned char **id,
                        size_t *idlen, SSL_SESSION **sess)
{
    struct psk_conn *c = SSL_get_app_data(ssl);

    *sess = NULL;
    *id = NULL;
    *idlen = 0;
    /* Our session is bound to SHA-256 suites: offer it with nothing else. */
    if (md != NULL && !EVP_MD_is_a(md, "SHA256"))
        return 1;
    if (!psk_conn_derive(ssl, c) || (*sess = psk_tls13_session(ssl, c)) == NULL)
        return 0;
    *id = (const unsigned char *)c->o->identity;
    *idlen = strlen(c->o->identity);
    return 1;
}

int main(int argc, char **argv)
{
    struct psk_options o;
    struct psk_conn c;
    psk_mac *mac = NULL;
    SSL_CTX *ctx = NULL;
    SSL *ssl = NULL;
    char *out = NULL, reply[4200];
    size_t out_len;
    int fd = -1, rc, ret, ok = 0;

    rc = psk_parse_options(&o, PSK_CLIENT, argc, argv);
    if (rc <= 0)
        return rc == 0 ? 0 : 2;
    signal(SIGPIPE, SIG_IGN);
    memset(&c, 0, sizeof(c));
    c.o = &o;

    if ((mac = psk_mac_open(o.prog, o.key_uri, o.key_pass, o.hexkey, o.digest))
            == NULL
        || (ctx = psk_tls_ctx(&o)) == NULL)
        goto out;
    c.mac = mac;
    /* Only the PSK may authenticate the server: a certificate it might
     * present instead fails verification (no trust anchors). */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (o.tls13)
        SSL_CTX_set_psk_use_session_callback(ctx, tls13_use_cb);
    else
        SSL_CTX_set_psk_client_callback(ctx, tls12_psk_cb);

    if ((fd = psk_connect(&o)) < 0)
        goto out;
    if ((ssl = SSL_new(ctx)) == NULL || !SSL_set_fd(ssl, fd)) {
        psk_report(o.prog, "cannot set up the connection");
        goto out;
    }
    SSL_set_app_data(ssl, &c);
    ret = SSL_connect(ssl);
    if (ret != 1) {
        if (c.derive_failed)
            fprintf(stderr,
                    "%s: handshake with %s port %s failed: cannot derive"
                    " this connection's PSK with %s\n",
                    o.prog, o.host, o.port, psk_mac_name(mac));
        else
            fprintf(stderr, "%s: handshake with %s port %s failed: %s\n",
                    o.prog, o.host, o.port, psk_failure(ssl, ret));
        if (c.derived)
            fprintf(stderr,
                    "%s: does the server accept identity \"%s\" and hold"
                    " the same permanent PSK?\n",
                    o.prog, o.identity);
        ERR_print_errors_fp(stderr);
        goto out;
    }
    if (!psk_describe(ssl, &c, o.identity))
        goto out;

    out_len = strlen(o.message) + 2;
    if ((out = OPENSSL_malloc(out_len)) == NULL)
        goto out;
    snprintf(out, out_len, "%s\n", o.message);
    if (!psk_write_all(ssl, out, strlen(out))) {
        psk_report(o.prog, "cannot send the message");
        goto out;
    }
    if ((ret = psk_read_line(ssl, reply, sizeof(reply))) < 0) {
        fprintf(stderr, "%s: no answer from the server: %s\n", o.prog,
                psk_failure(ssl, ret));
        ERR_print_errors_fp(stderr);
        goto out;
    }
    printf("reply: %s\n", reply);
    (void)SSL_shutdown(ssl);
    ok = 1;

out:
    OPENSSL_free(out);
    OPENSSL_cleanse(c.psk, sizeof(c.psk));
    SSL_free(ssl);
    if (fd >= 0)
        close(fd);
    SSL_CTX_free(ctx);
    psk_mac_free(mac);
    psk_options_clear(&o);
    fflush(stdout);
    return ok ? 0 : 1;
}
