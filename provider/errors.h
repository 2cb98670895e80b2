/* tpmkit error reporting: every failure becomes an OpenSSL error raised
 * through the core, with a tpmkit reason code and a formatted detail. */
#ifndef TK_ERRORS_H
#define TK_ERRORS_H

#include <openssl/core.h>

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
};

/* Remember the core's error functions; called once from provider init. */
void tk_errors_init(const OSSL_CORE_HANDLE *core, const OSSL_DISPATCH *in);

/* The reason table handed to OpenSSL (OSSL_FUNC_PROVIDER_GET_REASON_STRINGS). */
const OSSL_ITEM *tk_reason_strings(void);

void tk_raise_at(const char *file, int line, const char *func, int reason,
                 const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#define tk_raise(reason, ...) \
    tk_raise_at(__FILE__, __LINE__, __func__, (reason), __VA_ARGS__)

/* Debug tracing to stderr, only when TPMKIT_DEBUG is set in the environment. */
void tk_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
