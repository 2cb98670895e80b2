/* SPDX-License-Identifier: Apache-2.0 */
/* Sorting TPM and TSS return codes into what the caller should do next. */
#include <stdarg.h>
#include <stdio.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tpm2_types.h>

#include "rc.h"

#define LAYER(rc) ((rc)&TSS2_RC_LAYER_MASK)

static int tpm_fmt1_number(TSS2_RC rc)
{
    return (rc & TPM2_RC_FMT1) ? (int)(rc & 0x3f) : -1;
}

enum tk_rc_class tk_rc_classify(TSS2_RC rc)
{
    if (rc == TSS2_RC_SUCCESS)
        return TK_RC_OK;

    if (LAYER(rc) == TSS2_TPM_RC_LAYER) {
        if (rc == TPM2_RC_RETRY || rc == TPM2_RC_YIELDED
            || rc == TPM2_RC_TESTING)
            return TK_RC_RETRY;
        /* Without a resource manager every process shares 3 object and 3
         * session slots: others may free theirs soon. */
        if (rc == TPM2_RC_OBJECT_MEMORY || rc == TPM2_RC_SESSION_MEMORY
            || rc == TPM2_RC_MEMORY)
            return TK_RC_BUSY;
        /* Not started (after a TPM reset), or a handle/session reference
         * that no longer exists in the TPM. */
        if (rc == TPM2_RC_INITIALIZE)
            return TK_RC_LOST_STATE;
        if (rc >= TPM2_RC_REFERENCE_H0 && rc <= TPM2_RC_REFERENCE_S6)
            return TK_RC_LOST_STATE;
        if (tpm_fmt1_number(rc) == (TPM2_RC_HANDLE & 0x3f) && !(rc & TPM2_RC_P))
            return TK_RC_LOST_STATE;
        return TK_RC_FATAL;
    }

    if (LAYER(rc) == TSS2_TCTI_RC_LAYER)
        return TK_RC_TRANSPORT;

    switch (rc & 0xffff) {
    case TSS2_BASE_RC_IO_ERROR:
    case TSS2_BASE_RC_NO_CONNECTION:
    case TSS2_BASE_RC_MALFORMED_RESPONSE:
    case TSS2_BASE_RC_INSUFFICIENT_RESPONSE:
    case TSS2_BASE_RC_BAD_SEQUENCE: /* ESYS stuck mid-command: start over */
        return TK_RC_TRANSPORT;
    case TSS2_BASE_RC_RSP_AUTH_FAILED:
        /* A response HMAC that does not verify means the session keys no
         * longer match the TPM's: stale session after a reset. */
        return TK_RC_LOST_STATE;
    default:
        return TK_RC_FATAL;
    }
}

const char *tk_rc_text(TSS2_RC rc)
{
    /* tpmkit's own check of a response HMAC: say what it means. */
    if ((rc & ~(TSS2_RC)TSS2_RC_LAYER_MASK) == TSS2_BASE_RC_RSP_AUTH_FAILED)
        return "the TPM's answer does not authenticate under the salted"
               " session: something between tpmkit and the TPM changed it"
               " (check the TPM's connection; tpmkit did not use the answer)";
    return Tss2_RC_Decode(rc);
}

int tk_rc_is_auth_failure(TSS2_RC rc)
{
    TSS2_RC base = rc & ~(TSS2_RC)TPM2_RC_N_MASK;

    if ((rc & TSS2_RC_LAYER_MASK) != TSS2_TPM_RC_LAYER || !(rc & TPM2_RC_FMT1))
        return 0;
    return base == TPM2_RC_AUTH_FAIL || base == TPM2_RC_BAD_AUTH;
}

TSS2_RC tk_rc_base(TSS2_RC rc)
{
    if (LAYER(rc) != TSS2_TPM_RC_LAYER || !(rc & TPM2_RC_FMT1))
        return rc;
    return rc & ~(TSS2_RC)(TPM2_RC_N_MASK | TPM2_RC_P);
}

TSS2_RC tk_failure_set(tk_failure *f, TSS2_RC rc, int reason, const char *what)
{
    f->what = what;
    f->reason = reason;
    return rc;
}

TSS2_RC tk_failure_setf(tk_failure *f, TSS2_RC rc, int reason, const char *fmt,
                        ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
    va_end(ap);
    return tk_failure_set(f, rc, reason, f->detail);
}
