/* SPDX-License-Identifier: Apache-2.0 */
/* PCR selections ("sha256:0,2,7") and PolicyPCR steps over given PCR
 * values or over the PCRs' current values. TPM2_PCR_Read returns at most 8
 * values per command and may return fewer than asked, so it is asked again
 * for the rest; if a PCR changes between two reads (the update counter
 * moves), all are read again, so that the digest is of one consistent
 * state. */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <tss2/tss2_sys.h>

#include "policy.h"
#include "pubinfo.h"
#include "run.h"
#include "session.h"
#include "state.h"
#include "../provider/errors.h"

#define PCR_COUNT 24
#define PCR_SELECT_BYTES 3

static const struct {
    const char *name;
    int nid;
    size_t digest_len;
} banks[] = {
    { "sha1", NID_sha1, 20 },
    { "sha256", NID_sha256, 32 },
    { "sha384", NID_sha384, 48 },
    { "sha512", NID_sha512, 64 },
};

/* One PCR number, 0-23, all digits. */
static int pcr_number(const char *s, size_t len, unsigned *out)
{
    unsigned v = 0;

    if (len == 0 || len > 2)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v >= PCR_COUNT)
        return 0;
    *out = v;
    return 1;
}

int tk_tpm_pcr_parse(const char *spec, tk_tpm_pcr_sel *out)
{
    const char *colon, *p, *end, *dash;
    size_t i;

    memset(out, 0, sizeof(*out));
    if (spec == NULL || (colon = strchr(spec, ':')) == NULL) {
        tk_raise(TK_R_BAD_REQUEST,
                 "PCR policy \"%s\" is not BANK:LIST (e.g."
                 " sha256:0,2,7)",
                 spec != NULL ? spec : "");
        return 0;
    }
    for (i = 0; i < sizeof(banks) / sizeof(banks[0]); i++)
        if (strlen(banks[i].name) == (size_t)(colon - spec)
            && strncmp(spec, banks[i].name, (size_t)(colon - spec)) == 0)
            break;
    if (i == sizeof(banks) / sizeof(banks[0])) {
        tk_raise(TK_R_BAD_REQUEST,
                 "unknown PCR bank \"%.*s\" (use sha1, sha256,"
                 " sha384 or sha512)",
                 (int)(colon - spec), spec);
        return 0;
    }
    out->hash_nid = banks[i].nid;
    for (p = colon + 1;; p = end + 1) {
        unsigned from, to;

        end = strchr(p, ',');
        if (end == NULL)
            end = p + strlen(p);
        dash = memchr(p, '-', (size_t)(end - p));
        if (dash == NULL
                ? !pcr_number(p, (size_t)(end - p), &from)
                : !pcr_number(p, (size_t)(dash - p), &from)
                      || !pcr_number(dash + 1, (size_t)(end - dash - 1), &to)
                      || to < from) {
            tk_raise(TK_R_BAD_REQUEST,
                     "bad PCR \"%.*s\" in \"%s\" (PCR numbers 0-23"
                     " or ranges like 0-7, separated by commas)",
                     (int)(end - p), p, spec);
            memset(out, 0, sizeof(*out));
            return 0;
        }
        if (dash == NULL)
            to = from;
        for (unsigned n = from; n <= to; n++)
            out->mask |= 1u << n;
        if (*end == '\0')
            break;
    }
    return 1;
}

size_t tk_tpm_pcr_values_len(const tk_tpm_pcr_sel *sel, size_t *digest_len)
{
    size_t count = 0;

    *digest_len = 0;
    for (size_t i = 0; i < sizeof(banks) / sizeof(banks[0]); i++)
        if (banks[i].nid == sel->hash_nid)
            *digest_len = banks[i].digest_len;
    for (unsigned n = 0; n < PCR_COUNT; n++)
        count += (sel->mask >> n) & 1u;
    return count * *digest_len;
}

struct pcr_read_request {
    TPMI_ALG_HASH bank;
    uint32_t mask;
    unsigned char values[PCR_COUNT][64];
    UINT16 sizes[PCR_COUNT];
};

static void selection(TPML_PCR_SELECTION *sel, TPMI_ALG_HASH bank,
                      uint32_t mask)
{
    memset(sel, 0, sizeof(*sel));
    sel->count = 1;
    sel->pcrSelections[0].hash = bank;
    sel->pcrSelections[0].sizeofSelect = PCR_SELECT_BYTES;
    for (int b = 0; b < PCR_SELECT_BYTES; b++)
        sel->pcrSelections[0].pcrSelect[b] = (BYTE)(mask >> (8 * b));
}

