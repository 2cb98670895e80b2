/* SPDX-License-Identifier: Apache-2.0 */
/* PEM -> DER for "TSS2 PRIVATE KEY" only. OpenSSL's own PEM decoder drops
 * labels it does not know, so without this a TSS2 PEM file never reaches
 * a DER decoder. Any other PEM (or non-PEM) input is "not mine": return 1
 * without an object so the other decoders get it.
 *
 * Input labelled TSS2 PRIVATE KEY is ours for good: when it is broken or
 * unusable this decoder fails with the reason (0). Later decoders cannot
 * report anything: OpenSSL 3.0's file store drops the errors of the
 * decoders it runs on the DER handed on from here (see tk_keyfile_check). */
#include <string.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/core_object.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/pem.h>

#include "codecs.h"
#include "keyfile.h"
#include "../provider/errors.h"
#include "../provider/prov_ctx.h"

static OSSL_FUNC_decoder_newctx_fn pem2der_newctx;
static OSSL_FUNC_decoder_freectx_fn pem2der_freectx;
static OSSL_FUNC_decoder_decode_fn pem2der_decode;

static void *pem2der_newctx(void *provctx)
{
    /* Stateless: the provider context is all we need. */
    return provctx;
}

static void pem2der_freectx(void *ctx)
{
    (void)ctx;
}

/* Does the input's first PEM object, read again from `start`, carry the
 * TSS2 PRIVATE KEY label? Looks at most 64 KiB into the input, line by
 * line as PEM readers do. */
static int first_label_is_tss2(BIO *in, long start)
{
    static const char begin[] = "-----BEGIN ",
                      label[] = "-----BEGIN " TK_KEYFILE_PEM_LABEL "-----";
    char line[256];
    size_t seen = 0;
    int n, line_start = 1;

    (void)BIO_seek(in, start);
    if (start < 0 || BIO_tell(in) != start)
        return 0;
    while (seen < 65536 && (n = BIO_gets(in, line, sizeof(line))) > 0) {
        if (line_start && strncmp(line, begin, strlen(begin)) == 0)
            return strncmp(line, label, strlen(label)) == 0;
        seen += (size_t)n;
        line_start = line[n - 1] == '\n';
    }
    return 0;
}

static int pem2der_decode(void *ctx, OSSL_CORE_BIO *cin, int selection,
                          OSSL_CALLBACK *data_cb, void *data_cbarg,
                          OSSL_PASSPHRASE_CALLBACK *pw_cb, void *pw_cbarg)
{
    tk_prov_ctx *prov = ctx;
    BIO *in;
    char *name = NULL, *header = NULL;
    unsigned char *der = NULL;
    long der_len = 0, start;
    tk_keyfile kf;
    int ok = 1, rv;

    (void)selection;
    (void)pw_cb;
    (void)pw_cbarg;
    if ((in = BIO_new_from_core_bio(prov->core_libctx, cin)) == NULL)
        return 0;
    /* Not PEM at all is the common case, not an error. */
    start = BIO_tell(in);
    ERR_set_mark();
    rv = PEM_read_bio(in, &name, &header, &der, &der_len);
    ERR_pop_to_mark();
    if (rv <= 0 && first_label_is_tss2(in, start)) {
        tk_raise(TK_R_BAD_KEY,
                 "malformed TSS2 key file: its PEM armor is broken (bad"
                 " base64, or no \"-----END " TK_KEYFILE_PEM_LABEL
                 "-----\" line)");
        ok = 0;
    }
    BIO_free(in);
    if (rv <= 0 || strcmp(name, TK_KEYFILE_PEM_LABEL) != 0)
        goto end;

    /* The label says it is ours: from here on, a broken file is an error
     * the user should see, not something to pass to other decoders. */
    rv = tk_keyfile_decode(der, (size_t)der_len, &kf);
    if (rv == TK_KEYFILE_NOT_MINE) {
        tk_raise(TK_R_BAD_KEY, "malformed TSS2 key file: the PEM body is not a"
                               " TPM 2.0 loadable or importable key");
        ok = 0;
    } else if (rv == TK_KEYFILE_MALFORMED || !tk_keyfile_check(prov, &kf)) {
        ok = 0;
    } else {
        OSSL_PARAM params[3];

        params[0] = OSSL_PARAM_construct_octet_string(OSSL_OBJECT_PARAM_DATA,
                                                      der, (size_t)der_len);
        params[1] = OSSL_PARAM_construct_utf8_string(
            OSSL_OBJECT_PARAM_DATA_STRUCTURE, "TSS2", 0);
        params[2] = OSSL_PARAM_construct_end();
        ok = data_cb(params, data_cbarg);
    }
    tk_keyfile_clear(&kf);
end:
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_clear_free(der, der_len > 0 ? (size_t)der_len : 0);
    return ok;
}

const OSSL_DISPATCH tk_pem2der_decoder_functions[] = {
    { OSSL_FUNC_DECODER_NEWCTX, (void (*)(void))pem2der_newctx },
    { OSSL_FUNC_DECODER_FREECTX, (void (*)(void))pem2der_freectx },
    { OSSL_FUNC_DECODER_DECODE, (void (*)(void))pem2der_decode },
    { 0, NULL }
};
