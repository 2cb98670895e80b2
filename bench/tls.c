/* SPDX-License-Identifier: Apache-2.0 */
/* Full TLS handshakes in one process: client and server joined by a BIO
 * pair, no sockets, no session resumption. The client is always plain
 * OpenSSL (default provider); only the server's key changes, so the
 * difference between columns is the server's private-key operation.
 *
 * The PSK variant is TLS 1.2 ECDHE-PSK where both sides derive a
 * per-session PSK: HMAC(key, "pre master secret" || client_random ||
 * server_random), computed by TPM2-HMAC, against the same handshake with a
 * fixed software PSK. Both callbacks run in this process, so a handshake
 * costs two TPM HMACs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "bench.h"

#define PSK_SUITE "ECDHE-PSK-AES128-CBC-SHA256"
#define PSK_LABEL "pre master secret"

struct tls_state {
    const tls_arg *arg;
    SSL_CTX *server, *client;
    EVP_PKEY *key;
    EVP_MAC_CTX *mac; /* per-session PSK, or NULL: fixed PSK */
};

static void tls_done(void *p)
{
    struct tls_state *st = p;

    if (st == NULL)
        return;
    SSL_CTX_free(st->server);
    SSL_CTX_free(st->client);
    EVP_PKEY_free(st->key);
    EVP_MAC_CTX_free(st->mac);
    free(st);
}

/* The PSK for this handshake; 0 on failure. TLS 1.2 only: both randoms
 * are known when the callbacks run. */
static unsigned int derive_psk(SSL *ssl, unsigned char *psk, unsigned int max)
{
    struct tls_state *st = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    unsigned char in[sizeof(PSK_LABEL) - 1 + 2 * SSL3_RANDOM_SIZE];
    size_t len = 0;

    if (SSL_version(ssl) != TLS1_2_VERSION || max < 32)
        return 0;
    if (st->mac == NULL) {
        memset(psk, 0x5c, 32);
        return 32;
    }
    memcpy(in, PSK_LABEL, sizeof(PSK_LABEL) - 1);
    SSL_get_client_random(ssl, in + sizeof(PSK_LABEL) - 1, SSL3_RANDOM_SIZE);
    SSL_get_server_random(ssl, in + sizeof(PSK_LABEL) - 1 + SSL3_RANDOM_SIZE,
                          SSL3_RANDOM_SIZE);
    if (!EVP_MAC_init(st->mac, NULL, 0, NULL)
        || !EVP_MAC_update(st->mac, in, sizeof(in))
        || !EVP_MAC_final(st->mac, psk, &len, max))
        return 0;
    return (unsigned int)len;
}

static unsigned int server_psk(SSL *ssl, const char *identity,
                               unsigned char *psk, unsigned int max)
{
    if (identity == NULL || strcmp(identity, "bench") != 0)
        return 0;
    return derive_psk(ssl, psk, max);
}

static unsigned int client_psk(SSL *ssl, const char *hint, char *identity,
                               unsigned int max_identity, unsigned char *psk,
                               unsigned int max)
{
    (void)hint;
    if (max_identity < 6)
        return 0;
    strcpy(identity, "bench");
    return derive_psk(ssl, psk, max);
}

static int setup_psk(bench_env *env, struct tls_state *st, char *why)
{
    char path[512];
    OSSL_PARAM params[3];
    EVP_MAC *mac;

    if (!SSL_CTX_set_max_proto_version(st->server, TLS1_2_VERSION)
        || !SSL_CTX_set_max_proto_version(st->client, TLS1_2_VERSION)
        || !SSL_CTX_set_cipher_list(st->server, PSK_SUITE)
        || !SSL_CTX_set_cipher_list(st->client, PSK_SUITE)) {
        bench_ossl_why(why, "cannot select " PSK_SUITE);
        return 0;
    }
    SSL_CTX_set_psk_server_callback(st->server, server_psk);
    SSL_CTX_set_psk_client_callback(st->client, client_psk);
    SSL_CTX_set_app_data(st->server, st);
    SSL_CTX_set_app_data(st->client, st);
    if (st->arg->which == EVP_SW)
        return 1;
    if (!env->have_hmac) {
        snprintf(why, BENCH_WHY, "%s", env->hmac_why);
        return 0;
    }
    mac = EVP_MAC_fetch(env->tk, "TPM2-HMAC", "provider=tpmkit");
    st->mac = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
    EVP_MAC_free(mac);
    bench_path(env, "hmac.pem", path, sizeof(path));
    params[0] = OSSL_PARAM_construct_utf8_string("key-uri", path, 0);
    params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 "SHA256", 0);
    params[2] = OSSL_PARAM_construct_end();
    if (st->mac == NULL || !EVP_MAC_CTX_set_params(st->mac, params)) {
        bench_ossl_why(why, "cannot set up TPM2-HMAC");
        return 0;
    }
    return 1;
}

