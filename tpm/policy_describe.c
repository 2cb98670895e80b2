/* SPDX-License-Identifier: Apache-2.0 */
/* Policy steps in words (policy_describe.h). Parameters are read as bytes
 * in the command's order (TPM 2.0 Part 3); nothing here trusts a length it
 * has not checked. */
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include "policy_describe.h"

static const struct {
    uint32_t code;
    const char *name;
} commands[] = {
    { TPM2_CC_PolicyAuthorize, "PolicyAuthorize" },
    { TPM2_CC_PolicyAuthValue, "PolicyAuthValue" },
    { TPM2_CC_PolicyCommandCode, "PolicyCommandCode" },
    { TPM2_CC_PolicyCounterTimer, "PolicyCounterTimer" },
    { TPM2_CC_PolicyCpHash, "PolicyCpHash" },
    { TPM2_CC_PolicyLocality, "PolicyLocality" },
    { TPM2_CC_PolicyNameHash, "PolicyNameHash" },
    { TPM2_CC_PolicyNV, "PolicyNV" },
    { TPM2_CC_PolicyNvWritten, "PolicyNvWritten" },
    { TPM2_CC_PolicyOR, "PolicyOR" },
    { TPM2_CC_PolicyPassword, "PolicyPassword" },
    { TPM2_CC_PolicyPCR, "PolicyPCR" },
    { TPM2_CC_PolicyPhysicalPresence, "PolicyPhysicalPresence" },
    { TPM2_CC_PolicySecret, "PolicySecret" },
    { TPM2_CC_PolicySigned, "PolicySigned" },
    { TPM2_CC_PolicyTemplate, "PolicyTemplate" },
};

static const struct {
    unsigned alg;
    const char *name;
} algs[] = {
    { TPM2_ALG_SHA1, "sha1" },     { TPM2_ALG_SHA256, "sha256" },
    { TPM2_ALG_SHA384, "sha384" }, { TPM2_ALG_SHA512, "sha512" },
    { TPM2_ALG_RSASSA, "RSASSA" }, { TPM2_ALG_RSAPSS, "RSAPSS" },
    { TPM2_ALG_ECDSA, "ECDSA" },
};

static const char *alg_name(unsigned alg)
{
    for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
        if (algs[i].alg == alg)
            return algs[i].name;
    return NULL;
}

const char *tk_tpm_policy_command_name(uint32_t code)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (commands[i].code == code)
            return commands[i].name;
    return NULL;
}

static unsigned be16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static void hex(const unsigned char *p, size_t n, char *out, size_t len)
{
    size_t i;

    for (i = 0; i < n && 2 * i + 2 < len; i++)
        snprintf(out + 2 * i, 3, "%02x", p[i]);
    out[len > 0 ? (2 * i < len ? 2 * i : len - 1) : 0] = '\0';
}

/* "sha256:0,2,7" from a TPML_PCR_SELECTION of one bank; 0 if not one. */
static int pcr_list(const unsigned char *p, size_t n, char *out, size_t len)
{
    const char *bank;
    size_t used;
    int first = 1;

    if (n < 7 || be16(p) != 0 || be16(p + 2) != 1 || n != 7 + (size_t)p[6]
        || (bank = alg_name(be16(p + 4))) == NULL)
        return 0;
    used = (size_t)snprintf(out, len, "%s:", bank);
    for (unsigned b = 0; b < p[6]; b++)
        for (unsigned bit = 0; bit < 8; bit++)
            if ((p[7 + b] >> bit & 1) && used < len) {
                used += (size_t)snprintf(out + used, len - used, "%s%u",
                                         first ? "" : ",", 8 * b + bit);
                first = 0;
            }
    return !first;
}

/* The name of the TPM2B_PUBLIC a step starts with (PolicyAuthorize and
 * tpmkit's PolicySigned form both do). */
