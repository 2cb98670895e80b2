/* SPDX-License-Identifier: Apache-2.0 */
/* TPM and TSS return codes: what the caller should do next, their text,
 * and the record of which step failed. The bottom of the TPM layer. */
#ifndef TK_TPM_RC_H
#define TK_TPM_RC_H

#include <tss2/tss2_common.h>

enum tk_rc_class {
    TK_RC_OK,
    TK_RC_RETRY,      /* the TPM asked us to try again later */
    TK_RC_BUSY,       /* the TPM's object or session slots are full */
    TK_RC_TRANSPORT,  /* the connection to the TPM is broken */
    TK_RC_LOST_STATE, /* our handles or sessions vanished (TPM reset?) */
    TK_RC_FATAL,
};
enum tk_rc_class tk_rc_classify(TSS2_RC rc);
const char *tk_rc_text(TSS2_RC rc);
/* A wrong password or HMAC (the TPM counts it towards lockout), whatever
 * handle or session number the code carries. */
int tk_rc_is_auth_failure(TSS2_RC rc);
/* A TPM format-one code without the handle, session or parameter it names
 * (0x1df, integrity of parameter 1, is TPM2_RC_INTEGRITY); any other code
 * unchanged. */
TSS2_RC tk_rc_base(TSS2_RC rc);

/* Which step of an operation failed, set by the command that failed and
 * read by the error report (run.c). */
typedef struct tk_failure {
    const char *what;
    int reason;       /* a TK_R_* of provider/errors.h */
    char detail[512]; /* a `what` written when it failed (tk_failf) */
    char text[1024];  /* the last failure reported, as text */
} tk_failure;

/* Record which step failed; returns rc for tail calls. */
TSS2_RC tk_failure_set(tk_failure *f, TSS2_RC rc, int reason, const char *what);
#define tk_fail(tpm, rc, reason, what)                                         \
    tk_failure_set(&(tpm)->fail, (rc), (reason), (what))
/* The same with a `what` formatted into f->detail: for a step whose
 * explanation depends on what the TPM said. */
TSS2_RC tk_failure_setf(tk_failure *f, TSS2_RC rc, int reason, const char *fmt,
                        ...) __attribute__((format(printf, 4, 5)));
#define tk_failf(tpm, rc, reason, ...)                                         \
    tk_failure_setf(&(tpm)->fail, (rc), (reason), __VA_ARGS__)

#endif
