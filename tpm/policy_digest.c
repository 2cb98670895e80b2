/* SPDX-License-Identifier: Apache-2.0 */
/* Policy digests computed in software, as the TPM computes them in a
 * policy session (TPM 2.0 Part 3, each command's policyDigest update):
 *   PolicyPCR        d' = H(d || CC || pcrs || pcrDigest)
 *   PolicyAuthValue  d' = H(d || CC)     (PolicyPassword: the same)
 *   PolicyAuthorize  d' = H(H(0...0 || CC || keySign.name) || policyRef)
 * so that a key's authPolicy can be set at TPM2_Create without a trial
 * session, and a signed policy approved without the TPM. */
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include "policy.h"
#include "session_crypto.h"
#include "../provider/errors.h"

#define HLEN TK_TPM_POLICY_DIGEST_LEN

static unsigned be16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* d = H(d || a || b || c), any part may be empty. */
static int extend(EVP_MD *md, unsigned char d[HLEN], const void *a,
                  size_t a_len, const void *b, size_t b_len, const void *c,
                  size_t c_len)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int len = 0;
    int ok = ctx != NULL && EVP_DigestInit_ex(ctx, md, NULL)
             && EVP_DigestUpdate(ctx, d, HLEN)
             && EVP_DigestUpdate(ctx, a, a_len)
             && EVP_DigestUpdate(ctx, b, b_len)
             && EVP_DigestUpdate(ctx, c, c_len)
             && EVP_DigestFinal_ex(ctx, d, &len) && len == HLEN;

    EVP_MD_CTX_free(ctx);
    return ok;
}

/* PolicyPCR parameters: TPM2B_DIGEST pcrDigest, TPML_PCR_SELECTION. */
static int pcr_step(EVP_MD *md, unsigned char d[HLEN], const unsigned char *cc,
                    const tk_tpm_policy_step *s)
{
    size_t dlen;

    if (s->len < 2 || (dlen = be16(s->params)) + 2 > s->len)
        return 0;
    if (dlen == 0) {
        tk_raise(TK_R_BAD_REQUEST,
                 "a PolicyPCR step without pcrDigest binds to"
                 " whatever the PCRs hold at use: its digest cannot be"
                 " computed beforehand");
        return -1;
    }
    return extend(md, d, cc, 4, s->params + 2 + dlen, s->len - 2 - dlen,
                  s->params + 2, dlen);
}

/* PolicyAuthorize parameters (key-file form): TPM2B_PUBLIC keySign,
 * TPM2B_DIGEST policyRef, TPMT_SIGNATURE (ignored here). The name is the
 * public area's nameAlg and its hash (SHA-256 only). */
static int authorize_step(EVP_MD *md, unsigned char d[HLEN],
                          const unsigned char *cc, const tk_tpm_policy_step *s)
{
    unsigned char name[2 + HLEN];
    size_t pub_len, ref_len;
    unsigned int len = 0;

    if (s->len < 2 || (pub_len = be16(s->params)) < 4
        || 2 + pub_len + 2 > s->len)
        return 0;
    ref_len = be16(s->params + 2 + pub_len);
    if (2 + pub_len + 2 + ref_len > s->len)
        return 0;
    /* TPMT_PUBLIC: type, then nameAlg. */
    if (be16(s->params + 4) != TPM2_ALG_SHA256) {
        tk_raise(TK_R_NOT_SUPPORTED, "the policy signer's name algorithm is not"
                                     " SHA-256");
        return -1;
    }
    memcpy(name, s->params + 4, 2);
    if (!EVP_Digest(s->params + 2, pub_len, name + 2, &len, md, NULL)
        || len != HLEN)
        return 0;
    memset(d, 0, HLEN);
    return extend(md, d, cc, 4, name, sizeof(name), NULL, 0)
           && extend(md, d, s->params + 2 + pub_len + 2, ref_len, NULL, 0, NULL,
                     0);
}

int tk_tpm_policy_digest(OSSL_LIB_CTX *libctx, const tk_tpm_policy_step *steps,
                         size_t count, unsigned char digest[HLEN])
{
    EVP_MD *md = EVP_MD_fetch(libctx, "SHA256", NULL);
    int ok = md != NULL;

    memset(digest, 0, HLEN);
    for (size_t i = 0; ok && i < count; i++) {
        unsigned char cc[4];

        tk_put_be(cc, steps[i].code, 4);
        switch (steps[i].code) {
        case TPM2_CC_PolicyPCR:
            ok = pcr_step(md, digest, cc, &steps[i]);
            break;
        case TPM2_CC_PolicyAuthValue:
        case TPM2_CC_PolicyPassword:
            ok = extend(md, digest, cc, 4, NULL, 0, NULL, 0);
            break;
        case TPM2_CC_PolicyAuthorize:
            ok = authorize_step(md, digest, cc, &steps[i]);
            break;
        default:
            tk_raise(TK_R_NOT_SUPPORTED,
                     "tpmkit cannot compute the policy digest of"
                     " TPM command 0x%x",
                     (unsigned)steps[i].code);
            ok = -1;
        }
        if (ok == 0)
            tk_raise(TK_R_BAD_KEY, "malformed policy step %zu (command 0x%x)",
                     i + 1, (unsigned)steps[i].code);
    }
    if (md == NULL)
        tk_raise(TK_R_INTERNAL, "SHA-256 is not available");
    EVP_MD_free(md);
    return ok == 1;
}

int tk_tpm_policy_auth_value_step(tk_tpm_policy_step *step)
{
    memset(step, 0, sizeof(*step));
    if ((step->params = OPENSSL_zalloc(1)) == NULL) {
        tk_raise(TK_R_OUT_OF_MEMORY, "policy step");
        return 0;
    }
    step->code = TPM2_CC_PolicyAuthValue;
    return 1;
}

void tk_tpm_policy_step_clear(tk_tpm_policy_step *step)
{
    if (step == NULL)
        return;
    OPENSSL_free((void *)step->params);
    memset(step, 0, sizeof(*step));
}