static uint32_t selected_mask(const TPML_PCR_SELECTION *sel, TPMI_ALG_HASH bank)
{
    uint32_t mask = 0;

    for (UINT32 i = 0; i < sel->count && i < TPM2_NUM_PCR_BANKS; i++) {
        const TPMS_PCR_SELECTION *s = &sel->pcrSelections[i];

        if (s->hash != bank)
            continue;
        for (int b = 0; b < s->sizeofSelect && b < PCR_SELECT_BYTES; b++)
            mask |= (uint32_t)s->pcrSelect[b] << (8 * b);
    }
    return mask;
}

/* One TPM2_PCR_Read with the salted session attached for audit: its
 * response HMAC, keyed from a salt only the checked TPM can open, proves
 * the values came from that TPM. Otherwise the bus could bind a new object
 * to PCR values of its choosing. */
static TSS2_RC read_once(tk_tpm *tpm, TPML_PCR_SELECTION *in, UINT32 *counter,
                         TPML_PCR_SELECTION *out, TPML_DIGEST *values)
{
    tk_call call;
    TSS2_RC rc;

    tk_call_init(&call);
    if ((rc = tk_session_attach(tpm, &call, TPMA_SESSION_AUDIT))
        != TSS2_RC_SUCCESS)
        return rc;
    rc = Tss2_Sys_PCR_Read_Prepare(tpm->conn.sys, in);
    if (rc == TSS2_RC_SUCCESS)
        rc = tk_call_run(tpm, &call, TPM2_CC_PCR_Read);
    if (rc == TSS2_RC_SUCCESS)
        rc = Tss2_Sys_PCR_Read_Complete(tpm->conn.sys, counter, out, values);
    return rc;
}

static TSS2_RC pcr_read(tk_tpm *tpm, void *arg)
{
    struct pcr_read_request *req = arg;
    uint32_t left = req->mask;
    UINT32 counter = 0, first_counter = 0;
    int reads = 0, restarts = 0;

    while (left != 0) {
        TPML_PCR_SELECTION in, out = { 0 };
        TPML_DIGEST values = { 0 };
        uint32_t got;
        UINT32 k = 0;
        TSS2_RC rc;

        selection(&in, req->bank, left);
        rc = read_once(tpm, &in, &counter, &out, &values);
        if (rc != TSS2_RC_SUCCESS)
            return tk_fail(tpm, rc, TK_R_TPM_COMMAND_FAILED, "TPM2_PCR_Read");
        if (reads++ == 0)
            first_counter = counter;
        else if (counter != first_counter) {
            /* A PCR moved while we were reading: start again. */
            if (++restarts > 8)
                return tk_fail(tpm, TSS2_ESYS_RC_TRY_AGAIN,
                               TK_R_TPM_COMMAND_FAILED,
                               "TPM2_PCR_Read (PCRs keep changing)");
            left = req->mask;
            reads = 0;
            continue;
        }
        got = selected_mask(&out, req->bank) & left;
        if (got == 0)
            return tk_failf(tpm, TSS2_ESYS_RC_BAD_VALUE, TK_R_NOT_SUPPORTED,
                            "TPM2_PCR_Read: the TPM returns no value for PCR"
                            " mask 0x%06x in this bank (bank not allocated?)",
                            (unsigned)left);
        /* Values come in PCR order for the PCRs the TPM selected. */
        for (unsigned n = 0; n < PCR_COUNT; n++) {
            if ((got & (1u << n)) == 0)
                continue;
            if (k >= values.count || values.digests[k].size == 0
                || values.digests[k].size > sizeof(req->values[n]))
                return tk_fail(tpm, TSS2_ESYS_RC_MALFORMED_RESPONSE,
                               TK_R_TPM_COMMAND_FAILED, "TPM2_PCR_Read");
            memcpy(req->values[n], values.digests[k].buffer,
                   values.digests[k].size);
            req->sizes[n] = values.digests[k].size;
            k++;
        }
        left &= ~got;
    }
    return TSS2_RC_SUCCESS;
}

/* tk_tpm_pcr_values_len of a selection that can be bound to; 0 (raised)
 * for an empty or invalid one. */
