/* SPDX-License-Identifier: Apache-2.0 */
/* DER TPMKey -> tpmkit key object, handed to keymgmt by reference.
 *
 * One decoder per key type (RSA, RSA-PSS, EC, TPM2-HMAC): OpenSSL picks decoders by name, and
 * an EC file must never come back from the RSA decoder. A file of another
 * type, or not a TPMKey at all, is "not mine" (1, no object); a TPMKey that
 * is broken or unusable is a hard error (0). Reading a file, OpenSSL 3.0's
 * file store runs these decoders on the DER it found and drops their
 * errors, so pem2der and der_check make the same checks first
 * (tk_keyfile_check), where the reason reaches the user. */
#include <string.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/core_object.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include "codecs.h"
#include "keyfile.h"
#include "keyfile_apply.h"
#include "../tpm/policy.h"
#include "../provider/errors.h"
#include "../provider/prov_ctx.h"

static OSSL_FUNC_decoder_newctx_fn tss2_newctx;
static OSSL_FUNC_decoder_freectx_fn tss2_freectx;
static OSSL_FUNC_decoder_does_selection_fn tss2_does_selection;
static OSSL_FUNC_decoder_decode_fn tss2_rsa_decode;
static OSSL_FUNC_decoder_decode_fn tss2_rsapss_decode;
static OSSL_FUNC_decoder_decode_fn tss2_ec_decode;
static OSSL_FUNC_decoder_decode_fn tss2_hmac_decode;
static OSSL_FUNC_decoder_export_object_fn tss2_export_object;

static void *tss2_newctx(void *provctx)
{
    return provctx;
}

static void tss2_freectx(void *ctx)
{
    (void)ctx;
}

static int tss2_does_selection(void *provctx, int selection)
{
    (void)provctx;
    /* Key files carry a key pair; parameters alone are not on offer. */
    return selection == 0 || (selection & OSSL_KEYMGMT_SELECT_KEYPAIR) != 0;
}

/* Read at most TK_KEYFILE_MAX_DER + 1 bytes: enough to recognise our files
 * and to call a bigger one too large, without slurping arbitrary input. */
int tk_read_der(tk_prov_ctx *prov, OSSL_CORE_BIO *cin, unsigned char **der,
                size_t *len)
{
    BIO *in = BIO_new_from_core_bio(prov->core_libctx, cin);
    size_t cap = TK_KEYFILE_MAX_DER + 1, got = 0, n;
    unsigned char *buf = in != NULL ? OPENSSL_malloc(cap) : NULL;

    if (buf == NULL) {
        BIO_free(in);
        tk_raise(TK_R_OUT_OF_MEMORY, "reading a key file");
        return 0;
    }
    while (got < cap && BIO_read_ex(in, buf + got, cap - got, &n) && n > 0)
        got += n;
    BIO_free(in);
    *der = buf;
    *len = got;
    return 1;
}

static int kind_matches(tk_key_type want, const tk_tpm_pubinfo *info)
{
    return (want == TK_KEY_EC && info->kind == TK_TPM_KEY_EC)
           || (want == TK_KEY_RSA && info->kind == TK_TPM_KEY_RSA
               && !info->rsa_pss)
           || (want == TK_KEY_RSA_PSS && info->kind == TK_TPM_KEY_RSA
               && info->rsa_pss)
           || (want == TK_KEY_HMAC && info->kind == TK_TPM_KEY_HMAC);
}

int tk_keyfile_usable(const tk_keyfile *kf, tk_tpm_pubinfo *info)
{
    /* Sealed data decodes (tpmkit-key reads it with this codec) but is no
     * key: say what it is, or the user sees only "unsupported". Some tools
     * write sealed objects with the loadable OID: the blob tells. The
     * public blob says what kind of key this is, without the TPM. */
    if (!kf->sealed && !tk_tpm_parse_public(kf->pub, kf->pub_len, info))
        return 0;
    if (kf->sealed || info->kind == TK_TPM_KEY_SEALED) {
        tk_raise(TK_R_NOT_SUPPORTED,
                 "this TSS2 PRIVATE KEY file holds TPM sealed data, not a"
                 " key: read it with tpmkit-key unseal --in FILE");
        return 0;
    }
    if (kf->importable && kf->parent != TK_TPM_PARENT_PRIMARY
        && (kf->parent >> 24) != 0x81) {
        tk_raise(TK_R_NOT_SUPPORTED,
                 "importable key for parent 0x%08x: tpmkit"
                 " imports under 0x40000001 or a persistent key",
                 kf->parent);
        return 0;
    }
    /* A policy is only needed when the key does not take its password. */
    if (kf->has_policy && !info->userwithauth) {
        /* Signed policies alone say nothing of how to use them: the
         * policy field names the step (PolicyAuthorize) they stand for. */
        if (kf->policy_count == 0) {
            tk_raise(TK_R_NOT_SUPPORTED,
                     "this TPM key has signed policies (authPolicy)"
                     " but no policy naming their signer (a PolicyAuthorize"
                     " step): tpmkit cannot use it");
            return 0;
        }
        for (size_t i = 0; i < kf->policy_count; i++) {
            if (!tk_tpm_policy_supported(kf->policy[i].code))
                return 0;
        }
        for (size_t i = 0; i < kf->auth_policy_count; i++)
            for (size_t j = 0; j < kf->auth_policy[i].count; j++)
                if (!tk_tpm_policy_supported(kf->auth_policy[i].steps[j].code))
                    return 0;
    }
    return 1;
}

