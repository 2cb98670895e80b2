/* SPDX-License-Identifier: Apache-2.0 */
/* genpkey's policy options (keygen_policy.h). The signer is a software key
 * file read with OpenSSL's own providers: a private key (which can also
 * approve a first PCR policy at once) or a public key. */
#include <string.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "keygen_policy.h"
#include "../provider/errors.h"

/* The signer: a PEM private key, else a PEM public key. *is_private says
 * which. */
static EVP_PKEY *read_signer(tk_prov_ctx *prov, const char *path,
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
    pkey = PEM_read_bio_PrivateKey_ex(in, NULL, NULL, NULL, prov->sw_libctx,
                                      NULL);
    if (pkey != NULL) {
        *is_private = 1;
    } else {
        (void)BIO_reset(in);
        pkey = PEM_read_bio_PUBKEY_ex(in, NULL, NULL, NULL, prov->sw_libctx,
                                      NULL);
    }
    BIO_free(in);
    if (pkey == NULL)
        tk_raise(TK_R_BAD_REQUEST,
                 "the policy signer \"%s\" is neither a PEM private"
                 " key nor a PEM public key (RSA or EC)",
                 path);
    return pkey;
}

int tk_keygen_policy_build(tk_prov_ctx *prov, tk_tpm *tpm, const char *pcr_spec,
                           const char *signer_path, int with_password,
                           tk_keygen_policy *out)
{
    tk_tpm_pcr_sel sel;
    tk_tpm_policy_step pcr = { 0 };
    EVP_PKEY *signer = NULL;
    int is_private = 0, ok = 0;

    memset(out, 0, sizeof(*out));
    if (pcr_spec == NULL && signer_path == NULL)
        return 1;
    if (pcr_spec != NULL
        && (!tk_tpm_pcr_parse(pcr_spec, &sel)
            || !tk_tpm_pcr_policy_step(tpm, &sel, &pcr)))
        goto end;
    if (signer_path != NULL) {
        if ((signer = read_signer(prov, signer_path, &is_private)) == NULL)
            goto end;
        if (pcr_spec != NULL && !is_private) {
            tk_raise(TK_R_BAD_REQUEST,
                     "approving the PCR policy at once needs the"
                     " signer's private key: \"%s\" is a public key (leave"
                     " out pcr-policy and add signed policies later)",
                     signer_path);
            goto end;
        }
        if (!tk_tpm_policy_authorize_step(prov->sw_libctx, signer,
                                          &out->steps[out->count]))
            goto end;
        out->count++;
        if (pcr_spec != NULL) {
            out->approved[0] = pcr;
            memset(&pcr, 0, sizeof(pcr));
            out->approved_count = 1;
            if (!tk_tpm_policy_sign(prov->sw_libctx, signer, out->approved, 1,
                                    &out->approved[1]))
                goto end;
            out->approved_count = 2;
        }
    } else {
        out->steps[out->count++] = pcr;
        memset(&pcr, 0, sizeof(pcr));
    }
    if (with_password
        && !tk_tpm_policy_auth_value_step(&out->steps[out->count++]))
        goto end;
    ok = tk_tpm_policy_digest(prov->sw_libctx, out->steps, out->count,
                              out->digest);
end:
    tk_tpm_policy_step_clear(&pcr);
    EVP_PKEY_free(signer);
    if (!ok)
        tk_keygen_policy_clear(out);
    return ok;
}

int tk_keygen_policy_apply(const tk_keygen_policy *pol, tk_tpm_key *key)
{
    tk_tpm_signed_policy approved = { NULL, pol->approved,
                                      pol->approved_count };

    if (pol->count == 0)
        return 1;
    return tk_tpm_key_set_policy(key, pol->steps, pol->count)
           && (pol->approved_count == 0
               || tk_tpm_key_set_signed_policies(key, &approved, 1));
}

void tk_keygen_policy_clear(tk_keygen_policy *pol)
{
    for (size_t i = 0; i < sizeof(pol->steps) / sizeof(pol->steps[0]); i++)
        tk_tpm_policy_step_clear(&pol->steps[i]);
    for (size_t i = 0; i < sizeof(pol->approved) / sizeof(pol->approved[0]);
         i++)
        tk_tpm_policy_step_clear(&pol->approved[i]);
    memset(pol, 0, sizeof(*pol));
}