static size_t checked_values_len(const tk_tpm_pcr_sel *sel, size_t *digest_len)
{
    size_t len = tk_tpm_pcr_values_len(sel, digest_len);

    if (tk_tpm_hash_alg(sel->hash_nid) == TPM2_ALG_NULL || sel->mask == 0
        || (sel->mask >> PCR_COUNT) != 0 || len == 0) {
        tk_raise(TK_R_BAD_REQUEST, "empty or invalid PCR selection");
        return 0;
    }
    return len;
}

int tk_tpm_pcr_policy_step_values(OSSL_LIB_CTX *libctx,
                                  const tk_tpm_pcr_sel *sel,
                                  const unsigned char *values, size_t len,
                                  tk_tpm_policy_step *step)
{
    unsigned char digest[TK_TPM_POLICY_DIGEST_LEN], *p;
    EVP_MD *sha256 = NULL;
    unsigned int dlen = 0;
    size_t plen = 2 + sizeof(digest) + 4 + 2 + 1 + PCR_SELECT_BYTES, want,
           digest_len;
    int ok = 0;

    memset(step, 0, sizeof(*step));
    if ((want = checked_values_len(sel, &digest_len)) == 0)
        return 0;
    if (len != want) {
        tk_raise(TK_R_BAD_REQUEST,
                 "%zu bytes of PCR values for %zu PCRs of %zu bytes: expected"
                 " %zu",
                 len, want / digest_len, digest_len, want);
        return 0;
    }
    /* pcrDigest uses the policy session's hash (the key's name algorithm,
     * SHA-256), whatever the bank; the values go in ascending PCR order,
     * the order the TPM hashes them in. */
    if ((sha256 = EVP_MD_fetch(libctx, "SHA256", NULL)) == NULL
        || !EVP_Digest(values, len, digest, &dlen, sha256, NULL)
        || dlen != sizeof(digest))
        goto end;
    /* Part 3 order: TPM2B_DIGEST pcrDigest, then TPML_PCR_SELECTION. */
    if ((p = OPENSSL_malloc(plen)) == NULL)
        goto end;
    step->code = TPM2_CC_PolicyPCR;
    step->params = p;
    step->len = plen;
    tk_put_be(p, sizeof(digest), 2);
    memcpy(p + 2, digest, sizeof(digest));
    p += 2 + sizeof(digest);
    tk_put_be(p, 1, 4);
    tk_put_be(p + 4, tk_tpm_hash_alg(sel->hash_nid), 2);
    p[6] = PCR_SELECT_BYTES;
    for (int b = 0; b < PCR_SELECT_BYTES; b++)
        p[7 + b] = (unsigned char)(sel->mask >> (8 * b));
    ok = 1;
end:
    if (!ok)
        tk_raise(TK_R_INTERNAL, "cannot compute the PCR policy");
    EVP_MD_free(sha256);
    return ok;
}

int tk_tpm_pcr_policy_step(tk_tpm *tpm, const tk_tpm_pcr_sel *sel,
                           tk_tpm_policy_step *step)
{
    struct pcr_read_request req = { 0 };
    unsigned char values[TK_TPM_PCR_VALUES_MAX];
    size_t len = 0, digest_len;
    int ok;

    memset(step, 0, sizeof(*step));
    if (checked_values_len(sel, &digest_len) == 0)
        return 0;
    req.bank = tk_tpm_hash_alg(sel->hash_nid);
    req.mask = sel->mask;
    if (!tk_tpm_run(tpm, pcr_read, &req))
        return 0;
    /* The values as tpm2_pcrread -o writes them: the same digest as for
     * values given in a file. */
    for (unsigned n = 0; n < PCR_COUNT; n++) {
        if ((req.mask & (1u << n)) == 0)
            continue;
        if (req.sizes[n] != digest_len) {
            tk_raise(TK_R_TPM_COMMAND_FAILED,
                     "TPM2_PCR_Read: PCR %u holds %u bytes, not the %zu of"
                     " its bank",
                     n, (unsigned)req.sizes[n], digest_len);
            return 0;
        }
        memcpy(values + len, req.values[n], digest_len);
        len += digest_len;
    }
    ok = tk_tpm_pcr_policy_step_values(tpm->crypto_ctx, sel, values, len, step);
    OPENSSL_cleanse(&req, sizeof(req));
    OPENSSL_cleanse(values, sizeof(values));
    return ok;
}
