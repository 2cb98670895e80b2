/* SPDX-License-Identifier: Apache-2.0 */
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

static struct {
    unsigned bits;
    EVP_PKEY *pkey;
} rsa_keys[8];

static struct {
    char group[32];
    EVP_PKEY *pkey;
} ec_keys[8];

/* Checks in code that also runs outside a test (main() warms the key
 * cache before forking), where Check's assertions cannot be used. */
static void need(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "testutil: %s failed\n", what);
        abort();
    }
}

EVP_PKEY *tku_rsa(unsigned bits)
{
    size_t i;

    for (i = 0; i < 8 && rsa_keys[i].pkey != NULL; i++)
        if (rsa_keys[i].bits == bits)
            return rsa_keys[i].pkey;
    need(i < 8, "RSA key cache size");
    /* For odd sizes OpenSSL may come out a bit short: try again. */
    for (int tries = 0; tries < 50; tries++) {
        EVP_PKEY_free(rsa_keys[i].pkey);
        rsa_keys[i].pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
        need(rsa_keys[i].pkey != NULL, "RSA key generation");
        if (EVP_PKEY_get_bits(rsa_keys[i].pkey) == (int)bits)
            break;
    }
    need(EVP_PKEY_get_bits(rsa_keys[i].pkey) == (int)bits, "RSA key size");
    rsa_keys[i].bits = bits;
    return rsa_keys[i].pkey;
}

EVP_PKEY *tku_ec(const char *group)
{
    size_t i;

    for (i = 0; i < 8 && ec_keys[i].pkey != NULL; i++)
        if (strcmp(ec_keys[i].group, group) == 0)
            return ec_keys[i].pkey;
    need(i < 8 && strlen(group) < sizeof(ec_keys[i].group),
         "EC key cache size");
    ec_keys[i].pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", group);
    need(ec_keys[i].pkey != NULL, "EC key generation");
    strcpy(ec_keys[i].group, group);
    return ec_keys[i].pkey;
}

