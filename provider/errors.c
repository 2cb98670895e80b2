#include "errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <openssl/core_dispatch.h>

static const OSSL_CORE_HANDLE *err_core;
static OSSL_FUNC_core_new_error_fn *core_new_error;
static OSSL_FUNC_core_set_error_debug_fn *core_set_error_debug;
static OSSL_FUNC_core_vset_error_fn *core_vset_error;

static const OSSL_ITEM reason_strings[] = {
    { TK_R_TPM_UNREACHABLE, "TPM unreachable" },
    { TK_R_TPM_COMMAND_FAILED, "TPM command failed" },
    { TK_R_SESSION_FAILED, "could not start the encrypted TPM session" },
    { TK_R_PRIMARY_FAILED, "could not create the TPM storage primary key" },
    { TK_R_BAD_CONFIG, "bad tpmkit configuration" },
    { TK_R_SEED_FAILED, "TPM seed failed" },
    { TK_R_BAD_REQUEST, "request not supported" },
    { TK_R_OUT_OF_MEMORY, "out of memory" },
    { TK_R_INTERNAL, "internal error" },
    { TK_R_BAD_KEY, "bad TPM key" },
    { TK_R_AUTH_FAILED, "TPM authorization failed" },
    { TK_R_NOT_SUPPORTED, "operation not supported by this key" },
    { 0, NULL }
};

void tk_errors_init(const OSSL_CORE_HANDLE *core, const OSSL_DISPATCH *in)
{
    /* The first provider instance wins; all instances share one core. */
    if (err_core != NULL)
        return;
    for (; in->function_id != 0; in++) {
        switch (in->function_id) {
        case OSSL_FUNC_CORE_NEW_ERROR:
            core_new_error = OSSL_FUNC_core_new_error(in);
            break;
        case OSSL_FUNC_CORE_SET_ERROR_DEBUG:
            core_set_error_debug = OSSL_FUNC_core_set_error_debug(in);
            break;
        case OSSL_FUNC_CORE_VSET_ERROR:
            core_vset_error = OSSL_FUNC_core_vset_error(in);
            break;
        default:
            break;
        }
    }
    err_core = core;
}

const OSSL_ITEM *tk_reason_strings(void)
{
    return reason_strings;
}

void tk_raise_at(const char *file, int line, const char *func, int reason,
                 const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (core_new_error != NULL && core_vset_error != NULL) {
        core_new_error(err_core);
        if (core_set_error_debug != NULL)
            core_set_error_debug(err_core, file, line, func);
        core_vset_error(err_core, (uint32_t)reason, fmt, ap);
    }
    va_end(ap);
    if (getenv("TPMKIT_DEBUG") != NULL) {
        va_start(ap, fmt);
        fprintf(stderr, "tpmkit: error %d at %s:%d: ", reason, file, line);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
}

void tk_debug(const char *fmt, ...)
{
    va_list ap;

    if (getenv("TPMKIT_DEBUG") == NULL)
        return;
    va_start(ap, fmt);
    fputs("tpmkit: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}
