/* SPDX-License-Identifier: Apache-2.0 */
/* tpmkit error reporting: every failure becomes an OpenSSL error raised
 * through the core, with a tpmkit reason code and a formatted detail. */
#ifndef TK_ERRORS_H
#define TK_ERRORS_H

#include <openssl/core.h>

#include "debug.h"

enum tk_reason {
    TK_R_TPM_UNREACHABLE = 1,
    TK_R_TPM_COMMAND_FAILED,
    TK_R_SESSION_FAILED,
    TK_R_PRIMARY_FAILED,
    TK_R_BAD_CONFIG,
    TK_R_SEED_FAILED,
    TK_R_BAD_REQUEST,
    TK_R_OUT_OF_MEMORY,
    TK_R_INTERNAL,
    TK_R_BAD_KEY,
    TK_R_AUTH_FAILED,
    TK_R_NOT_SUPPORTED,
    TK_R_TPM_IDENTITY,
    TK_R_TPM_BUSY,
};

/* One loaded provider instance's way into the core's error functions. */
typedef struct tk_errors tk_errors;

/* Called from provider init with that instance's core handle: from now on
 * errors can be raised through it. NULL on allocation failure. */
tk_errors *tk_errors_register(const OSSL_CORE_HANDLE *core,
                              const OSSL_DISPATCH *in);
/* Called from that instance's teardown: its core handle is about to be
 * freed, so no error may go through it any more. */
void tk_errors_unregister(tk_errors *errs);

/* The reason table handed to OpenSSL (OSSL_FUNC_PROVIDER_GET_REASON_STRINGS). */
const OSSL_ITEM *tk_reason_strings(void);

void tk_raise_at(const char *file, int line, const char *func, int reason,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Raise an error through a live tpmkit instance. The TPM layer below is
 * shared by every instance in the process (one connection per TPM), so
 * the instance is the newest one still loaded; all of them register the
 * same reason strings under the name "tpmkit", so the error reads the same
 * whichever carries it, and none of them is used after its teardown. */
#define tk_raise(reason, ...)                                                  \
    tk_raise_at(__FILE__, __LINE__, __func__, (reason), __VA_ARGS__)

#endif
