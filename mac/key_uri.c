/* SPDX-License-Identifier: Apache-2.0 */
/* `key-uri` of TPM2-HMAC: a TSS2 key file or a persistent handle. The MAC
 * reads the file itself: EVP_MAC has no decoder chain behind it. */
#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "mac.h"
#include "../decoders/codecs.h"
#include "../decoders/keyfile.h"
#include "../provider/errors.h"

#define HANDLE_PREFIX "handle:"

/* The DER of a key file, PEM or DER on disk. */
static int read_key_file(const char *path, unsigned char **der, size_t *len)
{
    BIO *in = BIO_new_file(path, "rb");
    unsigned char *buf = NULL;
    char *name = NULL, *header = NULL;
    long pem_len = 0;
    size_t got = 0, n;
    int ok = 0;

    if (in == NULL) {
        tk_raise(TK_R_BAD_REQUEST, "cannot open the HMAC key file \"%s\"",
                 path);
        return 0;
    }
    if ((buf = OPENSSL_malloc(TK_KEYFILE_MAX_DER + 1)) == NULL)
        goto end;
    while (got <= TK_KEYFILE_MAX_DER
           && BIO_read_ex(in, buf + got, TK_KEYFILE_MAX_DER + 1 - got, &n)
           && n > 0)
        got += n;
    if (got > TK_KEYFILE_MAX_DER) {
        tk_raise(TK_R_BAD_KEY, "\"%s\" is too large for a TSS2 key file", path);
        goto end;
    }
    if (got > 11 && memcmp(buf, "-----BEGIN ", 11) == 0) {
        BIO *mem = BIO_new_mem_buf(buf, (int)got);
        unsigned char *data = NULL;

        if (mem == NULL || !PEM_read_bio(mem, &name, &header, &data, &pem_len)
            || strcmp(name, TK_KEYFILE_PEM_LABEL) != 0) {
            BIO_free(mem);
            OPENSSL_free(data);
            tk_raise(TK_R_BAD_KEY,
                     "\"%s\" is not a " TK_KEYFILE_PEM_LABEL " file", path);
            goto end;
        }
        BIO_free(mem);
        OPENSSL_free(buf);
        buf = data;
        got = (size_t)pem_len;
    }
    *der = buf;
    *len = got;
    buf = NULL;
    ok = 1;
end:
    OPENSSL_free(buf);
    OPENSSL_free(name);
    OPENSSL_free(header);
    BIO_free(in);
    return ok;
}

static tk_key *key_from_file(tk_prov_ctx *prov, const char *path)
{
    unsigned char *der = NULL;
    size_t len = 0;
    tk_keyfile kf;
    tk_tpm_pubinfo info;
    tk_key *key = NULL;
    int rv;

    if (!read_key_file(path, &der, &len))
        return NULL;
    rv = tk_keyfile_decode(der, len, &kf);
    OPENSSL_free(der);
    if (rv == TK_KEYFILE_NOT_MINE) {
        tk_raise(TK_R_BAD_KEY, "\"%s\" is not a TSS2 key file", path);
        return NULL;
    }
    if (rv != TK_KEYFILE_OK)
        return NULL;
    if (!tk_keyfile_usable(&kf, &info))
        goto end;
    if (info.kind != TK_TPM_KEY_HMAC) {
        tk_raise(TK_R_BAD_KEY, "\"%s\" holds no HMAC key", path);
        goto end;
    }
    key = tk_key_from_keyfile(prov, TK_KEY_HMAC, &kf);
end:
    tk_keyfile_clear(&kf);
    return key;
}

static tk_key *key_from_handle(tk_prov_ctx *prov, const char *text)
{
    char *end;
    unsigned long handle = strtoul(text, &end, 16);

    if (strncmp(text, "0x", 2) != 0 || *end != '\0' || handle > 0xffffffffUL) {
        tk_raise(TK_R_BAD_REQUEST,
                 "key-uri " HANDLE_PREFIX "%s: expected"
                 " " HANDLE_PREFIX "0x81xxxxxx",
                 text);
        return NULL;
    }
    return tk_key_from_persistent(prov, (uint32_t)handle);
}

tk_key *tk_hmac_key_from_uri(tk_prov_ctx *prov, const char *uri,
                             const char *password)
{
    tk_key *key;

    if (strncmp(uri, HANDLE_PREFIX, strlen(HANDLE_PREFIX)) == 0)
        key = key_from_handle(prov, uri + strlen(HANDLE_PREFIX));
    else
        key = key_from_file(prov, uri);
    if (key == NULL)
        return NULL;
    if (key->type != TK_KEY_HMAC) {
        tk_raise(TK_R_BAD_KEY, "key-uri %s is not an HMAC key", uri);
        tk_key_free(key);
        return NULL;
    }
    if (password != NULL
        && !tk_key_set_password(key, password, strlen(password))) {
        tk_key_free(key);
        return NULL;
    }
    return key;
}