EVP_PKEY *tku_public_copy(OSSL_LIB_CTX *libctx, const char *type,
                          const char *propq, const EVP_PKEY *sw)
{
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pkey = NULL;

    if (EVP_PKEY_todata(sw, EVP_PKEY_PUBLIC_KEY, &params) <= 0
        || (ctx = EVP_PKEY_CTX_new_from_name(libctx, type, propq)) == NULL
        || EVP_PKEY_fromdata_init(ctx) <= 0
        || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return pkey;
}

const char *tku_errors(void)
{
    static char text[4096];
    const char *data, *func;
    unsigned long e;
    size_t n = 0;
    int flags;

    text[0] = '\0';
    while ((e = ERR_get_error_all(NULL, NULL, &func, &data, &flags)) != 0) {
        const char *reason = ERR_reason_error_string(e);

        if (n < sizeof(text))
            n += (size_t)snprintf(
                text + n, sizeof(text) - n, "%s%s: %s", n > 0 ? " | " : "",
                reason != NULL ? reason : "?",
                (flags & ERR_TXT_STRING) && data != NULL ? data : "");
    }
    return text;
}

void (*tku_dispatch(const OSSL_DISPATCH *table, int id))(void)
{
    for (; table->function_id != 0; table++)
        if (table->function_id == id)
            return table->function;
    ck_abort_msg("dispatch function %d missing", id);
    return NULL;
}

const char *tku_closed_tcti(void)
{
    static char tcti[64];
    struct sockaddr_in sin = { .sin_family = AF_INET };
    socklen_t len = sizeof(sin);
    int fd;

    if (tcti[0] != '\0')
        return tcti;
    /* A port the kernel just handed out and we closed again. */
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    close(fd);
    snprintf(tcti, sizeof(tcti), "swtpm:host=127.0.0.1,port=%u",
             (unsigned)ntohs(sin.sin_port));
    return tcti;
}

void tku_module_load(tku_module *m)
{
    const char *path = getenv("TK_MODULE");

    ck_assert_msg(path != NULL,
                  "TK_MODULE is not set (run through meson test)");
    ck_assert_int_eq(setenv("TPMKIT_TCTI", tku_closed_tcti(), 1), 0);
    ck_assert_int_eq(unsetenv("TPMKIT_SESSION_ENCRYPTION"), 0);
    m->libctx = OSSL_LIB_CTX_new();
    ck_assert_ptr_nonnull(m->libctx);
    m->dflt = OSSL_PROVIDER_load(m->libctx, "default");
    ck_assert_ptr_nonnull(m->dflt);
    m->tpmkit = OSSL_PROVIDER_load(m->libctx, path);
    ck_assert_msg(m->tpmkit != NULL, "cannot load %s: %s", path, tku_errors());
}

void tku_module_unload(tku_module *m)
{
    OSSL_PROVIDER_unload(m->tpmkit);
    OSSL_PROVIDER_unload(m->dflt);
    OSSL_LIB_CTX_free(m->libctx);
    memset(m, 0, sizeof(*m));
}

size_t tku_unhex(const char *hex, unsigned char *out, size_t max)
{
    size_t n = strlen(hex) / 2, i;

    ck_assert_uint_eq(strlen(hex) % 2, 0);
    ck_assert_uint_le(n, max);
    for (i = 0; i < n; i++) {
        unsigned v;

        ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (unsigned char)v;
    }
    return n;
}

static X509_ALGOR *parse_aid(const unsigned char *der, size_t len)
{
    const unsigned char *p = der;
    X509_ALGOR *alg = d2i_X509_ALGOR(NULL, &p, (long)len);

    ck_assert_msg(alg != NULL, "AlgorithmIdentifier does not parse");
    ck_assert_ptr_eq(p, der + len);
    return alg;
}

int tku_aid_nid(const unsigned char *der, size_t len)
{
    X509_ALGOR *alg = parse_aid(der, len);
    const ASN1_OBJECT *obj;
    int nid;

    X509_ALGOR_get0(&obj, NULL, NULL, alg);
    nid = OBJ_obj2nid(obj);
    X509_ALGOR_free(alg);
    return nid;
}

/* The NID an optional AlgorithmIdentifier names; SHA-1 when absent. */
static int hash_of(const X509_ALGOR *alg)
{
    const ASN1_OBJECT *obj;

    if (alg == NULL)
        return NID_sha1;
    X509_ALGOR_get0(&obj, NULL, NULL, alg);
    return OBJ_obj2nid(obj);
}

void tku_aid_pss(const unsigned char *der, size_t len, long *saltlen,
                 int *hash_nid, int *mgf1_nid)
{
    X509_ALGOR *alg = parse_aid(der, len), *mgf1_hash = NULL;
    const ASN1_OBJECT *obj;
    const ASN1_STRING *seq;
    const void *pval;
    const unsigned char *p;
    RSA_PSS_PARAMS *pss;
    int ptype;

    X509_ALGOR_get0(&obj, &ptype, &pval, alg);
    ck_assert_int_eq(OBJ_obj2nid(obj), NID_rsassaPss);
    ck_assert_int_eq(ptype, V_ASN1_SEQUENCE);
    seq = pval;
    p = ASN1_STRING_get0_data(seq);
    pss = d2i_RSA_PSS_PARAMS(NULL, &p, ASN1_STRING_length(seq));
    ck_assert_ptr_nonnull(pss);
    *saltlen = pss->saltLength != NULL ? ASN1_INTEGER_get(pss->saltLength) : 20;
    *hash_nid = hash_of(pss->hashAlgorithm);
    *mgf1_nid = NID_sha1;
    if (pss->maskGenAlgorithm != NULL) {
        X509_ALGOR_get0(&obj, &ptype, &pval, pss->maskGenAlgorithm);
        ck_assert_int_eq(OBJ_obj2nid(obj), NID_mgf1);
        ck_assert_int_eq(ptype, V_ASN1_SEQUENCE);
        seq = pval;
        p = ASN1_STRING_get0_data(seq);
        mgf1_hash = d2i_X509_ALGOR(NULL, &p, ASN1_STRING_length(seq));
        ck_assert_ptr_nonnull(mgf1_hash);
        *mgf1_nid = hash_of(mgf1_hash);
    }
    X509_ALGOR_free(mgf1_hash);
    RSA_PSS_PARAMS_free(pss);
    X509_ALGOR_free(alg);
}
