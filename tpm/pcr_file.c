/* SPDX-License-Identifier: Apache-2.0 */
/* The PolicyPCR step of a PCR policy option (policy.h): over the values in
 * a file, for PCRs as they will be after an update or as another machine's
 * TPM holds them, else over this TPM's current values. The file is what
 * tpm2_pcrread -o writes and tpm2_createpolicy -f reads: the values alone,
 * so its size is all there is to check. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"
#include "../provider/errors.h"

/* Larger files are not PCR values (TK_TPM_PCR_VALUES_MAX bytes at most);
 * the limit only bounds the count for the error message. */
#define PCR_FILE_MAX 65536

/* The file's first `want` bytes into values; *got is its size (above
 * PCR_FILE_MAX for anything larger). */
static int read_values(const char *path, unsigned char *values, size_t want,
                       size_t *got)
{
    unsigned char buf[4096];
    FILE *f = fopen(path, "rb");
    size_t n;
    int failed, err;

    *got = 0;
    if (f == NULL) {
        tk_raise(TK_R_BAD_REQUEST, "cannot open the PCR values file \"%s\": %s",
                 path, strerror(errno));
        return 0;
    }
    while (*got <= PCR_FILE_MAX && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
        if (*got < want)
            memcpy(values + *got, buf, n < want - *got ? n : want - *got);
        *got += n;
    }
    failed = ferror(f);
    err = errno;
    fclose(f);
    if (failed) {
        tk_raise(TK_R_BAD_REQUEST, "cannot read the PCR values file \"%s\": %s",
                 path, strerror(err));
        return 0;
    }
    return 1;
}

int tk_tpm_pcr_policy_step_spec(tk_tpm *tpm, OSSL_LIB_CTX *libctx,
                                const char *spec, const char *values_path,
                                tk_tpm_policy_step *step)
{
    tk_tpm_pcr_sel sel;
    unsigned char values[TK_TPM_PCR_VALUES_MAX];
    size_t want, digest_len, got;

    memset(step, 0, sizeof(*step));
    if (!tk_tpm_pcr_parse(spec, &sel))
        return 0;
    if (values_path == NULL)
        return tk_tpm_pcr_policy_step(tpm, &sel, step);
    want = tk_tpm_pcr_values_len(&sel, &digest_len);
    if (want == 0 || want > sizeof(values)) {
        tk_raise(TK_R_BAD_REQUEST, "empty or invalid PCR selection");
        return 0;
    }
    if (!read_values(values_path, values, want, &got))
        return 0;
    if (got != want) {
        tk_raise(TK_R_BAD_REQUEST,
                 "the PCR values file \"%s\" holds %s%zu bytes, but %s needs"
                 " %zu (%zu PCR%s x %zu bytes: the values alone, in ascending"
                 " PCR order, as tpm2_pcrread -o writes them)",
                 values_path, got > PCR_FILE_MAX ? "more than " : "",
                 got > PCR_FILE_MAX ? (size_t)PCR_FILE_MAX : got, spec, want,
                 want / digest_len, want == digest_len ? "" : "s", digest_len);
        return 0;
    }
    return tk_tpm_pcr_policy_step_values(libctx, &sel, values, want, step);
}
