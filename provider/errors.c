/* SPDX-License-Identifier: Apache-2.0 */
#include "errors.h"

#include <pthread.h>
#include <stdarg.h>
#include <openssl/core_dispatch.h>
#include <openssl/crypto.h>

struct tk_errors {
    const OSSL_CORE_HANDLE *core;
    OSSL_FUNC_core_new_error_fn *new_error;
    OSSL_FUNC_core_set_error_debug_fn *set_error_debug;
    OSSL_FUNC_core_vset_error_fn *vset_error;
    struct tk_errors *next;
};

/* The live instances, newest first. A raise holds the read lock across
 * its calls into the core, so a teardown (write lock) waits for it. */
static pthread_rwlock_t live_lock = PTHREAD_RWLOCK_INITIALIZER;
static tk_errors *live;

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
    { TK_R_TPM_IDENTITY,
      "the TPM's identity could not be verified (possible interposer on the"
      " TPM bus, or a different or cleared TPM)" },
    { TK_R_TPM_BUSY, "the TPM is busy" },
    { 0, NULL }
};

tk_errors *tk_errors_register(const OSSL_CORE_HANDLE *core,
                              const OSSL_DISPATCH *in)
{
    tk_errors *errs = OPENSSL_zalloc(sizeof(*errs));

    if (errs == NULL)
        return NULL;
    errs->core = core;
    for (; in->function_id != 0; in++) {
        switch (in->function_id) {
        case OSSL_FUNC_CORE_NEW_ERROR:
            errs->new_error = OSSL_FUNC_core_new_error(in);
            break;
        case OSSL_FUNC_CORE_SET_ERROR_DEBUG:
            errs->set_error_debug = OSSL_FUNC_core_set_error_debug(in);
            break;
        case OSSL_FUNC_CORE_VSET_ERROR:
            errs->vset_error = OSSL_FUNC_core_vset_error(in);
            break;
        default:
            break;
        }
    }
    pthread_rwlock_wrlock(&live_lock);
    errs->next = live;
    live = errs;
    pthread_rwlock_unlock(&live_lock);
    return errs;
}

void tk_errors_unregister(tk_errors *errs)
{
    if (errs == NULL)
        return;
    pthread_rwlock_wrlock(&live_lock);
    for (tk_errors **link = &live; *link != NULL; link = &(*link)->next) {
        if (*link == errs) {
            *link = errs->next;
            break;
        }
    }
    pthread_rwlock_unlock(&live_lock);
    OPENSSL_free(errs);
}

const OSSL_ITEM *tk_reason_strings(void)
{
    return reason_strings;
}

void tk_raise_at(const char *file, int line, const char *func, int reason,
                 const char *fmt, ...)
{
    va_list ap;

    pthread_rwlock_rdlock(&live_lock);
    if (live != NULL && live->new_error != NULL && live->vset_error != NULL) {
        va_start(ap, fmt);
        live->new_error(live->core);
        if (live->set_error_debug != NULL)
            live->set_error_debug(live->core, file, line, func);
        live->vset_error(live->core, (uint32_t)reason, fmt, ap);
        va_end(ap);
    }
    pthread_rwlock_unlock(&live_lock);
    if (tk_debug_level() >= TK_DEBUG_ERRORS) {
        va_start(ap, fmt);
        tk_debug_vprint(TK_DEBUG_ERRORS, file, line, reason, fmt, ap);
        va_end(ap);
    }
}
