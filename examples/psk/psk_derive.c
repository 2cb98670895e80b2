/* SPDX-License-Identifier: Apache-2.0 */
#include "psk_derive.h"

#include <stdio.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>

struct psk_mac {
    const char *prog;
    EVP_MAC *mac;
    EVP_MAC_CTX *ctx; /* keyed once; re-initialised per derivation */
    OSSL_PROVIDER *tpmkit, *deflt;
};

void psk_report(const char *prog, const char *what)
{
    fprintf(stderr, "%s: %s\n", prog, what);
    ERR_print_errors_fp(stderr);
    fflush(stderr);
}

char *psk_hex(char *out, const unsigned char *buf, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < len; i++) {
        out[2 * i] = digits[buf[i] >> 4];
        out[2 * i + 1] = digits[buf[i] & 15];
    }
    out[2 * len] = '\0';
    return out;
}

/* TPM2-HMAC from whatever the configuration loaded, else from tpmkit loaded
 * here (OPENSSL_MODULES or openssl.cnf says where the module is). */
static EVP_MAC *fetch_tpm_mac(psk_mac *m)
{
    EVP_MAC *mac;

    ERR_set_mark();
    mac = EVP_MAC_fetch(NULL, "TPM2-HMAC", NULL);
    ERR_pop_to_mark();
    if (mac != NULL)
        return mac;
    m->tpmkit = OSSL_PROVIDER_load(NULL, "tpmkit");
    if (m->tpmkit == NULL) {
        psk_report(
            m->prog,
            "TPM2-HMAC is not available: cannot load the tpmkit"
            " provider (set OPENSSL_MODULES to the directory of tpmkit.so,"
            " or activate tpmkit in openssl.cnf)");
        return NULL;
    }
    /* Loading a provider by hand turns off the implicit default provider,
     * which libssl needs for everything else. */
    m->deflt = OSSL_PROVIDER_load(NULL, "default");
    if (m->deflt == NULL) {
        psk_report(m->prog, "cannot load OpenSSL's default provider");
        return NULL;
    }
    mac = EVP_MAC_fetch(NULL, "TPM2-HMAC", NULL);
    if (mac == NULL)
        psk_report(m->prog,
                   "tpmkit is loaded but offers no TPM2-HMAC (too old?)");
    return mac;
}

psk_mac *psk_mac_open(const char *prog, const char *key_uri,
                      const char *key_pass, const char *hexkey,
                      const char *digest)
{
    psk_mac *m = OPENSSL_zalloc(sizeof(*m));
    unsigned char *key = NULL;
    long key_len = 0;
    OSSL_PARAM params[4];
    int ok;

    if (m == NULL) {
        psk_report(prog, "out of memory");
        return NULL;
    }
    m->prog = prog;
    if (key_uri != NULL) {
        m->mac = fetch_tpm_mac(m);
    } else {
        m->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        if (m->mac == NULL)
            psk_report(prog, "OpenSSL offers no HMAC");
    }
    if (m->mac == NULL || (m->ctx = EVP_MAC_CTX_new(m->mac)) == NULL)
        goto err;

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *)digest, 0);
    params[2] = params[3] = OSSL_PARAM_construct_end();
    if (key_uri != NULL) {
        params[1] = OSSL_PARAM_construct_utf8_string("key-uri", (char *)key_uri,
                                                     0);
        if (key_pass != NULL)
            params[2] = OSSL_PARAM_construct_utf8_string("password",
                                                         (char *)key_pass, 0);
        ok = EVP_MAC_init(m->ctx, NULL, 0, params);
    } else {
        key = OPENSSL_hexstr2buf(hexkey, &key_len);
        if (key == NULL || key_len == 0) {
            ERR_clear_error();
            fprintf(stderr,
                    "%s: --hexkey wants hex digits (an even number of"
                    " them, at least 2)\n",
                    prog);
            goto err;
        }
        params[1] = OSSL_PARAM_construct_end();
        ok = EVP_MAC_init(m->ctx, key, (size_t)key_len, params);
        OPENSSL_clear_free(key, (size_t)key_len);
    }
    if (!ok || EVP_MAC_CTX_get_mac_size(m->ctx) > PSK_MAX_LEN) {
        char what[512];

        snprintf(what, sizeof(what), "cannot key %s with %s (digest %s)",
                 EVP_MAC_get0_name(m->mac),
                 key_uri != NULL ? key_uri : "the --hexkey bytes", digest);
        psk_report(prog, what);
        goto err;
    }
    return m;

err:
    psk_mac_free(m);
    return NULL;
}

void psk_mac_free(psk_mac *m)
{
    if (m == NULL)
        return;
    EVP_MAC_CTX_free(m->ctx);
    EVP_MAC_free(m->mac);
    OSSL_PROVIDER_unload(m->tpmkit);
    OSSL_PROVIDER_unload(m->deflt);
    OPENSSL_free(m);
}

const char *psk_mac_name(const psk_mac *m)
{
    return EVP_MAC_get0_name(m->mac);
}

/* One MAC over label || a || b (b may be NULL): with a TPM key that is a
 * single TPM2_HMAC, the key having been resolved at open. */
static int derive(psk_mac *m, const char *label, const unsigned char *a,
                  const unsigned char *b, unsigned char *out, size_t *outlen)
{
    if (!EVP_MAC_init(m->ctx, NULL, 0, NULL)
        || !EVP_MAC_update(m->ctx, (const unsigned char *)label, strlen(label))
        || !EVP_MAC_update(m->ctx, a, PSK_RANDOM_LEN)
        || (b != NULL && !EVP_MAC_update(m->ctx, b, PSK_RANDOM_LEN))
        || !EVP_MAC_final(m->ctx, out, outlen, PSK_MAX_LEN))
        return 0; /* the caller reports, with the connection */
    return 1;
}

int psk_derive_tls12(psk_mac *m, const unsigned char cr[PSK_RANDOM_LEN],
                     const unsigned char sr[PSK_RANDOM_LEN], unsigned char *out,
                     size_t *outlen)
{
    return derive(m, PSK_LABEL_TLS12, cr, sr, out, outlen);
}

int psk_derive_tls13(psk_mac *m, const unsigned char cr[PSK_RANDOM_LEN],
                     unsigned char *out, size_t *outlen)
{
    return derive(m, PSK_LABEL_TLS13, cr, NULL, out, outlen);
}