static int leading_public_name(OSSL_LIB_CTX *libctx,
                               const tk_tpm_policy_step *step, char *out,
                               size_t len)
{
    unsigned char name[2 + EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    size_t pub_len;
    EVP_MD *md;
    int ok;

    if (step->len < 6 || (pub_len = be16(step->params)) < 4
        || 2 + pub_len > step->len || be16(step->params + 4) != TPM2_ALG_SHA256)
        return 0;
    md = EVP_MD_fetch(libctx, "SHA256", NULL);
    memcpy(name, step->params + 4, 2);
    ok = md != NULL
         && EVP_Digest(step->params + 2, pub_len, name + 2, &dlen, md, NULL);
    EVP_MD_free(md);
    if (ok)
        hex(name, 2 + dlen, out, len);
    return ok;
}

int tk_tpm_policy_signer_name(OSSL_LIB_CTX *libctx,
                              const tk_tpm_policy_step *step, char *out,
                              size_t len)
{
    return step->code == TPM2_CC_PolicyAuthorize
           && leading_public_name(libctx, step, out, len);
}

void tk_tpm_policy_step_describe(OSSL_LIB_CTX *libctx,
                                 const tk_tpm_policy_step *step, char *buf,
                                 size_t len)
{
    const char *name = tk_tpm_policy_command_name(step->code);
    const unsigned char *p = step->params;
    char a[160], b[160];
    size_t dlen, pub_len, ref_len;

    if (name == NULL) {
        snprintf(buf, len, "TPM command 0x%x (%zu bytes of parameters)",
                 (unsigned)step->code, step->len);
        return;
    }
    if (step->code == TPM2_CC_PolicyPCR && step->len >= 2
        && (dlen = be16(p)) + 2 <= step->len
        && pcr_list(p + 2 + dlen, step->len - 2 - dlen, a, sizeof(a))) {
        hex(p + 2, dlen, b, sizeof(b));
        snprintf(buf, len, "PolicyPCR %s digest %s", a,
                 dlen > 0 ? b : "(none: the values at use)");
        return;
    }
    /* openssl_tpm2_engine's order: the selection, then the bare digest. */
    if (step->code == TPM2_CC_PolicyPCR && step->len >= 7
        && (dlen = 7 + (size_t)p[6]) < step->len
        && pcr_list(p, dlen, a, sizeof(a))) {
        hex(p + dlen, step->len - dlen, b, sizeof(b));
        snprintf(buf, len, "PolicyPCR %s digest %s", a, b);
        return;
    }
    if (step->code == TPM2_CC_PolicyAuthorize
        && tk_tpm_policy_signer_name(libctx, step, a, sizeof(a))) {
        const char *sig = NULL;

        pub_len = be16(p);
        if (2 + pub_len + 2 <= step->len
            && (ref_len = be16(p + 2 + pub_len)) + 2 + pub_len + 4
                   <= step->len) {
            unsigned alg = be16(p + 2 + pub_len + 2 + ref_len);

            sig = alg == TPM2_ALG_NULL ? "" : alg_name(alg);
        }
        snprintf(buf, len, "PolicyAuthorize signer %s%s%s%s", a,
                 sig != NULL && sig[0] != '\0' ? " (signed, " : "",
                 sig != NULL && sig[0] != '\0' ? sig : "",
                 sig != NULL && sig[0] != '\0' ? ")" : "");
        return;
    }
    if (step->code == TPM2_CC_PolicySigned
        && leading_public_name(libctx, step, a, sizeof(a))) {
        snprintf(buf, len, "PolicySigned signer %s", a);
        return;
    }
    if (step->code == TPM2_CC_PolicyPCR || step->code == TPM2_CC_PolicyAuthorize
        || step->code == TPM2_CC_PolicySigned) {
        snprintf(buf, len, "%s (parameters in a form tpmkit does not read)",
                 name);
        return;
    }
    snprintf(buf, len, "%s", name);
}