static int setup_cert(bench_env *env, OSSL_LIB_CTX *libctx,
                      struct tls_state *st, char *why)
{
    char path[512];

    if (!SSL_CTX_set_min_proto_version(st->server, TLS1_3_VERSION)
        || !SSL_CTX_set_min_proto_version(st->client, TLS1_3_VERSION)) {
        bench_ossl_why(why, "TLS 1.3");
        return 0;
    }
    /* One full handshake each time: no tickets, nothing to resume. */
    SSL_CTX_set_num_tickets(st->server, 0);
    if (SSL_CTX_use_certificate_file(
            st->server, bench_path(env, st->arg->cert, path, sizeof(path)),
            SSL_FILETYPE_PEM)
        != 1) {
        bench_ossl_why(why, "cannot read the certificate");
        return 0;
    }
    st->key = bench_load_key(
        libctx, st->arg->which == EVP_T2O ? "?provider=tpm2" : NULL,
        bench_path(env, st->arg->key, path, sizeof(path)), why);
    if (st->key == NULL)
        return 0;
    if (SSL_CTX_use_PrivateKey(st->server, st->key) != 1) {
        bench_ossl_why(why, "the server refuses the key");
        return 0;
    }
    return 1;
}

static int tls_setup(bench_env *env, const void *a, void **out, char *why)
{
    const tls_arg *arg = a;
    struct tls_state *st = calloc(1, sizeof(*st));
    OSSL_LIB_CTX *libctx = arg->psk ? env->sw : evp_libctx(env, arg->which);

    if (st == NULL) {
        snprintf(why, BENCH_WHY, "out of memory");
        return 0;
    }
    st->arg = arg;
    if (libctx == NULL) {
        snprintf(why, BENCH_WHY, "%s", env->t2o_why);
        goto fail;
    }
    /* tpm2-openssl lets its keys be exported (public part) to the default
     * provider, which then cannot sign: prefer tpm2's signatures. */
    st->server = SSL_CTX_new_ex(libctx,
                                arg->which == EVP_T2O ? "?provider=tpm2" : NULL,
                                TLS_server_method());
    st->client = SSL_CTX_new_ex(env->sw, NULL, TLS_client_method());
    if (st->server == NULL || st->client == NULL) {
        bench_ossl_why(why, "SSL_CTX_new_ex");
        goto fail;
    }
    SSL_CTX_set_verify(st->client, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_session_cache_mode(st->server, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_session_cache_mode(st->client, SSL_SESS_CACHE_OFF);
    if (arg->psk ? !setup_psk(env, st, why) : !setup_cert(env, libctx, st, why))
        goto fail;
    *out = st;
    return 1;
fail:
    tls_done(st);
    return 0;
}

static int tls_run(void *p)
{
    struct tls_state *st = p;
    SSL *server = SSL_new(st->server), *client = SSL_new(st->client);
    BIO *sbio = NULL, *cbio = NULL;
    int ok = 0, cdone = 0, sdone = 0;

    if (server == NULL || client == NULL
        || !BIO_new_bio_pair(&sbio, 0, &cbio, 0))
        goto out;
    SSL_set_bio(server, sbio, sbio);
    SSL_set_bio(client, cbio, cbio);
    SSL_set_accept_state(server);
    SSL_set_connect_state(client);
    for (int i = 0; i < 64 && !(cdone && sdone); i++) {
        int rc;

        if (!cdone) {
            rc = SSL_do_handshake(client);
            if (rc == 1)
                cdone = 1;
            else if (SSL_get_error(client, rc) != SSL_ERROR_WANT_READ)
                goto out;
        }
        if (!sdone) {
            rc = SSL_do_handshake(server);
            if (rc == 1)
                sdone = 1;
            else if (SSL_get_error(server, rc) != SSL_ERROR_WANT_READ)
                goto out;
        }
    }
    ok = cdone && sdone;
out:
    SSL_free(server);
    SSL_free(client);
    return ok;
}

const bench_impl tls_impl = { tls_setup, tls_run, tls_done, NULL };
