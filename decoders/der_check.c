/* SPDX-License-Identifier: Apache-2.0 */
/* A DER -> DER "decoder" that only ever reports broken or unusable TSS2
 * key files.
 *
 * For DER input OpenSSL's file store hands the bytes to libcrypto, which
 * tries every key decoder and, when all fail, drops their errors and says
 * "unsupported". Decoders that unwrap DER into DER run before that step,
 * so this one gets to say why a TPM key file is broken or unusable
 * (tk_keyfile_check). Everything else, including usable key files, passes
 * untouched (1, no object). */
#include <openssl/bio.h>
#include <openssl/crypto.h>

#include "codecs.h"
#include "keyfile.h"
#include "../provider/errors.h"
#include "../provider/prov_ctx.h"

static OSSL_FUNC_decoder_newctx_fn der_check_newctx;
static OSSL_FUNC_decoder_freectx_fn der_check_freectx;
static OSSL_FUNC_decoder_decode_fn der_check_decode;

static void *der_check_newctx(void *provctx)
{
    return provctx;
}

static void der_check_freectx(void *ctx)
{
    (void)ctx;
}

static int der_check_decode(void *ctx, OSSL_CORE_BIO *cin, int selection,
                            OSSL_CALLBACK *data_cb, void *data_cbarg,
                            OSSL_PASSPHRASE_CALLBACK *pw_cb, void *pw_cbarg)
{
    unsigned char *der = NULL;
    size_t len = 0;
    tk_keyfile kf;
    int rv, ok;

    (void)selection;
    (void)data_cb;
    (void)data_cbarg;
    (void)pw_cb;
    (void)pw_cbarg;
    if (!tk_read_der(ctx, cin, &der, &len))
        return 0;
    rv = tk_keyfile_decode(der, len, &kf);
    OPENSSL_free(der);
    ok = rv == TK_KEYFILE_NOT_MINE
         || (rv == TK_KEYFILE_OK && tk_keyfile_check(ctx, &kf));
    tk_keyfile_clear(&kf);
    return ok;
}

const OSSL_DISPATCH tk_der_check_decoder_functions[] = {
    { OSSL_FUNC_DECODER_NEWCTX, (void (*)(void))der_check_newctx },
    { OSSL_FUNC_DECODER_FREECTX, (void (*)(void))der_check_freectx },
    { OSSL_FUNC_DECODER_DECODE, (void (*)(void))der_check_decode },
    { 0, NULL }
};
