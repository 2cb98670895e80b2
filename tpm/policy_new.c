/* SPDX-License-Identifier: Apache-2.0 */
/* The policy of a new object (policy_new.h). The signer is a software key
 * file read with OpenSSL's own providers: a private key (which can also
 * approve a first PCR policy at once) or a public key. */
#include <string.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "policy_new.h"
#include "../provider/errors.h"

EVP_PKEY *tk_tpm_policy_signer_read(OSSL_LIB_CTX *libctx, const char *path,
                                    int *is_private)
{
    BIO *in = BIO_new_file(path, "r");
    EVP_PKEY *pkey = NULL;

    *is_private = 0;
    if (in == NULL) {
        tk_raise(TK_R_BAD_REQUEST, "cannot open the policy signer \"%s\"",
                 path);
        return NULL;
    }
    pkey = PEM_read_bio_PrivateKey_ex(in, NULL, NULL, NULL, libctx, NULL);
    if (pkey != NULL) {
        *is_private = 1;
    } else {
        (void)BIO_reset(in);
        pkey = PEM_read_bio_PUBKEY_ex(in, NULL, NULL, NULL, libctx, NULL);
    }
    BIO_free(in);
    if (pkey == NULL)
        tk_raise(TK_R_BAD_REQUEST,
                 "the policy signer \"%s\" is neither a PEM private"
                 " key nor a PEM public key (RSA or EC)",
                 path);
    return pkey;
}

int tk_tpm_new_policy_build(tk_tpm *tpm, OSSL_LIB_CTX *libctx,
                            const tk_tpm_new_policy_opts *opts,
                            tk_tpm_new_policy *out)
{
    const char *pcr_spec = opts->pcr_spec, *signer_path = opts->signer;
    tk_tpm_policy_step pcr = { 0 };
    EVP_PKEY *signer = NULL;
    int is_private = 0, ok = 0;

    memset(out, 0, sizeof(*out));
    if (opts->pcr_values != NULL && pcr_spec == NULL) {
        tk_raise(TK_R_BAD_REQUEST,
                 "PCR values \"%s\" without a PCR policy: say which PCRs"
                 " they are for (pcr-policy BANK:LIST)",
                 opts->pcr_values);
        return 0;
    }
    if (pcr_spec == NULL && signer_path == NULL)
        return 1;
    if (pcr_spec != NULL
        && !tk_tpm_pcr_policy_step_spec(tpm, libctx, pcr_spec, opts->pcr_values,
                                        &pcr))
        goto end;
    if (signer_path != NULL) {
        if ((signer = tk_tpm_policy_signer_read(libctx, signer_path,
                                                &is_private))
            == NULL)
            goto end;
        if (pcr_spec != NULL && !is_private) {
            tk_raise(TK_R_BAD_REQUEST,
                     "approving the PCR policy at once needs the"
                     " signer's private key: \"%s\" is a public key (leave"
                     " out pcr-policy and add signed policies later)",
                     signer_path);
            goto end;
        }
        if (!tk_tpm_policy_authorize_step(libctx, signer,
                                          &out->steps[out->count]))
            goto end;
        out->count++;
        if (pcr_spec != NULL) {
            out->approved[0] = pcr;
            memset(&pcr, 0, sizeof(pcr));
            out->approved_count = 1;
            if (!tk_tpm_policy_sign(libctx, signer, out->approved, 1,
                                    &out->approved[1]))
                goto end;
            out->approved_count = 2;
        }
    } else {
        out->steps[out->count++] = pcr;
        memset(&pcr, 0, sizeof(pcr));
    }
    if (opts->with_password
        && !tk_tpm_policy_auth_value_step(&out->steps[out->count++]))
        goto end;
    ok = tk_tpm_policy_digest(libctx, out->steps, out->count, out->digest);
end:
    tk_tpm_policy_step_clear(&pcr);
    EVP_PKEY_free(signer);
    if (!ok)
        tk_tpm_new_policy_clear(out);
    return ok;
}

void tk_tpm_new_policy_clear(tk_tpm_new_policy *pol)
{
    for (size_t i = 0; i < sizeof(pol->steps) / sizeof(pol->steps[0]); i++)
        tk_tpm_policy_step_clear(&pol->steps[i]);
    for (size_t i = 0; i < sizeof(pol->approved) / sizeof(pol->approved[0]);
         i++)
        tk_tpm_policy_step_clear(&pol->approved[i]);
    memset(pol, 0, sizeof(*pol));
}