tk_key *tk_key_from_keyfile(tk_prov_ctx *prov, tk_key_type want,
                            const tk_keyfile *kf)
{
    tk_tpm *tpm = tk_prov_tpm(prov);
    tk_tpm_key *tpm_key;

    if (tpm == NULL)
        return NULL;
    if (kf->importable)
        tpm_key = tk_tpm_key_import(tpm, tk_keyfile_tpm_parent(kf), kf->pub,
                                    kf->pub_len, kf->priv, kf->priv_len,
                                    kf->secret, kf->secret_len);
    else
        tpm_key = tk_tpm_key_from_blobs(tpm, tk_keyfile_tpm_parent(kf), kf->pub,
                                        kf->pub_len, kf->priv, kf->priv_len);
    if (tpm_key == NULL)
        return NULL;
    if (!tk_keyfile_apply_policies(kf, tpm_key)) {
        tk_tpm_key_free(tpm_key);
        return NULL;
    }
    return tk_key_from_tpm_key(prov, want, tpm_key, kf->empty_auth == 1,
                               kf->description);
}

static tk_key_type natural_type(const tk_tpm_pubinfo *info)
{
    switch (info->kind) {
    case TK_TPM_KEY_RSA:
        return info->rsa_pss ? TK_KEY_RSA_PSS : TK_KEY_RSA;
    case TK_TPM_KEY_EC:
        return TK_KEY_EC;
    case TK_TPM_KEY_HMAC:
        return TK_KEY_HMAC;
    default:
        return 0;
    }
}

int tk_keyfile_check(tk_prov_ctx *prov, const tk_keyfile *kf)
{
    tk_tpm_pubinfo info;
    tk_key *key;

    if (!tk_keyfile_usable(kf, &info))
        return 0;
    /* Built and dropped: nothing of it reaches the TPM before it is used. */
    if ((key = tk_key_from_keyfile(prov, natural_type(&info), kf)) == NULL)
        return 0;
    tk_key_free(key);
    return 1;
}

static int tss2_decode(tk_prov_ctx *prov, tk_key_type want, OSSL_CORE_BIO *cin,
                       OSSL_CALLBACK *data_cb, void *data_cbarg,
                       OSSL_PASSPHRASE_CALLBACK *pw_cb, void *pw_cbarg)
{
    unsigned char *der = NULL;
    size_t len = 0;
    tk_keyfile kf;
    tk_tpm_pubinfo info;
    tk_key *key = NULL;
    int ok = 0, rv;

    if (!tk_read_der(prov, cin, &der, &len))
        return 0;
    rv = tk_keyfile_decode(der, len, &kf);
    OPENSSL_free(der);
    if (rv == TK_KEYFILE_NOT_MINE)
        return 1;
    if (rv == TK_KEYFILE_MALFORMED)
        return 0;

    if (!tk_keyfile_usable(&kf, &info))
        goto end;
    if (!kind_matches(want, &info)) {
        ok = 1; /* another decoder's file */
        goto end;
    }
    key = tk_key_from_keyfile(prov, want, &kf);
    if (key == NULL)
        goto end;
    /* emptyAuth FALSE or absent: the key may have a password. Ask, but
     * never try guesses against the TPM; no answer means the empty one
     * (tpm2_encodeobject writes FALSE for keys without a password). */
    if (kf.empty_auth != 1 && !tk_key_ask_password(key, pw_cb, pw_cbarg, NULL))
        goto end;
    ok = tk_key_pass_reference(&key, NULL, data_cb, data_cbarg);
end:
    tk_key_free(key);
    tk_keyfile_clear(&kf);
    return ok;
}

int tk_key_pass_reference(tk_key **key, const char *desc, OSSL_CALLBACK *cb,
                          void *cbarg)
{
    int object_type = OSSL_OBJECT_PKEY;
    OSSL_PARAM params[5], *p = params;

    *p++ = OSSL_PARAM_construct_int(OSSL_OBJECT_PARAM_TYPE, &object_type);
    *p++ = OSSL_PARAM_construct_utf8_string(
        OSSL_OBJECT_PARAM_DATA_TYPE, (char *)tk_key_type_name((*key)->type), 0);
    /* keymgmt's load() takes the pointer and clears it. */
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_OBJECT_PARAM_REFERENCE, key,
                                             sizeof(*key));
    if (desc != NULL)
        *p++ = OSSL_PARAM_construct_utf8_string(OSSL_OBJECT_PARAM_DESC,
                                                (char *)desc, 0);
    *p = OSSL_PARAM_construct_end();
    return cb(params, cbarg);
}

static int tss2_rsa_decode(void *ctx, OSSL_CORE_BIO *cin, int selection,
                           OSSL_CALLBACK *data_cb, void *data_cbarg,
                           OSSL_PASSPHRASE_CALLBACK *pw_cb, void *pw_cbarg)
{
    (void)selection;
    return tss2_decode(ctx, TK_KEY_RSA, cin, data_cb, data_cbarg, pw_cb,
                       pw_cbarg);
}

static int tss2_rsapss_decode(void *ctx, OSSL_CORE_BIO *cin, int selection,
                              OSSL_CALLBACK *data_cb, void *data_cbarg,
                              OSSL_PASSPHRASE_CALLBACK *pw_cb, void *pw_cbarg)
{
    (void)selection;
    return tss2_decode(ctx, TK_KEY_RSA_PSS, cin, data_cb, data_cbarg, pw_cb,
                       pw_cbarg);
}

static int tss2_ec_decode(void *ctx, OSSL_CORE_BIO *cin, int selection,
                          OSSL_CALLBACK *data_cb, void *data_cbarg,
                          OSSL_PASSPHRASE_CALLBACK *pw_cb, void *pw_cbarg)
{
    (void)selection;
    return tss2_decode(ctx, TK_KEY_EC, cin, data_cb, data_cbarg, pw_cb,
                       pw_cbarg);
}

/* Asked when OpenSSL picked another provider's keymgmt for our object.
 * Handing over only the public half would make a key that silently cannot
 * sign, so refuse: OpenSSL then falls back to tpmkit's own keymgmt. */
static int tss2_export_object(void *ctx, const void *reference,
                              size_t reference_sz, OSSL_CALLBACK *export_cb,
                              void *export_cbarg)
{
    (void)ctx;
    (void)reference;
    (void)reference_sz;
    (void)export_cb;
    (void)export_cbarg;
    return 0;
}

/* Everything but decode(), which knows the key type. */
#define TSS2_DECODER_FUNCTIONS                                                 \
    { OSSL_FUNC_DECODER_NEWCTX, (void (*)(void))tss2_newctx },                 \
        { OSSL_FUNC_DECODER_FREECTX, (void (*)(void))tss2_freectx },           \
        { OSSL_FUNC_DECODER_DOES_SELECTION,                                    \
          (void (*)(void))tss2_does_selection },                               \
    {                                                                          \
        OSSL_FUNC_DECODER_EXPORT_OBJECT, (void (*)(void))tss2_export_object    \
    }

static int tss2_hmac_decode(void *ctx, OSSL_CORE_BIO *cin, int selection,
                            OSSL_CALLBACK *data_cb, void *data_cbarg,
                            OSSL_PASSPHRASE_CALLBACK *pw_cb, void *pw_cbarg)
{
    (void)selection;
    return tss2_decode(ctx, TK_KEY_HMAC, cin, data_cb, data_cbarg, pw_cb,
                       pw_cbarg);
}

const OSSL_DISPATCH tk_tss2_rsa_decoder_functions[] = {
    TSS2_DECODER_FUNCTIONS,
    { OSSL_FUNC_DECODER_DECODE, (void (*)(void))tss2_rsa_decode },
    { 0, NULL }
};

const OSSL_DISPATCH tk_tss2_hmac_decoder_functions[] = {
    TSS2_DECODER_FUNCTIONS,
    { OSSL_FUNC_DECODER_DECODE, (void (*)(void))tss2_hmac_decode },
    { 0, NULL }
};

const OSSL_DISPATCH tk_tss2_rsapss_decoder_functions[] = {
    TSS2_DECODER_FUNCTIONS,
    { OSSL_FUNC_DECODER_DECODE, (void (*)(void))tss2_rsapss_decode },
    { 0, NULL }
};

const OSSL_DISPATCH tk_tss2_ec_decoder_functions[] = {
    TSS2_DECODER_FUNCTIONS,
    { OSSL_FUNC_DECODER_DECODE, (void (*)(void))tss2_ec_decode },
    { 0, NULL }
};
